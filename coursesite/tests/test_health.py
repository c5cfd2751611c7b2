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


@pytest.mark.django_db
def test_healthz_stays_one_query(client, django_assert_num_queries):
    with django_assert_num_queries(1):
        assert client.get(reverse("healthz")).status_code == 200


@pytest.mark.django_db
def test_healthz_answers_over_plain_http_when_pages_redirect_to_https(client, settings):
    settings.SECURE_SSL_REDIRECT = True
    assert client.get(reverse("home")).status_code == 301
    assert client.get(reverse("healthz")).status_code == 200
