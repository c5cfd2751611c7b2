"""/healthz: what Docker's HEALTHCHECK and load balancers ask every 30 s."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from django.urls import reverse

from .test_site import run_python


def healthz_in_a_new_process(database: Path, before: str = "") -> tuple[str, dict, str]:
    """Run BEFORE (statements) on the SQLite DATABASE, then ask /healthz, in a process of
    its own (healthz remembers a complete migration): (status, body, stderr)."""
    code = (
        "import django; django.setup();"
        "from django.core.management import call_command;"
        f"{before}"
        "from django.test import Client;"
        "r = Client().get('/healthz');"
        "print(r.status_code, r.content.decode())"
    )
    env = {"DATABASE_URL": f"sqlite:///{database}", "DJANGO_SECURE_SSL_REDIRECT": "0"}
    result = run_python(code, env)
    status, body = result.stdout.strip().splitlines()[-1].split(" ", 1)
    return status, json.loads(body), result.stderr


def test_healthz_reports_503_on_a_database_never_migrated(tmp_path):
    # The database answers SELECT 1, yet every page would fail: not healthy.
    status, body, stderr = healthz_in_a_new_process(tmp_path / "empty.sqlite3")
    assert status == "503", stderr
    assert body == {"status": "error", "database": "unavailable"}
    assert "no such table" in stderr  # logged, for whoever reads why


def test_healthz_reports_503_while_migrations_are_pending(tmp_path):
    # New code before `migrate`: its tables are missing, so pages that use them fail.
    status, body, stderr = healthz_in_a_new_process(
        tmp_path / "behind.sqlite3",
        "call_command('migrate', verbosity=0);"
        "call_command('migrate', 'lessons', '0009', verbosity=0);",
    )
    assert status == "503", stderr
    assert body == {"status": "error", "database": "not migrated"}


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
