"""Texts an instructor sends are bounded: a 3 MB course summary made every page of the
course 3 MB, and a lesson of thousands of nested lists held a worker for most of a minute."""

from __future__ import annotations

import pytest

from access.tests.tenants import build_tenant
from grading.forms import COMMENT_MAX_LENGTH, FEEDBACK_MAX_LENGTH
from grading.models import Review
from lessons.models import COURSE_TEXT_MAX_LENGTH, LESSON_BODY_MAX_LENGTH, Course, Lesson

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_a_course_text_past_its_limit_is_refused_in_words(world):
    a, _, _ = world
    client = token_client(a.instructor)
    before = Course.objects.get(pk=a.course.pk).summary
    response = client.patch(
        f"/api/v1/courses/{a.course.pk}/",
        {"summary": "x" * (COURSE_TEXT_MAX_LENGTH + 1), "title": "Renamed"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert f"no more than {COURSE_TEXT_MAX_LENGTH} characters" in str(response.json())
    course = Course.objects.get(pk=a.course.pk)
    assert (course.summary, course.title) == (before, a.course.title)  # nothing written
    ok = client.patch(
        f"/api/v1/courses/{a.course.pk}/",
        {"summary": "x" * COURSE_TEXT_MAX_LENGTH},
        content_type="application/json",
    )
    assert ok.status_code == 200


def test_a_lesson_body_past_its_limit_is_refused(world):
    a, _, _ = world
    response = token_client(a.instructor).patch(
        f"/api/v1/lessons/{a.lesson.pk}/",
        {"body": "y" * (LESSON_BODY_MAX_LENGTH + 1)},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert Lesson.objects.get(pk=a.lesson.pk).body == a.lesson.body


def test_a_nul_in_a_text_is_refused_in_words_and_nothing_is_saved(world):
    """Probe 58: {"summary": ["Null characters are not allowed."]} named neither the
    character nor what to do."""
    a, _, _ = world
    response = token_client(a.instructor).patch(
        f"/api/v1/courses/{a.course.pk}/",
        {"summary": "Web\x00 course", "title": "Renamed"},
        content_type="application/json",
    )
    assert response.status_code == 400
    [message] = response.json()["errors"]["summary"]
    assert message.startswith("This text holds an invisible control character (NUL, U+0000)")
    course = Course.objects.get(pk=a.course.pk)
    assert (course.title, course.summary) == (a.course.title, a.course.summary)


@pytest.fixture
def apple():
    return build_tenant("Apple")


def test_a_reviews_texts_have_their_limits_in_the_schema_and_past_them_nothing_is_saved(apple):

    schema = token_client(apple.grader).get("/api/v1/schema/", HTTP_ACCEPT="application/json")
    parts = schema.json()["components"]["schemas"]
    review_in = next(body for name, body in parts.items() if name.startswith("PatchedReviewIn"))
    assert review_in["properties"]["overall_feedback"]["maxLength"] == FEEDBACK_MAX_LENGTH
    assert parts["ScoreInRequest"]["properties"]["comment"]["maxLength"] == COMMENT_MAX_LENGTH

    before = Review.objects.get(pk=apple.review_o.pk).overall_feedback
    response = token_client(apple.grader).patch(
        f"/api/v1/reviews/{apple.review_o.pk}/",
        {"overall_feedback": "x" * (FEEDBACK_MAX_LENGTH + 1)},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert f"to {FEEDBACK_MAX_LENGTH} characters or fewer" in str(response.json())
    assert Review.objects.get(pk=apple.review_o.pk).overall_feedback == before
    at_limit = token_client(apple.grader).patch(
        f"/api/v1/reviews/{apple.review_o.pk}/",
        {"overall_feedback": "x" * FEEDBACK_MAX_LENGTH},
        content_type="application/json",
    )
    assert at_limit.status_code == 200, at_limit.content
