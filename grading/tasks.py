"""Background tasks (django.tasks; run by ``manage.py db_worker``)."""

from __future__ import annotations

from django.conf import settings
from django.tasks import task
from django.urls import reverse

from access import policy
from accounts.models import Role, User
from accounts.throttle import address_mail_allowed
from coursesite.emails import send_each_or_retry, send_or_retry, send_templated_email
from projects.models import ProjectAssignment, Submission

from .models import (
    MarkOverride,
    RegradeMessage,
    RegradeRequest,
    Review,
    ReviewStatus,
    group_label,
)


@task()
def send_grades_released_email(
    *,
    user_id: int,
    review_id: int | None = None,
    base_url: str = "",
    attempt: int = 1,
    assignment_id: int | None = None,
) -> int:
    """Email one student that their group's feedback is released (REVIEW_ID), with a
    link to it; or, with ASSIGNMENT_ID instead, that the mark an instructor's override
    gave them is, with a link to their feedback list (no review to read).

    The link starts with SITE_URL. BASE_URL (the host the release came in on) is no
    longer read; it stays a parameter so tasks queued before remain valid.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return 0
    if review_id is not None:
        review = (
            Review.objects.select_related("group__assignment__course", "submission")
            .filter(pk=review_id)
            .first()
        )
        # Asked when the email goes, not when it was queued: someone removed from the
        # course meanwhile is told nothing.
        if review is None or not policy.can(user, policy.VIEW, review, roles=policy.STUDENTS):
            return 0
        assignment = review.group.assignment
        path = reverse("grading:feedback", kwargs={"pk": review.submission_id})
    else:
        assignment = _released_to(user, assignment_id)
        overridden = MarkOverride.objects.filter(assignment_id=assignment_id, student_id=user_id)
        if assignment is None or not overridden.exists():
            return 0
        path = reverse("grading:feedback_list")
    context = {
        "user": user,
        "assignment": assignment,
        "course": assignment.course,
        "feedback_url": settings.SITE_URL + path,
        "own_mark_only": review_id is None,
    }
    return send_or_retry(
        send_grades_released_email,
        lambda: send_templated_email("grades-released", context, user.email),
        attempt=attempt,
        what=f"The release notice of user {user_id}",
        user_id=user_id,
        **({"review_id": review_id} if review_id is not None else {"assignment_id": assignment_id}),
    )


def _released_to(user: User, assignment_id: int) -> ProjectAssignment | None:
    """The project ASSIGNMENT_ID (with its course) if its grades are released and USER
    is a student of its course: asked when an email goes, not when it was queued, so
    someone removed from the course meanwhile is told nothing. Released marks stay
    readable in a course closed since (unpublished at the end of its run), and so are
    changes to them told (probe 91: they went unsaid once the run was closed)."""
    assignment = (
        ProjectAssignment.objects.select_related("course")
        .filter(pk=assignment_id, grade_release__isnull=False)
        .first()
    )
    if assignment is None or policy.role_in(user, assignment.course_id) != Role.STUDENT:
        return None
    return assignment


@task()
def send_mark_changed_email(
    *,
    user_id: int,
    assignment_id: int,
    attempt: int = 1,
    why: str = "override",
    regrade_id: int | None = None,
) -> int:
    """Email one student that their mark of a released project changed, WHY being an
    instructor's override set or cleared ("override") or the accepted regrade request
    REGRADE_ID ("regrade", its criterion named), with a link to their group's feedback
    (probe 118: the list of projects, one click short); the mark is not in it."""
    user = User.objects.filter(pk=user_id).first()
    if user is None or not user.email:
        return 0
    assignment = _released_to(user, assignment_id)
    if assignment is None:
        return 0
    feedback = (
        policy.scope(user, policy.VIEW, Review.objects, roles=policy.STUDENTS)
        .filter(group__assignment_id=assignment_id)
        .values_list("submission_id", flat=True)
        .first()
    )
    page = reverse("grading:feedback", kwargs={"pk": feedback}) if feedback else None
    regrade = RegradeRequest.objects.filter(pk=regrade_id).select_related("criterion").first()
    context = {
        "user": user,
        "assignment": assignment,
        "course": assignment.course,
        "marks_url": settings.SITE_URL + (page or reverse("grading:feedback_list")),
        "regrade": why == "regrade",
        "criterion": regrade.criterion if regrade else None,
    }
    return send_or_retry(
        send_mark_changed_email,
        lambda: send_templated_email("mark-changed", context, user.email),
        attempt=attempt,
        what=f"The mark-changed notice of user {user_id}",
        user_id=user_id,
        assignment_id=assignment_id,
        why=why,
        regrade_id=regrade_id,
    )


@task()
def send_new_version_email(*, review_id: int, submission_id: int, attempt: int = 1) -> int:
    """Email a review's grader that the group submitted a version newer than the graded one."""
    review = (
        Review.objects.select_related("group__assignment__course", "group__assignment__rubric")
        .select_related("submission", "grader")
        .filter(pk=review_id)
        .first()
    )
    newer = Submission.objects.filter(pk=submission_id).first()
    if review is None or newer is None or not review.grader.email:
        return 0
    # Asked when the email goes: a grader removed from the course meanwhile hears nothing.
    if not policy.can(review.grader, policy.VIEW, review):
        return 0
    # A few an hour per group and grader (probe 55: a group sending version after version
    # emailed its grader each time); the review page shows the latest version anyway.
    if attempt == 1 and not address_mail_allowed(
        f"new-version-{review.group_id}", review.grader.email
    ):
        return 0
    rubric = getattr(review.group.assignment, "rubric", None)
    anonymous = bool(rubric and rubric.anonymous_grading)
    context = {
        "user": review.grader,
        "label": review.group_label(anonymous=anonymous),
        "assignment": review.group.assignment,
        "course": review.group.assignment.course,
        "graded_version": review.submission.version,
        "new_version": newer.version,
        "review_url": settings.SITE_URL + reverse("grading:review", kwargs={"pk": review.pk}),
    }
    return send_or_retry(
        send_new_version_email,
        lambda: send_templated_email("new-version", context, review.grader.email),
        attempt=attempt,
        what=f"The new-version notice of review {review_id}",
        review_id=review_id,
        submission_id=submission_id,
    )


@task()
def send_reviews_assigned_email(
    *, grader_id: int, review_ids: list[int], by_id: int | None = None, attempt: int = 1
) -> int:
    """Tell a grader which reviews an instructor just gave them (probe 123: they learnt
    of their marking only by opening their queue); return 1 if sent. Read when the email
    goes: reviews handed to someone else, completed or deleted meanwhile are left out,
    and a grader removed from the course hears nothing."""
    grader = User.objects.filter(pk=grader_id, is_active=True).exclude(email="").first()
    if grader is None:
        return 0
    reviews = [
        review
        for review in Review.objects.filter(pk__in=review_ids, grader_id=grader_id)
        .exclude(status=ReviewStatus.COMPLETED)
        .select_related("group__assignment__course", "group__assignment__rubric")
        .order_by("group__assignment__due_at", "submission__submitted_at", "pk")
        if policy.can(grader, policy.GRADE, review)
    ]
    if not reviews:
        return 0
    assignment = reviews[0].group.assignment
    rubric = getattr(assignment, "rubric", None)
    anonymous = bool(rubric and rubric.anonymous_grading)
    context = {
        "user": grader,
        "by": User.objects.filter(pk=by_id).first() if by_id else None,
        "assignment": assignment,
        "course": assignment.course,
        "groups": [review.group_label(anonymous=anonymous) for review in reviews],
        "count": len(reviews),
        "queue_url": settings.SITE_URL + reverse("grading:grader_queue") + "?status=todo",
    }
    return send_or_retry(
        send_reviews_assigned_email,
        lambda: send_templated_email("reviews-assigned", context, grader.email),
        attempt=attempt,
        what=f"The reviews-assigned notice of user {grader_id}",
        grader_id=grader_id,
        review_ids=review_ids,
        by_id=by_id,
    )


def _teachers_to_email(course) -> list[User]:
    """The instructors of COURSE an email can reach, as the policy says it now."""
    enrolled = User.objects.filter(
        is_active=True, enrollments__course=course, enrollments__role=Role.INSTRUCTOR
    ).exclude(email="")
    return [user for user in enrolled if policy.can(user, policy.TEACH, course)]


def _send_each(
    task, name: str, emails: dict[User, dict], *, what: str, of: str, attempt: int, **kwargs
) -> int:
    """Send the templated email NAME to each user of EMAILS with their context, and queue
    TASK again with KWARGS for those the mail server refused (``send_each``,
    ``retry_or_fail``); WHAT the email is, OF what (for the log). Return how many went."""
    return send_each_or_retry(
        task,
        emails,
        lambda user: send_templated_email(name, emails[user], user.email),
        what=f"{what} {of} to user",
        attempt=attempt,
        retry_ids="user_ids",
        **kwargs,
    )


@task()
def send_after_release_email(
    *, submission_id: int, user_ids: list[int] | None = None, attempt: int = 1
) -> int:
    """Email the course's instructors, and the group's grader if any, about a version that
    arrived after the grades were released and that nobody will grade.

    Instructors get the assignment hub's link, which lists such versions; the grader the
    review's. Who may know is asked when the email goes, not when it was queued.
    """
    submission = (
        Submission.objects.select_related("group__assignment__course", "group__assignment__rubric")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        return 0
    group, assignment = submission.group, submission.group.assignment
    course = assignment.course
    hub_url = settings.SITE_URL + reverse("grading:assignment_hub", kwargs={"pk": assignment.pk})
    recipients = {user.pk: (user, hub_url) for user in _teachers_to_email(course)}
    review = Review.objects.select_related("grader", "submission").filter(group=group).first()
    if review is not None and review.grader.email and review.grader_id not in recipients:
        if policy.can(review.grader, policy.VIEW, review):
            review_url = reverse("grading:review", kwargs={"pk": review.pk})
            recipients[review.grader_id] = (review.grader, settings.SITE_URL + review_url)
    rubric = getattr(assignment, "rubric", None)
    anonymous = bool(rubric and rubric.anonymous_grading)
    if user_ids is not None:  # tried again: only those it was not sent to
        recipients = {pk: value for pk, value in recipients.items() if pk in user_ids}
    else:  # a few an hour per group and person, as new-version notices
        recipients = {
            pk: (user, link)
            for pk, (user, link) in recipients.items()
            if address_mail_allowed(f"after-release-{group.pk}", user.email)
        }
    emails = {}
    for user, link in recipients.values():
        # Anonymous grading hides the group's name from graders, never from instructors.
        hide = anonymous and not policy.can(user, policy.TEACH, course)
        context = {
            "user": user,
            "label": group_label(group.pk, group.name, anonymous=hide),
            "assignment": assignment,
            "course": course,
            "version": submission.version,
            # A graded group's mark stays on the version graded (None: nobody graded it).
            "graded_version": review.submission.version if review is not None else None,
            "link": link,
        }
        emails[user] = context
    return _send_each(
        send_after_release_email,
        "after-release",
        emails,
        what="The after-release notice",
        of=f"of submission {submission_id}",
        attempt=attempt,
        submission_id=submission_id,
    )


@task()
def send_regrade_requested_email(
    *, regrade_id: int, user_ids: list[int] | None = None, attempt: int = 1
) -> int:
    """Email a new regrade request to its review's grader; to the course's instructors
    if that grader no longer grades it (probe 95: nobody was told, and a request whose
    grader had left waited in a list nobody opened). Who may answer is asked when the
    email goes, not when it was queued."""
    regrade = (
        RegradeRequest.objects.select_related(
            "criterion", "review__grader", "review__group__assignment__course"
        )
        .select_related("review__group__assignment__rubric")
        .filter(pk=regrade_id)
        .first()
    )
    if regrade is None:
        return 0
    review = regrade.review
    assignment = review.group.assignment
    course = assignment.course
    grader = review.grader
    if policy.can(grader, policy.VIEW, regrade, roles=policy.STAFF):
        recipients = [grader] if grader.email else []
        left = False
    else:
        # Not an instructor who is a member of the group: they may not answer it.
        teachers = _teachers_to_email(course)
        recipients, left = [u for u in teachers if policy.can(u, policy.GRADE, review)], True
    if user_ids is not None:  # tried again: only those it was not sent to
        recipients = [user for user in recipients if user.pk in user_ids]
    rubric = getattr(assignment, "rubric", None)
    anonymous = bool(rubric and rubric.anonymous_grading)
    answer_url = settings.SITE_URL + reverse("grading:regrade_answer", kwargs={"pk": regrade.pk})
    emails = {}
    for user in recipients:
        hide = anonymous and not policy.can(user, policy.TEACH, course)
        context = {
            "user": user,
            "label": review.group_label(anonymous=hide),
            "criterion": regrade.criterion,
            "assignment": assignment,
            "course": course,
            "answer_url": answer_url,
            "for_the_grader_who_left": left,
        }
        emails[user] = context
    return _send_each(
        send_regrade_requested_email,
        "regrade-requested",
        emails,
        what="The regrade-request notice",
        of=f"of request {regrade_id}",
        attempt=attempt,
        regrade_id=regrade_id,
    )


@task()
def send_regrade_declined_email(*, regrade_id: int, attempt: int = 1) -> int:
    """Email the student who asked for a regrade that it was declined (probe 101: an
    accepted one was emailed, as a changed mark, a declined one not), with a link to
    their feedback; the reason is read there. Asked when the email goes: one who left
    the course hears nothing."""
    regrade = (
        RegradeRequest.objects.select_related(
            "criterion", "requested_by", "review__group__assignment__course"
        )
        .filter(pk=regrade_id)
        .first()
    )
    if regrade is None or regrade.requested_by is None or not regrade.requested_by.email:
        return 0
    student, review = regrade.requested_by, regrade.review
    if not policy.can(student, policy.VIEW, review, roles=policy.STUDENTS):
        return 0
    context = {
        "user": student,
        "criterion": regrade.criterion,
        "assignment": review.group.assignment,
        "course": review.group.assignment.course,
        "feedback_url": settings.SITE_URL
        + reverse("grading:feedback", kwargs={"pk": review.submission_id}),
    }
    return send_or_retry(
        send_regrade_declined_email,
        lambda: send_templated_email("regrade-declined", context, student.email),
        attempt=attempt,
        what=f"The regrade-declined notice of request {regrade_id}",
        regrade_id=regrade_id,
    )


@task()
def send_regrade_message_email(
    *, message_id: int, user_ids: list[int] | None = None, attempt: int = 1
) -> int:
    """Email a message written in a regrade request's thread to the other side: the
    group's members (still students of the course) when its grader or an instructor
    asks, the review's grader (its instructors if that grader left) when the group
    answers (probe 118: nobody was told either way, and a request waited unseen until
    its window closed). A link, not the words, as for the request itself."""
    message = (
        RegradeMessage.objects.select_related(
            "regrade__criterion",
            "regrade__review__grader",
            "regrade__review__group__assignment__course",
            "regrade__review__group__assignment__rubric",
        )
        .filter(pk=message_id)
        .first()
    )
    if message is None:
        return 0
    regrade = message.regrade
    review = regrade.review
    assignment = review.group.assignment
    course = assignment.course
    context = {"criterion": regrade.criterion, "assignment": assignment, "course": course}
    if message.from_staff:
        members = (
            User.objects.filter(group_memberships__group=review.group)
            .exclude(email="")
            .order_by("pk")
        )
        recipients = [
            m for m in members if policy.can(m, policy.VIEW, regrade, roles=policy.STUDENTS)
        ]
        context["url"] = settings.SITE_URL + reverse(
            "grading:feedback", kwargs={"pk": review.submission_id}
        )
    else:
        # The review's grader, or its instructors if the grader left; and whoever of the
        # grading side asked in the thread (probe 119: an instructor's question was
        # answered to the grader only). Those who may still answer it: not a member.
        if policy.can(review.grader, policy.VIEW, regrade, roles=policy.STAFF):
            recipients = [review.grader]
        else:
            recipients = _teachers_to_email(course)
        askers = User.objects.filter(
            pk__in=regrade.messages.filter(from_staff=True).values("author_id"), is_active=True
        ).order_by("pk")
        recipients += [user for user in askers if user not in recipients]
        recipients = [
            user for user in recipients if user.email and policy.can(user, policy.GRADE, review)
        ]
    recipients = [user for user in recipients if user.pk != message.author_id]
    if user_ids is not None:  # tried again: only those it was not sent to
        recipients = [user for user in recipients if user.pk in user_ids]
    if not message.from_staff:
        context["url"] = settings.SITE_URL + reverse(
            "grading:regrade_answer", kwargs={"pk": regrade.pk}
        )
    rubric = getattr(assignment, "rubric", None)
    anonymous = bool(rubric and rubric.anonymous_grading)
    emails = {}
    for user in recipients:
        hide = anonymous and not policy.can(user, policy.TEACH, course)
        label = review.group_label(anonymous=hide)
        emails[user] = {**context, "user": user, "label": label, "to_group": message.from_staff}
    return _send_each(
        send_regrade_message_email,
        "regrade-message",
        emails,
        what="The regrade-thread notice",
        of=f"of message {message_id}",
        attempt=attempt,
        message_id=message_id,
    )
