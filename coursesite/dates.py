"""The one way times are written for people: in the site's zone, with the zone named."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.formats import date_format

# "Sat 24 Oct 2026, 23:59 CEST": pages (projects_tags.local_time) and messages alike.
LOCAL_FORMAT = "D j M Y, H:i T"
# Deadlines and hand-in times with seconds: "Sat 24 Oct 2026, 23:59:30 CEST".
LOCAL_FORMAT_SECONDS = "D j M Y, H:i:s T"


def local_text(value: datetime) -> str:
    """Return VALUE as people read it everywhere on the site, in the site's time zone."""
    return date_format(timezone.localtime(value), LOCAL_FORMAT)


def shifted_on_the_clock(value: datetime, shift: timedelta) -> datetime:
    """Return VALUE moved by SHIFT on the wall clock of the site's zone.

    A course's next run keeps its deadlines' times of day: moved in UTC, a Friday
    23:59 CET deadline copied into summer became Saturday 00:59 CEST.
    """
    local = timezone.localtime(value)
    return timezone.make_aware(local.replace(tzinfo=None) + shift)
