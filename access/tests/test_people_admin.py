"""People in the back office: an instructor cannot raise their own privileges, nor take
over another account."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, Permission
from django.urls import reverse

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from lessons.models import Enrollment
from lessons.tests.factories import EnrollmentFactory

from .tenants import build_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_tenant("Apple"), build_tenant("Banana")


def change_url(user: User) -> str:
    return reverse("admin:accounts_user_change", args=[user.pk])


def test_an_instructor_cannot_make_themselves_a_superuser(client, world):
    a, _ = world
    me = a.instructor
    group = Group.objects.create(name="Everything")
    permission = Permission.objects.get(codename="delete_user")
    client.force_login(me)
    response = client.post(
        change_url(me),
        {
            "username": me.username,
            "email": me.email,
            "display_name": "Me",
            "is_superuser": "on",
            "is_staff": "on",
            "groups": [group.pk],
            "user_permissions": [permission.pk],
            "_save": "Save",
        },
    )
    assert response.status_code == 302
    me.refresh_from_db()
    assert me.display_name == "Me"  # what an instructor may change about themselves
    assert not me.is_superuser and not me.is_staff
    assert not me.groups.exists() and not me.user_permissions.exists()


def test_an_instructor_cannot_set_anothers_password_or_email(client, world):
    a, _ = world
    client.force_login(a.instructor)
    password_url = reverse("admin:auth_user_password_change", args=[a.student.pk])
    assert client.get(password_url).status_code == 403
    before = User.objects.get(pk=a.student.pk).password
    response = client.post(
        password_url, {"password1": "hijacked-1234", "password2": "hijacked-1234"}
    )
    assert response.status_code == 403
    assert User.objects.get(pk=a.student.pk).password == before
    # Their own password stays theirs to change, on the form that asks for the current one.
    own = reverse("admin:auth_user_password_change", args=[a.instructor.pk])
    assert client.get(own)["Location"] == reverse("accounts:password_change")

    page = client.get(change_url(a.student)).content.decode()
    assert 'name="email"' not in page  # shown, not editable
    client.post(
        change_url(a.student),
        {"email": "mine@example.org", "display_name": "Apple Student (Sam)", "_save": "Save"},
    )
    student = User.objects.get(pk=a.student.pk)
    assert student.email == a.student.email
    assert student.display_name == "Apple Student (Sam)"


def test_only_superusers_delete_accounts(client, world, admin_client):
    a, _ = world
    newcomer = UserFactory(username="newcomer")
    EnrollmentFactory(user=newcomer, course=a.course, role=Role.STUDENT)
    client.force_login(a.instructor)
    delete = reverse("admin:accounts_user_delete", args=[newcomer.pk])
    assert client.post(delete, {"post": "yes"}).status_code == 403
    assert User.objects.filter(pk=newcomer.pk).exists()
    assert admin_client.post(delete, {"post": "yes"}).status_code == 302
    assert not User.objects.filter(pk=newcomer.pk).exists()
    # Not even a superuser deletes a student whose marks are released: their teammates'
    # marks would change (accounts/admin.py, _why_accounts_stay).
    delete = reverse("admin:accounts_user_delete", args=[a.student.pk])
    page = admin_client.post(delete, {"post": "yes"}).content.decode()
    assert "has marks released to students" in page
    assert User.objects.filter(pk=a.student.pk).exists()


def test_the_people_list_holds_the_people_of_ones_courses(client, world):
    a, b = world
    client.force_login(a.instructor)
    page = client.get(reverse("admin:accounts_user_changelist") + "?q=").content.decode()
    assert a.student.username in page and a.grader.username in page
    assert b.student.username not in page and b.instructor.username not in page
    assert a.removed_student.username not in page  # no longer in the course
    assert client.get(change_url(b.student)).status_code == 404


def test_a_person_added_by_an_instructor_joins_one_of_their_courses(client, world):
    a, b = world
    client.force_login(a.instructor)
    data = {
        "username": "newcomer",
        "email": "newcomer@example.org",
        "display_name": "New Comer",
        "usable_password": "true",
        "password1": "a-long-enough-passphrase",
        "password2": "a-long-enough-passphrase",
        "role": "student",
    }
    response = client.post(reverse("admin:accounts_user_add"), {**data, "course": b.course.pk})
    assert response.status_code == 200
    assert "Choose a course you teach: the account joins it." in response.content.decode()
    assert not User.objects.filter(username="newcomer").exists()
    response = client.post(reverse("admin:accounts_user_add"), {**data, "course": a.course.pk})
    assert response.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert Enrollment.objects.get(user=newcomer).course == a.course
