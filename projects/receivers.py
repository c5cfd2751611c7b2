"""Where projects hears of lessons' events; each receiver calls one service.

lessons sends ``course_copied`` when a course is copied for a new run (lessons never
imports projects).
"""

from __future__ import annotations

from django.dispatch import receiver

from accounts.history import rows_naming_requested
from accounts.personal_data import personal_data_requested
from lessons.signals import course_copied, course_hidden_consequences

from . import selectors, services


@receiver(course_copied, dispatch_uid="projects-copy-projects")
def copy_projects(sender, source, copy, shift, **kwargs) -> list[str]:
    return services.projects_copy(source=source, copy=copy, shift=shift)


@receiver(personal_data_requested, dispatch_uid="projects-personal-data")
def groups_and_versions_of(sender, user, **kwargs) -> dict:
    return selectors.personal_data_of(user)


@receiver(rows_naming_requested, dispatch_uid="projects-rows-naming")
def memberships_of(sender, person, **kwargs) -> list:
    return selectors.rows_naming(person)


@receiver(course_hidden_consequences, dispatch_uid="projects-course-hidden")
def projects_still_open(sender, course_ids, **kwargs) -> list[str]:
    return selectors.hidden_course_consequences(course_ids)
