"""A corrected answer key marks students' answers again; removed blocks say what they took.

An instructor who fixes which choice is right (or the expected number, text or output)
saves the lesson: the answers given before are marked against the new key in the same
save, so the page, the quiz score and a required quiz agree.
"""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from lessons.services import lesson_set_completed
from lessons.tests.factories import EnrollmentFactory
from practice.models import Attempt, ExerciseAttempt, Question
from practice.services import (
    exercise_attempt_create,
    lesson_practice_sync,
    question_answer,
    quiz_score,
)

from .conftest import build_quiz
from .quiz_text import QUIZ, lesson_change_data

pytestmark = pytest.mark.django_db

# The single-choice question's key, corrected: POST is now the right choice, GET not.
GET_RIGHT = '  - text: "`GET`"\n    correct: true\n'
GET_WRONG = '  - text: "`GET`"\n'
POST_RIGHT = "  - text: POST\n    correct: true\n"
POST_WRONG = "  - text: POST\n"
CORRECTED = QUIZ.replace(GET_RIGHT, GET_WRONG).replace(
    POST_WRONG + "    feedback: POST creates", POST_RIGHT + "    feedback: POST creates"
)
# The single-choice question's first two choices with their feedback, and the lesson with
# them swapped.
GET_BLOCK = GET_RIGHT + '    feedback: "Right: GET only reads."\n'
POST_BLOCK = POST_WRONG + "    feedback: POST creates a resource.\n"
assert GET_BLOCK + POST_BLOCK in QUIZ
SWAPPED = QUIZ.replace(GET_BLOCK + POST_BLOCK, POST_BLOCK + GET_BLOCK)
# The multiple-choice question's POST, made right; the single-choice question's block.
SAFE_POST_WRONG = POST_WRONG + "    feedback: POST changes"
SAFE_POST_RIGHT = POST_RIGHT + "    feedback: POST changes"
SINGLE = QUIZ.split("id: idempotent-methods\n")[1].split("```")[0]
AS_NUMBER = "kind: number\nprompt: How many?\nanswer: 1\n"


def student_of(quiz, username: str):
    user = UserFactory(username=username)
    EnrollmentFactory(user=user, course=quiz.course, role=Role.STUDENT)
    return user


def pick(user, question, *texts) -> Attempt:
    ids = [str(c.pk) for c in question.choices.all() if c.text in texts]
    return question_answer(user=user, question=question, choice_ids=ids)


def save_in_admin(client, alice, quiz, body: str, **changes: str) -> str:
    """Save the lesson with BODY on its back-office page; return the page it goes on to."""
    EnrollmentFactory(user=alice, course=quiz.course, role=Role.INSTRUCTOR)
    client.force_login(alice)
    url = reverse("admin:lessons_lesson_change", args=[quiz.lesson.pk])
    response = client.post(url, lesson_change_data(quiz.lesson, body, **changes), follow=True)
    assert response.redirect_chain, response.content.decode()[:2000]
    return html.unescape(response.content.decode())


def test_a_corrected_choice_marks_earlier_answers_again_on_the_page_and_the_score(client, alice):
    quiz = build_quiz(quiz_required=True, quiz_pass_mark=20)  # one question right passes
    question = quiz.q["idempotent-methods"]
    ann, ben = student_of(quiz, "ann"), student_of(quiz, "ben")
    pick(ann, question, "`GET`")  # right by the first key
    pick(ben, question, "POST")  # wrong by it
    assert quiz_score(user=ann, lesson=quiz.lesson).right == 1

    assert CORRECTED != QUIZ
    save_in_admin(
        client, alice, quiz, CORRECTED, is_published="on", quiz_required="on", quiz_pass_mark="20"
    )

    assert quiz_score(user=ann, lesson=quiz.lesson).right == 0
    assert quiz_score(user=ben, lesson=quiz.lesson).right == 1
    with pytest.raises(ValidationError):  # the required quiz is no longer passed
        lesson_set_completed(user=ann, lesson=quiz.lesson, completed=True)
    lesson_set_completed(user=ben, lesson=quiz.lesson, completed=True)
    client.force_login(ann)
    page = html.unescape(client.get(quiz.lesson.get_absolute_url()).content.decode())
    section = page.split('id="question-idempotent-methods"')[1].split("</section>")[0]
    assert "✗ Not this one." in section and "Not quite. Try again." in section
    assert "Right!" not in section and ">right<" not in section


# (slug, the answer given, its mark by QUIZ, the Markdown edit, its mark after it)
KEY_CHANGES = [
    ("safe-methods", ["GET", "HEAD"], True, (SAFE_POST_WRONG, SAFE_POST_RIGHT), False),
    ("answer", "42", True, ("answer: 42\n", "answer: 43\n"), False),
    ("answer", "43", False, ("answer: 42\n", "answer: 43\n"), True),
    ("run-flask", "flask start", False, ('"flask run"', '"flask start"'), True),
    ("length", "5\na", True, ('output: "5\\na"', 'output: "6\\na"'), False),
    # The question becomes another kind: a choice is not a number.
    ("idempotent-methods", ["`GET`"], True, (SINGLE, AS_NUMBER), False),
]


@pytest.mark.parametrize(("slug", "given", "before", "edit", "after"), KEY_CHANGES)
def test_every_kind_is_marked_again_when_its_key_changes(slug, given, before, edit, after):
    quiz = build_quiz()
    question = quiz.q[slug]
    ann = student_of(quiz, "ann")
    if isinstance(given, list):
        attempt = pick(ann, question, *given)
    else:
        attempt = question_answer(user=ann, question=question, text=given)
    assert attempt.correct is before
    old, new = edit
    assert old in QUIZ
    quiz.lesson.body = QUIZ.replace(old, new, 1)
    quiz.lesson.save()

    report = lesson_practice_sync(lesson=quiz.lesson)

    attempt.refresh_from_db()
    assert attempt.correct is after
    assert (report.remarked, report.remarked_students) == (1, 1)
    assert report.notices == [
        "Corrected answer key (1 question): the marks of 1 answer from 1 student changed with it."
    ]


def test_a_removed_choice_that_was_picked_is_wrong_now():
    quiz = build_quiz()
    question = quiz.q["idempotent-methods"]
    ann = student_of(quiz, "ann")
    attempt = pick(ann, question, "DELETE")
    # DELETE (the third choice) goes; GET is no longer right, so ann's pick of a
    # removed choice must not become right either.
    body = QUIZ.replace("  - text: DELETE\n", "").replace(GET_RIGHT, GET_WRONG)
    body = body.replace(POST_WRONG + "    feedback: POST", POST_RIGHT + "    feedback: POST")
    quiz.lesson.body = body
    quiz.lesson.save()
    lesson_practice_sync(lesson=quiz.lesson)
    attempt.refresh_from_db()
    assert attempt.correct is False
    assert not attempt.choices.exists()


def test_reordering_choices_keeps_what_each_student_picked_and_their_marks(client):
    """Probe 74: matched by position, swapping two choices swapped what students had
    picked (ann's right GET became a wrong POST, ben's wrong POST a right GET)."""
    quiz = build_quiz()
    question = quiz.q["idempotent-methods"]
    ann, ben = student_of(quiz, "ann"), student_of(quiz, "ben")
    pick(ann, question, "`GET`")
    pick(ben, question, "POST")
    quiz.lesson.body = SWAPPED
    quiz.lesson.save()
    report = lesson_practice_sync(lesson=quiz.lesson)

    assert [c.text for c in question.choices.order_by("position")] == [
        "POST",
        "`GET`",
        "DELETE",
    ]
    assert not report.remarked
    picked = {
        a.user.username: (list(a.choices.values_list("text", flat=True)), a.correct)
        for a in Attempt.objects.select_related("user")
    }
    assert picked == {"ann": (["`GET`"], True), "ben": (["POST"], False)}
    client.force_login(ann)
    page = client.get(quiz.lesson.get_absolute_url()).content.decode()
    assert "Right: GET only reads." in page


def test_a_choice_edited_in_place_keeps_its_answers_while_others_move():
    quiz = build_quiz()
    question = quiz.q["idempotent-methods"]
    ann = student_of(quiz, "ann")
    pick(ann, question, "DELETE")
    # DELETE is reworded where it stands; GET and POST swap places around nothing else.
    quiz.lesson.body = SWAPPED.replace("  - text: DELETE\n", '  - text: "`DELETE`"\n')
    quiz.lesson.save()
    lesson_practice_sync(lesson=quiz.lesson)
    attempt = Attempt.objects.get()
    assert list(attempt.choices.values_list("text", flat=True)) == ["`DELETE`"]
    assert attempt.correct is False


def test_a_reworded_question_keeps_its_marks_and_writes_no_answer():
    quiz = build_quiz()
    ann = student_of(quiz, "ann")
    pick(ann, quiz.q["idempotent-methods"], "`GET`")
    quiz.lesson.body = QUIZ.replace("meant to change", "supposed to change").replace(
        "Right: GET only reads.", "Right: GET reads."
    )
    quiz.lesson.save()
    with CaptureQueriesContext(connection) as queries:
        report = lesson_practice_sync(lesson=quiz.lesson)
    assert report.updated and not report.remarked and not report.notices
    assert not any("practice_attempt" in q["sql"] for q in queries.captured_queries)
    assert Attempt.objects.get().correct is True


def test_marking_again_takes_the_same_queries_for_a_large_class():
    def measure(students: int) -> int:
        quiz = build_quiz()
        for n in range(students):
            user = student_of(quiz, f"s{students}-{n}")
            pick(user, quiz.q["idempotent-methods"], "`GET`" if n % 2 else "POST")
            pick(user, quiz.q["safe-methods"], "GET", "HEAD")
            question_answer(user=user, question=quiz.q["answer"], text=str(40 + n % 4))
        body = CORRECTED.replace("answer: 42\n", "answer: 43\n")
        quiz.lesson.body = body.replace(
            POST_WRONG + "    feedback: POST ch", POST_RIGHT + "    feedback: POST ch"
        )
        quiz.lesson.save()
        with CaptureQueriesContext(connection) as queries:
            report = lesson_practice_sync(lesson=quiz.lesson)
        assert report.rekeyed == 3 and report.remarked_students == students
        return len(queries)

    assert measure(30) == measure(3)


# The save messages below need the lesson admin to show SyncReport.notices.
def test_the_save_message_says_how_many_marks_a_corrected_key_changed(client, alice):
    quiz = build_quiz()
    question = quiz.q["idempotent-methods"]
    for name, text in (("ann", "`GET`"), ("ben", "POST"), ("cat", "DELETE")):
        pick(student_of(quiz, name), question, text)

    shown = save_in_admin(client, alice, quiz, CORRECTED)

    said = "Corrected answer key (1 question): the marks of 2 answers from 2 students changed"
    assert said in shown


def test_removing_blocks_with_students_work_says_how_much_goes(client, alice):
    quiz = build_quiz()
    ann, ben = student_of(quiz, "ann"), student_of(quiz, "ben")
    pick(ann, quiz.q["idempotent-methods"], "POST")
    pick(ann, quiz.q["idempotent-methods"], "`GET`")
    pick(ben, quiz.q["idempotent-methods"], "DELETE")
    question_answer(user=ben, question=quiz.q["answer"], text="42")
    exercise_attempt_create(user=ann, exercise=quiz.exercise, code="print('hi')")
    start = QUIZ.index("```question\nid: idempotent-methods")
    end = QUIZ.index("```question\nid: safe-methods")
    body = (QUIZ[:start] + QUIZ[end:]).split("````exercise")[0]

    # Asked first (probe 34: a renamed id took the answers, said only after saving).
    EnrollmentFactory(user=alice, course=quiz.course, role=Role.INSTRUCTOR)
    client.force_login(alice)
    url = reverse("admin:lessons_lesson_change", args=[quiz.lesson.pk])
    refused = html.unescape(
        client.post(url, lesson_change_data(quiz.lesson, body)).content.decode()
    )
    assert "Saving takes out " in refused and "which students answered" in refused
    assert "“idempotent-methods”" in refused and f"“{quiz.exercise.slug}”" in refused
    assert Attempt.objects.count() == 4 and ExerciseAttempt.objects.count() == 1
    assert "answer" in refused  # the text typed comes back in the form

    sent = client.post(url, lesson_change_data(quiz.lesson, body, drop_work="on"), follow=True)
    assert sent.redirect_chain
    shown = html.unescape(sent.content.decode())

    assert "The questions removed from the lesson took 3 answers of 2 students with them." in shown
    assert "The exercises removed from the lesson took 1 attempt of 1 student with them." in shown
    assert Attempt.objects.count() == 1  # ben's number answer stays
    assert not ExerciseAttempt.objects.exists()


def test_a_typo_fixed_in_one_of_two_choices_of_the_same_text_keeps_both_answers():
    """Probe 76: choices [Same ✓, Same, Other], the first fixed in place to "Fixed":
    matched by text, the right pick was re-marked wrong and the other deleted."""
    quiz = build_quiz()
    question = quiz.q["idempotent-methods"]
    twice = QUIZ.replace(
        "  - text: POST\n    feedback: POST creates",
        '  - text: "`GET`"\n    feedback: POST creates',
    )
    quiz.lesson.body = twice
    quiz.lesson.save()
    lesson_practice_sync(lesson=quiz.lesson)
    first, second = question.choices.order_by("position")[:2]
    assert first.text == second.text == "`GET`" and first.correct and not second.correct
    ann, ben = student_of(quiz, "ann"), student_of(quiz, "ben")
    right = question_answer(user=ann, question=question, choice_ids=[str(first.pk)])
    other = question_answer(user=ben, question=question, choice_ids=[str(second.pk)])
    quiz.lesson.body = twice.replace(
        '  - text: "`GET`"\n    correct: true', "  - text: GET\n    correct: true", 1
    )
    quiz.lesson.save()
    report = lesson_practice_sync(lesson=quiz.lesson)
    right.refresh_from_db()
    other.refresh_from_db()
    assert (list(right.choices.values_list("text", flat=True)), right.correct) == (["GET"], True)
    assert (list(other.choices.values_list("text", flat=True)), other.correct) == (["`GET`"], False)
    assert not report.remarked


def test_an_answer_is_marked_by_the_key_as_it_stands_when_it_is_stored():
    """Probe 77 (PostgreSQL): answers sent while a lesson save changed the key were
    marked by the key the save was replacing, and kept that wrong mark. The answer now
    reads the key under the lock the save takes first."""
    quiz = build_quiz()
    stale = Question.objects.get(pk=quiz.q["answer"].pk)  # read as the request began
    assert stale.answer == 42
    quiz.lesson.body = QUIZ.replace("answer: 42\n", "answer: 41\n")
    quiz.lesson.save()
    lesson_practice_sync(lesson=quiz.lesson)  # the save commits first
    ann = student_of(quiz, "ann")
    attempt = question_answer(user=ann, question=stale, text="41")
    assert attempt.correct is True
    stale_choice_question = Question.objects.get(pk=quiz.q["idempotent-methods"].pk)
    quiz.lesson.body = CORRECTED  # POST is right now, GET wrong
    quiz.lesson.save()
    lesson_practice_sync(lesson=quiz.lesson)
    picked = pick(ann, stale_choice_question, "POST")
    assert picked.correct is True


def test_an_answer_to_a_question_deleted_meanwhile_is_told_to_reload(client):
    quiz = build_quiz()
    ann = student_of(quiz, "ann")
    stale = Question.objects.get(pk=quiz.q["answer"].pk)
    Question.objects.filter(pk=stale.pk).delete()
    with pytest.raises(ValidationError, match="changed while you answered"):
        question_answer(user=ann, question=stale, text="42")
    assert not Attempt.objects.exists()


def test_a_choice_reworded_and_moved_in_one_edit_keeps_its_answers():
    """Probe 130: swapped with another and reworded in the same edit, the right choice a
    student had picked was deleted and made anew: their answer had no choice left, and
    was marked wrong ("Corrected answer key", though nobody had)."""
    quiz = build_quiz()
    question = quiz.q["idempotent-methods"]
    ann = student_of(quiz, "ann")
    pick(ann, question, "`GET`")
    reworded = GET_BLOCK.replace("`GET`", "`GET` (a read)")
    assert reworded != GET_BLOCK
    quiz.lesson.body = QUIZ.replace(GET_BLOCK + POST_BLOCK, POST_BLOCK + reworded)
    quiz.lesson.save()
    report = lesson_practice_sync(lesson=quiz.lesson)

    attempt = Attempt.objects.get()
    assert list(attempt.choices.values_list("text", flat=True)) == ["`GET` (a read)"]
    assert attempt.correct is True and not report.remarked


def test_a_choice_deleted_beside_one_reworded_gives_its_picks_to_nobody():
    """Probe 131: `POST` deleted and `GET` reworded where POST had stood: matched by
    position, POST's picks went to the reworded right answer (a wrong answer marked
    right) and the right answer's picks to no choice (marked wrong). A choice deleted
    and another written are not one choice edited either."""
    quiz = build_quiz()
    question = quiz.q["idempotent-methods"]
    ann, ben = student_of(quiz, "ann"), student_of(quiz, "ben")
    pick(ann, question, "`GET`")
    pick(ben, question, "POST")
    # POST first, then GET reworded; then POST taken out.
    body = SWAPPED.replace(POST_BLOCK, "").replace('"`GET`"', '"`GET`, the read"')
    quiz.lesson.body = body
    quiz.lesson.save()
    lesson_practice_sync(lesson=quiz.lesson)
    picked = {
        a.user.username: (list(a.choices.values_list("text", flat=True)), a.correct)
        for a in Attempt.objects.select_related("user")
    }
    assert picked == {"ann": (["`GET`, the read"], True), "ben": ([], False)}

    # DELETE taken out and a new choice written: DELETE's picks do not move to it.
    dora = student_of(quiz, "dora")
    pick(dora, question, "DELETE")
    quiz.lesson.body = body.replace("  - text: DELETE\n", "  - text: Both at once\n")
    quiz.lesson.save()
    lesson_practice_sync(lesson=quiz.lesson)
    assert list(Attempt.objects.get(user=dora).choices.values_list("text", flat=True)) == []
