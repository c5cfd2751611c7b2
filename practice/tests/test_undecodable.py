"""Probe 26: a quiz answer or an exercise's code sent with bytes that are not UTF-8 was
saved as "\ufffd\ufffd" (and counted as a try) with no word said. No browser sends such
bytes from the site's pages: the form is refused whole (400), naming the field, and
nothing is saved."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from practice.models import Attempt, ExerciseAttempt

from .test_answers import answer_url

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"


def test_an_answer_that_is_not_utf8_is_refused_and_costs_no_try(client, quiz, student):
    client.force_login(student)
    url = answer_url(quiz, "run-flask")
    response = client.post(url, b"answer=%ff%fe&number=2", content_type=FORM)
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "The form's field “answer” holds bytes that are not UTF-8 text" in page
    assert "nothing was saved" in page
    assert not Attempt.objects.filter(user=student).exists()
    # The same answer in UTF-8 (é, as a browser sends it) is taken.
    response = client.post(url, b"answer=%c3%a9&number=2", content_type=FORM)
    assert response.status_code == 302
    assert Attempt.objects.get(user=student).answer == "é"


def test_exercise_code_that_is_not_utf8_is_refused_and_the_shown_attempt_stays(
    client, quiz, student
):
    client.force_login(student)
    url = reverse(
        "practice:exercise_attempt", args=[quiz.course.slug, quiz.lesson.slug, quiz.exercise.slug]
    )
    assert client.post(url, {"code": "print('kept')"}).status_code == 302
    response = client.post(url, b"code=print%28%27%ff%27%29", content_type=FORM)
    assert response.status_code == 400
    assert "“code”" in response.content.decode()
    assert [a.code for a in ExerciseAttempt.objects.filter(user=student)] == ["print('kept')"]


def test_a_field_name_that_is_not_utf8_is_named_as_it_can_be(client, quiz, student):
    client.force_login(student)
    response = client.post(answer_url(quiz, "answer"), b"an%ffswer=42", content_type=FORM)
    assert response.status_code == 400
    assert "“an\ufffdswer”" in response.content.decode()
    assert not Attempt.objects.exists()


def test_the_api_says_it_in_a_problem_detail(client, quiz, student):
    client.force_login(student)
    response = client.post("/api/v1/me/", b"x=%ff", content_type=FORM)
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    detail = response.json()["detail"]
    assert "“x” holds bytes that are not UTF-8 text" in detail
    # A script has no page of the site to send it from (probe 86).
    assert detail.endswith("Send it again as UTF-8 text.") and "site's page" not in detail
