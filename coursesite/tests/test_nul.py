"""A NUL character in the address or a cookie: refused or dropped, never a 500.

PostgreSQL stores no NUL in text: before coursesite.middleware.NulCharacterMiddleware, a
back-office filter, an autocomplete term or a session cookie holding one reached a query
and answered 500 there (found by probing the site on PostgreSQL from outside).
"""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client

from access.tests.tenants import build_tenant

pytestmark = pytest.mark.django_db

FILTERS = [
    "/admin/grading/review/?status__exact=%00",
    "/admin/grading/regraderequest/?status__exact=%00",
    "/admin/lessons/enrollment/?role__exact=%00",
    "/admin/lessons/course/?term=a%00b",
    "/admin/projects/submission/?group_name=%00",
    "/admin/autocomplete/?app_label=lessons&model_name=enrollment&field_name=user&term=%00",
]


@pytest.fixture
def apple(db):
    return build_tenant("Apple")


@pytest.mark.parametrize("url", FILTERS)
def test_a_nul_in_a_back_office_address_is_a_bad_request(client, apple, url):
    client.force_login(apple.instructor)
    response = client.get(url)
    assert response.status_code == 400
    assert "Bad request" in response.content.decode()
    # As every page: no framing, and the site's content policy (they were missing here).
    assert response["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
    assert client.get(url.replace("%00", "x")).status_code == 200  # the same without it


def test_a_nul_in_an_api_address_is_a_problem_document(apple):
    client = Client()
    client.force_login(apple.instructor)
    response = client.get("/api/v1/submissions/?group=%00")
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert response.json()["status"] == 400


@pytest.mark.parametrize("path", ["/", "/dashboard/", "/healthz", "/accounts/login/"])
def test_a_session_cookie_with_a_nul_is_dropped_and_the_visitor_is_anonymous(path):
    client = Client()
    client.cookies[settings.SESSION_COOKIE_NAME] = "abcdefgh\x00ijklmnop"
    response = client.get(path)
    assert response.status_code in (200, 302)
    if path == "/dashboard/":
        assert response["Location"].startswith("/accounts/login/")


def test_the_other_cookies_survive_a_cookie_with_a_nul(apple):
    client = Client()
    client.force_login(apple.student)
    client.cookies["planted"] = "x\x00y"
    response = client.get("/dashboard/")
    assert response.status_code == 200  # still logged in
    assert apple.student.username in response.content.decode()


def test_an_address_for_another_host_is_refused_with_the_security_headers(settings):
    # SecurityMiddleware refused it before any header was added: a 400 with none.
    settings.ALLOWED_HOSTS = ["courses.example.org"]
    settings.SECURE_SSL_REDIRECT = True
    response = Client(HTTP_HOST="evil.example.com").get("/dashboard/")
    assert response.status_code == 400
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Referrer-Policy"] == "same-origin"
    assert "frame-ancestors 'none'" in response["Content-Security-Policy"]
