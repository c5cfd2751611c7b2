"""Background tasks of lessons (django.tasks; run by ``manage.py db_worker``)."""

from __future__ import annotations

from django.conf import settings
from django.tasks import task

from accounts.models import Role
from coursesite.emails import retry_or_fail, send_each, send_templated_email

from .models import Enrollment


@task()
def send_enrollment_notices(*, enrollment_ids: list[int], attempt: int = 1) -> int:
    """Tell each person of ENROLLMENT_IDS that an instructor enrolled them; return how
    many were told. Those the mail server refused are tried again later."""
    enrollments = Enrollment.objects.filter(pk__in=enrollment_ids, user__is_active=True)
    sent, failed = send_each(
        enrollments.select_related("user", "course").order_by("pk"),
        _send_notice,
        what="The enrollment notice",
    )
    if failed:
        retry_or_fail(
            send_enrollment_notices,
            attempt=attempt,
            what=f"Enrollment notices {failed}",
            enrollment_ids=failed,
        )
    return sent


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
