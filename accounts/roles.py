"""Site-wide role groups and the permissions each one carries."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

from .models import GRADERS_GROUP, INSTRUCTORS_GROUP

# Instructors manage everything course-related in the admin, and may view
# (not edit) user accounts so they can pick people for enrollments.
INSTRUCTOR_APPS = ("lessons", "projects", "grading")
INSTRUCTOR_EXTRA = ("accounts.view_user", "accounts.add_user", "accounts.change_user")


def instructor_permissions():
    app_perms = Permission.objects.filter(content_type__app_label__in=INSTRUCTOR_APPS)
    extra = Permission.objects.none()
    for dotted in INSTRUCTOR_EXTRA:
        app_label, codename = dotted.split(".")
        extra = extra | Permission.objects.filter(
            content_type__app_label=app_label, codename=codename
        )
    return app_perms | extra


def sync_role_groups(sender=None, **kwargs) -> None:
    """Create the role groups and grant the instructors their permissions.

    Runs after every migrate, so permissions of models added later are granted
    too. Graders get no admin permissions: they work in the grading pages.
    """
    instructors, _ = Group.objects.get_or_create(name=INSTRUCTORS_GROUP)
    Group.objects.get_or_create(name=GRADERS_GROUP)
    instructors.permissions.set(instructor_permissions())
