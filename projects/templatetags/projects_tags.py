"""Project widgets for other apps' pages: ``{% load projects_tags %}``.

* ``{% course_projects course %}`` - the course's projects with the viewer's group,
  deadline, countdown and submission status.
* ``{% upcoming_deadlines %}`` - the viewer's next project deadlines, for a dashboard.
* ``{% local_time value %}`` - a ``<time>`` element in the site's time zone that
  ``static/js/projects.js`` rewrites in the viewer's own time zone.
* ``{{ value|countdown }}`` - "due in 3 days" or "closed 2 hours ago".
"""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince, timeuntil

from projects import selectors

register = template.Library()


@register.inclusion_tag("projects/_course_projects.html", takes_context=True)
def course_projects(context: template.Context, course) -> dict:
    user = context["request"].user if "request" in context else context.get("user")
    rows = selectors.course_projects_for(user, course) if user is not None else []
    return {"course": course, "rows": rows}


@register.inclusion_tag("projects/_upcoming_deadlines.html", takes_context=True)
def upcoming_deadlines(context: template.Context, limit: int = 5) -> dict:
    user = context["request"].user if "request" in context else context.get("user")
    rows = selectors.upcoming_deadlines(user, limit=limit) if user is not None else []
    return {"rows": rows}


@register.simple_tag
def local_time(value: datetime | None) -> SafeString | str:
    """Render VALUE in the site's time zone, naming the zone, inside a ``<time>``."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    return format_html(
        '<time datetime="{}" data-localize>{} ({})</time>',
        value.isoformat(),
        date_format(local, "D j M Y, H:i"),
        timezone.get_current_timezone_name(),
    )


@register.filter
def countdown(value: datetime | None) -> str:
    """Return how long until VALUE ("due in 3 days") or since it ("closed 2 hours ago")."""
    if value is None:
        return ""
    now = timezone.now()
    if value > now:
        return f"due in {timeuntil(value, now, depth=1)}"
    return f"closed {timesince(value, now, depth=1)} ago"
