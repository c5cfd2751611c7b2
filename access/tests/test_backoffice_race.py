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


def test_adding_a_person_while_a_roster_enrolls_them_is_never_a_500(db):
    """Probe 98 (PostgreSQL): Enrollments → Add saved the enrollment, then locked the
    person's account to reclaim it; a roster import locked the account, then enrolled
    them: a deadlock, a 500 on the add, and the import saved nothing."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    apple = build_tenant("Apple")
    for attempt in range(4):
        person = UserFactory(username=f"unconfirmed-{attempt}", email_confirmed=False)
        roster = (
            f"email,name,role\n{person.email},Someone,student\n"
            f"new{attempt}@example.org,New,student\n"
        )

        def add(person=person):
            client = Client()
            client.force_login(apple.instructor)
            url = reverse("admin:lessons_enrollment_add")
            data = {"email": person.email, "course": apple.course.pk, "role": Role.STUDENT}
            return client.post(url, data).status_code

        def import_roster(roster=roster):
            client = Client()
            client.force_login(apple.instructor)
            upload = SimpleUploadedFile("roster.csv", roster.encode(), content_type="text/csv")
            url = reverse("admin:lessons_enrollment_import_roster")
            return client.post(url, {"course": apple.course.pk, "file": upload}).status_code

        results = run_together(add, import_roster)
        assert all(status in (200, 302) for status in results), results  # never a 500
        assert Enrollment.objects.filter(user=person, course=apple.course).count() == 1
        # The roster's new person is saved too: the import did not roll back.
        assert Enrollment.objects.filter(
            user__email=f"new{attempt}@example.org", course=apple.course
        ).exists()
