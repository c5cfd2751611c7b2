"""Limits of so many rows a day (versions a group hands in, tries a student makes)."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.db.models import QuerySet
from django.utils import timezone

DAY = timedelta(days=1)


def daily_limit(
    rows: QuerySet, field: str, limit: int, now: datetime | None = None
) -> tuple[int, datetime | None]:
    """How many of ROWS (timed by their FIELD) fall in the 24 hours before NOW, and, when
    that is LIMIT or more, when a limit of LIMIT a day lifts: a day after the LIMIT-th
    latest of them."""
    now = now or timezone.now()
    recent = rows.filter(**{f"{field}__gt": now - DAY}).order_by(f"-{field}")
    times = list(recent.values_list(field, flat=True))
    if len(times) < limit:
        return len(times), None
    return len(times), times[limit - 1] + DAY
