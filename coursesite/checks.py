"""Deploy checks of the site's own settings (``manage.py check --deploy``)."""

from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}


def emails_reach_people(app_configs, **kwargs) -> list[Warning]:
    """Warn when emails would link to, or come from, this machine: the development
    defaults, left in force by a deployment that forgot to set them."""
    found = []
    host = urlsplit(settings.SITE_URL).hostname or ""
    if host in _LOOPBACK or host.endswith(".localhost"):
        found.append(
            Warning(
                f"DJANGO_SITE_URL is {settings.SITE_URL}: every link of an email (invitations, "
                "password resets, grades released) leads to this machine.",
                hint="Set DJANGO_SITE_URL to the address people use, such as "
                "https://courses.example.edu.",
                id="coursesite.W001",
            )
        )
    if settings.DEFAULT_FROM_EMAIL.rpartition("@")[2].rstrip(">") in _LOOPBACK:
        found.append(
            Warning(
                f"DJANGO_DEFAULT_FROM_EMAIL is {settings.DEFAULT_FROM_EMAIL}: mail servers "
                "refuse or file as spam what comes from a local address.",
                hint="Set DJANGO_DEFAULT_FROM_EMAIL to an address of your domain.",
                id="coursesite.W002",
            )
        )
    return found
