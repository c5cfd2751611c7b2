"""The dashboard's to-do list: items appear when there is something to do, and go away."""

from __future__ import annotations

import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from grading import services
from grading.models import FeedbackView, PeerRating
from projects.models import ProjectAssignment

from .test_grading_views import complete, release

pytestmark = pytest.mark.django_db


def todo(client) -> str:
    """Return the dashboard's to-do section as HTML."""
    html = client.get(reverse("lessons:dashboard")).content.decode()
    start = html.index('id="todo"')
    return html[start : html.index("</section>", html.index('id="upcoming-deadlines"'))]


def test_released_feedback_is_new_until_the_student_opens_it(client, world, alice, bob):
    client.force_login(bob)
    complete(world)
    assert 'data-todo="feedback"' not in todo(client)  # graded, not released: nothing yet

    release(world, alice)
    shown = todo(client)
    assert 'data-todo="feedback"' in shown and "Blog engine" in shown

    feedback = reverse("grading:feedback", kwargs={"pk": world.submission.pk})
    assert client.get(feedback).status_code == 200
    assert 'data-todo="feedback"' not in todo(client)
    # Dave, in the same group, has not read it: it is still new for him.
    client.force_login(world.dave)
    assert 'data-todo="feedback"' in todo(client)


def test_a_regrade_answer_shows_until_the_feedback_is_read_again(client, world, alice, bob):
    release(world, alice)
    client.force_login(bob)
    feedback = reverse("grading:feedback", kwargs={"pk": world.submission.pk})
    client.get(feedback)
    regrade = services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="My names are fine."
    )
    assert 'data-todo="regrade"' not in todo(client)  # asked, not answered

    FeedbackView.objects.update(viewed_at=timezone.now() - timedelta(minutes=1))
    services.regrade_answer(
        regrade=regrade, by=alice, accept=True, new_points=Decimal("5"), response="Agreed."
    )
    shown = todo(client)
    assert 'data-todo="regrade"' in shown and "Style in Blog engine" in shown

    page = client.get(feedback).content.decode()
    # The student reads their own reason and the answer on the feedback page.
    assert "My names are fine." in page and "Agreed." in page
    assert 'data-todo="regrade"' not in todo(client)


def test_a_peer_evaluation_is_listed_until_the_student_rates(client, alice, bob, grace):
    from .factories import grading_world

    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    client.force_login(bob)
    shown = todo(client)
    assert 'data-todo="peer"' in shown and "Team Rocket" in shown

    for ratee in (bob, world.dave):
        PeerRating.objects.create(group=world.group, rater=bob, ratee=ratee, score=3)
    assert 'data-todo="peer"' not in todo(client)
    client.force_login(world.dave)
    assert 'data-todo="peer"' in todo(client)  # dave has not rated yet


def test_peer_evaluation_closes_when_grades_are_released(client, alice, bob, grace):
    from .factories import grading_world

    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    release(world, alice)
    client.force_login(bob)
    assert 'data-todo="peer"' not in todo(client)


def test_a_deadline_leaves_the_list_once_passed_and_names_the_time_zone(client, world, bob):
    ProjectAssignment.objects.filter(pk=world.assignment.pk).update(
        due_at=timezone.now() + timedelta(days=2, hours=1)
    )
    client.force_login(bob)
    shown = todo(client)
    assert "Blog engine" in shown
    assert "due in 2\xa0days" in shown  # the time remaining
    assert " CET</time>" in shown or " CEST</time>" in shown

    ProjectAssignment.objects.filter(pk=world.assignment.pk).update(
        due_at=timezone.now() - timedelta(minutes=1)
    )
    assert "Blog engine" not in todo(client)
    assert "No upcoming project deadlines." in todo(client)


def test_graders_and_instructors_have_no_to_do_list(client, world, grace, alice):
    client.force_login(alice)
    assert 'id="todo"' not in client.get(reverse("lessons:dashboard")).content.decode()


def test_a_student_with_nothing_to_do_pays_one_query_and_items_still_appear(
    world, alice, bob, django_assert_num_queries
):
    """The list reads its full queries only when the student's groups can have items.

    Graded but unreleased feedback, and no peer evaluation: one light query. Once the
    grades are released, the same call reads the feedback lists and shows the item.
    """
    from grading.todo import student_todo

    complete(world)
    student_todo(bob)  # the policy's enrollments, read once per request, are not counted
    with django_assert_num_queries(1):
        assert not student_todo(bob)

    release(world, alice)
    with django_assert_num_queries(3):  # the check, new feedback, regrade answers
        todo_now = student_todo(bob)
    assert [review.pk for review in todo_now.new_feedback] == [world.review.pk]


def test_a_member_who_joins_after_a_student_rated_puts_the_rating_back_on_the_list(
    client, alice, bob, grace
):
    from projects.models import GroupMembership
    from projects.tests.factories import UserFactory

    from .factories import enroll, grading_world

    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    for ratee in (bob, world.dave):
        PeerRating.objects.create(group=world.group, rater=bob, ratee=ratee, score=3)
    client.force_login(bob)
    assert 'data-todo="peer"' not in todo(client)
    erin = enroll(UserFactory(display_name="Erin Newcomer"), world.course)
    GroupMembership.objects.create(group=world.group, assignment=world.assignment, student=erin)

    shown = todo(client)
    assert 'data-todo="peer"' in shown and "Team Rocket" in shown
    feedback = client.get(reverse("grading:feedback_list")).content.decode()
    assert "rate the members of Team Rocket" in feedback
    page = client.get(reverse("grading:peer", kwargs={"pk": world.group.pk})).content.decode()
    assert "Erin Newcomer joined your group after you rated it." in page
    assert "You have already rated your group" not in page

    # Until bob rates her too, his ratings do not count: nobody is zeroed for arriving late.
    client.post(
        reverse("grading:peer", kwargs={"pk": world.group.pk}),
        {f"score_{bob.pk}": "3", f"score_{world.dave.pk}": "3", f"score_{erin.pk}": "3"},
    )
    assert 'data-todo="peer"' not in todo(client)
    page = client.get(reverse("grading:peer", kwargs={"pk": world.group.pk})).content.decode()
    assert "joined your group" not in page and "You have already rated your group" in page


def test_a_newcomer_nobody_could_rate_keeps_the_group_mark(client, alice, bob, grace):
    from projects.models import GroupMembership
    from projects.tests.factories import UserFactory

    from .factories import enroll, grading_world

    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    PeerRating.objects.create(group=world.group, rater=bob, ratee=bob, score=5)
    PeerRating.objects.create(group=world.group, rater=bob, ratee=world.dave, score=2)
    erin = enroll(UserFactory(display_name="Erin Newcomer"), world.course)
    GroupMembership.objects.create(group=world.group, assignment=world.assignment, student=erin)
    release(world, alice)  # 8 + 4 of 15 points: 80 %
    client.force_login(alice)
    page = client.get(
        reverse("grading:assignment_grading", kwargs={"pk": world.assignment.pk})
    ).content.decode()
    # bob's ratings predate erin: they do not count, so every factor is 1.
    assert page.count("80.00%") >= 4
    assert not re.search(r"(?<![\d.])0\.00%", page)  # counted, they gave erin 0 %
