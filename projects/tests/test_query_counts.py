"""Pages cost the same number of queries for 1 or 10x groups, members and versions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from projects.models import GroupMembership, Submission
from projects.tests.factories import GroupFactory, ProjectAssignmentFactory
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures
from projects.tests.student_fixtures import enroll

# Counted with the caches off: the cost of a page built from scratch.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("uncached")]

# Filled by the tests and printed at the end of the session with -s (for the report).
MEASURED: dict[str, list[int]] = {}


def populate(course, student, scale: int):
    """Add SCALE groups of 3 with SCALE versions each; STUDENT's group grows too."""
    assignment = ProjectAssignmentFactory(course=course, max_group_size=50)
    mine = GroupFactory(assignment=assignment)
    GroupMembership.objects.create(group=mine, assignment=assignment, student=student)
    for index in range(scale):
        group = GroupFactory(assignment=assignment)
        for member in (enroll(course), enroll(course), enroll(course)):
            GroupMembership.objects.create(group=group, assignment=assignment, student=member)
        GroupMembership.objects.create(group=mine, assignment=assignment, student=enroll(course))
        for version in range(1, scale + 1):
            Submission.objects.create(group=group, version=version, repository_url="https://x.org")
        Submission.objects.create(
            group=mine, version=index + 1, repository_url="https://x.org", submitted_by=student
        )
    return mine


def count(client, path: str) -> int:
    client.get(path)  # warm process-wide caches (content types, permissions)
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(queries)


def measure(client, paths_for, name: str) -> None:
    """Assert that PATHS_FOR(...) pages cost the same at scale 1 and scale 10."""
    results = []
    for scale in (1, 10):
        user, paths = paths_for(scale)
        client.force_login(user)
        results.append([count(client, path) for path in paths])
    MEASURED[name] = results[0]
    assert results[0] == results[1], f"{name}: {results}"


def student_pages(scale):
    from lessons.tests.factories import CourseFactory

    course = CourseFactory()
    student = enroll(course)
    populate(course, student, scale)
    assignment = course.projects.get()
    submission = Submission.objects.filter(group__memberships__student=student).first()
    return student, [
        assignment.get_absolute_url(),
        reverse("projects:course", args=[course.slug]),
        reverse("projects:mine"),
        submission.get_absolute_url(),
    ]


def test_student_pages_are_constant(client):
    measure(client, student_pages, "student: detail, course list, my projects, version")


def admin_pages(scale):
    from lessons.tests.factories import CourseFactory

    course = CourseFactory()
    teacher = UserFactory()
    enroll(course, teacher, role=Role.INSTRUCTOR)
    group = populate(course, enroll(course), scale)
    return teacher, [
        reverse("admin:projects_projectassignment_changelist"),
        reverse("admin:projects_group_changelist"),
        reverse("admin:projects_submission_changelist"),
        reverse("admin:projects_group_change", args=[group.pk]),
    ]


def test_admin_pages_are_constant(client):
    measure(client, admin_pages, "admin: assignments, groups, submissions, group change")


def test_report_measurements(capsys):
    """Print what the two tests above measured (run them in one session with -s)."""
    with capsys.disabled():
        for name, counts in MEASURED.items():
            print(f"\n{name}: {counts}")
