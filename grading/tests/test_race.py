"""Grading writes sent at the same moment: each is applied whole or refused with a message.

Found by sending real concurrent requests to gunicorn on PostgreSQL: a review saved while
the grades were released left a draft behind a release, a grader handed over while the
old one saved was handed back, two people scoring one review at once left a total that
did not match its scores, and the duplicates (release, assign, regrade, override) were
500s. Every grading write now takes its project's lock first
(``ProjectAssignment.objects.lock``). Each thread has its own connection; a short sleep
before the row is written (``slowed``) widens the window an unlocked write would lose in.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import UserFactory
from grading import services
from grading.models import (
    CriterionScore,
    GradeRelease,
    MarkOverride,
    RegradeRequest,
    Review,
    ReviewStatus,
)
from projects.models import LateVersionRule, Submission
from projects.services import submission_create
from projects.tests.race import run_together, slowed
from projects.tests.student_fixtures import zip_upload

from .factories import add_group, enroll

pytestmark = pytest.mark.django_db(transaction=True)


def both(world, correctness: int, style: int) -> dict:
    return {
        world.correctness.pk: (Decimal(correctness), ""),
        world.style.pk: (Decimal(style), ""),
    }


def fresh(review: Review) -> Review:
    """A copy of REVIEW of its own for one thread, as a request reads it."""
    return Review.objects.select_related("group__assignment").get(pk=review.pk)


def completed(world, grace) -> None:
    """Grace completes the review: 8 + 4 points."""
    services.review_save(
        review=fresh(world.review),
        by=grace,
        scores=both(world, 8, 4),
        overall_feedback="",
        complete=True,
    )


def refused(results) -> list[ValidationError]:
    """The results that are errors; fail on any error that is not a refusal with a message."""
    errors = [result for result in results if isinstance(result, Exception)]
    assert all(isinstance(error, ValidationError) for error in errors), results
    return errors


def test_a_review_saved_while_the_grades_are_released_lands_before_or_is_refused(
    world, alice, grace
):
    completed(world, grace)
    with slowed(GradeRelease), slowed(Review):
        results = run_together(
            lambda: services.grades_release(assignment=world.assignment, by=alice),
            lambda: services.review_save(
                review=fresh(world.review),
                by=grace,
                scores=both(world, 2, 1),
                overall_feedback="Reopened.",
                complete=False,
            ),
        )
    assert len(refused(results)) == 1, results
    review = Review.objects.get(pk=world.review.pk)
    if GradeRelease.objects.filter(assignment=world.assignment).exists():
        # Released: what the students read is the completed review, unchanged.
        assert (review.status, review.total) == (ReviewStatus.COMPLETED, Decimal("12.00"))
        assert "have been released" in results[1].messages[0]
    else:  # the draft came first, and a release needs every review completed
        assert (review.status, review.total) == (ReviewStatus.DRAFT, Decimal("3.00"))
        assert "no completed review" in results[0].messages[0]


def test_a_review_handed_to_another_grader_while_the_first_saves_stays_handed_over(
    world, alice, grace
):
    gus = enroll(UserFactory(username="gus"), world.course, Role.GRADER)
    with slowed(Review):
        results = run_together(
            lambda: services.grader_assign(group=world.group, grader=gus, by=alice),
            lambda: services.review_save(
                review=fresh(world.review),
                by=grace,
                scores=both(world, 5, 5),
                overall_feedback="",
            ),
        )
    assert Review.objects.get(pk=world.review.pk).grader == gus
    for error in refused(results):  # grace's save came after the handover
        assert "You do not grade this review (any more)" in error.messages[0]


def test_two_people_scoring_different_criteria_at_once_keep_both_scores_and_their_sum(
    world, alice, grace
):
    def scoring(person, criterion, points: int):
        review = fresh(world.review)  # each request's own copy, read before either saves
        return lambda: services.review_save(
            review=review,
            by=person,
            scores={criterion.pk: (Decimal(points), "")},
            overall_feedback=None,
            only_given=True,  # as the API's partial update
        )

    with slowed(CriterionScore):
        results = run_together(scoring(grace, world.correctness, 8), scoring(alice, world.style, 4))
    assert not refused(results)
    review = Review.objects.get(pk=world.review.pk)
    points = dict(review.scores.values_list("criterion_id", "points"))
    assert points == {world.correctness.pk: Decimal(8), world.style.pk: Decimal(4)}
    assert review.total == Decimal("12.00")


def test_an_autosave_and_a_save_of_a_review_not_started_do_not_deadlock(world, grace):
    with slowed(CriterionScore):
        results = run_together(
            lambda: services.review_draft_save(
                review=fresh(world.review),
                by=grace,
                scores=both(world, 3, 3),
                overall_feedback="Typing…",
            ),
            lambda: services.review_save(
                review=fresh(world.review),
                by=grace,
                scores=both(world, 7, 2),
                overall_feedback="Saved.",
            ),
        )
    refused(results)  # a deadlock was an OperationalError (a 500) on PostgreSQL
    review = Review.objects.get(pk=world.review.pk)
    assert review.status == ReviewStatus.DRAFT
    assert review.total == sum(review.scores.values_list("points", flat=True))


def test_releasing_twice_at_once_releases_once(world, alice, grace):
    completed(world, grace)
    with slowed(GradeRelease):
        results = run_together(
            lambda: services.grades_release(assignment=world.assignment, by=alice),
            lambda: services.grades_release(assignment=world.assignment, by=alice),
        )
    [error] = refused(results)
    assert error.messages == ["The grades of this assignment are already released."]
    assert GradeRelease.objects.filter(assignment=world.assignment).count() == 1


def test_assigning_graders_twice_at_once_gives_each_group_one_review(world, alice, bob):
    enroll(UserFactory(username="gus"), world.course, Role.GRADER)
    students = [enroll(UserFactory(), world.course) for _ in range(4)]
    for index in range(4):
        add_group(world.assignment, [students[index]], name=f"Group {index}")
    with slowed(Review):
        results = run_together(
            lambda: services.graders_assign_round_robin(assignment=world.assignment, by=alice),
            lambda: services.graders_assign_round_robin(assignment=world.assignment, by=alice),
        )
    assert not refused(results)
    assert sorted(len(created) for created in results) == [0, 4]  # the second found none left
    assert Review.objects.filter(group__assignment=world.assignment).count() == 5


def test_the_same_regrade_request_sent_twice_at_once_is_kept_once(world, alice, grace, bob):
    completed(world, grace)
    services.grades_release(assignment=world.assignment, by=alice)

    def ask():
        return services.regrade_request_create(
            review=fresh(world.review), criterion=world.style, student=bob, reason="Look again."
        )

    with slowed(RegradeRequest):
        results = run_together(ask, ask)
    [error] = refused(results)
    assert "is already waiting for an answer" in error.messages[0]
    assert RegradeRequest.objects.count() == 1


def test_two_teachers_overriding_one_mark_at_once_leave_one_override(world, alice, bob):
    co_teacher = enroll(UserFactory(username="carol"), world.course, Role.INSTRUCTOR)

    def override(by, mark):
        return lambda: services.mark_override(
            assignment=world.assignment, student=bob, mark=Decimal(mark), reason="Ill.", by=by
        )

    with slowed(MarkOverride):
        results = run_together(override(alice, 70), override(co_teacher, 80))
    assert not refused(results)
    [kept] = MarkOverride.objects.filter(assignment=world.assignment, student=bob)
    assert kept.mark in (Decimal(70), Decimal(80))


def test_a_version_sent_while_the_grades_are_released_lands_before_or_is_refused(
    world, alice, grace
):
    """A group that had not submitted sends its first version as the release goes out:
    either the release waits for its review, or the version is refused. Never a
    released project with a version nobody will grade."""
    completed(world, grace)
    late = enroll(UserFactory(username="late"), world.course)
    group, _ = add_group(world.assignment, [late], name="Late owls")
    Submission.objects.filter(group=group).delete()  # a group that has not submitted yet
    # Released before the deadline of a project that locks at it (as the probe did).
    world.assignment.late_version_rule = LateVersionRule.LOCK_AT_DEADLINE
    world.assignment.due_at = timezone.now() + timedelta(days=7)
    world.assignment.save(update_fields=["late_version_rule", "due_at"])
    group.refresh_from_db()
    with slowed(GradeRelease), slowed(Submission):
        results = run_together(
            lambda: services.grades_release(assignment=world.assignment, by=alice),
            lambda: submission_create(group=group, student=late, archive=zip_upload()),
        )
    assert len(refused(results)) == 1, results
    released = GradeRelease.objects.filter(assignment=world.assignment).exists()
    assert released != Submission.objects.filter(group=group).exists()
    if released:
        assert "released, so it takes no new versions" in results[1].messages[0]


def test_a_grader_removed_while_their_save_waited_saves_nothing(world, grace):
    """The request read grace's role when it began; the instructor removed her before
    its save took the lock. Her role is read again under it."""
    from access import policy
    from lessons.models import Enrollment

    review = fresh(world.review)
    assert policy.role_in(grace, world.course) == Role.GRADER  # as the request began
    Enrollment.objects.filter(user=grace, course=world.course).delete()
    with pytest.raises(ValidationError) as refused:
        services.review_save(
            review=review, by=grace, scores=both(world, 9, 5), overall_feedback="Mine."
        )
    assert "You do not grade this review (any more)" in refused.value.messages[0]
    assert Review.objects.get(pk=world.review.pk).status == ReviewStatus.TODO


def test_a_review_deleted_while_its_grader_saved_is_a_message(world, grace):
    review = fresh(world.review)
    Review.objects.filter(pk=review.pk).delete()
    with pytest.raises(ValidationError) as refused:
        services.review_save(review=review, by=grace, scores=both(world, 1, 1), overall_feedback="")
    assert refused.value.messages == [services.REVIEW_GONE]


def test_a_save_that_does_not_say_complete_keeps_the_status_it_finds(world, alice, grace):
    """The API's PATCH of one score read the review as a draft, while a "complete" sent
    at the same moment landed first: it reopened the review."""
    stale = fresh(world.review)  # read while the review was still to do
    completed(world, grace)
    services.review_save(
        review=stale,
        by=alice,
        scores={world.style.pk: (Decimal(5), "")},
        overall_feedback=None,
        complete=None,  # as the API's PATCH without "complete"
        only_given=True,
    )
    review = Review.objects.get(pk=world.review.pk)
    assert (review.status, review.total) == (ReviewStatus.COMPLETED, Decimal("13.00"))


def test_deleting_an_override_leaves_a_newer_one_for_the_same_student(world, alice, bob):
    first = services.mark_override(
        assignment=world.assignment, student=bob, mark=Decimal(60), reason="Ill.", by=alice
    )
    services.mark_override_clear(assignment=world.assignment, student=bob, by=alice)
    newer = services.mark_override(
        assignment=world.assignment, student=bob, mark=Decimal(70), reason="Again.", by=alice
    )
    # A DELETE of the first that read it before it went (a newer one was cleared with it).
    assert services.mark_override_delete(override=first, by=alice) is False
    assert list(MarkOverride.objects.values_list("pk", flat=True)) == [newer.pk]
    assert services.mark_override_delete(override=newer, by=alice) is True
    assert not MarkOverride.objects.exists()
