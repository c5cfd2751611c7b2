"""Roles come from enrollments only: drop the hand-kept site-wide role groups.

The back office opens to superusers and to instructors of a course (access/policy.py),
so the Instructors and Graders groups and the staff flag they went with mean nothing
any more; the flag is kept for superusers only, so no stale staff account lingers.
"""

from django.db import migrations

GROUPS = ("Instructors", "Graders")


def drop_role_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()
    apps.get_model("accounts", "User").objects.filter(is_superuser=False).update(is_staff=False)


def restore_role_groups(apps, schema_editor):
    # The groups come back empty: who was in them is not recorded anywhere.
    for name in GROUPS:
        apps.get_model("auth", "Group").objects.get_or_create(name=name)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0003_user_name_order")]

    operations = [migrations.RunPython(drop_role_groups, restore_role_groups)]
