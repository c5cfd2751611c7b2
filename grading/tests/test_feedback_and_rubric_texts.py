"""Texts of the feedback and review pages that named the wrong person, nagged after the
work was done, or lost an instructor's formatting."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading import services
from grading.models import Level, PeerRating
from lessons.tests.factories import CourseFactory

from .factories import enroll, grading_world
from .test_grading_views import release

pytestmark = pytest.mark.django_db


def feedback_page(client, user, world) -> tuple[int, str]:
    client.force_login(user)
    response = client.get(reverse("grading:feedback", kwargs={"pk": world.submission.pk}))
    return response.status_code, response.content.decode()


def reasons(html: str) -> list[str]:
    """Return the label of each regrade request's reason on the feedback page."""
    parts = html.split('regrade-reason"><span class="fw-semibold">')[1:]
    return [part.split("</span>")[0] for part in parts]


def test_a_regrade_reason_is_yours_only_if_you_asked(client, world, alice, bob):
    release(world, alice)
    dave = world.dave
    services.regrade_request_create(
        review=world.review, criterion=world.style, student=dave, reason="Style is fine."
    )
    assert reasons(feedback_page(client, dave, world)[1]) == ["Your reason:"]
    assert reasons(feedback_page(client, bob, world)[1]) == ["Dave Student's reason:"]
    assert reasons(feedback_page(client, alice, world)[1]) == ["Dave Student's reason:"]
    # An instructor of another course reads nothing of it.
    other = enroll(UserFactory(username="olga"), CourseFactory(), Role.INSTRUCTOR)
    assert feedback_page(client, other, world)[0] == 404


def test_the_feedback_list_stops_asking_for_ratings_once_given(client, alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    url = reverse("grading:feedback_list")
    client.force_login(bob)
    html = client.get(url).content.decode()
    assert "Peer evaluation is open" in html and "rate the members of Team Rocket" in html
    services.peer_ratings_submit(
        group=world.group, rater=bob, ratings={bob.pk: (4, ""), world.dave.pk: (3, "")}
    )
    html = client.get(url).content.decode()
    assert "Peer evaluation is open" not in html
    # Still reachable, to change the ratings until the release.
    assert 'id="peer-rated"' in html
    assert reverse("grading:peer", kwargs={"pk": world.group.pk}) in html
    # Dave has not rated: he is still asked.
    client.force_login(world.dave)
    assert "rate the members of Team Rocket" in client.get(url).content.decode()
    assert PeerRating.objects.filter(rater=bob).count() == 2


def test_criterion_and_level_descriptions_keep_their_markdown(client, world, grace, alice):
    world.correctness.description = (
        "Look for:\n\n- routes that **work**\n- tests\n\n<script>alert(1)</script>"
    )
    world.correctness.save()
    Level.objects.filter(criterion=world.correctness, label="Good").update(
        description="Most routes work:\n\n1. list\n2. detail"
    )
    client.force_login(grace)
    html = client.get(reverse("grading:review", kwargs={"pk": world.review.pk})).content.decode()
    assert "<li>routes that <strong>work</strong></li>" in html and "<li>tests</li>" in html
    assert "<script>alert(1)</script>" not in html
    assert "What the levels mean" in html and "<li>detail</li>" in html
    # The same page for the course's instructor; not for another course's grader.
    client.force_login(alice)
    assert (
        "<li>tests</li>"
        in client.get(reverse("grading:review", kwargs={"pk": world.review.pk})).content.decode()
    )
    other = enroll(UserFactory(username="gus"), CourseFactory(), Role.GRADER)
    client.force_login(other)
    assert client.get(reverse("grading:review", kwargs={"pk": world.review.pk})).status_code == 404


def test_a_student_with_no_graded_work_is_told_the_grades_are_out(client, alice, bob, grace):
    """Probe 118: one who left their group (or was never in one) read "No released
    feedback yet. You will get an email when grades are released" after the release,
    waiting for an email that never comes, while the gradebook said "missing"."""
    from grading.tests.factories import add_group

    world = grading_world(alice=alice, bob=bob, grace=grace)
    mei = enroll(UserFactory(username="mei", display_name="Mei Left"), world.course)
    ola = enroll(UserFactory(username="ola", display_name="Ola Ungraded"), world.course)
    url = reverse("grading:feedback_list")
    client.force_login(mei)
    assert "You will get an email when grades are released" in client.get(url).content.decode()
    release(world, alice)
    # A group whose version came after the release (accepted late): not graded.
    add_group(world.assignment, [ola], name="Late Owls")
    html = client.get(url).content.decode()
    assert "You will get an email" not in html
    assert "Grades were released" in html and "You were in no group of this project" in html
    assert "Blog engine" in html
    client.force_login(ola)
    html = client.get(url).content.decode()
    assert (
        "Your group&#39;s work was not graded" in html or "Your group's work was not graded" in html
    )
    assert "handed nothing in" not in html
    # Bob, whose group's work was graded, reads his feedback as before, not this line.
    client.force_login(bob)
    html = client.get(url).content.decode()
    assert "You were in no group" not in html and "Your mark:" in html
    # A student of another course hears nothing of this course's project.
    stranger = enroll(UserFactory(username="olga"), CourseFactory())
    client.force_login(stranger)
    html = client.get(url).content.decode()
    assert "Blog engine" not in html and "No released feedback yet" in html


def test_a_student_reads_their_grades_and_the_courses_total_so_far(client, alice, bob, grace):
    """Probe 118: no page gave a student their marks with the course's weighted total,
    which the instructor's gradebook computes; only released marks count in it."""
    from decimal import Decimal

    from grading.models import Rubric
    from grading.tests.factories import CriterionFactory, past_assignment

    world = grading_world(alice=alice, bob=bob, grace=grace)
    world.assignment.weight = Decimal(3)
    world.assignment.save(update_fields=["weight"])
    later = past_assignment(world.course, title="Final exam project", slug="final", weight=1)
    CriterionFactory(rubric=Rubric.objects.create(assignment=later), max_points=10)
    url = reverse("grading:feedback_list")
    client.force_login(bob)
    assert "Your grades in" not in client.get(url).content.decode()  # nothing released
    release(world, alice)  # bob's group: 8 + 4 of 15 = 80 %
    html = client.get(url).content.decode()
    assert f"Your grades in {world.course}" in html
    assert '<td class="text-end">80.00%</td>' in html
    assert "not released yet" in html  # the final project, not counted
    assert 'class="text-end fw-semibold grades-total">80.00%' in html
    # Released with nothing of bob's group in it: missing work counts as 0 (weight 1).
    later.missing_counts_as_zero = True
    later.save(update_fields=["missing_counts_as_zero"])
    services.grades_release(assignment=later, by=alice)
    html = client.get(url).content.decode()
    assert "missing: counts as 0" in html and "not released yet" not in html
    assert 'class="text-end fw-semibold grades-total">60.00%' in html  # (3 x 80 + 0) / 4
    # Another course's student reads none of it.
    stranger = enroll(UserFactory(username="olga"), CourseFactory())
    client.force_login(stranger)
    assert "Your grades in" not in client.get(url).content.decode()
