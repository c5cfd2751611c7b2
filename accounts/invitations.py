"""Invitations: the first password of accounts made for people (rosters, the back office).

Roster imports and the back office create accounts without a usable password. Each
such person gets an email with a one-time link to choose one; the link lands on
``accounts:invitation``, which sets the password and logs them in.

The link carries a token of ``InvitationTokenGenerator``: Django's password-reset
token under another salt, so a reset link is not an invitation nor the reverse. It
hashes the password and the last login, so it stops working once used (both change),
and it expires after INVITATION_TIMEOUT_DAYS.

Who may be invited: an active account that has no usable password and has never
logged in. A superuser who disables the password of someone who used the site means
to keep them out: neither a resend nor the reset form opens that account again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from functools import partial

from django.apps import apps
from django.conf import settings
from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.crypto import constant_time_compare
from django.utils.encoding import force_bytes
from django.utils.http import base36_to_int, urlsafe_base64_encode

from access import policy
from coursesite.emails import in_chunks
from coursesite.wording import first_few

from .models import User
from .throttle import address_mail_spent


class TokenStatus(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    INVALID = "invalid"  # forged, for another account, or already used


class InvitationTokenGenerator(PasswordResetTokenGenerator):
    key_salt = "accounts.invitations.InvitationTokenGenerator"

    def make_token(self, user: User, *, issued_at: datetime | None = None) -> str:
        """Return a token for USER's invitation, as issued now (or at ISSUED_AT)."""
        if issued_at is None:
            issued_at = self._now()
        elif timezone.is_aware(issued_at):
            issued_at = timezone.make_naive(issued_at)
        return self._make_token_with_timestamp(user, self._num_seconds(issued_at), self.secret)

    def status(self, user: User | None, token: str | None) -> TokenStatus:
        """Return whether TOKEN opens USER's invitation, has expired, or never will.

        Never for an account deactivated since: its link set a password nobody could
        log in with, after saying "Welcome".
        """
        if not (user and token) or not user.is_active:
            return TokenStatus.INVALID
        try:
            ts_b36, _ = token.split("-")
            issued = base36_to_int(ts_b36)
        except ValueError:
            return TokenStatus.INVALID
        for secret in [self.secret, *self.secret_fallbacks]:
            if constant_time_compare(self._make_token_with_timestamp(user, issued, secret), token):
                break
        else:
            return TokenStatus.INVALID
        age = self._num_seconds(self._now()) - issued
        if age > settings.INVITATION_TIMEOUT_DAYS * 24 * 60 * 60:
            return TokenStatus.EXPIRED
        return TokenStatus.VALID

    def check_token(self, user: User | None, token: str | None) -> bool:
        return self.status(user, token) is TokenStatus.VALID


invitation_tokens = InvitationTokenGenerator()


def invitable(users: QuerySet[User]) -> QuerySet[User]:
    """Return the USERS who may get an invitation: active, no password, never logged in."""
    return users.filter(
        is_active=True, last_login__isnull=True, password__startswith=UNUSABLE_PASSWORD_PREFIX
    )


def is_invitable(user: User) -> bool:
    return user.is_active and user.last_login is None and not user.has_usable_password()


def invitable_by(by: User, users: QuerySet[User]) -> QuerySet[User]:
    """Return the USERS whom BY may invite: enrolled in a course BY teaches, and invitable.

    Asked of the access policy: BY's right to manage an enrollment is their right to
    invite its person. Someone removed from every course BY teaches is not theirs to
    invite, nor is anyone of another instructor's course. Superusers invite anyone.
    """
    if policy.is_superuser(by):
        return invitable(users)
    # By label: lessons imports accounts, not the reverse.
    taught = policy.scope(by, policy.TEACH, apps.get_model("lessons.Enrollment").objects)
    return invitable(users).filter(Exists(taught.filter(user=OuterRef("pk"))))


def invitation_url(user: User, *, issued_at: datetime | None = None) -> str:
    """Return the absolute link of USER's invitation (from SITE_URL)."""
    path = reverse(
        "accounts:invitation",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": invitation_tokens.make_token(user, issued_at=issued_at),
        },
    )
    return settings.SITE_URL + path


def invitation_send(*, user: User) -> None:
    """Email USER their invitation once the current transaction commits (by the worker).

    Nothing is sent if the transaction rolls back; the worker checks again when it
    sends that the account still waits for its first password.
    """
    invitations_send(users=[user])


def invitations_send(*, users: list[User]) -> None:
    """Email each of USERS their invitation once the current transaction commits: a
    task per hundred people (a roster of thousands queues tens of tasks, not thousands)."""
    from .tasks import send_invitation_emails

    for chunk in in_chunks([user.pk for user in users]):
        transaction.on_commit(partial(send_invitation_emails.enqueue, user_ids=chunk))


@dataclass
class Resend:
    """What a resend did: who is invited, how many were not theirs to invite or no longer
    waiting, and how many had their invitations of the hour already."""

    invited: list[User]
    skipped: int = 0
    throttled: list[User] = field(default_factory=list)

    def report(self) -> str:
        """Say what the resend did, for the message shown to the instructor."""
        parts = []
        if self.invited:
            names = first_few([f"{user} <{user.email}>" for user in self.invited])
            parts.append(f"Invitation emailed again to {len(self.invited)}: {names}.")
        if self.throttled:
            names = first_few([user.email for user in self.throttled])
            parts.append(
                f"Not emailed again to {names}: each address gets at most "
                f"{settings.PASSWORD_RESET_EMAIL_LIMIT} invitations an hour. Their last link "
                "still works; try again later if it did not arrive."
            )
        if self.skipped:
            parts.append(
                f"{self.skipped} not invited: they already chose a password (they can use "
                "“Forgot your password?”), their account is inactive or its password was "
                "switched off by an administrator (ask them), or they are not enrolled in "
                "a course you teach."
            )
        return " ".join(parts)

    @property
    def complete(self) -> bool:
        return bool(self.invited) and not (self.skipped or self.throttled)


@transaction.atomic
def invitations_resend(*, by: User, users: QuerySet[User]) -> Resend:
    """Email the invitation again to those of USERS whom BY may invite (``invitable_by``),
    a few times an hour per address at most: a button an instructor could press without
    end mailed one address without end."""
    asked = users.count()
    allowed = list(invitable_by(by, users).order_by("username"))
    result = Resend(invited=[], skipped=asked - len(allowed))
    for user in allowed:  # counted as the worker sends them (accounts.tasks)
        if address_mail_spent("invite", user.email):
            result.throttled.append(user)
        else:
            result.invited.append(user)
    invitations_send(users=result.invited)
    return result
