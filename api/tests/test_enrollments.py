"""Enrolling people through the API: the same rules and notices as the back office."""

from __future__ import annotations

import pytest

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_enrolling_an_existing_account_tells_them_and_a_closed_one_is_named(
    world, mailoutbox, settings, django_capture_on_commit_callbacks
):
    from accounts.tests.factories import UserFactory

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    a, _b, _root = world
    teacher = token_client(a.instructor)
    url = f"/api/v1/courses/{a.course.pk}/enrollments/"
    known = UserFactory(username="kim", email="kim@example.org")
    with django_capture_on_commit_callbacks(execute=True):
        response = teacher.post(
            url, {"email": "kim@example.org", "role": "student"}, content_type="application/json"
        )
    assert response.status_code == 201, response.content
    assert [m.to for m in mailoutbox] == [[known.email]]
    assert mailoutbox[0].subject.startswith(f"You were enrolled in {a.course.title}")
    # Removed and enrolled again, again and again: told once a day, not each time.
    for _ in range(3):
        enrollment = response.json()["id"]
        assert teacher.delete(f"/api/v1/enrollments/{enrollment}/").status_code == 204
        with django_capture_on_commit_callbacks(execute=True):
            response = teacher.post(
                url, {"email": known.email, "role": "student"}, content_type="application/json"
            )
        assert response.status_code == 201
    assert len(mailoutbox) == 1
    closed = UserFactory(username="gone", email="gone@example.org", is_active=False)
    response = teacher.post(
        url, {"email": closed.email, "role": "student"}, content_type="application/json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["email"]


def test_a_patch_without_a_role_changes_nothing_and_a_role_is_still_checked(world):
    """A PATCH reads a partial body, as the schema says: {} is a no-op (200)."""
    a, _b, _root = world
    teacher = token_client(a.instructor)
    url = f"/api/v1/enrollments/{a.enrollment.pk}/"
    response = teacher.patch(url, {}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["role"] == a.enrollment.role
    response = teacher.patch(url, {"role": "owner"}, content_type="application/json")
    assert response.status_code == 400
    response = teacher.patch(url, {"rolle": "grader"}, content_type="application/json")
    assert response.status_code == 400
    a.enrollment.refresh_from_db()
    assert a.enrollment.role == "student"


def test_enrolling_someone_already_enrolled_is_a_conflict_naming_their_enrollment(world):
    """It was a 400 in English only: a sync script could not tell "already there" from
    an error, nor find the enrollment to change."""
    a, _b, _root = world
    teacher = token_client(a.instructor)
    url = f"/api/v1/courses/{a.course.pk}/enrollments/"
    for role in ("student", "grader"):
        response = teacher.post(
            url, {"email": a.student.email, "role": role}, content_type="application/json"
        )
        assert response.status_code == 409, response.content
        assert response["Content-Type"] == "application/problem+json"
        problem = response.json()
        assert problem["enrollment"] == a.enrollment.pk
        assert "already enrolled" in problem["detail"]
    a.enrollment.refresh_from_db()
    assert a.enrollment.role == "student"
