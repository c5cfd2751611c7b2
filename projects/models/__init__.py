"""Group-project models: assignments, groups and submissions, then grading."""

from .assignments import (
    Extension,
    FormationMode,
    Group,
    GroupMembership,
    LatePolicy,
    MembershipEvent,
    ProjectAssignment,
    Submission,
    SubmissionKinds,
)

__all__ = [
    "Extension",
    "FormationMode",
    "Group",
    "GroupMembership",
    "LatePolicy",
    "MembershipEvent",
    "ProjectAssignment",
    "Submission",
    "SubmissionKinds",
]
