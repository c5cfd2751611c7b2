"""Background tasks of accounts (django.tasks; run by ``manage.py db_worker``)."""

from __future__ import annotations

from django.apps import apps
from django.conf import settings
from django.tasks import task

from coursesite.emails import send_templated_email

from .invitations import invitation_url, is_invitable
from .models import User


@task()
def send_invitation_email(*, user_id: int) -> int:
    """Email one person the link to choose the first password of their account."""
    user = User.objects.filter(pk=user_id).first()
    # Asked when the email goes, not when it was queued: an account that has set its
    # password meanwhile, or was deactivated, gets nothing.
    if user is None or not user.email or not is_invitable(user):
        return 0
    courses = (
        apps.get_model("lessons.Course")
        .objects.filter(enrollments__user=user)
        .order_by("title")
        .values_list("title", flat=True)
    )
    context = {
        "user": user,
        "courses": list(courses),
        "invitation_url": invitation_url(user),
        "timeout_days": settings.INVITATION_TIMEOUT_DAYS,
        "site_name": settings.SITE_NAME,
        "site_url": settings.SITE_URL,
    }
    return send_templated_email("invitation", context, user.email)


@task()
def send_password_reset_email(*, email: str) -> None:
    """Email the accounts of EMAIL a link to reset their password, or their invitation."""
    from .forms import PasswordResetForm  # the form queues this task

    form = PasswordResetForm({"email": email})
    if form.is_valid():
        form.send()
