"""Unassigning a review in the back office (its delete page, "delete selected").

A review nobody has worked on goes, and its group is no longer being graded: under "lock
when grading starts" it takes new versions again. A review with scores or comments, or
completed, stays, and the page says why.
"""

from __future__ import annotations

import html
from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading import services
from grading.models import CriterionScore, Review, ReviewStatus
from lessons.models import Course
from projects.models import Group, LateVersionRule
from projects.services import submission_create
from projects.tests.factories import make_zip

from .factories import complete_review, enroll

pytestmark = pytest.mark.django_db


@pytest.fixture
def assigned(world, alice, grace):
    """Three weeks before the deadline, grace assigned through the services (as the
    back office's "add review" does): the group's grading has started."""
    world.assignment.due_at = timezone.now() + timedelta(weeks=3)
    world.assignment.late_version_rule = LateVersionRule.LOCK_WHEN_GRADING
    world.assignment.save(update_fields=["due_at", "late_version_rule"])
    world.review.delete()
    world.review = services.grader_assign(
        group=world.group, grader=grace, by=alice, close_hand_in=True
    )
    group = Group.objects.get(pk=world.group.pk)
    assert group.grading_started_at is not None and group.graded_submission_id is not None
    return world


def upload(group, student):
    archive = SimpleUploadedFile("work.zip", make_zip(None), content_type="application/zip")
    return submission_create(group=Group.objects.get(pk=group.pk), student=student, archive=archive)


def delete_url(review) -> str:
    return reverse("admin:grading_review_delete", args=[review.pk])


def changelist() -> str:
    return reverse("admin:grading_review_changelist")


def assert_not_being_graded(world, bob) -> None:
    group = Group.objects.get(pk=world.group.pk)
    assert (group.grading_started_at, group.graded_submission_id) == (None, None)
    assert upload(world.group, bob).version == 2  # the group's uploads are open again


def test_deleting_an_untouched_review_ends_the_groups_grading(client, assigned, alice, bob):
    client.force_login(alice)
    assert client.get(delete_url(assigned.review)).status_code == 200
    response = client.post(delete_url(assigned.review), {"post": "yes"})
    assert response.status_code == 302
    assert not Review.objects.filter(pk=assigned.review.pk).exists()
    assert_not_being_graded(assigned, bob)
    # The deletion is in the review's history, with who did it.
    assert Review.history.filter(id=assigned.review.pk).latest().history_user == alice


def test_delete_selected_ends_the_groups_grading_too(client, assigned, alice, bob):
    client.force_login(alice)
    data = {"action": "delete_selected", "_selected_action": [assigned.review.pk]}
    confirm = client.post(changelist(), data)
    assert confirm.status_code == 200 and "Are you sure" in confirm.content.decode()
    response = client.post(changelist(), {**data, "post": "yes"})
    assert response.status_code == 302
    assert not Review.objects.filter(pk=assigned.review.pk).exists()
    assert_not_being_graded(assigned, bob)


def test_a_draft_saved_blank_is_no_work_and_goes(client, assigned, alice, grace, bob):
    blank = {assigned.correctness.pk: (None, ""), assigned.style.pk: (None, "")}
    services.review_save(review=assigned.review, by=grace, scores=blank, overall_feedback="")
    assert CriterionScore.objects.filter(review=assigned.review).count() == 2
    client.force_login(alice)
    response = client.post(delete_url(assigned.review), {"post": "yes"})
    assert response.status_code == 302
    assert not Review.objects.filter(pk=assigned.review.pk).exists()
    assert_not_being_graded(assigned, bob)


@pytest.mark.parametrize("work", ["score", "comment", "feedback", "line"])
def test_a_review_with_work_in_it_stays_and_the_page_says_why(
    client, assigned, alice, grace, bob, work
):
    scores = {assigned.correctness.pk: (None, ""), assigned.style.pk: (None, "")}
    if work == "score":
        scores[assigned.style.pk] = (Decimal(3), "")
    if work == "comment":
        scores[assigned.style.pk] = (None, "Names could be clearer.")
    feedback = "A start." if work == "feedback" else ""
    services.review_save(review=assigned.review, by=grace, scores=scores, overall_feedback=feedback)
    if work == "line":
        services.line_comment_add(
            review=assigned.review, by=grace, path="app.py", line=1, text="Why?"
        )
    client.force_login(alice)
    page = client.get(delete_url(assigned.review)).content.decode()
    assert "has already scored or commented" in page and "Reassign" in page
    client.post(delete_url(assigned.review), {"post": "yes"})
    data = {"action": "delete_selected", "_selected_action": [assigned.review.pk], "post": "yes"}
    client.post(changelist(), data)
    assert Review.objects.filter(pk=assigned.review.pk).exists()
    assert Group.objects.get(pk=assigned.group.pk).grading_started_at is not None


def test_the_service_decides_under_the_lock(assigned, alice, grace):
    """The delete page was read while the review was empty; the grader scored it before
    the instructor confirmed: the work is kept."""
    stale = Review.objects.get(pk=assigned.review.pk)
    services.review_save(
        review=assigned.review,
        by=grace,
        scores={assigned.style.pk: (Decimal(4), "")},
        overall_feedback="",
    )
    with pytest.raises(ValidationError, match="has already scored or commented"):
        services.review_delete(review=stale, by=alice)
    assert Review.objects.filter(pk=assigned.review.pk).exists()


def test_a_completed_review_stays_and_says_why(client, assigned, alice):
    complete_review(assigned)
    client.force_login(alice)
    response = client.get(delete_url(assigned.review))
    assert response.status_code == 403
    assert services.REVIEW_COMPLETED_KEPT in html.unescape(response.content.decode())
    with pytest.raises(ValidationError):
        services.review_delete(review=assigned.review, by=alice)
    assert Review.objects.get(pk=assigned.review.pk).status == ReviewStatus.COMPLETED
    # Released, it can no longer be reopened nor reassigned: the reason says what can be done.
    services.grades_release(assignment=assigned.assignment, by=alice)
    page = html.unescape(client.get(delete_url(assigned.review)).content.decode())
    assert services.RELEASED_MARKS_LOCKED in page and services.REVIEW_COMPLETED_KEPT not in page


def test_another_courses_instructor_deletes_nothing(client, assigned, bob):
    other = Course.objects.create(title="Other", slug="other", is_published=True)
    ivan = enroll(UserFactory(username="ivan"), other, Role.INSTRUCTOR)
    client.force_login(ivan)
    assert client.post(delete_url(assigned.review), {"post": "yes"}).status_code in (403, 404)
    data = {"action": "delete_selected", "_selected_action": [assigned.review.pk], "post": "yes"}
    client.post(changelist(), data)
    assert Review.objects.filter(pk=assigned.review.pk).exists()
    group = Group.objects.get(pk=assigned.group.pk)
    assert group.grading_started_at is not None
    with pytest.raises(ValidationError, match="has started"):
        upload(assigned.group, bob)
