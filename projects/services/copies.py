"""A course's projects copied for its new run (lessons.services.course_copy)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from coursesite.copying import copy_of
from coursesite.dates import shifted_on_the_clock
from lessons.models import Course

from ..models import ProjectAssignment
from ..signals import project_copied


@transaction.atomic
def projects_copy(*, source: Course, copy: Course, shift: timedelta) -> int:
    """Copy SOURCE's projects into COPY, unpublished, their dates moved by SHIFT on the
    wall clock (the same time of day, summer time or not); return
    how many. Their groups and submissions stay behind; ``project_copied`` lets grading
    and autograding copy the rubric and the test suite."""
    copied = 0
    for project in ProjectAssignment.objects.filter(course=source).order_by("due_at", "pk"):
        new = copy_of(
            project,
            course_id=copy.pk,
            opens_at=shifted_on_the_clock(project.opens_at, shift),
            due_at=shifted_on_the_clock(project.due_at, shift),
            is_published=False,
            grades_released_at=None,
        )
        new.save()
        project_copied.send(sender=ProjectAssignment, source=project, copy=new)
        copied += 1
    return copied
