"""Domain actions of the projects app, one module per area, re-exported here."""

from .copies import projects_copy
from .groups import (
    AutoFormResult,
    deadline_changes_tell,
    extension_grant,
    extension_remove,
    group_create,
    group_join,
    group_leave,
    group_rename,
    groups_auto_form,
    is_unknown_join_code,
    marks_locked_reason,
    membership_locked_reason,
    membership_move,
    membership_remove,
    student_groups_closed_reason,
    students_whose_deadline_moved,
)
from .submissions import (
    assignment_grading_closed,
    group_grading_started,
    submission_create,
    submission_locked_reason,
    submissions_refresh_lateness,
)

__all__ = [
    "AutoFormResult",
    "assignment_grading_closed",
    "deadline_changes_tell",
    "extension_grant",
    "extension_remove",
    "group_create",
    "group_grading_started",
    "group_join",
    "group_leave",
    "group_rename",
    "groups_auto_form",
    "is_unknown_join_code",
    "marks_locked_reason",
    "student_groups_closed_reason",
    "students_whose_deadline_moved",
    "membership_locked_reason",
    "membership_move",
    "membership_remove",
    "projects_copy",
    "submission_create",
    "submission_locked_reason",
    "submissions_refresh_lateness",
]
