"""Background tasks of projects (django.tasks; run by ``manage.py db_worker``)."""

from __future__ import annotations

from django.conf import settings
from django.tasks import task

from access import policy
from accounts.models import User
from coursesite.dates import local_text
from coursesite.emails import send_each_or_retry, send_templated_email

from .models import GroupMembership, ProjectAssignment


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
