"""gunicorn's access log keeps no reset or invitation token, nor what instructors
searched for in the back office (probe 72: a logged reset link still set the password
of an account whose owner had opened it and given up)."""

from __future__ import annotations

import runpy
from datetime import timedelta
from types import SimpleNamespace

import pytest
from django.conf import settings
from gunicorn.config import Config

from coursesite.accesslog import redacted

TOKEN = "cz8p1k-4b1f2a9e0c7d3e5f6a8b9c0d1e2f3a4b"


@pytest.mark.parametrize(
    ("address", "kept"),
    [
        (f"/accounts/password/reset/Mw/{TOKEN}/", "/accounts/password/reset/Mw/…/"),
        (f"/accounts/welcome/MTI/{TOKEN}/", "/accounts/welcome/MTI/…/"),
        (f"/accounts/confirm/MTI/{TOKEN}/?next=/x", "/accounts/confirm/MTI/…/?next=/x"),
        (
            f"https://courses.example.edu/accounts/welcome/MTI/{TOKEN}/",
            "https://courses.example.edu/accounts/welcome/MTI/…/",
        ),
        (
            f"/accounts/login/?next=%2Faccounts%2Fwelcome%2FMTI%2F{TOKEN}%2F",
            "/accounts/login/?next=%2Faccounts%2Fwelcome%2FMTI%2F…%2F",
        ),
        # Django's next step holds no token: it stays readable.
        ("/accounts/password/reset/Mw/set-password/", "/accounts/password/reset/Mw/set-password/"),
        ("/admin/accounts/user/?q=zo%C3%AB%40example.org", "/admin/accounts/user/?q=…"),
        (
            "/admin/lessons/enrollment/?course=3&q=M%C3%BCller&o=1",
            "/admin/lessons/enrollment/?course=3&q=…&o=1",
        ),
        # The back office's pickers and the API's lookup by address (probe 115).
        (
            "/admin/autocomplete/?term=zoe%40example.org&app_label=lessons&model_name=x",
            "/admin/autocomplete/?term=…&app_label=lessons&model_name=x",
        ),
        (
            "/api/v1/enrollments/?course=1&email=zoe%40example.org",
            "/api/v1/enrollments/?course=1&email=…",
        ),
        (
            "https://courses.example.edu/api/v1/enrollments/?email=zoe@example.org&course=1",
            "https://courses.example.edu/api/v1/enrollments/?email=…&course=1",
        ),
        # ... and inside the login page's ?next= when the session had ended (probe 116).
        (
            "/admin/login/?next=/admin/autocomplete/%3Fterm%3Doscar%2540x.org%26model_name%3Dy",
            "/admin/login/?next=/admin/autocomplete/%3Fterm%3D…%26model_name%3Dy",
        ),
        (
            "/accounts/login/?next=/api/v1/enrollments/%3Fcourse%3D1%26email%3Dzoe%2540x.org",
            "/accounts/login/?next=/api/v1/enrollments/%3Fcourse%3D1%26email%3D…",
        ),
        # Each time it comes, under any spelling of its name (probe 116).
        ("/admin/accounts/user/?q=bob&o=1&q=zoe", "/admin/accounts/user/?q=…&o=1&q=…"),
        (
            "/api/v1/enrollments/?e%6Dail=zoe%40x.org&course=1",
            "/api/v1/enrollments/?e%6Dail=…&course=1",
        ),
        (
            "/admin/accounts/user/?email__exact=zoe%40x.org&user__EMAIL__iexact=a%40b.c",
            "/admin/accounts/user/?email__exact=…&user__EMAIL__iexact=…",
        ),
        (
            "/admin/login/?next=/admin/accounts/user/%3Fq%3Dbob%26q%3Dzoe",
            "/admin/login/?next=/admin/accounts/user/%3Fq%3D…%26q%3D…",
        ),
        ("GET /admin/accounts/user/?q=bob HTTP/1.1", "GET /admin/accounts/user/?q=… HTTP/1.1"),
        # The back office's links keep the list's search, encoded (probe 120), and a
        # login page's next= holds it twice encoded; an encoded "&" inside a search.
        (
            "/admin/accounts/user/18/change/?_changelist_filters=q%3DGina%2BGrader",
            "/admin/accounts/user/18/change/?_changelist_filters=q%3D…",
        ),
        (
            "/admin/x/1/change/?_changelist_filters=o%3D1%26q%3Dbob%26p%3D2&_popup=1",
            "/admin/x/1/change/?_changelist_filters=o%3D1%26q%3D…%26p%3D2&_popup=1",
        ),
        (
            "/admin/login/?next=/admin/accounts/user/5/change/"
            "%3F_changelist_filters%3Dq%253DBob%2526o%253D1",
            "/admin/login/?next=/admin/accounts/user/5/change/"
            "%3F_changelist_filters%3Dq%253D…%2526o%253D1",
        ),
        (
            "/admin/lessons/enrollment/2/change/?_changelist_filters=e%6Dail%3Dx%40ex.org",
            "/admin/lessons/enrollment/2/change/?_changelist_filters=e%6Dail%3D…",
        ),
        ("/admin/accounts/user/?q=Bob%26Smith&o=1", "/admin/accounts/user/?q=…&o=1"),
        # Filters on a name typed into the address by hand (probe 122).
        (
            "/admin/accounts/user/?last_name=Student&first_name__startswith=Bo&is_staff=1",
            "/admin/accounts/user/?last_name=…&first_name__startswith=…&is_staff=1",
        ),
        (
            "/admin/projects/group/?group_name=Team%20Rocket&username=bob",
            "/admin/projects/group/?group_name=…&username=…",
        ),
        (
            "/admin/x/?user__display_name__icontains=Bo&filename=a.zip&namespace=n&sort_name=b",
            "/admin/x/?user__display_name__icontains=…&filename=a.zip&namespace=n&sort_name=…",
        ),
        # Everything else as it was.
        ("/search/?q=flask", "/search/?q=flask"),
        ("/courses/python-web/flask-routes/", "/courses/python-web/flask-routes/"),
    ],
)
def test_secrets_and_searches_are_hidden_in_logged_addresses(address, kept):
    assert redacted(address) == kept


def test_the_servers_access_log_writes_no_token(tmp_path, monkeypatch):
    monkeypatch.delenv("GUNICORN_ACCESS_LOG", raising=False)
    config = Config()
    for name, value in runpy.run_path(str(settings.BASE_DIR / "gunicorn.conf.py")).items():
        if name in config.settings:
            config.set(name, value)
    log = tmp_path / "access.log"
    config.set("accesslog", str(log))
    logger = config.logger_class(config)
    path, query = f"/accounts/password/reset/Mw/{TOKEN}/", "next=/admin/"
    logger.access(
        SimpleNamespace(status="302 Found", sent=0, headers=[]),
        SimpleNamespace(headers=[("REFERER", f"https://mail.example.org/?u={path}")]),
        {
            "REQUEST_METHOD": "GET",
            "RAW_URI": f"{path}?{query}",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "203.0.113.9",
            "HTTP_REFERER": f"https://mail.example.org/?u={path}",
            "HTTP_USER_AGENT": "Mail scanner",
        },
        timedelta(milliseconds=12),
    )
    for handler in logger.access_log.handlers:
        handler.flush()
    line = log.read_text()
    assert '"GET /accounts/password/reset/Mw/…/?next=/admin/ HTTP/1.1" 302' in line
    assert "203.0.113.9" in line and "Mail scanner" in line
    assert TOKEN not in line


def test_the_sites_own_log_lines_hide_tokens_too(client, caplog):
    """Probe 76: Django's "Method Not Allowed: /accounts/password/reset/<uid>/<token>/"
    wrote the token in the site's log."""
    import logging

    from coursesite.logfilters import SecretsHidden

    record = logging.LogRecord(
        "django.request", logging.WARNING, __file__, 1, "Method Not Allowed: %s",
        (f"/accounts/password/reset/Mw/{TOKEN}/",), None,
    )  # fmt: skip
    assert SecretsHidden().filter(record)
    assert record.getMessage() == "Method Not Allowed: /accounts/password/reset/Mw/…/"
    assert TOKEN not in record.getMessage()
