"""Throttles count in the database: one count for every worker, right at the same moment."""

from __future__ import annotations

import pytest

from accounts.models import ThrottleCount
from accounts.throttle import enroll_throttle, signup_throttle
from projects.tests.race import run_together, slowed

pytestmark = pytest.mark.django_db(transaction=True)


def test_requests_at_the_same_moment_let_no_more_than_the_limit_through(settings):
    settings.SIGNUP_FAILURE_LIMIT = 2
    with slowed(ThrottleCount):  # each count waits before it is written
        results = run_together(*[lambda: enroll_throttle.allows("user:7")] * 5)
    assert sorted(results) == [False, False, False, True, True], results
    assert ThrottleCount.objects.get(key="enroll:user:7").count == 5
    assert enroll_throttle.is_exhausted_for("user:7")


def test_each_throttle_counts_its_own_subjects(settings):
    settings.SIGNUP_FAILURE_LIMIT = 1
    enroll_throttle.add_for("user:7")
    assert enroll_throttle.is_exhausted_for("user:7")
    assert not enroll_throttle.is_exhausted_for("user:8")
    assert not signup_throttle.is_exhausted_for("user:7")
