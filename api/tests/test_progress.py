"""Progress read through the API is the progress the site shows, however many students
completed the same lessons (a join on completions once counted a lesson once per student
who completed it)."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from lessons.models import LessonCompletion
from lessons.tests.conftest import build_course
from lessons.tests.factories import EnrollmentFactory

from .conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def busy_course(alice, bob):
    """Six published lessons (and two drafts); bob completed two, four classmates every
    lesson, drafts included."""
    course = build_course()
    EnrollmentFactory(user=alice, course=course.course, role=Role.INSTRUCTOR)
    EnrollmentFactory(user=bob, course=course.course, role=Role.STUDENT)
    every = [*course.lessons, course.draft_lesson, course.hidden_lesson]
    for n in range(4):
        classmate = UserFactory(username=f"classmate{n}")
        EnrollmentFactory(user=classmate, course=course.course, role=Role.STUDENT)
        LessonCompletion.objects.bulk_create(
            LessonCompletion(user=classmate, lesson=lesson) for lesson in every
        )
    LessonCompletion.objects.bulk_create(
        LessonCompletion(user=bob, lesson=lesson) for lesson in course.lessons[:2]
    )
    return course


def test_my_progress_counts_each_lesson_once_as_the_dashboard_does(client, busy_course, bob):
    rows = token_client(bob).get("/api/v1/me/progress/").json()["results"]

    assert [(r["done"], r["total"], r["percent"]) for r in rows] == [(2, 6, 33)]
    client.force_login(bob)
    card = client.get(reverse("lessons:dashboard")).context["enrollments"][0].progress
    assert (card.done, card.total, card.percent) == (2, 6, 33)


def test_the_course_progress_and_gradebook_count_each_lesson_once(busy_course, alice, bob):
    api = token_client(alice)
    course = busy_course.course.pk

    report = api.get(f"/api/v1/courses/{course}/progress/?page_size=200").json()
    overall = {r["student"]["username"]: r["overall"] for r in report["results"]}
    assert overall["bob"] == {"done": 2, "total": 6, "percent": 33}
    assert overall["classmate0"] == {"done": 6, "total": 6, "percent": 100}
    assert [m["lessons"] for m in report["modules"]] == [3, 3]

    book = api.get(f"/api/v1/courses/{course}/gradebook/?page_size=200").json()
    progress = {r["username"]: r["progress"] for r in book["results"]}
    assert progress["bob"] == "33.33"
    assert progress["classmate0"] == "100.00"
