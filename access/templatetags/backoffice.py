"""The back office's own widgets: ``{% load backoffice %}``.

* ``{% teaching_shortcuts %}`` - the admin index's links to each taught course's pages
  that live outside the admin (course page, progress, gradebook, grading per project).
"""

from __future__ import annotations

from django import template
from django.db.models import Prefetch

from access import policy
from lessons.models import Course
from projects.models import ProjectAssignment

register = template.Library()


@register.inclusion_tag("admin/_teaching_shortcuts.html", takes_context=True)
def teaching_shortcuts(context: template.Context) -> dict:
    """Return the courses the user teaches (superusers too: not every course), with projects."""
    projects = ProjectAssignment.objects.order_by("due_at", "pk")
    taught = policy.courses_where(context["request"].user, policy.TEACHERS)
    courses = Course.objects.filter(pk__in=taught)
    return {"courses": list(courses.prefetch_related(Prefetch("projects", queryset=projects)))}
