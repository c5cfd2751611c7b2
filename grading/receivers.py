"""Where grading hears of projects' events; each receiver calls one service.

projects sends ``submission_created`` once a version is committed, and
``project_copied`` for each project of a course copied for a new run (projects never
imports grading).
"""

from __future__ import annotations

from django.dispatch import receiver

from accounts.history import rows_naming_requested
from accounts.personal_data import personal_data_requested
from lessons.signals import removal_consequences, role_change_consequences
from projects.signals import (
    marks_lock,
    member_added_consequences,
    project_copied,
    submission_created,
)

from . import selectors, services


@receiver(submission_created, dispatch_uid="grading-new-version-notify")
def version_arrived(sender, submission, **kwargs) -> None:
    services.version_arrived(submission=submission)


@receiver(marks_lock, dispatch_uid="grading-released-marks-keep-their-inputs")
def released_marks_keep_their_inputs(sender, assignment_id, **kwargs) -> str | None:
    if services.is_released(assignment_id):
        return services.RELEASED_MARKS_LOCKED
    return None


@receiver(project_copied, dispatch_uid="grading-copy-rubric")
def copy_rubric(sender, source, copy, **kwargs) -> None:
    services.rubric_copy(source=source, copy=copy)


@receiver(personal_data_requested, dispatch_uid="grading-personal-data")
def marks_and_feedback_of(sender, user, **kwargs) -> dict:
    return selectors.personal_data_of(user)


@receiver(removal_consequences, dispatch_uid="grading-removal-consequences")
def marks_and_reviews_left(sender, enrollments, **kwargs) -> list[str]:
    return selectors.removal_consequences(enrollments)


@receiver(role_change_consequences, dispatch_uid="grading-role-change-consequences")
def groups_marks_and_reviews_of(sender, enrollment, was, **kwargs) -> list[str]:
    return selectors.role_change_consequences(enrollment, was)


@receiver(member_added_consequences, dispatch_uid="grading-member-added-consequences")
def mark_taken_at_once(sender, student, group, **kwargs) -> list[str]:
    return selectors.member_added_consequences(student, group)


@receiver(rows_naming_requested, dispatch_uid="grading-rows-naming")
def reviews_and_ratings_of(sender, person, **kwargs) -> list:
    return selectors.rows_naming(person)
