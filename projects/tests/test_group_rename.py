"""Students rename their group (probe 90: a typo stayed for good, unless an instructor
renamed it in the back office): its members, while groups are open, until its grading
starts; on the site and in the API."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from api.tests.conftest import token_client
from lessons.tests.factories import CourseFactory
from projects.models import Group, MembershipEvent
from projects.services import group_create, group_join
from projects.tests.factories import ProjectAssignmentFactory
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures
from projects.tests.student_fixtures import enroll

pytestmark = pytest.mark.django_db


def rename_url(assignment) -> str:
    return reverse("projects:group_rename", args=[assignment.course.slug, assignment.slug])


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


@pytest.fixture
def owls(assignment, student, classmate):
    group = group_create(assignment=assignment, student=student, name="Owsl")
    group_join(assignment=assignment, student=classmate, join_code=group.join_code)
    return group


def test_a_member_renames_the_group_and_the_history_keeps_the_old_name(
    client, owls, student, classmate, assignment
):
    client.force_login(classmate)
    page = client.get(assignment.get_absolute_url()).content.decode()
    assert 'id="rename-group"' in page and 'value="Owsl"' in page

    response = client.post(rename_url(assignment), {"name": "  Night   Owls "})
    assert response.status_code == 302
    assert flashed(response) == ["Your group is now called “Night Owls”."]
    owls.refresh_from_db()
    assert owls.name == "Night Owls"
    event = MembershipEvent.objects.get(group=owls, action=MembershipEvent.Action.RENAMED)
    assert (event.student, event.actor, event.note) == (classmate, classmate, "was “Owsl”")
    # The teammate reads it too.
    client.force_login(student)
    assert (
        'id="group-name">Night Owls<' in client.get(assignment.get_absolute_url()).content.decode()
    )


@pytest.mark.parametrize(
    ("typed", "said"),
    [
        ("", "Enter the group's new name."),
        ("   ", "Enter the group's new name."),
        # Named as it is, not as typed (probe 99).
        ("larks", "A group called “Larks” already exists for this project. Pick another name."),
        ("Owsl", "Your group is already called “Owsl”: type its new name."),
    ],
)
def test_a_name_refused_is_said_and_the_typed_name_kept(
    client, owls, classmate, assignment, course, typed, said
):
    larks_student = enroll(course, username="lark")
    group_create(assignment=assignment, student=larks_student, name="Larks")
    client.force_login(classmate)
    response = client.post(rename_url(assignment), {"name": typed})
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert said in page
    assert "<details" in page and 'id="rename-group" open' in page
    if typed.strip():
        assert f'value="{typed}"' in page
    owls.refresh_from_db()
    assert owls.name == "Owsl"
    assert not MembershipEvent.objects.filter(action=MembershipEvent.Action.RENAMED).exists()


def test_a_hostile_name_is_shown_as_text(client, owls, classmate, assignment):
    client.force_login(classmate)
    client.post(rename_url(assignment), {"name": "<img src=x onerror=alert(1)>"})
    page = client.get(assignment.get_absolute_url()).content.decode()
    owls.refresh_from_db()
    assert owls.name == "<img src=x onerror=alert(1)>"
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page


def test_who_may_rename_a_group_and_when(client, owls, student, assignment, course, teacher):
    """Its members only, not once its grading started nor after the deadline; the
    instructor renames in the back office; a student of another course gets a 404."""
    outsider = enroll(course, username="nobody-in-a-group")
    client.force_login(outsider)
    response = client.post(rename_url(assignment), {"name": "Hijacked"})
    assert flashed(response) == ["You are not in a group for this project."]

    client.force_login(teacher)
    response = client.post(rename_url(assignment), {"name": "Hijacked"})
    assert response.status_code in (302, 403)

    other_course = CourseFactory(slug="other", title="Other course")
    stranger = enroll(other_course, username="stranger")
    client.force_login(stranger)
    assert client.post(rename_url(assignment), {"name": "Hijacked"}).status_code == 404

    Group.objects.filter(pk=owls.pk).update(grading_started_at=timezone.now())
    client.force_login(student)
    assert 'id="rename-group"' not in client.get(assignment.get_absolute_url()).content.decode()
    response = client.post(rename_url(assignment), {"name": "Hijacked"})
    assert flashed(response) == [
        "Grading of your group has started: its graders know it by its name, which no "
        "longer changes. Ask your instructor if it must."
    ]

    Group.objects.filter(pk=owls.pk).update(grading_started_at=None)
    assignment.opens_at = timezone.now() - timedelta(days=9)
    assignment.due_at = timezone.now() - timedelta(days=1)
    assignment.save()
    assert 'id="rename-group"' not in client.get(assignment.get_absolute_url()).content.decode()
    response = client.post(rename_url(assignment), {"name": "Hijacked"})
    assert "groups can no longer be changed" in flashed(response)[0]
    owls.refresh_from_db()
    assert owls.name == "Owsl"


def test_the_api_renames_for_members_only(owls, student, assignment, course):
    url = f"/api/v1/assignments/{assignment.pk}/rename-group/"
    response = token_client(student).post(url, {"name": "Owls"}, content_type="application/json")
    assert response.status_code == 200, response.content
    assert response.json()["name"] == "Owls"

    other = ProjectAssignmentFactory(course=CourseFactory(slug="else"), slug="else")
    stranger = enroll(other.course, username="stranger", role=Role.STUDENT)
    refused = token_client(stranger).post(url, {"name": "Mine"}, content_type="application/json")
    assert refused.status_code == 404
    taken = token_client(student).post(url, {"name": ""}, content_type="application/json")
    assert taken.status_code == 400
    owls.refresh_from_db()
    assert owls.name == "Owls"
