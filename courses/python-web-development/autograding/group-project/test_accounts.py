"""Visitors sign up and log in (the brief: "visitors can sign up, log in")."""

import pytest
from django.conf import settings
from django.shortcuts import resolve_url

SIGN_UP_WORDS = ("signup", "sign-up", "sign_up", "register", "join")


@pytest.mark.django_db
def test_the_login_page_has_a_form(client):
    url = resolve_url(settings.LOGIN_URL)
    response = client.get(url)
    assert response.status_code == 200, f"The login page {url} answered {response.status_code}."
    assert 'type="password"' in response.content.decode(), f"{url} has no password field."


@pytest.mark.django_db
def test_a_member_logs_in(client, member):
    response = client.post(
        resolve_url(settings.LOGIN_URL),
        {"username": member.get_username(), "password": "member-pw-12345"},
    )
    assert response.status_code == 302, "Logging in with a right password did not redirect."
    assert "_auth_user_id" in client.session, "The member is not logged in afterwards."


@pytest.mark.django_db
def test_visitors_can_sign_up(client, plain_paths):
    pages = [path for path in plain_paths if any(w in path.lower() for w in SIGN_UP_WORDS)]
    assert pages, (
        "No sign-up page found: the brief asks that visitors can sign up "
        f"(looked for an address with {', '.join(SIGN_UP_WORDS)} in it)."
    )
    answers = {path: client.get(path) for path in pages}
    forms = [
        p
        for p, r in answers.items()
        if r.status_code == 200 and 'type="password"' in r.content.decode()
    ]
    assert forms, f"None of {', '.join(pages)} shows a form with a password field."
