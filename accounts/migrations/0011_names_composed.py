"""People's names in one spelling of each accent (NFC), as User.save now stores them.

Names saved before (a Mac's roster writes accents as separate marks) matched no search
once searches were composed too (probe 56). Each name is rewritten only if composing
changes it; the generated sort key follows.
"""

import unicodedata

from django.db import migrations

FIELDS = ("display_name", "first_name", "last_name")


def compose(apps, schema_editor):
    User = apps.get_model("accounts", "User")
    for user in User.objects.only("pk", *FIELDS).iterator(chunk_size=2000):
        changed = {
            name: unicodedata.normalize("NFC", getattr(user, name))
            for name in FIELDS
            if unicodedata.normalize("NFC", getattr(user, name)) != getattr(user, name)
        }
        if changed:
            User.objects.filter(pk=user.pk).update(**changed)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0010_user_pending_email")]

    operations = [migrations.RunPython(compose, migrations.RunPython.noop)]
