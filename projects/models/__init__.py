"""Group-project models: assignments, groups, memberships, extensions and submissions."""

from .assignments import (
    DUE_AFTER_OPENING,
    Extension,
    FormationMode,
    FormerProjectSlug,
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
    "DUE_AFTER_OPENING",
    "Extension",
    "FormationMode",
    "FormerProjectSlug",
    "Group",
    "GroupMembership",
    "LatePolicy",
    "LateVersionRule",
    "MembershipEvent",
    "ProjectAssignment",
    "Submission",
    "SubmissionKinds",
]
