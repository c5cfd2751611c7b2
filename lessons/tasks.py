"""Background tasks of lessons (django.tasks; run by ``manage.py db_worker``)."""

from __future__ import annotations

from django.conf import settings
from django.tasks import task

from accounts.models import Role, User
from coursesite.emails import send_each_or_retry, send_templated_email

from .models import Enrollment


@task()
def send_enrollment_notices(*, enrollment_ids: list[int], attempt: int = 1) -> int:
    """Tell each person of ENROLLMENT_IDS that an instructor enrolled them; return how
    many were told. Those the mail server refused are tried again later."""
    enrollments = Enrollment.objects.filter(pk__in=enrollment_ids, user__is_active=True)
    return send_each_or_retry(
        send_enrollment_notices,
        enrollments.select_related("user", "course").order_by("pk"),
        _send_notice,
        what="The enrollment notice",
        attempt=attempt,
        retry_ids="enrollment_ids",
    )


def _send_notice(enrollment: Enrollment) -> int:
    context = {
        "user": enrollment.user,
        "course": enrollment.course,
        "role": Role(enrollment.role).label.lower(),
        "course_url": settings.SITE_URL + enrollment.course.get_absolute_url(),
        # A roster loaded ahead of the run (probe 49): its students' link answered "not
        # found" until the course was published, and the notice did not say why.
        "opens_later": enrollment.role == Role.STUDENT and not enrollment.course.is_published,
    }
    return send_templated_email("enrolled", context, enrollment.user.email)


@task()
def send_course_message(
    *, enrollment_ids: list[int], sender_id: int, subject: str, message: str, attempt: int = 1
) -> int:
    """Email SUBJECT and MESSAGE, written by the instructor SENDER_ID, to each person of
    ENROLLMENT_IDS still in the course (answers go to the sender); return how many were
    told. Those the mail server refused are tried again later."""
    sender = User.objects.filter(pk=sender_id).first()
    enrollments = Enrollment.objects.filter(pk__in=enrollment_ids, user__is_active=True).exclude(
        user__email=""
    )

    def send(enrollment: Enrollment) -> int:
        context = {
            "user": enrollment.user,
            "course": enrollment.course,
            "sender": sender,
            "subject": subject,
            "message": message,
            "course_url": settings.SITE_URL + enrollment.course.get_absolute_url(),
        }
        reply_to = sender.email if sender is not None else ""
        return send_templated_email(
            "course-message", context, enrollment.user.email, reply_to=reply_to
        )

    return send_each_or_retry(
        send_course_message,
        enrollments.select_related("user", "course").order_by("pk"),
        send,
        what="The message",
        attempt=attempt,
        retry_ids="enrollment_ids",
        sender_id=sender_id,
        subject=subject,
        message=message,
    )
