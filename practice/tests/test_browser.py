"""In Chromium: a student answers a lesson's quiz without a reload and sees the bars move."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.models import Role, User
from accounts.tests.browser import log_in
from lessons.tests.factories import EnrollmentFactory, LessonFactory
from practice.services import lesson_practice_sync

from .conftest import build_quiz
from .quiz_text import QUIZ

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def bar(page: Page, key: str):
    return page.locator(f'[data-progress="{key}"] [role="progressbar"]').first


def test_a_student_answers_the_quiz_and_sees_the_progress_bars_move(live_server, page: Page):
    quiz = build_quiz(quiz_required=True, quiz_pass_mark=40)  # two of five questions
    student = User.objects.create_user("dora", "dora@example.org", "a-long-passphrase-42")
    EnrollmentFactory(user=student, course=quiz.course, role=Role.STUDENT)
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username").fill("dora")
    page.get_by_label("Password").fill("a-long-passphrase-42")
    page.get_by_role("button", name="Log in").click()
    page.goto(f"{live_server.url}{quiz.lesson.get_absolute_url()}")
    expect(bar(page, "quiz")).to_have_attribute("aria-valuenow", "0")
    expect(bar(page, "course")).to_have_attribute("aria-valuenow", "0")
    page.evaluate("window.__sameDocument = true")

    # A wrong answer: the choice's feedback, inline.
    question = page.locator("#question-idempotent-methods")
    question.get_by_label("POST").check()
    question.get_by_role("button", name="Check my answer").click()
    expect(page.locator("#question-idempotent-methods .answer-result")).to_contain_text("Not quite")
    expect(page.locator("#question-idempotent-methods")).to_contain_text("POST creates a resource.")

    # Completing the lesson is refused until the quiz is passed.
    page.click("#complete-btn")
    # The page comes back with the message on top (not the questions' empty alert regions).
    expect(page.locator(".messages").get_by_role("alert")).to_contain_text(
        "Pass this lesson's quiz first"
    )
    page.evaluate("window.__sameDocument = true")

    # A typed answer that is not a number: a message, and the text stays.
    number = page.locator("#question-answer")
    number.get_by_label("Your answer (a number)").fill("forty-two")
    number.get_by_role("button", name="Check my answer").click()
    expect(number.locator(".answer-error")).to_contain_text("is not a number")
    expect(number.get_by_label("Your answer (a number)")).to_have_value("forty-two")
    # The field is marked, tied to the message, and has the focus back.
    field = number.get_by_label("Your answer (a number)")
    expect(field).to_be_focused()
    expect(field).to_have_attribute("aria-invalid", "true")
    # The message first, then the question it answers (probe 74: "Your answer" alone).
    expect(field).to_have_attribute(
        "aria-describedby", "question-answer-error question-answer-prompt"
    )
    expect(field).to_have_accessible_description(re.compile(r"is not a number.*six times seven"))

    # Right answers move the quiz bar, without reloading the page.
    number.get_by_label("Your answer (a number)").fill("42")
    number.get_by_role("button", name="Check my answer").click()
    expect(page.locator("#question-answer .answer-result")).to_contain_text("Right!")
    expect(bar(page, "quiz")).to_have_attribute("aria-valuenow", "20")
    # The red "Pass this lesson's quiz first: you have 0 of 5…" is out of date: gone
    # (probe 109: it stayed after the quiz was passed; probe 114: it kept its count).
    expect(page.locator(".messages")).not_to_contain_text("Pass this lesson's quiz first")
    expect(page.locator("#quiz-passed")).to_be_hidden()
    question = page.locator("#question-idempotent-methods")
    question.get_by_label("GET").check()
    question.get_by_role("button", name="Answer again").click()
    expect(page.locator("#question-idempotent-methods")).to_contain_text("Right: GET only reads.")
    expect(bar(page, "quiz")).to_have_attribute("aria-valuenow", "40")
    # Passed with that answer: the page says the lesson is still to be marked (probe 103).
    expect(page.locator("#quiz-passed")).to_be_visible()
    expect(page.locator("#quiz-passed")).to_contain_text("not complete until you mark it")
    # ... and read out where the page's announcements are (probe 109: only "Right!").
    expect(page.locator("#complete-status")).to_contain_text("Quiz passed")
    assert page.evaluate("window.__sameDocument") is True

    # Passed: the lesson may now be completed, and the course bar moves.
    page.click("#complete-btn")
    expect(page.locator("#complete-btn")).to_contain_text("Completed")
    expect(bar(page, "course")).to_have_attribute("aria-valuenow", "100")
    expect(page.locator("#quiz-passed")).to_be_hidden()  # marked: nothing left to say


def open_the_exercise(page: Page, live_server, student, password, **lesson_fields):
    """STUDENT, enrolled in a new quiz lesson's course, on its page: the quiz, the exercise."""
    quiz = build_quiz(**lesson_fields)
    EnrollmentFactory(user=student, course=quiz.course, role=Role.STUDENT)
    log_in(page, live_server.url, student.username, password)
    page.goto(f"{live_server.url}{quiz.lesson.get_absolute_url()}")
    return quiz, page.locator(f"#{quiz.exercise.anchor}")


def test_an_exercise_attempt_says_it_was_saved_where_the_student_is(
    live_server, page: Page, bob, password
):
    quiz, exercise = open_the_exercise(page, live_server, bob, password)
    exercise.get_by_label("Your attempt").fill("this is not even python (")
    exercise.get_by_role("button", name="Save my attempt").click()
    # The message is in the exercise, focused (so read out, and in view), not on <body>.
    saved = page.locator(f"#{quiz.exercise.anchor} .exercise-saved")
    expect(saved).to_contain_text("Your attempt was saved.")
    expect(saved).to_be_focused()
    expect(saved).to_be_in_viewport()
    expect(exercise).to_contain_text("Worked solution")


def test_copy_is_announced_and_an_answered_question_keeps_its_copy_button(
    live_server, page: Page, bob, password
):
    quiz = build_quiz()
    EnrollmentFactory(user=bob, course=quiz.course, role=Role.STUDENT)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    log_in(page, live_server.url, "bob", password)
    page.goto(f"{live_server.url}{quiz.lesson.get_absolute_url()}")
    question = page.locator("#question-length")
    copy = question.get_by_role("button", name="Copy code to clipboard")
    copy.click()
    # Said to screen readers too: the button's own label never changes.
    expect(page.get_by_role("status").filter(has_text="Code copied")).to_have_count(1)
    assert page.evaluate("navigator.clipboard.readText()").startswith('print(len("héllo"))')

    # Answered, the question comes back as new HTML: its code can still be copied.
    question.get_by_label("What does this code print?").fill("5\na")
    question.get_by_role("button", name="Check my answer").click()
    expect(page.locator("#question-length .answer-result")).to_contain_text("Right!")
    expect(question.get_by_role("button", name="Copy code to clipboard")).to_have_count(1)


def test_code_typed_on_a_lesson_renamed_meanwhile_is_saved_at_its_new_address(
    live_server, page: Page, bob, password
):
    quiz, exercise = open_the_exercise(page, live_server, bob, password)
    exercise.get_by_label("Your attempt").fill("print('typed before the rename')")
    quiz.lesson.slug = "flask-routes-renamed"  # the instructor renames it meanwhile
    quiz.lesson.save()
    exercise.get_by_role("button", name="Save my attempt").click()
    # Chromium posted the form again to the new address: the code was kept.
    saved = page.locator(f"#{quiz.exercise.anchor} .exercise-saved")
    expect(saved).to_contain_text("Your attempt was saved.")
    assert "/flask-routes-renamed/" in page.url
    attempt = quiz.exercise.attempts.get()
    assert attempt.code == "print('typed before the rename')"


def test_the_last_try_closes_the_question_without_a_reload(live_server, page: Page, bob, password):
    open_the_exercise(page, live_server, bob, password, quiz_required=True, quiz_max_tries=2)
    page.evaluate("window.__sameDocument = true")
    question = page.locator("#question-idempotent-methods")
    expect(question).to_contain_text("2 of 2 tries left")
    question.get_by_label("POST").check()
    question.get_by_role("button", name="Check my answer").click()
    expect(question).to_contain_text("1 of 2 tries left")
    question.get_by_label("DELETE").check()
    question.get_by_role("button", name="Answer again").click()
    expect(question).to_contain_text("No try left: you answered 2 times")
    expect(question.get_by_role("button", name="Answer again")).to_have_count(0)
    expect(question.get_by_label("GET")).to_be_disabled()
    expect(question.locator(".explanation")).to_contain_text("GET is safe and idempotent.")
    assert page.evaluate("window.__sameDocument") is True


def test_code_in_an_exercise_s_task_has_a_copy_button_on_a_phone(
    live_server, page: Page, bob, password
):
    """An exercise's task showed its code without the Copy button of the lesson's code,
    and a line wider than a phone could not be scrolled from the keyboard (probe 61)."""
    wide = "GET /hello/Ada HTTP/1.1 Host: example.org Accept: text/html Accept-Charset: UTF-8"
    body = QUIZ.replace(
        "  Add a route `/hello/<name>`.\n",
        f"  Add a route `/hello/<name>`, then send:\n\n  ```http\n  {wide}\n  ```\n",
    )
    assert body != QUIZ
    lesson = LessonFactory(body=body)
    lesson_practice_sync(lesson=lesson)
    EnrollmentFactory(user=bob, course=lesson.module.course, role=Role.STUDENT)
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server.url, "bob", password)
    page.goto(f"{live_server.url}{lesson.get_absolute_url()}")
    exercise = page.locator(f"#{lesson.exercises.get().anchor}")
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    task_code = exercise.locator(".exercise-task pre")
    expect(task_code).to_have_count(1)
    task_code.get_by_role("button", name="Copy code to clipboard").click()
    expect(page.get_by_role("status").filter(has_text="Code copied")).to_have_count(1)
    assert page.evaluate("navigator.clipboard.readText()").startswith(wide)
    # The block scrolls in its box: the page itself does not scroll sideways.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
