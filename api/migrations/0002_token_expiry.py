"""Tokens expire: those made before get 90 days from the upgrade, the default lifetime."""

from datetime import timedelta

from django.db import migrations, models
from django.utils import timezone


def expire_in_90_days(apps, schema_editor):
    tokens = apps.get_model("api", "PersonalAccessToken").objects
    tokens.filter(expires_at__isnull=True).update(expires_at=timezone.now() + timedelta(days=90))


class Migration(migrations.Migration):
    dependencies = [("api", "0001_initial")]

    operations = [
        migrations.AddField(
            model_name="personalaccesstoken",
            name="expires_at",
            field=models.DateTimeField(editable=False, null=True),
        ),
        migrations.RunPython(expire_in_90_days, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="personalaccesstoken",
            name="expires_at",
            field=models.DateTimeField(editable=False),
        ),
    ]
