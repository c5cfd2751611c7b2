"""A student's own marks through the API: what their feedback pages show them."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from access.tests.tenants import build_tenant
from grading.models import GradeRelease, MarkOverride, Review, ReviewStatus
from projects.models import ProjectAssignment

from .conftest import token_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/me/marks/"


@pytest.fixture
def apple():
    return build_tenant("Apple")


def site_mark(user, review: Review) -> str:
    """Return "Your mark" as the student's feedback page shows it."""
    client = Client()
    client.force_login(user)
    page = client.get(reverse("grading:feedback", args=[review.submission_id])).content.decode()
    return re.search(r'id="final-mark">([0-9.]+)%<', page).group(1)


def release(assignment: ProjectAssignment, by) -> None:
    released = GradeRelease.objects.create(
        assignment=assignment, released_at=timezone.now(), released_by=by
    )
    ProjectAssignment.objects.filter(pk=assignment.pk).update(
        grades_released_at=released.released_at
    )


def test_a_student_reads_their_released_mark_as_the_site_shows_it(apple):
    """After an override the site showed "Your mark 80.00% — Adjusted by your
    instructor" where the API gave only the rubric's total, and /overrides/ nothing."""
    response = token_client(apple.student).get(URL)
    assert response.status_code == 200, response.content
    rows = response.json()["results"]
    assert [row["assignment"] for row in rows] == [apple.released.pk]  # nothing unreleased
    (row,) = rows
    assert row["mark"] == site_mark(apple.student, apple.review_r) == "80.00"
    assert row["adjusted"] is True
    assert row["course"] == apple.course.pk
    assert row["group_mark"] == "66.67"  # 10 of 15 points, on time
    assert row["late_penalty"] == "0.00"
    # Without the override, the computed mark, still as the site shows it.
    apple.override.delete()
    row = token_client(apple.student).get(URL).json()["results"][0]
    assert row["mark"] == site_mark(apple.student, apple.review_r)
    assert row["adjusted"] is False
    # The classmate reads theirs, not the student's; the grader has none.
    classmate = token_client(apple.classmate).get(URL).json()["results"]
    assert [r["assignment"] for r in classmate] == [apple.released.pk]
    assert token_client(apple.grader).get(URL).json()["results"] == []


def test_a_project_marked_by_an_override_only_shows_once_released(apple):
    """A project the student got a mark for without a review (an override) showed
    nothing; one whose grades are not released must show nothing still."""
    MarkOverride.objects.create(
        assignment=apple.bare, student=apple.student, mark=Decimal("55"), reason="x",
        by=apple.instructor,
    )  # fmt: skip
    Review.objects.filter(pk=apple.review_o.pk).update(
        status=ReviewStatus.COMPLETED, total=Decimal("9")
    )
    student = token_client(apple.student)
    assert [r["assignment"] for r in student.get(URL).json()["results"]] == [apple.released.pk]
    release(apple.bare, apple.instructor)
    rows = {r["assignment"]: r for r in student.get(URL).json()["results"]}
    assert rows[apple.bare.pk]["mark"] == "55.00"
    assert rows[apple.bare.pk]["adjusted"] is True
    assert rows[apple.bare.pk]["group_mark"] is None
    assert apple.grading.pk not in rows  # completed, but not released


def test_marks_take_as_many_queries_for_one_project_as_for_several(
    apple, django_assert_max_num_queries
):
    student = token_client(apple.student)
    student.get(URL)  # the token's first use is recorded once
    with CaptureQueriesContext(connection) as one:
        assert len(student.get(URL).json()["results"]) == 1
    for number in range(3):
        project = ProjectAssignment.objects.create(
            course=apple.course,
            title=f"Apple extra {number}",
            slug=f"apple-extra-{number}",
            opens_at=timezone.now() - timedelta(days=9),
            due_at=timezone.now() - timedelta(days=2),
            is_published=True,
        )
        MarkOverride.objects.create(
            assignment=project, student=apple.student, mark=Decimal(60 + number), reason="x",
            by=apple.instructor,
        )  # fmt: skip
        release(project, apple.instructor)
    with django_assert_max_num_queries(len(one)):
        assert len(student.get(URL).json()["results"]) == 4


def test_released_marks_stay_once_the_course_is_unpublished_as_on_the_feedback_pages(apple):
    """Probe 73: unpublishing a course at the term's end emptied this list while the
    feedback pages still showed the marks."""
    apple.course.is_published = False
    apple.course.save()
    ProjectAssignment.objects.filter(pk=apple.released.pk).update(is_published=False)
    rows = token_client(apple.student).get(URL).json()["results"]
    assert [row["mark"] for row in rows] == [site_mark(apple.student, apple.review_r)]
    # Still the student's own only: the classmate reads theirs, a removed student none.
    from lessons.models import Enrollment

    Enrollment.objects.filter(user=apple.classmate, course=apple.course).delete()
    assert token_client(apple.classmate).get(URL).json()["results"] == []
