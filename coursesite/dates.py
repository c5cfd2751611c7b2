"""The one way times are written for people: in the site's zone, with the zone named."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.formats import date_format

# "Sat 24 Oct 2026, 23:59 CEST": pages (projects_tags.local_time) and messages alike.
LOCAL_FORMAT = "D j M Y, H:i T"


def local_text(value: datetime) -> str:
    """Return VALUE as people read it everywhere on the site, in the site's time zone."""
    return date_format(timezone.localtime(value), LOCAL_FORMAT)
