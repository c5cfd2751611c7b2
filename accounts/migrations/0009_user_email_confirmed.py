from django.db import migrations, models


def existing_accounts_confirmed(apps, schema_editor):
    # Accounts made before addresses were confirmed cannot be told apart: they are
    # taken as confirmed, so that enrolling them by address keeps working as it did.
    apps.get_model("accounts", "User").objects.update(email_confirmed=True)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0008_session_cache_generation"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="email_confirmed",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "Set once the owner of the address has shown they hold this account: its "
                    "invitation, a password reset or the confirmation link. Changing the "
                    "address clears it."
                ),
                verbose_name="email address confirmed",
            ),
        ),
        migrations.RunPython(existing_accounts_confirmed, migrations.RunPython.noop),
    ]
