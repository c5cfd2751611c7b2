"""Fixtures for the student-side project tests, and helpers.

Test modules take the fixtures with ``from projects.tests.student_fixtures import *``
(``__all__`` lists only fixtures) and import the helpers by name. They are kept out
of ``projects/tests/conftest.py`` so the grading tests can have their own.
"""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import Role
from accounts.tests.factories import UserFactory
from lessons.tests.factories import CourseFactory, EnrollmentFactory
from projects.tests.factories import ProjectAssignmentFactory, make_zip

__all__ = ["assignment", "classmate", "course", "student", "teacher"]


def enroll(course, user=None, role=Role.STUDENT, **kwargs):
    """Enroll USER (a new one by default) in COURSE with ROLE and return the user."""
    user = user or UserFactory(**kwargs)
    EnrollmentFactory(user=user, course=course, role=role)
    return user


def zip_upload(name: str = "project.zip", files: dict | None = None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, make_zip(files), content_type="application/zip")


def media_files(settings) -> list:
    root = settings.MEDIA_ROOT
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


@pytest.fixture
def course(db):
    return CourseFactory(slug="pyweb", title="Python for Web Development")


@pytest.fixture
def assignment(course):
    return ProjectAssignmentFactory(
        course=course, slug="webapp", title="Web app", min_group_size=1, max_group_size=3
    )


@pytest.fixture
def teacher(alice, course):
    """alice, enrolled as the course's instructor."""
    return enroll(course, alice, role=Role.INSTRUCTOR)


@pytest.fixture
def student(bob, course):
    """bob, enrolled as a student."""
    return enroll(course, bob)


@pytest.fixture
def classmate(course):
    return enroll(course, username="dana", display_name="Dana Classmate")
