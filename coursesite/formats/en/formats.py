"""Dates and times as the whole site writes them, the back office included.

Django's English formats ("Nov. 25, 2026, 7:02 a.m.") name no time zone; the site's
pages write "Wed 25 Nov 2026, 07:02 CET" (coursesite/dates.py), and so do the back
office's lists and forms' read-only fields. Input formats stay Django's.
"""

from django.conf.locale.en.formats import *  # noqa: F403 - the rest stays English

DATE_FORMAT = "D j M Y"
DATETIME_FORMAT = "D j M Y, H:i T"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
TIME_FORMAT = "H:i"
