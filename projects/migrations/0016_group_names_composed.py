"""Group names in one spelling of each accent (NFC), as Group.save now stores them.

A name that would then equal another group's of the same project (both spellings were
taken, probe 56) is left as it is: renaming either is the instructor's choice.
"""

import unicodedata

from django.db import migrations


def compose(apps, schema_editor):
    Group = apps.get_model("projects", "Group")
    taken = set(Group.objects.values_list("assignment_id", "name"))
    for group in Group.objects.only("pk", "assignment_id", "name").iterator(chunk_size=2000):
        name = unicodedata.normalize("NFC", group.name)
        if name != group.name and (group.assignment_id, name) not in taken:
            Group.objects.filter(pk=group.pk).update(name=name)
            taken.add((group.assignment_id, name))


class Migration(migrations.Migration):
    dependencies = [("projects", "0015_group_sizes_bounded")]

    operations = [migrations.RunPython(compose, migrations.RunPython.noop)]
