"""Create the site-wide role groups so a fresh database has them.

Their permissions are granted after every migrate by accounts.roles.sync_role_groups,
because the models they cover are created by later migrations of other apps.
"""

from django.db import migrations

GROUPS = ("Instructors", "Graders")


def create_groups(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    for name in GROUPS:
        Group.objects.get_or_create(name=name)


def delete_groups(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=GROUPS).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [migrations.RunPython(create_groups, delete_groups)]
