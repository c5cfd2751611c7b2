"""grading/0018: the memberships of projects released before it record who counts in
their peer factors, as students of the course now (probe 64)."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps
from django.utils import timezone

from grading.models import GradeRelease
from lessons.models import Enrollment
from projects.models import GroupMembership
from projects.tests.factories import (
    GroupFactory,
    GroupMembershipFactory,
    ProjectAssignmentFactory,
)

from .factories import grading_world

pytestmark = pytest.mark.django_db

migration = importlib.import_module("grading.migrations.0018_released_memberships_frozen")


def test_released_projects_memberships_are_frozen_and_others_left_open(alice, bob, grace):
    released = grading_world(alice=alice, bob=bob, grace=grace)
    GradeRelease.objects.create(
        assignment=released.assignment, released_by=alice, released_at=timezone.now()
    )
    open_project = ProjectAssignmentFactory(course=released.course)
    GroupMembershipFactory(group=GroupFactory(assignment=open_project), student=bob)
    Enrollment.objects.filter(user=released.dave, course=released.course).delete()
    GroupMembership.objects.update(student_at_release=None)  # as before the migration

    migration.freeze(apps, None)

    frozen = dict(
        GroupMembership.objects.filter(assignment=released.assignment).values_list(
            "student_id", "student_at_release"
        )
    )
    # dave, removed before the upgrade, is not known to have left before the release: he
    # counts again if enrolled again, as the release before the upgrade counted him.
    assert frozen == {bob.pk: True, released.dave.pk: None}
    still_open = GroupMembership.objects.get(assignment=open_project)
    assert still_open.student_at_release is None
    Enrollment.objects.create(user=released.dave, course=released.course, role="student")
    counted = GroupMembership.objects.filter(assignment=released.assignment).with_counted_in_marks()
    assert {m.student_id for m in counted if m.counted} == {bob.pk, released.dave.pk}
