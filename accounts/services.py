"""Account actions that touch more than one model."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction

from .models import GRADERS_GROUP, INSTRUCTORS_GROUP, Role, User
from .roles import sync_role_groups


@transaction.atomic
def user_set_site_role(*, user: User, role: str) -> User:
    """Give USER the site-wide ROLE: instructors are staff, others never reach the admin."""
    if role not in Role.values:
        raise ValueError(f"Unknown role {role!r}; choose one of {', '.join(Role.values)}.")
    sync_role_groups()
    instructors = Group.objects.get(name=INSTRUCTORS_GROUP)
    graders = Group.objects.get(name=GRADERS_GROUP)
    user.groups.remove(instructors, graders)
    if role == Role.INSTRUCTOR:
        user.groups.add(instructors)
    elif role == Role.GRADER:
        user.groups.add(graders)
    user.is_staff = role == Role.INSTRUCTOR or user.is_superuser
    user.save(update_fields=["is_staff"])
    if hasattr(user, "_group_names"):
        del user._group_names
    return user
