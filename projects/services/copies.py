"""A course's projects copied for its new run (lessons.services.course_copy)."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction

from coursesite.copying import copy_of
from coursesite.dates import local_text, shifted_on_the_clock
from lessons.models import Course

from ..models import ProjectAssignment
from ..signals import project_copied


@transaction.atomic
def projects_copy(*, source: Course, copy: Course, shift: timedelta) -> list[str]:
    """Copy SOURCE's projects into COPY, unpublished, their dates moved by SHIFT on the
    wall clock (the same time of day, summer time or not); return what an instructor
    should be told (a date that fell on a clock change's night and moved).
    Their groups and submissions stay behind; ``project_copied`` lets grading
    and autograding copy the rubric and the test suite."""
    notes = []
    for project in ProjectAssignment.objects.filter(course=source).order_by("due_at", "pk"):
        opens_at, opens_moved = shifted_on_the_clock(project.opens_at, shift)
        due_at, due_moved = shifted_on_the_clock(project.due_at, shift)
        if due_at <= opens_at:
            # Both in the changed hour, moved past it: open before it instead (probe 70:
            # kept as long before the deadline, the opening fell back into that hour).
            opens_at, opens_moved = shifted_on_the_clock(project.opens_at, shift, earlier=True)
        new = copy_of(
            project,
            course_id=copy.pk,
            opens_at=opens_at,
            due_at=due_at,
            is_published=False,
            grades_released_at=None,
        )
        new.save()
        project_copied.send(sender=ProjectAssignment, source=project, copy=new)
        for moved, what, when in ((opens_moved, "opens", opens_at), (due_moved, "is due", due_at)):
            if moved:
                notes.append(
                    f"“{new.title}” {what} at {local_text(when)}: its time of day does not "
                    "happen once that night (the clocks change), so it moved out of the "
                    "changed hour."
                )
    return notes
