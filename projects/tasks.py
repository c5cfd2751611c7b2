"""Background tasks of projects (django.tasks; run by ``manage.py db_worker``)."""

from __future__ import annotations

from django.conf import settings
from django.tasks import task

from access import policy
from accounts.models import User
from coursesite.dates import local_text
from coursesite.emails import send_each_or_retry, send_templated_email
from coursesite.numbers import without_trailing_zeros

from .models import GroupMembership, ProjectAssignment, Submission


@task()
def send_deadline_changed_email(
    *, assignment_id: int, user_ids: list[int], attempt: int = 1
) -> int:
    """Tell each student of USER_IDS their deadline for the project ASSIGNMENT_ID as it is
    now (the project's, or their group's extension), with a link to the project; return
    how many were told. Read when the email goes: a second change before it went is
    said as it stands, and someone who left the course, or cannot see the project any
    more (unpublished meanwhile), hears nothing. Those the mail server refused are
    tried again later."""
    assignment = ProjectAssignment.objects.select_related("course").filter(pk=assignment_id).first()
    if assignment is None:
        return 0
    groups = {
        membership.student_id: membership.group
        for membership in GroupMembership.objects.filter(
            assignment_id=assignment_id, student_id__in=user_ids
        ).select_related("group__extension")
    }
    students = [
        user
        for user in User.objects.filter(pk__in=user_ids, is_active=True).exclude(email="")
        if policy.can(user, policy.VIEW, assignment, roles=policy.STUDENTS)
    ]

    def send(user: User) -> int:
        group = groups.get(user.pk)
        if group is not None:
            group.assignment = assignment  # read from here, not once per student
        deadline = group.deadline() if group is not None else assignment.due_at
        context = {
            "user": user,
            "assignment": assignment,
            "course": assignment.course,
            "group": group,
            "deadline": local_text(deadline),
            "project_deadline": local_text(assignment.due_at),
            "extended": deadline != assignment.due_at,
            "project_url": settings.SITE_URL + assignment.get_absolute_url(),
        }
        return send_templated_email("deadline-changed", context, user.email)

    return send_each_or_retry(
        send_deadline_changed_email,
        sorted(students, key=lambda user: user.pk),
        send,
        what=f"The deadline notice of project {assignment_id} to user",
        attempt=attempt,
        retry_ids="user_ids",
        assignment_id=assignment_id,
    )


@task()
def send_version_receipts(
    *, submission_id: int, user_ids: list[int] | None = None, attempt: int = 1
) -> int:
    """Email each student of the group a receipt of the version SUBMISSION_ID: who handed
    it in, when, on time or late, and what (the file's name and fingerprint, or the
    repository and commit); return how many were sent. A teammate learns that work went
    in under the group's name, and each keeps a record of the moment (probe 123: no
    email said a version was handed in). Read when the email goes: someone who left the
    group or the course meanwhile hears nothing."""
    submission = (
        Submission.objects.select_related("group__assignment__course", "submitted_by")
        .filter(pk=submission_id)
        .first()
    )
    if submission is None:
        return 0
    group = submission.group
    assignment = group.assignment
    members = GroupMembership.objects.filter(group=group).of_students().values("student_id")
    students = User.objects.filter(pk__in=members, is_active=True).exclude(email="")
    if user_ids is not None:
        students = students.filter(pk__in=user_ids)
    days_late = assignment.days_late(submission.submitted_at, group.deadline())
    context = {
        "submission": submission,
        "group": group,
        "assignment": assignment,
        "course": assignment.course,
        # As the project page says it (probe 129: "it counts as late" alone).
        "days_late": days_late,
        "late_penalty": without_trailing_zeros(assignment.late_penalty_percent(days_late)),
        "submitted_at": local_text(submission.submitted_at, seconds=True),
        "submission_url": settings.SITE_URL + submission.get_absolute_url(),
    }

    def send(user: User) -> int:
        receipt = {**context, "user": user, "by_you": submission.submitted_by_id == user.pk}
        return send_templated_email("version-received", receipt, user.email)

    return send_each_or_retry(
        send_version_receipts,
        students.order_by("pk"),
        send,
        what=f"The receipt of version {submission_id} to user",
        attempt=attempt,
        retry_ids="user_ids",
        submission_id=submission_id,
    )
