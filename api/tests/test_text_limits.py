"""Texts an instructor sends are bounded: a 3 MB course summary made every page of the
course 3 MB, and a lesson of thousands of nested lists held a worker for most of a minute."""

from __future__ import annotations

import pytest

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
