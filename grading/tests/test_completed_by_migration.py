"""grading/0022: completed reviews name who completed them, from their history (probe
88: an instructor's marks counted as the grader's in the consistency table)."""

from __future__ import annotations

import importlib
from decimal import Decimal

import pytest
from django.apps import apps

from accounts.tests.factories import UserFactory
from grading import services
from grading.models import Review

from .factories import add_group, enroll, grading_world

pytestmark = pytest.mark.django_db

migration = importlib.import_module("grading.migrations.0022_review_completed_by")


def test_the_last_to_save_a_review_completed_is_its_completer(alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    first, second = world.rubric.criteria.order_by("order")
    scores = {first.pk: (Decimal("5"), ""), second.pk: (Decimal("2"), "")}

    def review_by(*savers):
        group, _ = add_group(world.assignment, [enroll(UserFactory(), world.course)])
        review = services.grader_assign(group=group, grader=grace)
        for saver in savers:
            review = services.review_save(
                review=review, by=saver, scores=scores, overall_feedback="", complete=True
            )
        return review

    by_grace = review_by(grace)
    # Completed by Grace, saved completed again by Alice (a typo fixed, or a regrade
    # accepted): still Grace's (probe 91).
    touched_by_alice = review_by(grace, alice)
    # A draft of Grace's that Alice completed: Alice's.
    group, _ = add_group(world.assignment, [enroll(UserFactory(), world.course)])
    finished_by_alice = services.grader_assign(group=group, grader=grace)
    for saver, complete in ((grace, False), (alice, True)):
        finished_by_alice = services.review_save(
            review=finished_by_alice,
            by=saver,
            scores=scores,
            overall_feedback="",
            complete=complete,
        )
    unrecorded = review_by(grace)
    unrecorded.history.update(history_user=None)
    draft = review_by()
    completers = dict(Review.objects.values_list("pk", "completed_by"))
    Review.objects.update(completed_by=None)  # as before the migration

    migration.completed_by_from_history(apps, None)

    migrated = dict(Review.objects.values_list("pk", "completed_by"))
    assert migrated[by_grace.pk] == grace.pk
    assert migrated[touched_by_alice.pk] == grace.pk
    assert migrated[finished_by_alice.pk] == alice.pk
    assert migrated[unrecorded.pk] == grace.pk  # its grader, where history names nobody
    assert migrated[draft.pk] is None
    # What the migration reads from history is what saving records from now on.
    assert {pk: migrated[pk] for pk in completers if pk != unrecorded.pk} == {
        pk: user for pk, user in completers.items() if pk != unrecorded.pk
    }
