"""Giving groups to graders: never a grader's own group, and never closing a group's
hand-in before its deadline without the instructor saying so, on every way in (the
hub's one group, the round robin on the site, in the back office and the API)."""

from __future__ import annotations

from datetime import timedelta
from html import unescape

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import GraderFactory, UserFactory
from api.tests.conftest import token_client
from grading.models import Review
from lessons.models import Enrollment
from projects.models import LateVersionRule

from .factories import add_group, enroll

pytestmark = pytest.mark.django_db


def _open_for_three_weeks(world):
    world.assignment.due_at = timezone.now() + timedelta(days=21)
    world.assignment.save()
    Review.objects.all().delete()


def test_giving_a_group_a_grader_before_its_deadline_asks_first_as_it_closes_hand_in(
    client, world, alice, grace
):
    """Probe 79 (high): the hub's "Give a group to another grader" started grading three
    weeks before the deadline, which locked the team out of handing in, unsaid."""
    _open_for_three_weeks(world)
    client.force_login(alice)
    hub = reverse("grading:assignment_hub", kwargs={"pk": world.assignment.pk})
    url = reverse("grading:hub_reassign", kwargs={"pk": world.assignment.pk})
    assert "Also close its hand-in" in unescape(client.get(hub).content.decode())

    choice = {"group": world.group.pk, "grader": grace.pk}
    refused = unescape(client.post(url, choice, follow=True).content.decode())
    assert "Nothing was assigned: Team Rocket can still hand in until" in refused
    assert "To assign anyway, tick “Also close its hand-in”" in refused
    # The choices come back chosen, to tick the box and send again (probe 82).
    assert f'<option value="{world.group.pk}" selected>' in refused
    assert f'<option value="{grace.pk}" selected>' in refused
    assert not Review.objects.exists()
    world.group.refresh_from_db()
    assert world.group.grading_started_at is None  # the team can still hand in

    given = client.post(url, {**choice, "close_hand_in": "on"}, follow=True).content.decode()
    assert "Team Rocket is now graded by" in unescape(given)
    assert Review.objects.get(group=world.group).grader == grace


def test_a_project_taking_versions_after_grading_starts_asks_nothing(client, world, alice, grace):
    _open_for_three_weeks(world)
    world.assignment.late_version_rule = LateVersionRule.ACCEPT_AND_NOTIFY
    world.assignment.save()
    client.force_login(alice)
    hub = reverse("grading:assignment_hub", kwargs={"pk": world.assignment.pk})
    assert "Also close its hand-in" not in client.get(hub).content.decode()
    url = reverse("grading:hub_reassign", kwargs={"pk": world.assignment.pk})
    client.post(url, {"group": world.group.pk, "grader": grace.pk})
    assert Review.objects.get(group=world.group).grader == grace


def test_the_back_office_asks_the_same_before_closing_a_groups_hand_in(client, world, alice, grace):
    _open_for_three_weeks(world)
    client.force_login(alice)
    url = reverse("admin:grading_review_add")
    choice = {"group": world.group.pk, "grader": grace.pk}
    refused = unescape(client.post(url, choice).content.decode())
    assert "Nothing was assigned: Team Rocket can still hand in until" in refused
    assert not Review.objects.exists()
    client.post(url, {**choice, "close_hand_in": "on"})
    assert Review.objects.get(group=world.group).grader == grace

    # The round-robin action sends to the page that asks.
    Review.objects.all().delete()
    changelist = reverse("admin:grading_rubric_changelist")
    action = {"action": "assign_round_robin", "_selected_action": [world.rubric.pk]}
    said = unescape(client.post(changelist, action, follow=True).content.decode())
    assert "use its grading page, where “Also close their hand-in” can be ticked" in said
    assert not Review.objects.exists()


def test_the_api_refuses_to_close_hand_in_unless_asked(world, alice):
    _open_for_three_weeks(world)
    api = token_client(alice)
    url = f"/api/v1/assignments/{world.assignment.pk}/assign-graders/"
    refused = api.generic("POST", url)  # no body, as the action takes none
    assert refused.status_code == 409
    assert refused.json()["groups"] == [world.group.pk]
    assert "send ?close_hand_in=true" in refused.json()["detail"]
    assert not Review.objects.exists()
    assert api.generic("POST", url + "?close_hand_in=maybe").status_code == 400
    assigned = api.generic("POST", url + "?close_hand_in=true")
    assert assigned.status_code == 200, assigned.content
    assert [review["group"] for review in assigned.json()] == [world.group.pk]


def test_nobody_grades_their_own_group(client, world, alice, bob, grace):
    """Probe 80: a student made a grader stays in their group; the hub gave them its
    review, they completed it with full marks and read it back as their feedback."""
    Review.objects.all().delete()
    Enrollment.objects.filter(user=bob, course=world.course).update(role=Role.GRADER)
    client.force_login(alice)

    url = reverse("grading:hub_reassign", kwargs={"pk": world.assignment.pk})
    said = unescape(client.post(url, {"group": world.group.pk, "grader": bob.pk}, follow=True))
    assert (
        f"{bob} is a member of Team Rocket: nobody grades their own group." in said.content.decode()
    )
    admin = client.post(
        reverse("admin:grading_review_add"), {"group": world.group.pk, "grader": bob.pk}
    )
    assert "nobody grades their own group" in unescape(admin.content.decode())
    assert not Review.objects.exists()

    # The round robin gives each group to a grader outside it, or leaves it to a
    # teacher when its members are its only graders.
    other, _ = add_group(world.assignment, [UserFactory()], name="Other")
    assign = reverse("grading:assign_graders", kwargs={"pk": world.assignment.pk})
    client.post(assign)
    assert Review.objects.get(group=world.group).grader == grace
    assert Review.objects.get(group=other).grader in (bob, grace)
    assert not Review.objects.filter(grader=bob, group=world.group).exists()

    Review.objects.all().delete()
    Enrollment.objects.filter(user=grace, course=world.course).delete()
    said = unescape(client.post(assign, follow=True).content.decode())
    assert not Review.objects.filter(group=world.group).exists()
    assert Review.objects.get(group=other).grader == bob
    # Said, not left for the hub's counts to tell (probe 81).
    assert "1 submission(s) assigned to graders. Team Rocket got no grader" in said
    assert "Grade it yourself (Reviews → Add in the back office)" in said
    again = unescape(client.post(assign, follow=True).content.decode())
    assert "Nothing was assigned. Team Rocket got no grader" in again


def test_round_robin_still_spreads_evenly_over_graders_outside_each_group(world, alice, grace):
    from grading import services

    Review.objects.all().delete()
    ivy = enroll(GraderFactory(username="ivy"), world.course, Role.GRADER)
    member = enroll(GraderFactory(username="kim"), world.course, Role.GRADER)
    for index in range(4):
        add_group(world.assignment, [UserFactory(), member] if index == 0 else [UserFactory()])
    created = services.graders_assign_round_robin(assignment=world.assignment, by=alice)
    loads = {
        grader: sum(r.grader_id == grader.pk for r in created) for grader in (grace, ivy, member)
    }
    assert len(created) == 5 and sorted(loads.values()) == [1, 2, 2]
    assert not Review.objects.filter(grader=member, group__memberships__student=member).exists()


def test_a_group_only_its_own_members_could_grade_is_not_said_to_close(client, world, alice, bob):
    """Probe 82: the hub asked to tick "Also close their hand-in" for a group the round
    robin passes over (its members are the course's only graders); ticked, nothing was
    assigned anyway. Its button also left the hub for another page."""
    _open_for_three_weeks(world)
    Enrollment.objects.filter(course=world.course, role=Role.GRADER).delete()
    Enrollment.objects.filter(user=bob, course=world.course).update(role=Role.GRADER)
    client.force_login(alice)
    hub = reverse("grading:assignment_hub", kwargs={"pk": world.assignment.pk})
    page = unescape(client.get(hub).content.decode())
    assert "Also close their hand-in" not in page
    assert 'name="from" value="hub"' in page

    assign = reverse("grading:assign_graders", kwargs={"pk": world.assignment.pk})
    said = client.post(assign, {"from": "hub"}, follow=True)
    assert said.redirect_chain[-1][0] == hub
    text = unescape(said.content.decode())
    assert "To assign anyway" not in text
    assert "Nothing was assigned. Team Rocket got no grader" in text
    world.group.refresh_from_db()
    assert world.group.grading_started_at is None and not Review.objects.exists()

    # A group someone else could grade is still asked about, and kept open until ticked.
    other, _ = add_group(world.assignment, [UserFactory()], name="Other")
    refused = unescape(client.post(assign, {"from": "hub"}, follow=True).content.decode())
    assert "Nothing was assigned: Other can still hand in until" in refused
    assert "Team Rocket can still" not in refused
    assert not Review.objects.exists()
