"""A grader is emailed the reviews an instructor gives them (probe 123: they learnt of
their marking only by opening their queue): one email per grader and action."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading import services
from grading.models import Review
from lessons.models import Enrollment

from .factories import add_group, enroll

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("emails_at_once")]
SITE = "https://courses.example.edu"  # as emails_at_once sets it


@pytest.fixture
def unassigned(world):
    """The world's group, and two more that handed in, none with a grader yet."""
    Review.objects.filter(group=world.group).delete()
    for name in ("Owls", "Larks"):
        students = [enroll(UserFactory(username=name.lower()), world.course)]
        add_group(world.assignment, students, name=name)
    return world


def test_a_round_robin_emails_each_grader_their_share_once(
    unassigned, alice, grace, mailoutbox, django_capture_on_commit_callbacks
):
    gil = enroll(
        UserFactory(username="gil", display_name="Gil Grader"), unassigned.course, Role.GRADER
    )
    with django_capture_on_commit_callbacks(execute=True):
        created = services.graders_assign_round_robin(assignment=unassigned.assignment, by=alice)
    assert len(created) == 3
    by_address = {message.to[0]: message for message in mailoutbox}
    assert sorted(by_address) == sorted([grace.email, gil.email])  # not alice, who gave them
    shares = {
        grader.email: [r for r in created if r.grader_id == grader.pk] for grader in (grace, gil)
    }
    for address, message in by_address.items():
        count = len(shares[address])
        assert message.subject == f"{count} review{'s' if count > 1 else ''} to grade: Blog engine"
        assert f"{alice} gave you {count} review" in message.body
        for review in shares[address]:
            assert review.group.name in message.body
        assert SITE + reverse("grading:grader_queue") + "?status=todo" in message.body


def test_one_group_given_or_handed_over_tells_its_new_grader_only(
    unassigned, alice, grace, mailoutbox, django_capture_on_commit_callbacks
):
    gil = enroll(UserFactory(username="gil"), unassigned.course, Role.GRADER)
    with django_capture_on_commit_callbacks(execute=True):
        services.grader_assign(group=unassigned.group, grader=grace, by=alice, close_hand_in=True)
    assert [m.to for m in mailoutbox] == [[grace.email]]
    with django_capture_on_commit_callbacks(execute=True):
        services.grader_assign(group=unassigned.group, grader=gil, by=alice)
        services.grader_assign(group=unassigned.group, grader=gil, by=alice)  # again: no news
    assert [m.to for m in mailoutbox] == [[grace.email], [gil.email]]
    # What one gives oneself is not news either.
    with django_capture_on_commit_callbacks(execute=True):
        services.grader_assign(group=unassigned.group, grader=alice, by=alice)
    assert len(mailoutbox) == 2


def test_anonymous_grading_names_no_group_and_a_grader_removed_meanwhile_hears_nothing(
    unassigned, alice, grace, mailoutbox, django_capture_on_commit_callbacks
):
    unassigned.rubric.anonymous_grading = True
    unassigned.rubric.save(update_fields=["anonymous_grading"])
    with django_capture_on_commit_callbacks(execute=True):
        services.grader_assign(group=unassigned.group, grader=grace, by=alice, close_hand_in=True)
    [message] = mailoutbox
    assert unassigned.group.name not in message.body and "Group " in message.body
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.grader_assign(group=unassigned.group, grader=grace, by=alice)
        gone = enroll(UserFactory(username="gone"), unassigned.course, Role.GRADER)
        services.grader_assign(group=unassigned.group, grader=gone, by=alice)
    Enrollment.objects.filter(user=gone).delete()
    for callback in callbacks:
        callback()
    assert mailoutbox == []
