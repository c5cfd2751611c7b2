"""What an operator deploying the site is told (probe 52): the deploy checks, the lines
logged when the server starts, a host the site does not serve, the debug page's settings,
gunicorn's control socket."""

from __future__ import annotations

import io
import logging
import runpy
import uuid

import pytest
from django.conf import settings as django_settings
from django.core.checks import registry

from coursesite.checks import (
    emails_are_delivered,
    log_serving_risks,
    site_host_is_allowed,
)
from coursesite.logfilters import SettingsFilter

PRODUCTION = {
    "DEBUG": False,
    "SECRET_KEY": "k3y-" + "x7Qz" * 15,
    "SITE_URL": "https://courses.example.edu",
    "ALLOWED_HOSTS": ["courses.example.edu"],
    "EMAIL_BACKEND_PATH": "django.core.mail.backends.smtp.EmailBackend",
}


@pytest.fixture
def production(settings):
    for name, value in PRODUCTION.items():
        setattr(settings, name, value)
    return settings


def test_the_deploy_checks_are_registered():
    deploy = registry.registry.get_checks(include_deployment_checks=True)
    assert emails_are_delivered in deploy and site_host_is_allowed in deploy


def test_emails_printed_to_the_log_in_production_are_flagged(production):
    """Reset and invitation links went whole to the worker's log, with no warning."""
    assert emails_are_delivered(None) == []
    for backend in (
        "coursesite.mail.ConsoleEmailBackend",
        "django.core.mail.backends.console.EmailBackend",
        "django.core.mail.backends.locmem.EmailBackend",
    ):
        production.EMAIL_BACKEND_PATH = backend
        [warning] = emails_are_delivered(None)
        assert warning.id == "coursesite.W003" and backend in warning.msg
        assert "smtp.EmailBackend" in warning.hint
        assert "EMAIL_HOST (" in warning.hint  # the variable the settings read
    production.DEBUG = True  # a developer's machine prints them on purpose
    assert emails_are_delivered(None) == []


def test_a_site_address_the_site_does_not_serve_is_flagged(production):
    """Without DJANGO_ALLOWED_HOSTS every page was a 400, and check --deploy was clean."""
    assert site_host_is_allowed(None) == []
    production.ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]", "testserver"]
    [warning] = site_host_is_allowed(None)
    assert warning.id == "coursesite.W004"
    assert "courses.example.edu, the host of DJANGO_SITE_URL" in warning.msg
    assert warning.hint == "Set DJANGO_ALLOWED_HOSTS=courses.example.edu (a comma-separated list)."
    production.ALLOWED_HOSTS = [".example.edu"]  # a domain and its subdomains
    assert site_host_is_allowed(None) == []
    # Probe 54: an IPv6 address and a final dot are hosts the site serves, too.
    production.SITE_URL, production.ALLOWED_HOSTS = "https://[2001:db8::1]", ["[2001:db8::1]"]
    assert site_host_is_allowed(None) == []
    production.SITE_URL, production.ALLOWED_HOSTS = (
        "https://courses.example.edu.",
        ["courses.example.edu"],
    )
    assert site_host_is_allowed(None) == []


def test_the_server_logs_what_makes_serving_unsafe_when_it_starts(production, caplog):
    caplog.set_level(logging.WARNING, logger="coursesite.serving")
    log_serving_risks()
    assert caplog.records == []  # a proper production configuration: silence
    production.DEBUG = True
    production.SECRET_KEY = "x"
    log_serving_risks()
    production.DEBUG = False
    production.EMAIL_BACKEND_PATH = "coursesite.mail.ConsoleEmailBackend"
    production.ALLOWED_HOSTS = ["localhost"]
    log_serving_risks()
    logged = [(r.levelname, r.getMessage()) for r in caplog.records]
    assert logged[0][0] == "ERROR" and "DJANGO_DEBUG is on" in logged[0][1]
    assert logged[1] == (
        "WARNING",
        "DJANGO_SECRET_KEY is short (1 characters): sessions and reset links are signed "
        "with it. Use 50 random characters or more.",
    )
    assert "DJANGO_EMAIL_BACKEND is coursesite.mail.ConsoleEmailBackend" in logged[3][1]
    assert "courses.example.edu, the host of DJANGO_SITE_URL" in logged[4][1]


@pytest.mark.django_db
def test_a_host_the_site_does_not_serve_is_logged_once_in_one_line(client):
    """Routed to nothing, a missing DJANGO_ALLOWED_HOSTS answered 400 to everyone with
    nothing in the log; logged every time, scanners would fill it."""
    handlers = logging.getLogger("django.security.DisallowedHost").handlers
    [handler] = [h for h in handlers if h.name == "first_of_each"]
    written = io.StringIO()
    stream = handler.setStream(written)  # the configured handler, writing here for now
    for kept in handler.filters:  # this hour's count, which earlier tests of the process used
        if hasattr(kept, "MAX_PER_HOUR"):
            kept._this_hour = 0
    try:
        # Hosts of their own: each is logged once per process, whatever test came first.
        site, scanner = f"courses-{uuid.uuid4().hex}.example.edu", f"{uuid.uuid4().hex}.example"
        # Probe 54: the same host with a port or in capitals was a line more each.
        for host in (site, site, f"{site}:8443", site.upper(), scanner):
            assert client.get("/", HTTP_HOST=host).status_code == 400
    finally:
        handler.setStream(stream)
    err = written.getvalue()
    lines = [line for line in err.splitlines() if "Invalid HTTP_HOST" in line]
    assert len(lines) == 2, err
    assert " WARNING django.security.DisallowedHost: Invalid HTTP_HOST header: " in lines[0]
    assert f"'{site}'" in lines[0] and f"'{scanner}'" in lines[1]
    assert "Traceback" not in err


def test_hosts_by_the_thousand_are_logged_up_to_an_hourly_limit():
    """A scanner sending a new random host each time cannot fill the log."""
    from coursesite.logfilters import FirstOfEachAsWarning

    logged = FirstOfEachAsWarning()

    def record(host: str) -> logging.LogRecord:
        return logging.LogRecord(
            "django.security.DisallowedHost", logging.ERROR, __file__, 1,
            f"Invalid HTTP_HOST header: '{host}'. You may need to add it.", (), None,
        )  # fmt: skip

    let_through = [logged.filter(record(f"{n}.example")) for n in range(1000)]
    assert sum(let_through) == FirstOfEachAsWarning.MAX_PER_HOUR
    long_host = record("x" * 5000)
    fresh = FirstOfEachAsWarning()
    assert fresh.filter(long_host) and len(long_host.getMessage()) <= 301


def test_the_debug_page_hides_the_addresses_of_redis_and_the_database(settings):
    """Probe 52: with DEBUG on, the error page listed REDIS_URL and the cache's
    LOCATION with the Redis password."""
    assert (
        django_settings.DEFAULT_EXCEPTION_REPORTER_FILTER == "coursesite.logfilters.SettingsFilter"
    )
    secret = "redis://:hunter2@cache.internal:6379/0"
    settings.REDIS_URL = secret
    settings.CACHES = {"default": {"BACKEND": "x", "LOCATION": secret}}
    shown = SettingsFilter().get_safe_settings()
    assert "hunter2" not in repr(shown)
    assert shown["CACHES"]["default"]["BACKEND"] == "x"  # the rest still shows
    assert "hunter2" not in repr(shown["DATABASES"]) and "DATABASES" in shown


def test_gunicorn_opens_no_shared_control_socket_unless_given_a_path(monkeypatch):
    """gunicorn 25+ opened $HOME/.gunicorn/gunicorn.ctl: each instance of a user took
    another's, and in the image (HOME not writable) every start logged an error."""
    monkeypatch.delenv("GUNICORN_CONTROL_SOCKET", raising=False)
    config = runpy.run_path(str(django_settings.BASE_DIR / "gunicorn.conf.py"))
    assert config["control_socket_disable"] is True
    monkeypatch.setenv("GUNICORN_CONTROL_SOCKET", "/run/coursesite/gunicorn.ctl")
    config = runpy.run_path(str(django_settings.BASE_DIR / "gunicorn.conf.py"))
    assert config["control_socket_disable"] is False
    assert config["control_socket"] == "/run/coursesite/gunicorn.ctl"
