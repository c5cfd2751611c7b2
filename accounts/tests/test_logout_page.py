"""The logout address typed in the browser shows the button that logs out."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def test_the_page_button_logs_out_with_its_csrf_token(bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    page = client.get(reverse("accounts:logout"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "Press the button to log out." in text and ">Log out</button>" in text
    assert client.get(reverse("lessons:dashboard")).status_code == 200  # GET logged nobody out
    # The page's own form: its token is the last one (the navbar's comes first).
    token = TOKEN_RE.findall(text)[-1]
    response = client.post(reverse("accounts:logout"), {"csrfmiddlewaretoken": token}, follow=True)
    assert not response.context["user"].is_authenticated
    assert "You have been logged out." in response.content.decode()


def test_a_post_from_elsewhere_logs_nobody_out(bob):
    client = Client(enforce_csrf_checks=True)
    client.force_login(bob)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 403
    assert client.get(reverse("lessons:dashboard")).status_code == 200


def test_a_visitor_not_logged_in_is_told_so(client):
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 200
    text = response.content.decode()
    assert "You are not logged in." in text and reverse("accounts:login") in text
    assert "Press the button" not in text
