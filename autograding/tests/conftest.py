"""Fixtures of the autograding tests: one real environment per session, real sandboxes.

The environment (pytest, pytest-django, Flask, Django) is built once with pip, into a
folder kept between sessions (var/autograding-tests): a later session finds it ready.
"""

from __future__ import annotations

import io
import zipfile
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.core.files.base import ContentFile
from django.test import override_settings

from accounts.models import Role
from accounts.tests.factories import UserFactory
from autograding import environments, services
from autograding.models import TestGroup, TestSuite
from autograding.tasks import run_tests
from lessons.tests.factories import CourseFactory, EnrollmentFactory
from projects.archives import sha256_of
from projects.models import GroupMembership, Submission
from projects.tests.factories import GroupFactory, ProjectAssignmentFactory

ROOT = Path(django_settings.BASE_DIR) / "var" / "autograding-tests"
SAMPLES = Path(django_settings.BASE_DIR) / "bench" / "autograde_samples"


def zip_folder(folder: Path) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path in sorted(folder.rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts:
                archive.write(path, Path("project") / path.relative_to(folder))
    return buffer.getvalue()


def zip_files(files: dict[str, str]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def suite_add_form(world, archive, requirements: str = "") -> dict:
    """The back office's "add test suite" form for WORLD's assignment: ARCHIVE (an
    uploaded zip), REQUIREMENTS as typed, one visible group of every test for 10 points."""
    return {
        "assignment": world.assignment.pk,
        "archive": archive,
        "requirements": requirements,
        "run_scope": "every",
        "is_active": "on",
        "wall_seconds": "60",
        "memory_mb": "2048",
        "groups-TOTAL_FORMS": "1",
        "groups-INITIAL_FORMS": "0",
        "groups-0-order": "0",
        "groups-0-name": "All",
        "groups-0-patterns": "*",
        "groups-0-points": "10",
        "groups-0-visibility": "visible",
    }


@pytest.fixture(scope="session")
def environment():
    """The session's test environment, built with pip unless a previous session did."""
    with override_settings(AUTOGRADING_ROOT=ROOT):
        key = environments.key_for([])
        built, _ = environments.ensure(key, [])
    return built


@pytest.fixture(autouse=True)
def _autograding_root(settings):
    settings.AUTOGRADING_ROOT = ROOT


class World:
    """A course with an instructor, a grader, a student in a group, and a project."""

    def __init__(self) -> None:
        self.course = CourseFactory(is_published=True)
        self.instructor = UserFactory(username="ines")
        self.grader = UserFactory(username="gus")
        self.student = UserFactory(username="stu")
        EnrollmentFactory(user=self.instructor, course=self.course, role=Role.INSTRUCTOR)
        EnrollmentFactory(user=self.grader, course=self.course, role=Role.GRADER)
        EnrollmentFactory(user=self.student, course=self.course, role=Role.STUDENT)
        self.assignment = ProjectAssignmentFactory(course=self.course)
        self.group = GroupFactory(assignment=self.assignment, name="Team Tests")
        GroupMembership.objects.create(
            group=self.group, assignment=self.assignment, student=self.student
        )

    def suite(
        self,
        tests: dict[str, str] | Path,
        groups=(("All tests", "*", "visible", 1),),
        *,
        checked: bool = True,
        **fields,
    ) -> TestSuite:
        """Store TESTS as the project's suite, with GROUPS, and build its environment;
        CHECKED=False stores it as a suite from before the upload's checks was."""
        data = zip_folder(tests) if isinstance(tests, Path) else zip_files(tests)
        upload = ContentFile(data, name="tests.zip")
        sha256 = services.suite_check_archive(upload)[0] if checked else sha256_of(upload)
        suite = TestSuite.objects.create(
            assignment=self.assignment, archive=upload, sha256=sha256, **fields
        )
        for order, (name, patterns, visibility, points) in enumerate(groups):
            TestGroup.objects.create(
                suite=suite,
                order=order,
                name=name,
                patterns=patterns,
                visibility=visibility,
                points=Decimal(points),
            )
        services.suite_prepare(suite)
        built = services.suite_build(suite.pk)
        assert built.build_status == "ready", built.build_log
        return built

    def submit(self, project: dict[str, str] | Path) -> Submission:
        data = zip_folder(project) if isinstance(project, Path) else zip_files(project)
        version = self.group.submissions.count() + 1
        return Submission.objects.create(
            group=self.group,
            version=version,
            submitted_by=self.student,
            archive=ContentFile(data, name="project.zip"),
            archive_name="project.zip",
            archive_size=len(data),
        )


@pytest.fixture
def world(db, environment) -> World:
    return World()


def run_now(submission: Submission):
    """Queue a run of SUBMISSION and execute it as a worker does (the task's function)."""
    run = services.run_request(submission=submission)
    assert run is not None
    run_tests.call(run_id=run.pk)
    run.refresh_from_db()
    return run
