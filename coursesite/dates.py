"""The one way times are written for people: in the site's zone, with the zone named."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.utils import timezone
from django.utils.formats import date_format

# "Sat 24 Oct 2026, 23:59 CEST": pages (projects_tags.local_time) and messages alike. The
# zone's name is added from the time itself: Django's "T" writes nothing in the hour the
# autumn night repeats, where 02:30 CEST and 02:30 CET are an hour apart (probe 66).
LOCAL_FORMAT = "D j M Y, H:i"
# Deadlines and hand-in times with seconds: "Sat 24 Oct 2026, 23:59:30 CEST".
LOCAL_FORMAT_SECONDS = "D j M Y, H:i:s"


def local_text(value: datetime, seconds: bool = False) -> str:
    """Return VALUE as people read it everywhere on the site, in the site's time zone,
    with the zone named; with its SECONDS when asked and not zero."""
    local = timezone.localtime(value)
    text = date_format(local, LOCAL_FORMAT_SECONDS if seconds and local.second else LOCAL_FORMAT)
    return f"{text} {local.tzname()}"


def csv_time(value: datetime | None) -> str:
    """Return VALUE for a CSV file: sortable, in the site's zone, which it names (the
    repeated hour of an autumn night reads twice otherwise: "2027-10-31 02:30 CEST", then
    "... CET"); "" for None."""
    return timezone.localtime(value).strftime("%Y-%m-%d %H:%M:%S %Z") if value else ""


def moment_text(value: datetime) -> str:
    """Return "at 14:05" for VALUE today, "on Sat 5 Dec 2026, 14:05 CET" another day: what
    a message says of a change a page missed (a tab left open overnight read yesterday's
    14:05 as today's; probe 66)."""
    local = timezone.localtime(value)
    if local.date() == timezone.localdate():
        return f"at {local:%H:%M}"
    return f"on {local_text(value)}"


def shifted_on_the_clock(
    value: datetime, shift: timedelta, *, earlier: bool = False
) -> tuple[datetime, bool]:
    """Return VALUE moved by SHIFT on the wall clock of the site's zone, and whether it had
    to move further.

    A course's next run keeps its deadlines' times of day: moved in UTC, a Friday
    23:59 CET deadline copied into summer became Saturday 00:59 CEST. A time of day the
    clocks skip or repeat that night (02:30 on a change's night in Europe) is moved to
    the first minute after the change, 03:00, a time that exists once: as the back
    office asks of a time typed (probe 66: the copy kept 02:30 CEST, which then refused
    every save of its project, and turned a skipped 02:30 into 03:30 without a word).
    EARLIER: to the last minute before the change instead (01:59), for an opening that
    must stay before a deadline moved after it.
    """
    zone = timezone.get_current_timezone()
    wanted = timezone.localtime(value).replace(tzinfo=None) + shift
    wall = wanted
    if _on_a_clock_change(wall, zone):
        wall = wall.replace(second=0, microsecond=0)
        step = timedelta(minutes=-1 if earlier else 1)
        while _on_a_clock_change(wall, zone):
            wall += step
    return timezone.make_aware(wall, zone), wall != wanted


def _on_a_clock_change(wall: datetime, zone) -> bool:
    """Whether the wall time WALL (naive) is skipped or repeated in ZONE."""
    return zone.utcoffset(wall.replace(fold=0)) != zone.utcoffset(wall.replace(fold=1))


def duration_text(delta: timedelta) -> str:
    """DELTA in two units, "1 day, 6 hours" (Django's time since gives only adjacent
    ones: "1 week" for 7 days and 23 hours), or "1 day, 40 minutes" with no whole hour;
    days alone from two weeks on; under a minute, "less than a minute"."""
    minutes = int(delta.total_seconds()) // 60
    if minutes < 1:
        return "less than a minute"
    hours, minutes = divmod(minutes, 60)
    days, hours = divmod(hours, 24)
    if days >= 14:
        return _units(days, "day")
    if days:
        # "1 day, 40 minutes", not "1 day" beside "2 started days" (probe 100).
        rest = _units(hours, "hour") if hours else _units(minutes, "minute") if minutes else ""
        return _units(days, "day") + (f", {rest}" if rest else "")
    if hours:
        return _units(hours, "hour") + (f", {_units(minutes, 'minute')}" if minutes else "")
    return _units(minutes, "minute")


def _units(number: int, unit: str) -> str:
    # A no-break space, as Django's time since writes it: "3 days" never splits.
    return f"{number:,}\xa0{unit}{'' if number == 1 else 's'}"
