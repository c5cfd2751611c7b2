"""Deploy checks of the site's own settings (``manage.py check --deploy``), and the
risks the server logs when it starts serving (wsgi.py, asgi.py), since nobody has to run
the checks (probe 52)."""

from __future__ import annotations

import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.core.checks import Warning
from django.http.request import validate_host

_LOOPBACK = {"127.0.0.1", "localhost", "::1"}
# Email backends that deliver nothing: the console's prints every link it would send.
_UNDELIVERED = ("ConsoleEmailBackend", "console.EmailBackend", "locmem.EmailBackend")
logger = logging.getLogger("coursesite.serving")


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


def emails_are_delivered(app_configs, **kwargs) -> list[Warning]:
    """Warn when the site would print its emails instead of sending them: a reset or
    invitation link in a log lets whoever reads the log take the account."""
    backend = settings.EMAIL_BACKEND_PATH
    if settings.DEBUG or not backend.endswith(_UNDELIVERED):
        return []
    return [
        Warning(
            f"DJANGO_EMAIL_BACKEND is {backend}: emails (password resets, invitations) are "
            "written to the log, links and all, and nobody receives them.",
            hint="Set DJANGO_EMAIL_BACKEND=django.core.mail.backends.smtp.EmailBackend and "
            "EMAIL_HOST (README, Production).",
            id="coursesite.W003",
        )
    ]


def site_host_is_allowed(app_configs, **kwargs) -> list[Warning]:
    """Warn when the host of DJANGO_SITE_URL, the address people use, is not one the
    site answers: every page would be a 400."""
    host = (urlsplit(settings.SITE_URL).hostname or "").rstrip(".")
    # As a request's Host header names it: an IPv6 address in brackets (probe 54).
    asked = f"[{host}]" if ":" in host else host
    if settings.DEBUG or host in _LOOPBACK or validate_host(asked, settings.ALLOWED_HOSTS):
        return []
    return [
        Warning(
            f"{host}, the host of DJANGO_SITE_URL, is not in DJANGO_ALLOWED_HOSTS "
            f"({', '.join(settings.ALLOWED_HOSTS)}): every request for it gets a 400.",
            hint=f"Set DJANGO_ALLOWED_HOSTS={host} (a comma-separated list).",
            id="coursesite.W004",
        )
    ]


def log_serving_risks() -> None:
    """Log, when the server starts, what makes serving unsafe or silently broken."""
    if settings.DEBUG:
        logger.error(
            "DJANGO_DEBUG is on: error pages show settings, passwords typed into forms "
            "and every address of the site. Never serve people so."
        )
    key = settings.SECRET_KEY
    if len(key) < 50 or len(set(key)) < 5:
        logger.warning(
            "DJANGO_SECRET_KEY is short (%d characters): sessions and reset links are "
            "signed with it. Use 50 random characters or more.",
            len(key),
        )
    for found in emails_are_delivered(None) + site_host_is_allowed(None):
        logger.warning("%s %s", found.msg, found.hint)
