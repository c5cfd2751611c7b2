"""Throttles count in the database: one count for every worker, right at the same moment."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import ThrottleCount
from accounts.tests.factories import UserFactory
from accounts.throttle import enroll_throttle, signup_throttle
from lessons.tests.factories import CourseFactory
from projects.tests.race import run_together, slowed

pytestmark = pytest.mark.django_db(transaction=True)


def test_requests_at_the_same_moment_let_no_more_than_the_limit_through(settings):
    settings.SIGNUP_FAILURE_LIMIT = 2
    with slowed(ThrottleCount):  # each count waits before it is written
        results = run_together(*[lambda: enroll_throttle.allows("user:7")] * 5)
    assert sorted(results) == [False, False, False, True, True], results
    assert ThrottleCount.objects.get(key="enroll:user:7").count == 5
    assert not enroll_throttle.allows("user:7")  # and the next is refused too


def test_each_throttle_counts_its_own_subjects(settings):
    settings.SIGNUP_FAILURE_LIMIT = 1
    assert enroll_throttle.allows("user:7")
    assert not enroll_throttle.allows("user:7")
    assert enroll_throttle.allows("user:8")
    assert signup_throttle.allows("user:7")


def test_wrong_keys_sent_at_the_same_moment_are_checked_no_more_than_the_limit(settings):
    # Counted after the key was checked, every request in flight at the limit was
    # checked; counted first (and forgiven for a right key), the limit holds.
    settings.SIGNUP_FAILURE_LIMIT = 2
    student = UserFactory(username="guesser")
    clients = []
    for _ in range(5):
        client = Client()
        client.force_login(student)
        clients.append(client)

    def guess(client):
        return client.post(reverse("lessons:enroll"), {"key": "guess-0001"}).status_code

    with slowed(ThrottleCount):
        statuses = run_together(*[lambda client=client: guess(client) for client in clients])
    assert sorted(statuses) == [200, 200, 429, 429, 429], statuses
    # A right key is forgiven: it never uses up a student's tries.
    course = CourseFactory(is_published=True)
    other = UserFactory(username="enrolls")
    client = Client()
    client.force_login(other)
    client.post(reverse("lessons:enroll"), {"key": course.enrollment_key})
    assert ThrottleCount.objects.get(key=f"enroll:user:{other.pk}").count == 0
