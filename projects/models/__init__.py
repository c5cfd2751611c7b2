"""Group-project models: assignments, groups, memberships, extensions and submissions."""

from .assignments import (
    Extension,
    FormationMode,
    Group,
    GroupMembership,
    LatePolicy,
    LateVersionRule,
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
    "LateVersionRule",
    "MembershipEvent",
    "ProjectAssignment",
    "Submission",
    "SubmissionKinds",
]
