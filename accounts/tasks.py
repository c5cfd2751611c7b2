"""Background tasks of accounts (django.tasks; run by ``manage.py db_worker``)."""

from __future__ import annotations

import logging
from datetime import datetime
from functools import partial

from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.tasks import task
from django.urls import reverse
from django.utils import timezone

from coursesite.dates import local_text
from coursesite.emails import (
    retry_or_fail,
    send_each_or_retry,
    send_or_retry,
    send_templated_email,
)

from .invitations import invitation_url, is_invitable
from .models import User
from .throttle import address_mail_allowed

logger = logging.getLogger(__name__)


@task()
def send_invitation_email(*, user_id: int) -> int:
    """Email one person the link to choose the first password of their account.

    Kept for the tasks queued before invitations went in batches
    (``send_invitation_emails``); nothing queues it any more.
    """
    return _send_invitation(User.objects.filter(pk=user_id).first())


@task()
def send_invitation_emails(*, user_ids: list[int], attempt: int = 1) -> int:
    """Email each of USER_IDS their invitation; return how many were sent.

    One address the mail server refuses does not keep the others from theirs: its
    failure is logged, the others are sent, and those not sent are tried again later
    (coursesite.emails.retry_or_fail: after the last try, the task fails).
    """
    users = User.objects.filter(pk__in=user_ids).order_by("pk")
    # A try again is the same invitation: counted once (probe 56: three tries in an
    # outage spent the hour's three, and the fourth was dropped as over the limit).
    send = partial(_send_invitation, counted=attempt == 1)
    return send_each_or_retry(
        send_invitation_emails,
        users,
        send,
        what="The invitation to user",
        attempt=attempt,
        retry_ids="user_ids",
    )


def _send_invitation(user: User | None, *, counted: bool = True) -> int:
    # Asked when the email goes, not when it was queued: an account that has set its
    # password meanwhile, or was deactivated, gets nothing.
    if user is None or not user.email or not is_invitable(user):
        return 0
    # Every invitation counts, however it was asked for (a roster, a resend, a removal
    # and a new import of the same address, over and over): a few an hour per address.
    if counted and not address_mail_allowed("invite", user.email):
        logger.info("The invitation to user %s was not sent: its hourly limit", user.pk)
        return 0
    # Each course with its term and the role given: a new colleague read only a title
    # shared by last year's run, and not that they were to teach it (probe 83).
    enrollments = (
        apps.get_model("lessons.Enrollment")
        .objects.filter(user=user)
        .select_related("course")
        .order_by("course__title", "course__term", "pk")
    )
    context = {
        "user": user,
        "courses": [
            f"{enrollment.course} as {enrollment.get_role_display().lower()}"
            for enrollment in enrollments
        ],
        "invitation_url": invitation_url(user),
        "timeout_days": settings.INVITATION_TIMEOUT_DAYS,
    }
    return send_templated_email("invitation", context, user.email)


@task()
def send_password_reset_email(*, email: str, attempt: int = 1) -> None:
    """Email the accounts of EMAIL a link to reset their password, or their invitation;
    tried again later if the mail server refused it or could not be reached."""
    from .forms import PasswordResetForm  # the form queues this task

    form = PasswordResetForm({"email": email})
    if form.is_valid() and not form.send():
        retry_or_fail(
            send_password_reset_email, attempt=attempt, what="A password reset", email=email
        )


def email_changed_notify(
    *, user: User, old_email: str, old_confirmed: bool, by_administrator: bool = False
) -> bool:
    """Tell OLD_EMAIL, once the current transaction commits, that USER's account moved
    to its current address (by the worker); nothing is sent if it rolls back.

    Only an address its owner confirmed hears of it: an unconfirmed one may be a
    stranger's (a typo, or typed on purpose), who would learn the account's name and new
    address; and only a few times an hour, as an account may move back and forth.
    """
    if not old_confirmed or not address_mail_allowed("moved", old_email):
        return False
    transaction.on_commit(
        partial(
            send_email_changed_email.enqueue,
            user_id=user.pk,
            old_email=old_email,
            new_email=user.email,
            changed_at=timezone.now().isoformat(),
            by_administrator=by_administrator,
        )
    )
    return True


@task()
def send_email_changed_email(
    *,
    user_id: int,
    old_email: str,
    new_email: str,
    changed_at: str,
    by_administrator: bool = False,
    attempt: int = 1,
) -> int:
    """Email OLD_EMAIL that the account USER_ID now uses NEW_EMAIL, and what to do if its
    owner did not change it; return 1 if sent.

    Sent to the old address whatever happened since: the address the change took the
    account from is the one to hear of it (password resets go to the new one now).
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None:
        return 0
    context = {
        "user": user,
        "old_email": old_email,
        "new_email": new_email,
        "changed_at": local_text(datetime.fromisoformat(changed_at)),
        "login_url": settings.SITE_URL + reverse("accounts:login"),
        "profile_url": settings.SITE_URL + reverse("accounts:profile"),
        "password_url": settings.SITE_URL + reverse("accounts:password_change"),
        # Changed in the back office: said so (probe 55: it read as a takeover).
        "by_administrator": by_administrator,
    }
    return send_or_retry(
        send_email_changed_email,
        lambda: send_templated_email("email-changed", context, old_email),
        attempt=attempt,
        what=f"The address-changed notice of user {user_id}",
        user_id=user_id,
        old_email=old_email,
        new_email=new_email,
        changed_at=changed_at,
        by_administrator=by_administrator,
    )


# How a password changed, as the notice tells it (its keys are the notice's ``how``).
PASSWORD_CHANGES = {
    "changed": "changed on its password page, where the current password is asked",
    "reset": "reset through a link emailed to this address",
    "set": "set by an administrator of the site",
}


def password_changed_notify(*, user: User, how: str, was_confirmed: bool) -> bool:
    """Tell USER's address, once the current transaction commits, that the account's
    password changed HOW (a key of PASSWORD_CHANGES); return whether a notice is queued.

    Only an address confirmed before the change hears of it (an unconfirmed one may be
    a stranger's, and a first reset is its owner's own act), a few times an hour.
    """
    if not was_confirmed or not user.email or not address_mail_allowed("password", user.email):
        return False
    transaction.on_commit(
        partial(
            send_password_changed_email.enqueue,
            user_id=user.pk,
            email=user.email,
            how=how,
            changed_at=timezone.now().isoformat(),
        )
    )
    return True


@task()
def send_password_changed_email(
    *, user_id: int, email: str, how: str, changed_at: str, attempt: int = 1
) -> int:
    """Email EMAIL that the password of the account USER_ID changed HOW at CHANGED_AT, and
    what to do if its owner did not change it; return 1 if sent.

    Sent to the address the account had at the change, even if it moved since: that
    address's owner is the one to hear of it.
    """
    user = User.objects.filter(pk=user_id).first()
    if user is None or how not in PASSWORD_CHANGES:
        return 0
    context = {
        "user": user,
        "how": PASSWORD_CHANGES[how],
        "by_link": how == "reset",
        "changed_at": local_text(datetime.fromisoformat(changed_at)),
        "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
    }
    return send_or_retry(
        send_password_changed_email,
        lambda: send_templated_email("password-changed", context, email),
        attempt=attempt,
        what=f"The password-changed notice of user {user_id}",
        user_id=user_id,
        email=email,
        how=how,
        changed_at=changed_at,
    )


@task()
def send_confirmation_email(*, user_id: int, email: str = "", attempt: int = 1) -> int:
    """Email USER_ID the link confirming their address EMAIL; return 1 if sent.

    Asked when it goes: an address confirmed meanwhile, or an account closed, gets
    nothing, and neither does EMAIL if the account has another address to confirm now
    (that one was counted, and sent, on its own: sending to the address of the moment
    let twelve quick changes, then a victim's, mail the victim thirteen times).
    """
    from .confirmation import address_to_confirm, confirmation_url, link_days

    user = User.objects.filter(pk=user_id).first()
    address = address_to_confirm(user) if user is not None else ""
    if not address or not user.is_active or (email and email != address):
        return 0
    context = {
        "user": user,
        "confirmation_url": confirmation_url(user),
        "reset_url": settings.SITE_URL + reverse("accounts:password_reset"),
        "new_address": bool(user.pending_email),  # the account keeps its own until then
        "days": link_days(),
    }
    return send_or_retry(
        send_confirmation_email,
        lambda: send_templated_email("confirm-email", context, address),
        attempt=attempt,
        what=f"The address confirmation of user {user_id}",
        user_id=user_id,
        email=address,
    )
