from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from lessons.tests.factories import CourseFactory, EnrollmentFactory
from projects.tests.factories import ProjectAssignmentFactory

pytestmark = pytest.mark.django_db


def test_the_admin_index_links_each_taught_course_to_its_pages(client, alice):
    course = CourseFactory(title="Python for Web")
    EnrollmentFactory(user=alice, course=course, role=Role.INSTRUCTOR)
    assignment = ProjectAssignmentFactory(course=course, title="Blog engine")
    other = CourseFactory(title="Someone else's course")
    client.force_login(alice)
    html = client.get(reverse("admin:index")).content.decode()
    assert reverse("grading:gradebook", args=[course.slug]) in html
    assert reverse("admin:lessons_course_progress", args=[course.pk]) in html
    assert reverse("grading:assignment_grading", args=[assignment.pk]) in html
    assert other.title not in html
    # The course list's "Report" link names its course to a screen reader (probe 109).
    courses = client.get(reverse("admin:lessons_course_changelist")).content.decode()
    assert f'Report<span class="visually-hidden"> on the progress in {course}</span></a>' in courses


def test_a_superuser_who_teaches_nothing_is_told_how_to_start(admin_client):
    CourseFactory(title="Someone else's course")
    html = admin_client.get(reverse("admin:index")).content.decode()
    # Not "you become its instructor" (probe 96): a superuser's courses are taught by
    # the instructors they enroll.
    assert "You teach no course yourself." in html and "become its instructor" not in html
    assert reverse("admin:lessons_course_add") in html
    assert reverse("admin:accounts_user_add") in html
