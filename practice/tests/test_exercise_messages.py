"""An exercise attempt says it was saved, in the exercise, and its errors are tied to its box."""

from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


def attempt_url(quiz) -> str:
    return reverse(
        "practice:exercise_attempt",
        args=[quiz.course.slug, quiz.lesson.slug, quiz.exercise.slug],
    )


def exercise_html(page: str, quiz) -> str:
    return page.split(f'id="{quiz.exercise.anchor}"', 1)[1].split("</section>", 1)[0]


def test_every_attempt_is_said_to_be_saved_in_the_exercise_itself(client, quiz, student):
    client.force_login(student)
    blank = client.get(quiz.lesson.get_absolute_url()).content.decode()
    # The button promises what it does: nothing runs the code.
    assert "Check my attempt" not in blank and "Save my attempt" in blank
    for code in ("this is not even python (", "app = 1\n"):
        page = client.post(attempt_url(quiz), {"code": code}, follow=True).content.decode()
        exercise = exercise_html(page, quiz)
        assert "Your attempt was saved." in exercise
        assert "not marked automatically" in exercise
        assert 'class="alert alert-success mt-3 mb-0 exercise-saved" role="status"' in exercise
        # Not also in the banner at the top, scrolled out of view by the jump.
        assert page.count("Your attempt was saved.") == 1
    # Said once: the next visit does not repeat it.
    again = client.get(quiz.lesson.get_absolute_url()).content.decode()
    assert "Your attempt was saved." not in again


def test_a_refused_attempt_marks_its_box_and_names_the_message(client, quiz, student):
    client.force_login(student)
    page = client.post(attempt_url(quiz), {"code": ""}).content.decode()
    textarea = re.search(r"<textarea[^>]*>", exercise_html(page, quiz)).group(0)
    error_id = f"{quiz.exercise.anchor}-error"
    assert 'aria-invalid="true"' in textarea
    assert re.search(rf'aria-describedby="[^"]*\b{error_id}\b', textarea)
    assert re.search(rf'<div [^>]*id="{error_id}"[^>]*>Write your attempt', page)
    # Said once: a second alert above it read the same words to screen readers twice.
    assert page.count("Write your attempt") == 1
    # A box not refused is not marked.
    fresh = client.get(quiz.lesson.get_absolute_url()).content.decode()
    assert 'aria-invalid="true"' not in exercise_html(fresh, quiz)
