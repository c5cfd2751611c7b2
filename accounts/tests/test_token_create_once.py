"""Creating an API token is Post/Redirect/Get: a reload makes no other token, and the
secret shows on the one page after the redirect (probe 46)."""

from __future__ import annotations

import re

import pytest
from django.contrib.messages import get_messages
from django.urls import reverse

from api.models import PersonalAccessToken

pytestmark = pytest.mark.django_db

SECRET = re.compile(r'<code class="user-select-all">([^<]+)</code>')


def create(client):
    data = {"name": "marks export", "scope": "read", "lifetime": 30}
    return client.post(reverse("accounts:token_create"), data)


def test_the_secret_shows_once_after_the_redirect(client, bob):
    client.force_login(bob)
    response = create(client)
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('accounts:profile')}#new-token"

    shown = client.get(response["Location"])
    secret = SECRET.search(shown.content.decode()).group(1)
    token = PersonalAccessToken.objects.get(user=bob)
    assert secret.startswith(token.prefix) and len(secret) > 40
    assert "no-store" in shown["Cache-Control"]  # no browser or proxy keeps a copy

    again = client.get(reverse("accounts:profile")).content.decode()
    assert secret not in again and not SECRET.search(again)
    assert token.prefix in again  # listed by its prefix
    assert PersonalAccessToken.objects.filter(user=bob).count() == 1


def test_the_secret_is_in_no_url_nor_message(client, bob):
    client.force_login(bob)
    response = create(client)
    said = [str(message) for message in get_messages(response.wsgi_request)]
    assert said == ["Token “marks export” created. Copy it now."]
    secret = SECRET.search(client.get(response["Location"]).content.decode()).group(1)
    assert secret not in response["Location"] and not any(secret in m for m in said)


def test_the_token_form_is_sent_once(client, bob):
    client.force_login(bob)
    page = client.get(reverse("accounts:profile")).content.decode()
    form = re.search(r'<form[^>]* id="token-form"[^>]*>', page).group()
    assert 'data-once="Creating…"' in form
