"""Dates and times as the whole site writes them, the back office included.

Django's English formats ("Nov. 25, 2026, 7:02 a.m.") name no time zone; the site's
pages write "Wed 25 Nov 2026, 07:02 CET" (coursesite/dates.py), and so do the back
office's lists and forms' read-only fields. Dates are typed as the site writes them,
day first (a Brussels instructor's "05/12/2026" is 5 December, which Django's English
formats read as 12 May), or year-month-day as the back office's calendar writes them.
"""

from django.conf.locale.en.formats import *  # noqa: F403 - the rest stays English

DATE_FORMAT = "D j M Y"
DATETIME_FORMAT = "D j M Y, H:i T"
SHORT_DATETIME_FORMAT = "j M Y, H:i T"
TIME_FORMAT = "H:i"

DATE_INPUT_FORMATS = [
    "%Y-%m-%d",  # first: what the calendar widget writes
    "%d/%m/%Y",
    "%d/%m/%y",
    "%d.%m.%Y",
    "%d-%m-%Y",
    "%d %b %Y",
    "%d %b, %Y",
    "%d %B %Y",
    "%d %B, %Y",
    "%b %d %Y",
    "%b %d, %Y",
    "%B %d %Y",
    "%B %d, %Y",
]
DATETIME_INPUT_FORMATS = [
    f"{day} {clock}"
    for day in ("%Y-%m-%d", "%d/%m/%Y", "%d/%m/%y", "%d.%m.%Y")
    for clock in ("%H:%M:%S", "%H:%M:%S.%f", "%H:%M")
]
