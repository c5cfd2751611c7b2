"""The back office under requests at the same moment (found by probing with concurrent
requests on PostgreSQL): a save or delete decides on what it changes as it is under its
lock (access/backoffice.py, CourseScopedMixin.lock_for_write)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from lessons.models import Enrollment
from lessons.tests.factories import EnrollmentFactory
from projects.tests.race import run_together

from .tenants import build_tenant

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_instructors_removing_each_other_at_once_leave_the_course_one(db):
    apple = build_tenant("Apple")
    other = UserFactory(username="apple-co-teacher")
    theirs = EnrollmentFactory(user=other, course=apple.course, role=Role.INSTRUCTOR)
    mine = Enrollment.objects.get(user=apple.instructor, course=apple.course)

    def remove(person, enrollment):
        def post():
            client = Client()
            client.force_login(person)
            url = reverse("admin:lessons_enrollment_delete", args=[enrollment.pk])
            return client.post(url, {"post": "yes"}).status_code

        return post

    results = run_together(remove(apple.instructor, theirs), remove(other, mine))
    assert all(status in (200, 302) for status in results), results  # never a 500
    teachers = Enrollment.objects.filter(course=apple.course, role=Role.INSTRUCTOR)
    assert teachers.count() == 1
