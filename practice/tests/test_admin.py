"""Instructors read how their students answered; other courses stay out of sight."""

from __future__ import annotations

import html

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from lessons.tests.factories import EnrollmentFactory
from practice.models import Question
from practice.services import question_answer

from .conftest import build_quiz

pytestmark = pytest.mark.django_db


def pick(user, question, *texts) -> None:
    ids = [str(c.pk) for c in question.choices.all() if c.text in texts]
    question_answer(user=user, question=question, choice_ids=ids)


def test_statistics_count_first_attempts_all_attempts_and_the_most_chosen_wrong_answer():
    quiz = build_quiz()
    question = quiz.q["idempotent-methods"]
    ann, ben, cat = UserFactory(), UserFactory(), UserFactory()
    pick(ann, question, "`GET`")  # right first time
    pick(ben, question, "POST")  # wrong, then right
    pick(ben, question, "`GET`")
    pick(cat, question, "POST")  # wrong, wrong again (another answer)
    pick(cat, question, "DELETE")
    pick(cat, question, "POST")
    stats = Question.objects.with_statistics().get(pk=question.pk)
    assert (stats.students, stats.first_right) == (3, 1)
    assert (stats.attempt_total, stats.right_total) == (6, 2)
    # By students: cat repeating POST counts once (probe 74: clicks let one student
    # make any answer the "most chosen").
    assert (stats.top_wrong, stats.top_wrong_picks) == ("POST", 2)
    # Typed answers too (probe 74: a sign error made by most of the class showed "—").
    number = quiz.q["answer"]
    for student, typed in ((ann, "-42"), (ben, " -42 "), (cat, "41"), (cat, "41"), (ann, "42")):
        question_answer(user=student, question=number, text=typed)
    stats = Question.objects.with_statistics().get(pk=number.pk)
    assert (stats.top_wrong, stats.top_wrong_picks) == ("-42", 2)
    untouched = Question.objects.with_statistics().get(pk=quiz.q["run-flask"].pk)
    assert (untouched.students, untouched.attempt_total, untouched.top_wrong) == (0, 0, "")


def test_the_question_list_shows_the_statistics_in_constant_queries(client, alice):
    def measure(count: int) -> tuple[int, str]:
        quizzes = [build_quiz() for _ in range(count)]
        for quiz in quizzes:
            EnrollmentFactory(user=alice, course=quiz.course, role=Role.INSTRUCTOR)
            student = UserFactory()
            pick(student, quiz.q["idempotent-methods"], "POST")
            pick(student, quiz.q["idempotent-methods"], "`GET`")
        client.force_login(alice)
        url = reverse("admin:practice_question_changelist")
        client.get(url)  # the login's first request also refreshes the session
        with CaptureQueriesContext(connection) as queries:
            page = client.get(url).content.decode()
        return len(queries), page

    small, page = measure(1)
    assert "0% (0/1)" in page and "50% (1/2)" in page and "POST (1 student)" in page
    large, page = measure(6)
    assert large == small
    assert page.count("POST (1 student)") == 7


def test_an_instructor_of_another_course_sees_none_of_it(client, alice):
    quiz = build_quiz()
    EnrollmentFactory(user=alice, course=quiz.course, role=Role.INSTRUCTOR)
    other = UserFactory(username="otto")
    EnrollmentFactory(user=other, role=Role.INSTRUCTOR)  # teaches a course of their own
    student = UserFactory()
    pick(student, quiz.q["idempotent-methods"], "POST")
    client.force_login(other)
    for model in ("question", "exercise", "attempt", "exerciseattempt"):
        page = client.get(reverse(f"admin:practice_{model}_changelist")).content.decode()
        assert "idempotent" not in page and "hello-route" not in page and "0 " in page, model
    question = quiz.q["idempotent-methods"]
    assert (
        client.get(reverse("admin:practice_question_change", args=[question.pk])).status_code == 404
    )
    client.force_login(alice)
    page = client.get(
        reverse("admin:practice_question_change", args=[question.pk])
    ).content.decode()
    assert "Which HTTP method" in page and "POST (1 student)" in page
    # The block's id, named as the Markdown names it (a bare "Id" read as the database's).
    assert "Id in the lesson" in page and 'the "id:" line of its block' in html.unescape(page)
    # Read-only: the Markdown of the lesson is the source.
    response = client.post(reverse("admin:practice_question_change", args=[question.pk]), {})
    assert response.status_code == 403


def test_deleting_every_answer_of_a_filtered_list_works_from_its_confirmation(client, alice):
    """Probe 50: "select all" then "delete selected" on 230,000 answers wrote every id
    into the confirmation's form (more fields than a request may carry, so "Yes, I'm
    sure" could not work) and read every answer with its lesson's text: a worker timed
    out. The confirmation names the first rows, counts the rest, and sends the choice on
    as "all of this list"; another course's answers stay."""
    import re

    from practice.models import Attempt

    mine, theirs = build_quiz(), build_quiz()
    EnrollmentFactory(user=alice, course=mine.course, role=Role.INSTRUCTOR)
    students = [UserFactory() for _ in range(5)]
    question = mine.q["idempotent-methods"]
    Attempt.objects.bulk_create(
        Attempt(user=student, question=question, answer="", correct=False)
        for student in students
        for _ in range(50)
    )
    kept = Attempt.objects.create(
        user=UserFactory(), question=theirs.q["idempotent-methods"], answer="", correct=True
    )
    client.force_login(alice)
    url = reverse("admin:practice_attempt_changelist")
    any_id = Attempt.objects.filter(question=question).first().pk
    confirm = client.post(
        url,
        {
            "action": "delete_selected",
            "select_across": "1",
            "index": "0",
            "_selected_action": [any_id],
        },
    )
    page = html.unescape(confirm.content.decode())
    assert "Attempts: 250" in page or "attempts: 250" in page.lower()
    assert "… and 50 more of the rows chosen" in page
    form = page.split('<form method="post">')[-1].split("</form>")[0]
    fields = re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', form)
    assert [name for name, _value in fields].count("_selected_action") == 1
    assert ("select_across", "1") in fields
    data: dict[str, list[str]] = {}
    for name, value in fields:
        data.setdefault(name, []).append(value)
    # The other course's instructor sending the same form deletes their own list's rows
    # (the choice is "all of the list", which is theirs), none of this course's.
    bea = UserFactory()
    EnrollmentFactory(user=bea, course=theirs.course, role=Role.INSTRUCTOR)
    client.force_login(bea)
    assert client.post(url, data).status_code == 302
    assert Attempt.objects.filter(question=question).count() == 250
    assert not Attempt.objects.filter(pk=kept.pk).exists()
    kept = Attempt.objects.create(
        user=UserFactory(), question=theirs.q["idempotent-methods"], answer="", correct=True
    )
    client.force_login(alice)
    assert client.post(url, data).status_code == 302
    assert not Attempt.objects.filter(question=question).exists()
    assert Attempt.objects.filter(pk=kept.pk).exists()


def test_the_answers_list_reads_no_lesson_or_question_text(client, alice, quiz):
    """Probe 50: each row of the answers list carried its lesson's whole text (its last
    page took 48 s at 5,000 students); it shows the lesson's title only."""
    from practice.models import Attempt

    EnrollmentFactory(user=alice, course=quiz.course, role=Role.INSTRUCTOR)
    Attempt.objects.create(
        user=UserFactory(), question=quiz.q["idempotent-methods"], answer="", correct=True
    )
    client.force_login(alice)
    url = reverse("admin:practice_attempt_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        page = client.get(url).content.decode()
    assert html.unescape(page).count(f"{quiz.lesson.title}: idempotent-methods") == 1
    listed = [q["sql"] for q in queries if '"practice_attempt"."answer"' in q["sql"]]
    assert listed and not any('"body' in sql or '"prompt' in sql for sql in listed)


@pytest.mark.parametrize("model", ["question", "exercise"])
def test_a_block_of_a_lesson_is_deleted_from_the_lesson_not_its_own_page(client, alice, model):
    """Probe 73: deleting a question from its read-only page took its students' answers
    without the lesson form's question, and the block came back empty at the next save."""
    quiz = build_quiz()
    EnrollmentFactory(user=alice, course=quiz.course, role=Role.INSTRUCTOR)
    student = UserFactory()
    EnrollmentFactory(user=student, course=quiz.course)
    pick(student, quiz.q["idempotent-methods"], "POST")
    block = quiz.q["idempotent-methods"] if model == "question" else quiz.exercise
    client.force_login(alice)

    page = client.get(reverse(f"admin:practice_{model}_change", args=[block.pk])).content.decode()
    assert "deletelink" not in page
    listing = client.get(reverse(f"admin:practice_{model}_changelist")).content.decode()
    assert "delete_selected" not in listing
    lesson_page = reverse("admin:lessons_lesson_change", args=[quiz.lesson.pk])
    for response in (
        client.get(reverse(f"admin:practice_{model}_delete", args=[block.pk])),
        client.post(reverse(f"admin:practice_{model}_delete", args=[block.pk]), {"post": "yes"}),
    ):
        assert (response.status_code, response.url) == (302, lesson_page)
    client.post(  # the bulk action is not offered: "No action selected."
        reverse(f"admin:practice_{model}_changelist"),
        {"action": "delete_selected", "_selected_action": [block.pk], "post": "yes"},
    )
    response = client.get(reverse(f"admin:practice_{model}_delete", args=[block.pk]), follow=True)
    assert response.redirect_chain[-1][0] == lesson_page
    assert f"This {model} is a block of the lesson" in response.content.decode()
    assert type(block).objects.filter(pk=block.pk).exists()
    assert quiz.q["idempotent-methods"].attempts.count() == 1

    # Deleting the lesson still deletes its blocks and their answers.
    response = client.post(
        reverse("admin:lessons_lesson_delete", args=[quiz.lesson.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not type(block).objects.filter(pk=block.pk).exists()
