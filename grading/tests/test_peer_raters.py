"""The instructor sees who rated their teammates: a factor resting on some members'
ratings only is said on the marks page and before the release (probe 79: 0.33 from one
member's self-serving ratings, the other never having rated, showed as any factor)."""

from __future__ import annotations

from html import unescape

import pytest
from django.urls import reverse

from grading.models import PeerRating

from .factories import grading_world

pytestmark = pytest.mark.django_db


def test_the_marks_and_release_pages_say_whose_ratings_the_factors_rest_on(
    client, alice, bob, grace
):
    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    client.force_login(alice)
    marks = reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk})
    hub = reverse("grading:assignment_hub", kwargs={"pk": world.assignment.pk})
    # Nobody rated yet: said too, on the marks page and before releasing, from the hub
    # as from the release page (probe 82: the hub's release form said nothing).
    assert "Nobody rated: factors are 1" in unescape(client.get(marks).content.decode())
    assert "In 1 group (Team Rocket) not every member rated" in unescape(
        client.get(hub).content.decode()
    )
    PeerRating.objects.create(group=world.group, rater=bob, ratee=bob, score=5)
    PeerRating.objects.create(group=world.group, rater=bob, ratee=world.dave, score=1)
    release = reverse("grading:release_grades", kwargs={"pk": world.assignment.pk})

    page = unescape(client.get(marks).content.decode())
    assert "Peer ratings: 1 of 2 members rated" in page
    assert "Factors rest on 1 member's ratings" in page
    dave_row = next(row for row in page.split("<tr>") if "Dave Student" in row)
    bob_row = next(row for row in page.split("<tr>") if "Bob" in row and "Team Rocket" in row)
    assert "did not rate" in dave_row and "did not rate" not in bob_row
    warning = unescape(client.get(release).content.decode())
    assert "In 1 group (Team Rocket) not every member rated" in warning

    # A rating of one member only does not count (WebPA needs them all), nor is it said.
    PeerRating.objects.create(group=world.group, rater=world.dave, ratee=bob, score=3)
    assert "Peer ratings: 1 of 2 members rated" in client.get(marks).content.decode()

    PeerRating.objects.create(group=world.group, rater=world.dave, ratee=world.dave, score=3)
    page = unescape(client.get(marks).content.decode())
    assert "Peer ratings: 2 of 2 members rated" in page
    assert "Factors rest on" not in page and "did not rate" not in page
    assert "not every member rated" not in unescape(client.get(release).content.decode())


def test_nothing_is_said_of_ratings_without_peer_evaluation(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    client.force_login(alice)
    marks = reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk})
    page = client.get(marks).content.decode()
    assert "Peer ratings:" not in page and "did not rate" not in page


def test_before_the_deadline_nobody_is_said_not_to_have_rated(client, alice, bob, grace):
    """Rating opens after a group's deadline: before it, the hub's release form would
    otherwise name every group (probe 82's fix, read again)."""
    from datetime import timedelta

    from django.utils import timezone

    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    world.assignment.due_at = timezone.now() + timedelta(days=3)
    world.assignment.save()
    client.force_login(alice)
    hub = unescape(
        client.get(reverse("grading:assignment_hub", args=[world.assignment.pk])).content.decode()
    )
    assert "not every member rated" not in hub
    assert "Peer evaluation has not opened yet for 1 group (Team Rocket)" in hub


def test_a_mark_set_by_hand_is_not_explained_as_the_group_mark_times_the_factor(
    client, alice, bob, grace
):
    """Probe 88: beside an override, "your mark is the group mark times this factor"
    read as false."""
    from decimal import Decimal

    from grading import services

    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    for rater in (bob, world.dave):
        for ratee, score in ((bob, 4), (world.dave, 2)):
            PeerRating.objects.create(group=world.group, rater=rater, ratee=ratee, score=score)
    feedback = graded_and_released(world, alice)
    client.force_login(world.dave)
    page = unescape(client.get(feedback).content.decode())
    assert "Your mark is the group mark times this factor" in page
    assert 'id="mark-adjusted"' not in page
    assert 'id="peer-raters"' not in page  # both rated: nothing to add

    services.mark_override(
        assignment=world.assignment, student=world.dave, mark=Decimal(70), reason="x", by=alice
    )
    page = unescape(client.get(feedback).content.decode())
    assert "Your instructor set your mark instead of the group mark times this factor." in page
    assert "Your mark is the group mark times this factor" not in page
    assert "Adjusted by your instructor." in page


def test_a_student_reads_whose_ratings_their_factor_rests_on(client, alice, bob, grace):
    """Probe 90: the instructor's page said the factors rested on one member's ratings;
    the student whose factor it was read nothing of it, nor that they never rated."""
    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    PeerRating.objects.create(group=world.group, rater=bob, ratee=bob, score=4)
    PeerRating.objects.create(group=world.group, rater=bob, ratee=world.dave, score=2)
    feedback = graded_and_released(world, alice)
    client.force_login(world.dave)
    page = unescape(client.get(feedback).content.decode())
    assert "It rests on the ratings of 1 of your group's 2 members; you did not rate." in page
    client.force_login(bob)
    page = unescape(client.get(feedback).content.decode())
    assert "It rests on the ratings of 1 of your group's 2 members." in page


def graded_and_released(world, alice) -> str:
    """Complete the world's review and release the grades; return the feedback's address."""
    from grading import services

    from .factories import complete_review

    review = complete_review(world)
    services.grades_release(assignment=world.assignment, by=alice, base_url="http://testserver")
    return reverse("grading:feedback", args=[review.submission_id])
