"""The lesson page keeps a lesson's questions and exercises in the cache (per course
content version): every way of changing them shows on the page at once, and no
student's answers are ever kept where another student reads."""

from __future__ import annotations

import re

import pytest
from django.template import engines
from django.urls import reverse
from markupsafe import Markup

from accounts.models import Role
from lessons.models import Course, Lesson
from lessons.services import course_import
from lessons.tests.factories import EnrollmentFactory
from practice.models import Choice, Exercise, Question
from practice.selectors import practice_content
from practice.services import exercise_attempt_create, lesson_practice_sync, question_answer

from .quiz_text import QUIZ, lesson_change_data
from .test_bundle import demo_with_practice

pytestmark = pytest.mark.django_db

PROMPT = "Which HTTP method is meant to change"


@pytest.fixture(params=["local memory", "redis"])
def any_cache(request):
    """Each test on the tests' local-memory cache and on a real Redis, as in production."""
    if request.param == "redis":
        request.getfixturevalue("redis_cache")


def page(client, lesson) -> str:
    response = client.get(lesson.get_absolute_url())
    assert response.status_code == 200
    return response.content.decode()


@pytest.fixture
def teacher(client, alice, quiz):
    EnrollmentFactory(user=alice, course=quiz.course, role=Role.INSTRUCTOR)
    teacher = type(client)()
    teacher.force_login(alice)
    return teacher


def lesson_admin_post(teacher, lesson: Lesson, body: str) -> None:
    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = lesson_change_data(lesson, body, is_published="on")
    assert teacher.post(url, data).status_code == 302


@pytest.mark.usefixtures("any_cache")
def test_an_edit_in_the_lesson_admin_shows_at_once(client, quiz, student, teacher):
    client.force_login(student)
    assert PROMPT in page(client, quiz.lesson)  # now in the cache
    lesson_admin_post(teacher, quiz.lesson, QUIZ.replace(PROMPT, "Which method reads only"))
    shown = page(client, quiz.lesson)
    assert "Which method reads only" in shown and PROMPT not in shown
    lesson_admin_post(teacher, quiz.lesson, "No more quiz.")
    assert "practice-question" not in page(client, quiz.lesson)


@pytest.mark.usefixtures("any_cache")
def test_a_sync_that_changes_only_the_questions_shows_at_once(client, quiz, student):
    """A sync writes questions even when no lesson save moved the version before it (a
    re-import that renders them anew, the test data of other apps): it moves it itself."""
    client.force_login(student)
    assert PROMPT in page(client, quiz.lesson)
    Lesson.objects.filter(pk=quiz.lesson.pk).update(body=QUIZ.replace("POST creates", "POST adds"))
    lesson_practice_sync(lesson=Lesson.objects.get(pk=quiz.lesson.pk))
    # The choice's feedback shows only to the student who picked it: bob picks it.
    post = Choice.objects.get(question=quiz.q["idempotent-methods"], position=2)
    question_answer(user=student, question=quiz.q["idempotent-methods"], choice_ids=[str(post.pk)])
    shown = page(client, quiz.lesson)
    assert "POST adds a resource." in shown and "POST creates" not in shown


def test_a_reimported_bundle_shows_at_once(client, tmp_path, bob, redis_cache):
    root, lesson_file = demo_with_practice(tmp_path)
    course = course_import(path=root).course
    lesson = Question.objects.get().lesson
    EnrollmentFactory(user=bob, course=course, role=Role.STUDENT)
    client.force_login(bob)
    assert "Which method reads a page?" in page(client, lesson)
    text = lesson_file.read_text(encoding="utf-8")
    lesson_file.write_text(text.replace("Which method reads a page?", "Which method reads?"))
    course_import(path=root)
    shown = page(client, lesson)
    assert "Which method reads?" in shown and "Which method reads a page?" not in shown


@pytest.mark.usefixtures("any_cache")
def test_deleting_questions_and_exercises_in_the_back_office_shows_at_once(
    client, quiz, student, teacher
):
    client.force_login(student)
    shown = page(client, quiz.lesson)
    assert PROMPT in shown and quiz.exercise.title in shown
    # Blocks go by taking them out of the lesson's text (its form, practice/admin.py).
    question = quiz.q["idempotent-methods"]
    single = (
        "```question\nid: idempotent-methods\n"
        + QUIZ.split("id: idempotent-methods\n")[1].split("```")[0]
        + "```\n"
    )
    assert single in QUIZ
    lesson_admin_post(teacher, quiz.lesson, QUIZ.replace(single, ""))
    assert not Question.objects.filter(pk=question.pk).exists()
    assert PROMPT not in page(client, quiz.lesson)
    exercise = "````exercise" + QUIZ.split("````exercise")[1].split("````\n")[0] + "````\n"
    assert exercise in QUIZ
    lesson_admin_post(teacher, quiz.lesson, QUIZ.replace(single, "").replace(exercise, ""))
    assert not Exercise.objects.exists()
    assert quiz.exercise.title not in page(client, quiz.lesson)
    # And with the lesson, from its delete page.
    response = teacher.post(
        reverse("admin:lessons_lesson_delete", args=[quiz.lesson.pk]), {"post": "yes"}
    )
    assert response.status_code == 302
    assert not Question.objects.exists()


@pytest.mark.usefixtures("any_cache")
def test_one_students_answers_never_show_to_another(client, quiz, student, charlie):
    EnrollmentFactory(user=charlie, course=quiz.course, role=Role.STUDENT)
    question = quiz.q["idempotent-methods"]
    wrong = Choice.objects.get(question=question, position=2)
    question_answer(user=student, question=question, choice_ids=[str(wrong.pk)])
    client.force_login(student)
    assert "✗ Not this one." in page(client, quiz.lesson)
    other = type(client)()
    other.force_login(charlie)
    shown = page(other, quiz.lesson)
    assert "✗ Not this one." not in shown and "not yet right" not in shown
    assert f'value="{wrong.pk}" id="choice-{wrong.pk}" checked' not in shown
    # What the cache holds is the same for every reader: no answer of anyone's.
    lesson = Lesson.objects.select_related("module__course").get(pk=quiz.lesson.pk)
    content = practice_content(lesson)
    assert all(q.latest_id is None for q in content.questions)
    assert not any(c.picked for q in content.questions for c in q.choices)
    assert all(e.latest_code is None for e in content.exercises)


def test_only_the_latest_answers_choices_and_attempt_show(client, quiz, student):
    question = quiz.q["safe-methods"]
    get, head, post = Choice.objects.filter(question=question).order_by("position")
    question_answer(user=student, question=question, choice_ids=[str(get.pk), str(head.pk)])
    question_answer(user=student, question=question, choice_ids=[str(post.pk)])
    for code in ("first try", "second try"):
        exercise_attempt_create(user=student, exercise=quiz.exercise, code=code)
    client.force_login(student)
    shown = page(client, quiz.lesson)
    checked = {c.pk for c in (get, head, post) if f'id="choice-{c.pk}" checked' in shown}
    assert checked == {post.pk}
    assert "second try" in shown and "first try" not in shown


def question_sections(html: str) -> list[str]:
    return re.findall(r'<section class="card mb-3 practice-question".*?</section>', html, re.S)


TOKEN_FIELD = Markup('<input type="hidden" name="csrfmiddlewaretoken" value="T">')


OWNER_FIELD = re.compile(r'<input type="hidden" name="form_owner" value="([^"]+)">')


def with_token(html: str, token: str) -> str:
    """HTML with its CSRF token replaced by TOKEN and its forms' owner field left out."""
    html = OWNER_FIELD.sub("", html)
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', f'value="{token}"', html)


@pytest.mark.usefixtures("any_cache")
def test_blank_questions_are_built_once_yet_each_page_has_its_own_token_and_answers(
    client, quiz, student, charlie
):
    """A question nobody has answered is built once for every student
    (practice/fragments.py): it must print what its macro prints, with the reader's own
    token, and give way to the reader's answer as soon as there is one."""
    EnrollmentFactory(user=charlie, course=quiz.course, role=Role.STUDENT)
    other = type(client)()
    other.force_login(charlie)
    first = page(other, quiz.lesson)  # builds the blank blocks
    client.force_login(student)
    shown = page(client, quiz.lesson)  # takes them
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', shown).group(1)
    assert shown.count(f'value="{token}"') >= len(quiz.q) + 1
    lesson = Lesson.objects.select_related("module__course").get(pk=quiz.lesson.pk)
    macros = (
        engines["jinja2"]
        .env.get_template("practice/_macros.html")
        .make_module({"course": lesson.module.course, "lesson": lesson, "csrf_input": TOKEN_FIELD})
    )
    expected = [
        with_token(question_sections(str(macros.question_block(q, number, True)))[0], "T")
        for number, q in enumerate(practice_content(lesson).questions, start=1)
    ]
    assert [with_token(s, "T") for s in question_sections(shown)] == expected
    assert [with_token(s, "T") for s in question_sections(first)] == expected
    # Each page's forms name its own reader (coursesite/formpages.py), not the first's.
    owners, first_owners = set(OWNER_FIELD.findall(shown)), set(OWNER_FIELD.findall(first))
    assert len(owners) == len(first_owners) == 1 and owners != first_owners

    # bob answers after the blank blocks were built: his page shows his answer.
    question = quiz.q["idempotent-methods"]
    wrong = Choice.objects.get(question=question, position=2)
    question_answer(user=student, question=question, choice_ids=[str(wrong.pk)])
    shown = page(client, quiz.lesson)
    assert "✗ Not this one." in shown
    assert f'value="{wrong.pk}" id="choice-{wrong.pk}" checked' in shown
    assert "✗ Not this one." not in page(other, quiz.lesson)

    # The forms post to the course's address of the moment.
    Course.objects.filter(pk=quiz.course.pk).update(slug="renamed")
    lesson.module.course.slug = "renamed"
    shown = page(client, Lesson.objects.get(pk=quiz.lesson.pk))
    answer_url = reverse("practice:answer", args=["renamed", lesson.slug, "safe-methods"])
    assert f'action="{answer_url}"' in shown


def answered_sections(reader, lesson_pk: int) -> list[str]:
    """The question blocks READER's page must show: their macro, given READER's answers."""
    from practice.selectors import lesson_practice

    lesson = Lesson.objects.select_related("module__course").get(pk=lesson_pk)
    macros = (
        engines["jinja2"]
        .env.get_template("practice/_macros.html")
        .make_module({"course": lesson.module.course, "lesson": lesson, "csrf_input": TOKEN_FIELD})
    )
    practice = lesson_practice(reader, lesson)
    return [
        with_token(
            question_sections(str(macros.question_block(q, number, True, typed=q.typed)))[0], "T"
        )
        for number, q in enumerate(practice.questions, start=1)
    ]


@pytest.mark.usefixtures("any_cache")
def test_answered_questions_are_built_once_per_answer_yet_each_reader_sees_their_own(
    client, quiz, student, charlie
):
    """An answered question is built once for every student who gave the same answer
    (practice/fragments.py): each page must print what the macro prints for its own
    reader (their answer, their tries left, their token), whoever's page built it."""
    EnrollmentFactory(user=charlie, course=quiz.course, role=Role.STUDENT)
    limited = Lesson.objects.get(pk=quiz.lesson.pk)
    limited.quiz_max_tries = 3
    limited.save()
    other = type(client)()
    other.force_login(charlie)
    client.force_login(student)
    single, multiple = quiz.q["idempotent-methods"], quiz.q["safe-methods"]
    number, text = quiz.q["answer"], quiz.q["run-flask"]
    get, head, post = Choice.objects.filter(question=multiple).order_by("position")
    wrong = Choice.objects.get(question=single, position=2)
    # Each question's two answers differ in one thing the block shows, or none.
    for reader in (student, charlie):
        question_answer(user=reader, question=single, choice_ids=[str(wrong.pk)])  # alike
    question_answer(user=student, question=multiple, choice_ids=[str(get.pk), str(post.pk)])
    question_answer(user=charlie, question=multiple, choice_ids=[str(head.pk), str(post.pk)])
    question_answer(user=student, question=text, text="python app.py")
    question_answer(user=charlie, question=text, text="py app.py")
    question_answer(user=charlie, question=number, text="40")
    for reader in (student, charlie):  # the same answer: charlie's second try, 1 left of 3
        question_answer(user=reader, question=number, text="41")
    # An answer too long to be anyone else's is built for its reader alone.
    question_answer(user=student, question=quiz.q["length"], text="5\n" + "a" * 150)

    for reader, browser in ((charlie, other), (student, client), (charlie, other)):
        shown = page(browser, quiz.lesson)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', shown).group(1)
        assert shown.count(f'value="{token}"') >= len(quiz.q) + 1
        assert [with_token(s, "T") for s in question_sections(shown)] == answered_sections(
            reader, quiz.lesson.pk
        )
    student_page, charlie_page = page(client, quiz.lesson), page(other, quiz.lesson)
    assert 'value="python app.py"' in student_page and "py app.py" not in student_page.replace(
        "python app.py", ""
    )
    assert 'value="py app.py"' in charlie_page and "python app.py" not in charlie_page
    assert "(1 of 3 tries left)" in charlie_page and "(1 of 3 tries left)" not in student_page
    assert f'id="choice-{get.pk}" checked' in student_page
    assert f'id="choice-{get.pk}" checked' not in charlie_page

    # A corrected answer key shows at once in the blocks already built.
    lesson = Lesson.objects.get(pk=quiz.lesson.pk)
    lesson.body = lesson.body.replace("answer: 42", "answer: 41")
    assert "answer: 41" in lesson.body
    lesson.save()
    lesson_practice_sync(lesson=lesson)
    assert [with_token(s, "T") for s in question_sections(page(client, lesson))] == (
        answered_sections(student, lesson.pk)
    )
