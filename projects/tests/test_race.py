"""Two requests at the same moment: each one's work is kept, and limits still hold.

Each thread uses its own database connection. A short sleep just before the row is
written widens the window in which an unlocked implementation would lose a version
or overfill a group.
"""

from __future__ import annotations

import time
from unittest import mock

import pytest
from django.core.exceptions import ValidationError
from django.db import connection

from projects.models import GroupMembership, Submission
from projects.services import group_create, group_join, group_leave, submission_create
from projects.tests.race import run_together, slowed
from projects.tests.student_fixtures import enroll, zip_upload

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def setup_group():
    from lessons.tests.factories import CourseFactory
    from projects.tests.factories import ProjectAssignmentFactory

    course = CourseFactory()
    assignment = ProjectAssignmentFactory(course=course, min_group_size=1, max_group_size=3)
    first, second = enroll(course), enroll(course)
    group = group_create(assignment=assignment, student=first, name="Owls")
    group_join(assignment=assignment, student=second, join_code=group.join_code)
    return course, assignment, group, first, second


def test_two_members_submitting_at_once_get_two_versions(setup_group, settings):
    _, _, group, first, second = setup_group
    with slowed(Submission):
        results = run_together(
            lambda: submission_create(group=group, student=first, archive=zip_upload("a.zip")),
            lambda: submission_create(group=group, student=second, archive=zip_upload("b.zip")),
        )
    assert all(isinstance(r, Submission) for r in results), results
    versions = sorted(Submission.objects.filter(group=group).values_list("version", flat=True))
    assert versions == [1, 2]
    assert {s.submitted_by for s in Submission.objects.all()} == {first, second}
    stored = [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()]
    assert len(stored) == 2


def test_two_students_joining_the_last_place_do_not_overfill_it(setup_group):
    course, assignment, group, _, _ = setup_group
    third, fourth = enroll(course), enroll(course)
    with slowed(GroupMembership):
        results = run_together(
            lambda: group_join(assignment=assignment, student=third, join_code=group.join_code),
            lambda: group_join(assignment=assignment, student=fourth, join_code=group.join_code),
        )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1, results
    assert isinstance(errors[0], ValidationError)
    assert "is full" in errors[0].messages[0]
    assert group.memberships.count() == 3


def test_a_submission_locks_its_group_before_numbering(setup_group):
    """The version is computed under a lock: FOR UPDATE on PostgreSQL, BEGIN IMMEDIATE on SQLite."""
    from django.test.utils import CaptureQueriesContext

    _, _, group, first, _ = setup_group
    with CaptureQueriesContext(connection) as queries:
        submission_create(group=group, student=first, archive=zip_upload("a.zip"))
    statements = [q["sql"] for q in queries.captured_queries]
    if connection.vendor == "postgresql":
        assert any("FOR UPDATE" in sql for sql in statements), statements
    else:
        assert connection.settings_dict["OPTIONS"]["transaction_mode"] == "IMMEDIATE"


def slowed_upload():
    """Storing the file takes a while (a large archive): the window for the race."""
    from django.core.files.storage import FileSystemStorage

    original = FileSystemStorage.save

    def save(self, *args, **kwargs):
        time.sleep(0.4)
        return original(self, *args, **kwargs)

    return mock.patch.object(FileSystemStorage, "save", save)


def later(seconds, call):
    def run():
        time.sleep(seconds)
        return call()

    return run


@pytest.mark.parametrize("alone", [True, False])
def test_leaving_while_ones_file_uploads_submits_nothing(setup_group, settings, alone):
    course, assignment, group, first, second = setup_group
    if alone:  # the group empties and is deleted when first leaves
        GroupMembership.objects.filter(group=group, student=second).delete()
    with slowed_upload():
        results = run_together(
            lambda: submission_create(group=group, student=first, archive=zip_upload("a.zip")),
            # After the submission's own membership check, during the upload.
            later(0.15, lambda: group_leave(assignment=assignment, student=first)),
        )
    submitted, left = results
    assert not isinstance(left, Exception), left
    assert isinstance(submitted, ValidationError), submitted
    assert "no longer a member of this group" in submitted.messages[0]
    assert not Submission.objects.exists()
    assert [p for p in settings.MEDIA_ROOT.rglob("*") if p.is_file()] == []


def test_the_last_member_leaving_twice_at_once_is_told_the_second_time(setup_group):
    """The second click found the group deleted by the first: a 500 before."""
    _, assignment, group, first, second = setup_group
    group_leave(assignment=assignment, student=second)
    with slowed(GroupMembership):
        results = run_together(
            lambda: group_leave(assignment=assignment, student=first),
            lambda: group_leave(assignment=assignment, student=first),
        )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], ValidationError), results
    assert errors[0].messages == ["You are not in a group for this project."]
    assert not GroupMembership.objects.filter(assignment=assignment).exists()


def test_a_join_decides_on_the_projects_rules_as_they_are_under_the_lock(setup_group):
    """The instructor lowered the size limit while the student's request was on its way:
    the request's copy of the project still said 3 (students joined a group of 2 past
    the limit before)."""
    from projects.models import ProjectAssignment

    course, assignment, group, _, _ = setup_group
    ProjectAssignment.objects.filter(pk=assignment.pk).update(max_group_size=2)
    assert assignment.max_group_size == 3  # the request's copy
    with pytest.raises(ValidationError) as refused:
        group_join(assignment=assignment, student=enroll(course), join_code=group.join_code)
    assert refused.value.messages == ["The group “Owls” is full (2 members maximum)."]
    assert group.memberships.count() == 2


def test_modules_moved_at_the_same_moment_keep_their_orders_one_to_n(db):
    """Two instructors moving modules at once: orders stayed 1..n only one at a time."""
    from lessons.models import Module
    from lessons.services import module_move
    from lessons.tests.factories import CourseFactory

    course = CourseFactory()
    modules = [
        Module.objects.create(course=course, order=n, title=f"M{n}", slug=f"m{n}")
        for n in range(1, 6)
    ]
    for _round in range(4):
        run_together(
            lambda: module_move(module=modules[1], step=-1),
            lambda: module_move(module=modules[3], step=1),
            lambda: module_move(module=modules[1], step=1),
            lambda: module_move(module=modules[3], step=-1),
        )
        orders = sorted(Module.objects.filter(course=course).values_list("order", flat=True))
        assert orders == [1, 2, 3, 4, 5]
