"""Where grading hears of projects' events; each receiver calls one service.

projects sends ``submission_created`` once a version is committed (projects never
imports grading).
"""

from __future__ import annotations

from django.dispatch import receiver

from projects.signals import membership_lock, submission_created

from . import services


@receiver(submission_created, dispatch_uid="grading-new-version-notify")
def notify_grader(sender, submission, **kwargs) -> None:
    services.new_version_notify(submission=submission)


@receiver(membership_lock, dispatch_uid="grading-released-groups-keep-their-members")
def released_groups_keep_their_members(sender, group, **kwargs) -> str | None:
    if services.is_released(group.assignment_id):
        return (
            "The grades of this project are released, and each member's mark is read from "
            "the group: its members no longer change. Use a mark override to correct one "
            "student's mark."
        )
    return None
