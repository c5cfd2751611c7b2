"""Project widgets for other apps' pages, as Jinja globals and filters (coursesite/jinja2.py).

* ``{{ course_projects(course) }}`` - the course's projects with the viewer's group,
  deadline, countdown and submission status.
* ``{{ upcoming_deadlines() }}`` - the viewer's next project deadlines, for a dashboard.
* ``{{ value|local_time }}`` - a ``<time>`` element in the site's time zone, with the
  zone's abbreviation ("14:00 CET"); also a global, ``local_time(value)``.
* ``{{ value|countdown }}`` - "due in 3 days, 4 hours" or "passed 2 hours ago".

``course_projects`` and ``upcoming_deadlines`` return the data of their partial
templates; ``render_course_projects`` and ``render_upcoming_deadlines`` render it. No
Django template uses these any more, so they are not registered as Django tags.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from datetime import datetime

from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import get_language
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from access import policy
from coursesite.dates import duration_text, local_text
from projects import selectors


def _viewer(context: Mapping):
    """Return the user the page is for: the request's, or the context's ``user``."""
    return context["request"].user if "request" in context else context.get("user")


def course_projects(context: Mapping, course) -> dict:
    user = _viewer(context)
    rows = selectors.course_projects_for(user, course) if user is not None else []
    # Instructors get a link to each assignment's hub (grading:assignment_hub).
    teaches = user is not None and policy.can(user, policy.TEACH, course)
    return {"course": course, "rows": rows, "teaches": teaches}


def upcoming_deadlines(context: Mapping, limit: int = 5) -> dict:
    user = _viewer(context)
    rows = selectors.upcoming_deadlines(user, limit=limit) if user is not None else []
    return {"rows": rows}


@pass_context
def render_course_projects(context: Context, course) -> Markup:
    """Render projects/_course_projects.html for COURSE and the page's user."""
    template = context.environment.get_template("projects/_course_projects.html")
    # The partial escaped what it printed (autoescape): its HTML is safe as it stands.
    return Markup(template.render(course_projects(context, course)))  # noqa: S704


@pass_context
def render_upcoming_deadlines(context: Context, limit: int = 5) -> Markup:
    """Render projects/_upcoming_deadlines.html for the page's user."""
    template = context.environment.get_template("projects/_upcoming_deadlines.html")
    return Markup(template.render(upcoming_deadlines(context, limit)))  # noqa: S704


def local_time(value: datetime | None, seconds: bool = False) -> SafeString | str:
    """Render VALUE in the site's time zone, with the zone's abbreviation, in a ``<time>``.

    The one rule for times on every page ("Tue 3 Dec 2026, 14:00 CET"): the server's
    zone, named, never rewritten by the browser, so a page cannot mix two zones.
    Courses have no zone of their own; they run in the site's (settings.TIME_ZONE).
    SECONDS, for deadlines and hand-in times: their seconds when not zero, since
    lateness counts them (a hand-in at 23:59:30 for 23:59 is late).
    """
    if value is None:
        return ""
    # The offset too: equal instants in two zones are equal datetimes, not equal ISO texts.
    return _local_time(
        value, value.utcoffset(), timezone.get_current_timezone_name(), get_language(), seconds
    )


@functools.lru_cache(maxsize=2048)
def _local_time(
    value: datetime, offset, zone: str, language: str | None, seconds: bool = False
) -> SafeString:
    # A page repeats the same few times (a queue's rows share their project's deadline)
    # and formatting one costs ~200 Python calls: the result depends only on the
    # arguments, which the caller reads from the active zone and language.
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        value.isoformat(),
        f"Time zone: {zone}",
        local_text(value, seconds),
    )


def countdown(value: datetime | None) -> str:
    """Return how long until VALUE ("due in 1 day, 23 hours") or since it ("passed 2
    hours, 5 minutes ago": not "closed", as a project may take late work; probe 90).

    Two units, so that 47 h 59 min is not "1 day" (Django's time since gives only
    adjacent ones: "1 week" for 7 days and 23 hours); days alone from two weeks on (not
    "1 month, 4 weeks"); under a minute, "less than a minute" (not "0 minutes").
    """
    if value is None:
        return ""
    now = timezone.now()
    if value > now:
        return f"due in {duration_text(value - now)}"
    return f"passed {duration_text(now - value)} ago"
