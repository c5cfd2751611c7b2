"""Grading widgets for other pages: ``{% load grading_tags %}``.

* ``{% teaching_shortcuts %}`` - the admin index's links to each taught course's pages
  that live outside the admin (course page, progress, gradebook, grading per project).
"""

from __future__ import annotations

from django import template
from django.db.models import Prefetch

from lessons.models import Course
from projects.models import ProjectAssignment

register = template.Library()


@register.inclusion_tag("admin/_teaching_shortcuts.html", takes_context=True)
def teaching_shortcuts(context: template.Context) -> dict:
    """The admin index's shortcuts: each taught course's pages that live outside the admin."""
    user = context["request"].user
    courses = list(
        Course.objects.taught_by(user).prefetch_related(
            Prefetch("projects", queryset=ProjectAssignment.objects.order_by("due_at", "pk"))
        )
    )
    return {"courses": courses}
