"""What the platform holds on one person, gathered for them to download.

A student may ask what a university's systems keep on them (GDPR articles 15 and 20: a
copy, in a machine-readable form). accounts knows the account only; every app that
stores something about a person answers ``personal_data_requested`` with its own
sections, so accounts never imports them. Each section holds the person's own data:
what they wrote, did and were given (released marks, not drafts), never another
person's address or answers.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from axes.models import AccessLog
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Q
from django.dispatch import Signal
from django.utils import timezone

from .models import User

# Sent with ``user``; each receiver returns a dict of sections (a name to a list of
# rows), named after what a person would look for ("lessons_completed"). Times are
# datetimes and numbers Decimals: the encoder below writes them.
personal_data_requested = Signal()


class _Encoder(DjangoJSONEncoder):
    def default(self, o):
        if isinstance(o, datetime) and timezone.is_aware(o):
            o = timezone.localtime(o)  # the site's clock, with its offset
        return super().default(o)


def personal_data(user: User) -> dict[str, Any]:
    """USER's data: the account, then each app's sections."""
    data: dict[str, Any] = {
        "exported_at": timezone.now(),
        "account": {
            "username": user.username,
            "display_name": user.display_name,
            "first_name": user.first_name,
            "last_name": user.last_name,
            "email": user.email,
            "email_confirmed": user.email_confirmed,
            "new_email_not_confirmed": user.pending_email or None,
            "joined": user.date_joined,
            "last_login": user.last_login,
            "active": user.is_active,
        },
    }
    data["logins"] = _logins_of(user)
    for _receiver, sections in personal_data_requested.send(sender=User, user=user):
        data.update(sections)
    return data


def personal_data_json(user: User) -> str:
    return json.dumps(personal_data(user), cls=_Encoder, ensure_ascii=False, indent=2)


def _logins_of(user: User) -> list[dict]:
    """The login log's rows of USER (typed as their username or their address)."""
    rows = AccessLog.objects.filter(
        Q(username__iexact=user.username) | Q(username__iexact=user.email)
    ).order_by("attempt_time", "pk")
    return [
        {
            "logged_in_at": row.attempt_time,
            "logged_out_at": row.logout_time,
            "network_address": row.ip_address,
            "browser": row.user_agent,
        }
        for row in rows
    ]
