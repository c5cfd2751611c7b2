"""Query budgets for the pages the per-app tests do not cover yet.

Each test builds small data, counts the page's queries, builds ten times the data and
asserts the count did not grow. The other pages' budgets live with their apps:
lessons/tests/test_queries.py (dashboard, course, lesson, search),
projects/tests/test_query_counts.py (project, versions, my projects, admin assignments,
groups, submissions) and projects/tests/test_grading_queries.py (grader queue, review,
gradebook and its CSV). test_seed_scale.py checks the benchmark's own page list.
"""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from lessons.models import LessonCompletion
from lessons.tests.conftest import build_course
from lessons.tests.factories import EnrollmentFactory

# Counted with the caches off: the cost of a page built from scratch.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uncached")]

ADMIN_PAGES = {
    "courses": "admin:lessons_course_changelist",
    "lessons": "admin:lessons_lesson_changelist",
    "enrollments": "admin:lessons_enrollment_changelist",
}


def count(client, url: str) -> int:
    client.get(url)  # warm process-wide caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(queries)


def grow(teacher, *, courses: int, modules: int, lessons: int, students: int) -> None:
    """Add COURSES taught by TEACHER, each with students who completed lessons."""
    for _ in range(courses):
        data = build_course(
            slug=f"c{UserFactory().pk}", modules=modules, lessons_per_module=lessons
        )
        EnrollmentFactory(user=teacher, course=data.course, role=Role.INSTRUCTOR)
        for _ in range(students):
            student = UserFactory()
            EnrollmentFactory(user=student, course=data.course, role=Role.STUDENT)
            LessonCompletion.objects.create(user=student, lesson=data.lessons[0])


def test_home_page_runs_no_query(client):
    """The anonymous home page is static: no query, whatever is in the database."""
    assert count(client, reverse("home")) == 0


def test_admin_changelists_do_not_grow_with_data(client, alice):
    client.force_login(alice)
    grow(alice, courses=1, modules=1, lessons=2, students=2)
    small = {name: count(client, reverse(url)) for name, url in ADMIN_PAGES.items()}
    # Ten times the courses, lessons and students (the changelists show 100 a page).
    grow(alice, courses=9, modules=2, lessons=10, students=20)
    big = {name: count(client, reverse(url)) for name, url in ADMIN_PAGES.items()}
    assert big == small
    # The big run did list the big data.
    page = client.get(reverse(ADMIN_PAGES["courses"])).content.decode()
    assert page.count('class="field-title"') == 10
