"""Where projects hears of lessons' events; each receiver calls one service.

lessons sends ``course_copied`` when a course is copied for a new run (lessons never
imports projects).
"""

from __future__ import annotations

from django.dispatch import receiver

from lessons.signals import course_copied

from . import services


@receiver(course_copied, dispatch_uid="projects-copy-projects")
def copy_projects(sender, source, copy, shift, **kwargs) -> list[str]:
    return services.projects_copy(source=source, copy=copy, shift=shift)
