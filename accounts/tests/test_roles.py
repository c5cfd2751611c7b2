from __future__ import annotations

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse

from accounts.models import GRADERS_GROUP, INSTRUCTORS_GROUP, User

pytestmark = pytest.mark.django_db


def test_a_fresh_database_has_the_role_groups():
    assert set(Group.objects.values_list("name", flat=True)) >= {INSTRUCTORS_GROUP, GRADERS_GROUP}


def test_instructors_may_manage_course_models_and_graders_may_not(alice, grace):
    alice = User.objects.get(pk=alice.pk)  # fresh instance: no cached permissions
    assert alice.has_perm("lessons.change_lesson")
    assert alice.has_perm("lessons.add_enrollment")
    assert not alice.has_perm("auth.change_group")
    assert not User.objects.get(pk=grace.pk).has_perm("lessons.change_lesson")


@pytest.mark.parametrize("persona", ["bob", "grace"])
def test_students_and_graders_never_reach_the_admin(client, persona, request):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_instructors_reach_the_admin(client, alice):
    client.force_login(alice)
    assert client.get(reverse("admin:lessons_course_changelist")).status_code == 200


def test_set_role_command_makes_an_instructor_then_a_grader(bob):
    call_command("set_role", "bob@example.org", "instructor")
    bob = User.objects.get(pk=bob.pk)
    assert bob.is_staff and bob.is_instructor
    call_command("set_role", "bob", "grader")
    bob = User.objects.get(pk=bob.pk)
    assert not bob.is_staff and bob.is_grader and not bob.is_instructor


def test_admin_action_makes_selected_users_graders(client, alice, bob):
    client.force_login(alice)
    # Instructors may change users but not groups: the action is how they assign roles.
    response = client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "make_grader", "_selected_action": [bob.pk]},
        follow=True,
    )
    assert "are now graders" in response.content.decode()
    assert User.objects.get(pk=bob.pk).is_grader


@pytest.mark.parametrize(
    ("persona", "sees", "hidden"),
    [
        ("bob", ["nav-dashboard"], ["nav-grading", "nav-admin"]),
        ("grace", ["nav-dashboard", "nav-grading"], ["nav-admin"]),
        ("alice", ["nav-dashboard", "nav-grading", "nav-admin"], []),
    ],
)
def test_navigation_shows_each_role_what_it_can_do(client, request, persona, sees, hidden):
    client.force_login(request.getfixturevalue(persona))
    html = client.get(reverse("accounts:profile")).content.decode()
    for element_id in sees:
        assert f'id="{element_id}"' in html
    for element_id in hidden:
        assert f'id="{element_id}"' not in html


def test_anonymous_navigation_offers_login_only(client):
    html = client.get(reverse("home")).content.decode()
    assert 'id="nav-login"' in html
    assert 'id="nav-dashboard"' not in html
