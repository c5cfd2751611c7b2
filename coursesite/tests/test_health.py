"""/healthz: what Docker's HEALTHCHECK and load balancers ask every 30 s."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from .test_site import run_python


def test_healthz_reports_503_on_a_database_never_migrated(tmp_path):
    # The database answers SELECT 1, yet every page would fail: not healthy.
    code = (
        "import django; django.setup();"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(r.status_code, r.content.decode())"
    )
    database = f"sqlite:///{tmp_path / 'empty.sqlite3'}"
    result = run_python(code, {"DATABASE_URL": database, "DJANGO_SECURE_SSL_REDIRECT": "0"})
    status, body = result.stdout.strip().split(" ", 1)
    assert status == "503", result.stderr
    assert json.loads(body) == {"status": "error", "database": "unavailable"}
    assert "no such table" in result.stderr  # logged, for whoever reads why


def test_healthz_reports_503_while_migrations_are_pending(tmp_path):
    # New code before `migrate`: its tables are missing, so pages that use them fail.
    code = (
        "import django; django.setup();"
        "from django.core.management import call_command;"
        "call_command('migrate', verbosity=0);"
        "call_command('migrate', 'lessons', '0009', verbosity=0);"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(r.status_code, r.content.decode())"
    )
    database = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    result = run_python(code, {"DATABASE_URL": database, "DJANGO_SECURE_SSL_REDIRECT": "0"})
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    assert status == "503", result.stderr
    assert json.loads(body) == {"status": "error", "database": "not migrated"}


@pytest.mark.django_db
def test_healthz_stays_one_query(client, django_assert_num_queries):
    assert client.get(reverse("healthz")).status_code == 200  # migrations read once
    with django_assert_num_queries(1):
        assert client.get(reverse("healthz")).status_code == 200


@pytest.mark.django_db
def test_healthz_answers_over_plain_http_when_pages_redirect_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("home")).status_code == 301
    assert client.get(reverse("healthz")).status_code == 200
