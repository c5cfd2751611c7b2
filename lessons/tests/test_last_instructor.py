"""A course always keeps an instructor: nobody (the last one included) demotes or removes
the last one, through the API, the back office or the services."""

from __future__ import annotations

import html

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role
from api.tests.conftest import token_client
from lessons.models import Enrollment
from lessons.services import enrollment_delete, enrollment_set_role
from lessons.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db


def enrollment(user, course) -> Enrollment:
    return Enrollment.objects.get(user=user, course=course)


def test_the_only_instructor_cannot_demote_or_remove_themselves_through_the_api(pyweb, alice):
    api = token_client(alice)
    own = enrollment(alice, pyweb.course)
    url = f"/api/v1/enrollments/{own.pk}/"

    demoted = api.patch(url, {"role": "student"}, content_type="application/json")
    assert demoted.status_code == 400
    assert "only instructor" in demoted.content.decode()
    removed = api.delete(url)
    assert removed.status_code == 400
    assert "only instructor" in removed.content.decode()
    own.refresh_from_db()
    assert own.role == Role.INSTRUCTOR
    # The course is still theirs to manage.
    assert api.get(f"/api/v1/courses/{pyweb.course.pk}/").status_code == 200


def test_with_a_second_instructor_either_may_step_down(pyweb, alice, charlie):
    EnrollmentFactory(user=charlie, course=pyweb.course, role=Role.INSTRUCTOR)
    api = token_client(alice)
    own = enrollment(alice, pyweb.course)

    response = api.patch(
        f"/api/v1/enrollments/{own.pk}/", {"role": "grader"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert enrollment(alice, pyweb.course).role == Role.GRADER
    # Now charlie is the last one: alice (no longer teaching) cannot touch him, nor can he.
    his = enrollment(charlie, pyweb.course)
    assert api.delete(f"/api/v1/enrollments/{his.pk}/").status_code == 404  # not hers to see
    assert token_client(charlie).delete(f"/api/v1/enrollments/{his.pk}/").status_code == 400
    assert enrollment(charlie, pyweb.course).role == Role.INSTRUCTOR


def test_the_services_refuse_to_leave_a_course_without_an_instructor(pyweb, alice, bob):
    with pytest.raises(ValidationError, match="only instructor"):
        enrollment_set_role(user=alice, course=pyweb.course, role=Role.STUDENT)
    with pytest.raises(ValidationError, match="only instructor"):
        enrollment_delete(enrollment(alice, pyweb.course))
    assert enrollment(alice, pyweb.course).role == Role.INSTRUCTOR
    # Others come and go as before; promoting someone lets the first one step down.
    enrollment_delete(enrollment(bob, pyweb.course))
    assert not Enrollment.objects.filter(user=bob, course=pyweb.course).exists()
    enrollment_set_role(user=bob, course=pyweb.course, role=Role.INSTRUCTOR)
    enrollment_set_role(user=alice, course=pyweb.course, role=Role.STUDENT)
    assert enrollment(alice, pyweb.course).role == Role.STUDENT


def test_the_back_office_refuses_to_demote_or_move_the_last_instructor(client, pyweb, alice):
    client.force_login(alice)
    own = enrollment(alice, pyweb.course)
    url = reverse("admin:lessons_enrollment_change", args=[own.pk])
    response = client.post(url, {"user": alice.pk, "course": pyweb.course.pk, "role": "student"})
    assert response.status_code == 200  # the form again, with the reason
    assert "only instructor" in response.content.decode()
    assert enrollment(alice, pyweb.course).role == Role.INSTRUCTOR


def test_the_back_office_delete_pages_refuse_the_last_instructor(client, pyweb, alice, bob):
    client.force_login(alice)
    own = enrollment(alice, pyweb.course)
    delete_url = reverse("admin:lessons_enrollment_delete", args=[own.pk])
    page = html.unescape(client.get(delete_url).content.decode())
    assert "only instructor" in page
    # Said as a rule, not as a "protected related object" (probe 28).
    assert "cannot be deleted, because of the following:" in page
    assert "protected related objects" not in page
    client.post(delete_url, {"post": "yes"})
    # The bulk action too, even with another row selected beside it.
    student = enrollment(bob, pyweb.course)
    bulk = {"action": "delete_selected", "_selected_action": [own.pk, student.pk]}
    asked = html.unescape(
        client.post(reverse("admin:lessons_enrollment_changelist"), bulk).content.decode()
    )
    assert "The selected enrollments cannot be deleted, because of the following:" in asked
    assert "only instructor" in asked and "protected related objects" not in asked
    client.post(reverse("admin:lessons_enrollment_changelist"), {**bulk, "post": "yes"})
    assert Enrollment.objects.filter(pk__in=[own.pk, student.pk]).count() == 2
    # Without the instructor among them, the others are removed as before.
    client.post(
        reverse("admin:lessons_enrollment_changelist"),
        {"action": "delete_selected", "_selected_action": [student.pk], "post": "yes"},
    )
    assert not Enrollment.objects.filter(pk=student.pk).exists()


def test_enrolling_someone_twice_names_them_their_role_and_what_to_do(client, pyweb, alice, bob):
    """Probe 28: Django's "Enrollment with this User and Course already exists."."""
    client.force_login(alice)
    response = client.post(
        reverse("admin:lessons_enrollment_add"),
        {"user": bob.pk, "course": pyweb.course.pk, "role": Role.GRADER},
    )
    page = html.unescape(response.content.decode())
    assert response.status_code == 200
    assert (
        f"{bob} is already enrolled in {pyweb.course} as student: open that enrollment to "
        "change their role." in page
    )
    assert "already exists" not in page
    assert enrollment(bob, pyweb.course).role == Role.STUDENT
