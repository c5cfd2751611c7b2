from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts.models import Role
from accounts.tests.factories import GraderFactory, UserFactory
from grading import services
from grading.gradebook import assignment_marks
from grading.models import (
    CriterionScore,
    GradeRelease,
    MarkOverride,
    RegradeRequest,
    RegradeStatus,
    Review,
    ReviewStatus,
)
from projects.tests.factories import SubmissionFactory

from .factories import add_group, enroll, grading_world
from .factories import complete_review as complete

pytestmark = pytest.mark.django_db


# Assigning graders


def test_round_robin_spreads_ungraded_submissions_evenly(world):
    extra = [enroll(GraderFactory(username=f"g{i}"), world.course, Role.GRADER) for i in range(2)]
    for i in range(7):
        add_group(world.assignment, [UserFactory()], name=f"G{i}")
    _, withdrawn = add_group(world.assignment, [UserFactory()], name="Nothing yet")
    withdrawn.delete()

    created = services.graders_assign_round_robin(assignment=world.assignment)

    assert len(created) == 7  # the assigned group and the one without submission are skipped
    loads = {
        grader.username: Review.objects.filter(grader=grader).count()
        for grader in [world.review.grader, *extra]
    }
    # grace already had one review: 8 reviews over 3 graders -> 3, 3, 2 with grace counted.
    assert sorted(loads.values()) == [2, 3, 3]
    assert services.graders_assign_round_robin(assignment=world.assignment) == []


def test_round_robin_grades_the_latest_submission(world):
    group, first = add_group(world.assignment, [UserFactory()], name="Versions")
    second = SubmissionFactory(group=group, version=2)
    services.graders_assign_round_robin(assignment=world.assignment)
    assert Review.objects.get(group=group).submission == second
    assert first != second


def test_round_robin_needs_graders(alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    world.course.enrollments.filter(role=Role.GRADER).delete()
    with pytest.raises(ValidationError, match="no graders"):
        services.graders_assign_round_robin(assignment=world.assignment)


def test_round_robin_leaves_out_graders_who_cannot_log_in(world, client, alice):
    """Probe 55: reviews went to a grader invited by a roster who never chose a password
    (and to deactivated accounts): they stayed undone, and nobody was told."""
    invited = enroll(
        GraderFactory(username="ivy", display_name="Ivy Invited"), world.course, Role.GRADER
    )
    invited.set_unusable_password()
    invited.save()
    closed = enroll(GraderFactory(username="cal", is_active=False), world.course, Role.GRADER)
    for i in range(4):
        add_group(world.assignment, [UserFactory()], name=f"G{i}")

    client.force_login(alice)
    page = client.post(
        f"/grading/assignments/{world.assignment.pk}/assign/",
        {"close_open_groups": "1"},
        follow=True,
    ).content.decode()

    assert not Review.objects.filter(grader__in=[invited, closed]).exists()
    assert Review.objects.filter(grader=world.review.grader).count() == 5
    said = "4 submission(s) assigned to graders. Ivy Invited got none: they have not chosen"
    assert said in page
    # With nobody able to log in, nothing is assigned, and the message says why.
    world.course.enrollments.filter(user=world.review.grader).delete()
    add_group(world.assignment, [UserFactory()], name="Late")
    with pytest.raises(ValidationError, match="No grader of .* can log in yet: Ivy Invited"):
        services.graders_assign_round_robin(assignment=world.assignment)


def test_manual_assignment_checks_the_grader_belongs_to_the_course(world, charlie):
    group, _ = add_group(world.assignment, [UserFactory()])
    with pytest.raises(ValidationError, match="not a grader"):
        services.grader_assign(group=group, grader=charlie)
    review = services.grader_assign(group=group, grader=world.review.grader)
    assert review.status == ReviewStatus.TODO


# Reviews


def test_a_draft_keeps_everything_even_blanks(world):
    services.review_save(
        review=world.review,
        by=world.review.grader,
        scores={world.correctness.pk: (Decimal("6.5"), "Half"), world.style.pk: (None, "later")},
        overall_feedback="WIP",
    )
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.DRAFT
    assert world.review.total == Decimal("6.50")
    scores = {s.criterion_id: s for s in world.review.scores.all()}
    assert scores[world.style.pk].points is None
    assert scores[world.style.pk].comment == "later"


def test_completing_requires_every_criterion_and_names_the_missing_ones(world):
    with pytest.raises(ValidationError) as info:
        services.review_save(
            review=world.review,
            by=world.review.grader,
            scores={world.correctness.pk: (Decimal("6"), "")},
            overall_feedback="",
            complete=True,
        )
    assert "Missing: “Style”" in info.value.messages[0]
    world.review.refresh_from_db()
    assert world.review.status == ReviewStatus.TODO


def test_points_must_be_within_the_range(world):
    with pytest.raises(ValidationError, match="between 0 and 5"):
        services.review_save(
            review=world.review,
            by=world.review.grader,
            scores={world.style.pk: (Decimal("6"), "")},
            overall_feedback="",
        )


def test_completing_computes_the_total_and_sanitizes_feedback(world):
    world.review.grader = world.review.grader
    services.review_save(
        review=world.review,
        by=world.review.grader,
        scores={world.correctness.pk: (Decimal("8"), ""), world.style.pk: (Decimal("4.5"), "")},
        overall_feedback="**Good** <script>alert(1)</script>",
        complete=True,
    )
    world.review.refresh_from_db()
    assert world.review.total == Decimal("12.50")
    assert world.review.status == ReviewStatus.COMPLETED
    assert "<strong>Good</strong>" in world.review.overall_feedback_html
    assert "<script>" not in world.review.overall_feedback_html
    # The audit trail: one history row per save of the review, and per score change.
    assert world.review.history.count() >= 2
    assert CriterionScore.history.filter(criterion=world.correctness).exists()


def test_a_rubric_of_many_criteria_at_their_maximum_adds_up_without_overflow(world):
    """101 criteria at 9,999.99 (what the back office accepts) overflowed the total's
    8 digits: a 500 on PostgreSQL, and a review that could never be saved."""
    from .factories import CriterionFactory

    for order in range(3, 102):
        CriterionFactory(rubric=world.rubric, order=order, max_points=Decimal("9999.99"))
    for criterion in (world.correctness, world.style):
        criterion.max_points = Decimal("9999.99")
        criterion.save(update_fields=["max_points"])
    criteria = list(world.rubric.criteria.all())
    assert len(criteria) == 101
    services.review_save(
        review=world.review,
        by=world.review.grader,
        scores={criterion.pk: (Decimal("9999.99"), "") for criterion in criteria},
        overall_feedback="",
        complete=True,
    )
    world.review.refresh_from_db()
    assert world.review.total == Decimal("1009998.99")
    assert world.review.status == ReviewStatus.COMPLETED


def test_grading_starts_with_the_latest_submission(world):
    newer = SubmissionFactory(group=world.group, version=2)
    complete(world)
    world.review.refresh_from_db()
    assert world.review.submission == newer
    # Once grading started, a later upload is not graded.
    SubmissionFactory(group=world.group, version=3)
    complete(world)
    world.review.refresh_from_db()
    assert world.review.submission == newer


def test_line_comments_must_point_into_the_archive(world):
    grace = world.review.grader
    comment = services.line_comment_add(
        review=world.review, by=grace, path="app.py", line=2, text="Docstring!"
    )
    assert comment.pk
    with pytest.raises(ValidationError, match="not in the submitted archive"):
        services.line_comment_add(
            review=world.review, by=grace, path="../etc/passwd", line=1, text="x"
        )
    with pytest.raises(ValidationError, match="Write a comment"):
        services.line_comment_add(review=world.review, by=grace, path="app.py", line=1, text=" ")


# Release


def test_release_refuses_while_reviews_are_pending(world, alice):
    with pytest.raises(ValidationError, match="Team Rocket"):
        services.grades_release(assignment=world.assignment, by=alice)
    assert not GradeRelease.objects.exists()


def test_release_enqueues_one_email_per_student_on_commit(
    world, alice, django_capture_on_commit_callbacks, mailoutbox, settings
):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "https://x.org"
    complete(world)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        # The host a request came in on is not where the emails link.
        services.grades_release(assignment=world.assignment, by=alice, base_url="https://evil.test")
    assert mailoutbox == []  # nothing is sent inside the transaction
    for callback in callbacks:  # the enqueues, and the page cache's bump
        callback()
    assert len(mailoutbox) == 2
    assert sorted(m.to[0] for m in mailoutbox) == ["bob@example.org", "dave@example.org"]
    assert f"https://x.org/grading/feedback/{world.submission.pk}/" in mailoutbox[0].body
    with pytest.raises(ValidationError, match="already released"):
        services.grades_release(assignment=world.assignment, by=alice)


def test_nothing_changes_after_release_except_by_regrade(world, alice):
    complete(world)
    services.grades_release(assignment=world.assignment, by=alice)
    with pytest.raises(ValidationError, match="released"):
        complete(world, correctness="10")


# Regrades


def test_regrade_request_and_accept(world, alice, bob):
    complete(world)
    with pytest.raises(ValidationError, match="not released"):
        services.regrade_request_create(
            review=world.review, criterion=world.style, student=bob, reason="Why?"
        )
    services.grades_release(assignment=world.assignment, by=alice)
    regrade = services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="We used black."
    )
    assert regrade.old_points == Decimal("4")
    with pytest.raises(ValidationError, match="already waiting"):
        services.regrade_request_create(
            review=world.review, criterion=world.style, student=world.dave, reason="Again"
        )
    with pytest.raises(ValidationError, match="between 0 and 5"):
        services.regrade_answer(
            regrade=regrade, by=world.review.grader, accept=True, new_points=Decimal(9), response=""
        )
    services.regrade_answer(
        regrade=regrade, by=world.review.grader, accept=True, new_points=Decimal(5), response="Ok"
    )
    world.review.refresh_from_db()
    assert world.review.total == Decimal("13.00")
    regrade.refresh_from_db()
    assert regrade.status == RegradeStatus.ACCEPTED
    # Another's answer after it: who answered and how (probe 98: "already answered").
    grader = world.review.grader
    with pytest.raises(
        ValidationError,
        match=rf"{grader} answered this regrade request .*: accepted, new score 5\.",
    ):
        services.regrade_answer(regrade=regrade, by=alice, accept=False, response="no")
    # The same answer again by its grader (a double click): said as sent.
    with pytest.raises(ValidationError) as again:
        services.regrade_answer(
            regrade=regrade, by=grader, accept=True, new_points=Decimal(5), response="Ok"
        )
    assert again.value.code == services.ANSWERED_BY_YOU
    # Days later, or with other words: no double click, said as answered (probe 100).
    RegradeRequest.objects.filter(pk=regrade.pk).update(
        answered_at=timezone.now() - timedelta(days=3)
    )
    with pytest.raises(ValidationError, match="You answered this regrade request"):
        services.regrade_answer(
            regrade=regrade, by=grader, accept=True, new_points=Decimal(5), response="Ok"
        )
    assert RegradeRequest.history.filter(id=regrade.pk).count() == 2


def test_regrade_decline_needs_a_reason_and_only_members_ask(world, alice, bob, charlie):
    complete(world)
    services.grades_release(assignment=world.assignment, by=alice)
    with pytest.raises(ValidationError, match="Only members"):
        services.regrade_request_create(
            review=world.review, criterion=world.style, student=charlie, reason="x"
        )
    regrade = services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="x"
    )
    with pytest.raises(ValidationError, match="reason for declining"):
        services.regrade_answer(regrade=regrade, by=alice, accept=False, response=" ")
    services.regrade_answer(regrade=regrade, by=alice, accept=False, response="Style is 4/5.")
    regrade.refresh_from_db()
    assert regrade.status == RegradeStatus.DECLINED


def test_regrade_window_closes(world, alice, bob):
    complete(world)
    release = services.grades_release(assignment=world.assignment, by=alice)
    release.released_at = timezone.now() - timedelta(days=world.rubric.regrade_window_days + 1)
    release.save()
    # Written as the feedback page writes it, in the site's zone, named (it was UTC).
    closed = r"Regrade requests closed on \w{3} \d+ \w{3} \d{4}, \d\d:\d\d CES?T\."
    with pytest.raises(ValidationError, match=closed):
        services.regrade_request_create(
            review=world.review, criterion=world.style, student=bob, reason="late"
        )


def test_the_regrade_window_counts_days_on_the_sites_clock(world, alice, bob):
    """Released Thursday 18:00 CEST with a week to ask, a request at 17:30 CET the next
    Thursday was refused as "closed on Thu 29 Oct 2026, 17:00 CET" (probe 66)."""
    zone = ZoneInfo("Europe/Brussels")
    complete(world)
    release = services.grades_release(assignment=world.assignment, by=alice)
    release.released_at = datetime(2026, 10, 22, 18, 0, tzinfo=zone)
    release.save()
    world.rubric.regrade_window_days = 7
    world.rubric.save()
    # The back office names the release as the pages do (it wrote UTC, unnamed: 16:00).
    assert str(release) == f"Grades of {world.assignment} released Thu 22 Oct 2026, 18:00 CEST"
    closes = services.regrade_window_closes(world.assignment)
    assert closes == datetime(2026, 10, 29, 18, 0, tzinfo=zone)
    # The autumn night is an hour longer (in UTC: same-zone datetimes subtract as clocks).
    assert closes.astimezone(UTC) - release.released_at.astimezone(UTC) == timedelta(
        days=7, hours=1
    )


# Peer evaluation and marks


def test_peer_ratings_change_individual_marks(alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    complete(world, correctness="8", style="4")  # 12 / 15 = 80 %
    dave = world.dave
    with pytest.raises(ValidationError, match="every member"):
        services.peer_ratings_submit(group=world.group, rater=bob, ratings={bob.pk: (3, "")})
    # bob: bob 3, dave 1 (total 4) -> 3/4, 1/4; dave: bob 3, dave 1 -> 3/4, 1/4.
    # bob = 3/2 = 1.5 (capped 1.20), dave = 1/2 = 0.5.
    services.peer_ratings_submit(
        group=world.group, rater=bob, ratings={bob.pk: (3, ""), dave.pk: (1, "Absent")}
    )
    services.peer_ratings_submit(
        group=world.group, rater=dave, ratings={bob.pk: (3, ""), dave.pk: (1, "")}
    )
    marks = assignment_marks([world.assignment.pk])
    assert marks.get(world.assignment.pk, bob.pk).mark == Decimal("96.00")  # 80 x 1.20
    assert marks.get(world.assignment.pk, dave.pk).mark == Decimal("40.00")  # 80 x 0.5
    services.mark_override(
        assignment=world.assignment, student=dave, mark=Decimal("55"), reason="Ill", by=alice
    )
    marks = assignment_marks([world.assignment.pk])
    assert marks.get(world.assignment.pk, dave.pk).mark == Decimal("55")
    assert MarkOverride.history.count() == 1
    services.mark_override_clear(assignment=world.assignment, student=dave)
    assert assignment_marks([world.assignment.pk]).get(world.assignment.pk, dave.pk).mark == 40
    assert MarkOverride.history.count() == 2


def test_a_member_removed_from_the_course_neither_rates_nor_is_rated(alice, bob, grace, client):
    """The probe's case: bob rated himself high and the removed dave low, alone; dave's
    ratings are gone with him. Counting dave, bob got 1.5 (capped at 1.2) on his own word."""
    from django.urls import reverse

    from lessons.models import Enrollment

    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    complete(world, correctness="8", style="4")  # 12 / 15 = 80 %
    dave = world.dave
    services.peer_ratings_submit(
        group=world.group, rater=bob, ratings={bob.pk: (5, ""), dave.pk: (1, "")}
    )
    assert assignment_marks([world.assignment.pk]).get(world.assignment.pk, bob.pk).mark == 96
    Enrollment.objects.filter(user=dave, course=world.course).delete()  # removed
    marks = assignment_marks([world.assignment.pk])
    assert marks.get(world.assignment.pk, bob.pk).mark == Decimal("80.00")  # factor 1: alone
    # bob's page asks him to rate himself only; his rating of himself alone is taken.
    client.force_login(bob)
    page = client.get(reverse("grading:peer", args=[world.group.pk])).content.decode()
    assert dave.display_name not in page
    # His teammates' project page still lists him (the work was his too), marked.
    project = client.get(world.assignment.get_absolute_url()).content.decode()
    members = project.split('id="group-members"')[1].split("</ul>")[0]
    # Said plainly to students: "removed" told of an administrative action (probe 72).
    assert dave.display_name in members and "no longer in the course" in members
    assert "removed" not in members
    assert "(1 of at most" in project
    services.peer_ratings_submit(group=world.group, rater=bob, ratings={bob.pk: (4, "")})
    with pytest.raises(ValidationError, match="Only members of the group rate"):
        services.peer_ratings_submit(
            group=world.group, rater=dave, ratings={bob.pk: (1, ""), dave.pk: (5, "")}
        )
    # Back in the course, dave counts again, and so does bob's rating of him (kept):
    # bob 4, dave 1 -> bob 2 x 4/5 = 1.6, capped at 1.20.
    enroll(dave, world.course)
    assert assignment_marks([world.assignment.pk]).get(world.assignment.pk, bob.pk).mark == 96


def test_released_marks_stay_as_released_when_a_member_leaves_the_course(alice, bob, grace):
    """Peer factors were computed anew on every read over the members still students:
    removing one after the release moved the others' published marks, with no regrade,
    override or record (probe 64). They count the members as they were at the release."""
    from lessons.models import Enrollment

    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    complete(world, correctness="8", style="4")  # 12 / 15 = 80 %
    dave = world.dave
    for rater in (bob, dave):
        services.peer_ratings_submit(
            group=world.group, rater=rater, ratings={bob.pk: (4, ""), dave.pk: (2, "")}
        )

    def marks() -> tuple[Decimal, Decimal]:
        read = assignment_marks([world.assignment.pk])
        return read.get(world.assignment.pk, bob.pk).mark, read.get(
            world.assignment.pk, dave.pk
        ).mark

    released = marks()
    assert released == (Decimal("96.00"), Decimal("53.33"))  # 1.33 capped at 1.2; 0.67
    services.grades_release(assignment=world.assignment, by=alice)
    assert marks() == released
    enrollment = Enrollment.objects.get(user=dave, course=world.course)
    enrollment.role = Role.GRADER  # made a grader: no longer a student either
    enrollment.save()
    assert marks() == released
    enrollment.delete()  # removed from the course
    assert marks() == released
    assert (
        assignment_marks([world.assignment.pk], student_ids=[bob.pk])
        .get(world.assignment.pk, bob.pk)
        .mark
        == released[0]
    )


def test_a_member_removed_before_the_release_stays_out_of_the_released_marks(alice, bob, grace):
    from lessons.models import Enrollment

    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    complete(world, correctness="8", style="4")
    dave = world.dave
    services.peer_ratings_submit(
        group=world.group, rater=bob, ratings={bob.pk: (5, ""), dave.pk: (1, "")}
    )
    Enrollment.objects.filter(user=dave, course=world.course).delete()
    services.grades_release(assignment=world.assignment, by=alice)
    bob_mark = assignment_marks([world.assignment.pk]).get(world.assignment.pk, bob.pk).mark
    assert bob_mark == Decimal("80.00")  # alone in the pool: factor 1
    enroll(dave, world.course)  # back after the release: the released mark stays
    assert assignment_marks([world.assignment.pk]).get(world.assignment.pk, bob.pk).mark == bob_mark


def test_a_students_mark_is_rounded_once_after_the_peer_factor(alice, bob, grace):
    # 11.5 / 15 = 76.666...%; dave's factor 0.5 gives 38.333... -> 38.33. Rounding the
    # group's mark first (76.67) made it 38.335 -> 38.34.
    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    complete(world, correctness="7.5", style="4")
    for rater in (bob, world.dave):
        services.peer_ratings_submit(
            group=world.group, rater=rater, ratings={bob.pk: (3, ""), world.dave.pk: (1, "")}
        )
    marks = assignment_marks([world.assignment.pk])
    assert marks.get(world.assignment.pk, world.dave.pk).mark == Decimal("38.33")
    assert marks.get(world.assignment.pk, bob.pk).mark == Decimal("92.00")  # capped at 1.20
    assert marks.get(world.assignment.pk, bob.pk).grade.mark == Decimal("76.67")  # shown


def test_peer_evaluation_closes_at_release_and_opens_after_the_deadline(alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    ratings = {bob.pk: (3, ""), world.dave.pk: (3, "")}
    world.assignment.due_at = timezone.now() + timedelta(days=1)
    world.assignment.save()
    with pytest.raises(ValidationError, match="after your group's deadline"):
        services.peer_ratings_submit(group=world.group, rater=bob, ratings=ratings)
    world.assignment.due_at = timezone.now() - timedelta(days=1)
    world.assignment.save()
    services.peer_ratings_submit(group=world.group, rater=bob, ratings=ratings)
    complete(world)
    services.grades_release(assignment=world.assignment, by=alice)
    with pytest.raises(ValidationError, match="closed"):
        services.peer_ratings_submit(group=world.group, rater=bob, ratings=ratings)


def test_late_penalty_applies_to_the_group_mark(alice, bob, grace):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    # Two started days late with 10 %/day: 80 % x (1 - 20/100) = 64 %.
    world.submission.submitted_at = world.assignment.due_at + timedelta(days=1, hours=1)
    world.submission.is_late = True
    world.submission.save()
    complete(world)
    mark = assignment_marks([world.assignment.pk]).get(world.assignment.pk, bob.pk)
    assert mark.grade.penalty_percent == Decimal("20")
    assert mark.grade.percent == Decimal("80.00")
    assert mark.mark == Decimal("64.00")


def test_no_assignments_give_no_marks_without_a_query(django_assert_num_queries):
    with django_assert_num_queries(0):
        assert assignment_marks([]).marks == {}
        assert assignment_marks([], student_ids=[1, 2]).marks == {}
