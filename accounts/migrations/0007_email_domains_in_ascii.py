"""Store the email addresses saved before with a domain in another alphabet in the form
every address is kept in now: the domain in ASCII ("xn--"), as accounts.validators
writes it. Left as they were, such accounts were found by no lookup (login by email,
password reset, sign-up's "already used"), and anyone could sign up with the address.
"""

from django.db import migrations


def domains_in_ascii(apps, schema_editor):
    from accounts.validators import normalize_email

    User = apps.get_model("accounts", "User")
    for pk, email in User.objects.exclude(email="").values_list("pk", "email").iterator():
        if email.isascii():
            continue
        canonical = normalize_email(email)
        if canonical == email or not canonical.isascii():
            continue  # a domain IDNA would change ("ß"): kept, and found as typed
        if User.objects.filter(email__iexact=canonical).exclude(pk=pk).exists():
            continue  # another account has that address already: for an administrator
        User.objects.filter(pk=pk).update(email=canonical)


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0006_throttle_counts_shared_by_workers"),
    ]

    operations = [
        migrations.RunPython(domains_in_ascii, migrations.RunPython.noop, elidable=True),
    ]
