"""Create, revoke and check personal access tokens.

A token is ``cpt_`` followed by 43 URL-safe characters (256 random bits). Only its
SHA-256 is stored: a fast hash is enough for a secret this long (nobody guesses 256
bits, so there is nothing for a slow hash to slow down), and it lets every request
check its token in microseconds. The token is looked up by its first characters and
the digests compared in constant time.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.validators import validate_name
from coursesite.locks import lock_rows

from .models import PersonalAccessToken, TokenLifetime, TokenScope

TOKEN_PREFIX = "cpt_"  # noqa: S105 - the public start of every token
PREFIX_LENGTH = len(TOKEN_PREFIX) + 8
MAX_TOKENS_PER_USER = 20
# last_used_at is written at most this often per token: one UPDATE a minute, not one
# per request.
LAST_USED_RESOLUTION = timedelta(minutes=1)


def digest_of(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def token_create(
    *, user: User, name: str, scope: str, lifetime: int = TokenLifetime.QUARTER
) -> tuple[PersonalAccessToken, str]:
    """Create a token for USER working LIFETIME days; return it and its secret, which is
    shown once and never again."""
    name = " ".join((name or "").split())
    errors = {}
    if not name:
        errors["name"] = "Give the token a name that says where you use it, e.g. “my script”."
    elif len(name) > 80:
        errors["name"] = "Keep the name under 80 characters."
    else:
        try:
            validate_name(name)  # shown on the profile page: no direction overrides
        except ValidationError as exc:
            errors["name"] = exc.messages[0]
    if scope not in TokenScope.values:
        errors["scope"] = "Choose read only, or read and write."
    if lifetime not in TokenLifetime.values:
        errors["lifetime"] = "Choose how long the token works: 30 days, 90 days or 1 year."
    if errors:
        raise ValidationError(errors)
    # Lock the user's row: two requests at once cannot both pass the limit.
    lock_rows(User.objects.filter(pk=user.pk))
    if PersonalAccessToken.objects.filter(user=user).count() >= MAX_TOKENS_PER_USER:
        raise ValidationError(
            f"You already have {MAX_TOKENS_PER_USER} tokens. Revoke the ones you no longer use."
        )
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    token = PersonalAccessToken.objects.create(
        user=user,
        name=name,
        scope=scope,
        prefix=secret[:PREFIX_LENGTH],
        digest=digest_of(secret),
        expires_at=timezone.now() + timedelta(days=lifetime),
    )
    return token, secret


def token_revoke(*, token: PersonalAccessToken) -> None:
    token.delete()


def tokens_revoke_all(*, user_id: int) -> int:
    """Revoke every token of the user USER_ID (their password changed, or their account
    was closed); return how many.

    A token outlives its owner's sessions otherwise: whoever had stolen one kept the
    account's rights after its owner chose a new password.
    """
    return PersonalAccessToken.objects.filter(user_id=user_id).delete()[0]


def token_user(secret: str) -> PersonalAccessToken | None:
    """Return the token whose secret is SECRET (its user loaded), or None."""
    if not secret.startswith(TOKEN_PREFIX) or len(secret) > 200:
        return None
    digest = digest_of(secret)
    candidates = PersonalAccessToken.objects.select_related("user").filter(
        prefix=secret[:PREFIX_LENGTH]
    )
    for token in candidates:
        if hmac.compare_digest(token.digest, digest):
            return token
    return None


def token_touch(token: PersonalAccessToken) -> None:
    """Record that TOKEN was used now, unless that was recorded less than a minute ago."""
    now = timezone.now()
    if token.last_used_at is not None and now - token.last_used_at < LAST_USED_RESOLUTION:
        return
    token.last_used_at = now
    PersonalAccessToken.objects.filter(pk=token.pk).update(last_used_at=now)


def personal_data_of(user) -> dict:
    """USER's tokens as their profile lists them (never a secret: only its digest is
    kept), for their data download (accounts.personal_data)."""
    return {
        "api_tokens": [
            {
                "name": t.name,
                "starts_with": t.prefix,
                "scope": t.get_scope_display(),
                "created_at": t.created_at,
                "last_used_at": t.last_used_at,
                "expires_at": t.expires_at,
            }
            for t in PersonalAccessToken.objects.filter(user=user).order_by("created_at", "pk")
        ]
    }
