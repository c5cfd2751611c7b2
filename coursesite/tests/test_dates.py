"""How times are written in messages (coursesite.dates)."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from coursesite.dates import local_text, moment_text


def test_a_change_of_another_day_is_said_with_its_date():
    """ "Changed in another tab at 14:05" read yesterday's 14:05 as today's (probe 66)."""
    now = timezone.now()
    assert moment_text(now) == f"at {timezone.localtime(now):%H:%M}"
    yesterday = now - timedelta(days=1)
    assert moment_text(yesterday) == f"on {local_text(yesterday)}"
    assert local_text(yesterday).endswith(("CET", "CEST"))
