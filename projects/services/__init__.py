"""Domain actions of the projects app, one module per area, re-exported here."""

from .groups import (
    AutoFormResult,
    extension_grant,
    group_create,
    group_join,
    group_leave,
    groups_auto_form,
    membership_move,
    membership_remove,
)
from .submissions import submission_create

__all__ = [
    "AutoFormResult",
    "extension_grant",
    "group_create",
    "group_join",
    "group_leave",
    "groups_auto_form",
    "membership_move",
    "membership_remove",
    "submission_create",
]
