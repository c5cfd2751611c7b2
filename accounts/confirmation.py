"""Email address confirmation: who holds an address also holds its account.

Sign-up and the profile take any address, and an instructor making an account can
type one too, with a password of their choosing. Until its owner confirms the address,
an account is not known to be theirs: an instructor who later enrolls that address
(roster, back office, API) would otherwise hand their course to whoever typed it. So an
unconfirmed account enrolled by address is reclaimed for the mailbox
(``reclaim_unconfirmed``): its password goes, which logs every session out and revokes
its API tokens, and the address is invited to choose a new one.

An address is confirmed by its invitation, a password reset (both links went to it),
or the confirmation link sent at sign-up and after a change of address. That link
works only for someone logged in to the account it names: the mailbox alone, as when
an attacker's account names a victim's address, confirms nothing.
"""

from __future__ import annotations

from enum import StrEnum
from functools import partial
from typing import NamedTuple

from django.conf import settings
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.db import transaction
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from .models import User
from .throttle import address_mail_allowed


class ConfirmationTokenGenerator(PasswordResetTokenGenerator):
    """Django's reset token under its own salt, over the address and its state: a link
    stops working once the address is confirmed or changed."""

    key_salt = "accounts.confirmation.ConfirmationTokenGenerator"

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        # A new address waiting (pending_email) is part of it: "" for every other link.
        return f"{user.pk}{user.email}{user.email_confirmed}{user.pending_email}{timestamp}"


confirmation_tokens = ConfirmationTokenGenerator()


class ResetTokenGenerator(PasswordResetTokenGenerator):
    """Password reset links; those of an unconfirmed account outlive its logins and its
    password changes.

    Django's token hashes the password and the last login, so that a link dies once
    used, or once its account logs in. For an account whose address was never confirmed,
    that handed the mailbox's owner's links to whoever made the account: they asked for
    the three resets an address gets an hour (sent to the mailbox), then logged in once,
    and every link died; the owner's own request was over the limit. Its links hash the
    address and its state instead: the account's holder cannot end them but by giving
    the address up, and the first one used confirms the address, which ends them all.
    """

    def _make_hash_value(self, user: User, timestamp: int) -> str:
        if user.email_confirmed:
            return super()._make_hash_value(user, timestamp)
        return f"unconfirmed:{user.pk}:{user.email}:{timestamp}"


reset_tokens = ResetTokenGenerator()


def confirmation_url(user: User) -> str:
    """Return the absolute link that confirms USER's current address (from SITE_URL)."""
    path = reverse(
        "accounts:confirm_email",
        kwargs={
            "uidb64": urlsafe_base64_encode(force_bytes(user.pk)),
            "token": confirmation_tokens.make_token(user),
        },
    )
    return settings.SITE_URL + path


def link_days() -> int:
    """Return for how many days a confirmation link works (Django's reset timeout)."""
    return max(1, settings.PASSWORD_RESET_TIMEOUT // (24 * 60 * 60))


def address_to_confirm(user: User) -> str:
    """Return the address USER's confirmation link goes to: a new one waiting, else
    theirs if not confirmed yet, else ""."""
    return user.pending_email or ("" if user.email_confirmed else user.email)


def confirmation_send(*, user: User) -> bool:
    """Email USER the link confirming their address (or the new one waiting) once the
    transaction commits; return False, sending nothing, when the address had its few
    links this hour (any account can name any address: a "send it again" button mailed
    it without end)."""
    from .tasks import send_confirmation_email

    address = address_to_confirm(user)
    if not address_mail_allowed("confirm", address):
        return False
    transaction.on_commit(partial(send_confirmation_email.enqueue, user_id=user.pk, email=address))
    return True


def email_confirm(user: User) -> None:
    """Record that USER's owner holds their address (a link sent to it was used)."""
    if not user.email_confirmed:
        user.email_confirmed = True
        user.save(update_fields=["email_confirmed"])


class Move(StrEnum):
    """What opening the link of a new address did (``pending_email_confirm``)."""

    MOVED = "moved"  # the account has the new address
    TAKEN = "taken"  # another account has it now: given up
    STALE = "stale"  # the account changed since it was read: nothing done


class Moved(NamedTuple):
    move: Move
    old_email: str  # the account's address before
    old_told: bool = False  # the old address hears of it (a few notices an hour)


@transaction.atomic
def pending_email_confirm(user: User) -> Moved:
    """Make USER's new address, whose link its owner opened, the account's address, and
    tell the old one; return what was done."""
    from .tasks import email_changed_notify

    old = user.email
    if not user.lock_if_unchanged("email", "pending_email"):
        return Moved(Move.STALE, old)
    if User.objects.filter(email__iexact=user.pending_email).exclude(pk=user.pk).exists():
        user.pending_email = ""
        user.save(update_fields=["pending_email"])
        return Moved(Move.TAKEN, old)
    user.email, user.pending_email, user.email_confirmed = user.pending_email, "", True
    user.save(update_fields=["email", "pending_email", "email_confirmed"])
    return Moved(
        Move.MOVED, old, email_changed_notify(user=user, old_email=old, old_confirmed=True)
    )


def is_reclaimable(user: User) -> bool:
    """Return whether USER's password would go if an instructor enrolled their address:
    an active account whose owner never confirmed it and that has a password to lose.

    Not one without a password: waiting for its invitation, or switched off by a
    superuser after use (reclaiming it invited it, which opened it again).
    """
    # A superuser's account is not one a stranger could have made: never locked out.
    return not (
        user.email_confirmed
        or user.is_superuser
        or not user.is_active
        or not user.has_usable_password()
    )


@transaction.atomic
def reclaim_unconfirmed(user: User, *, name: str = "") -> bool:
    """Take the password of USER, enrolled by their address by an instructor, if its
    owner never confirmed the address; return whether it was taken.

    Whoever chose the password is not known to hold the address: with it, they would
    get the course. Without it the account is invitable, and the invitation goes to the
    address. An account already waiting for its invitation, or closed, is left alone.
    The names go too, for NAME (the roster's) or none: they were typed by the same
    person, and greeted the owner ("Welcome, Call 555-0100 to finish setup!") on every
    page and email once the account was theirs.
    """
    if not is_reclaimable(user):
        return False
    # The row is locked so that a password change or a confirmation racing this one
    # either lands first (and is seen here) or waits and finds the password gone.
    locked = User.objects.select_for_update().get(pk=user.pk)
    if not is_reclaimable(locked):
        return False
    user.set_unusable_password()  # sessions end with it; api.receivers revokes the tokens
    user.last_login = None
    user.display_name, user.first_name, user.last_name = name, "", ""
    user.save(update_fields=["password", "last_login", "display_name", "first_name", "last_name"])
    return True
