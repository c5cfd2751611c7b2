"""Failed logins lock the account however it was typed, and an address after more of them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

CLASSROOM = "192.0.2.10"
HOME = "198.51.100.7"
# Five ways to type bob's account: case, surrounding spaces, the email address.
BOB_TYPED = ["bob", "BOB", "  Bob  ", "bob@example.org", " BOB@Example.ORG "]
LOCKED_ACCOUNT = "logging in to this account is paused"
LOCKED_ADDRESS = "logging in from your network is paused"


def login(client, username, password=PASSWORD, address=CLASSROOM):
    return client.post(
        reverse("accounts:login"),
        {"username": username, "password": password},
        REMOTE_ADDR=address,
    )


def text(response) -> str:
    return response.content.decode().replace("\xa0", " ")


def lock_bob(client, address=CLASSROOM):
    responses = [login(client, typed, "wrong", address) for typed in BOB_TYPED]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]
    return responses[-1]


def test_failures_typed_five_ways_lock_the_account(client, bob, settings):
    assert settings.AXES_FAILURE_LIMIT == len(BOB_TYPED)
    first = login(client, BOB_TYPED[0], "wrong")
    assert "do not match an account" in text(first)
    for typed in BOB_TYPED[1:-1]:
        login(client, typed, "wrong")
    assert login(client, BOB_TYPED[-1], "wrong").status_code == 429

    response = login(client, "bob")  # the right password is refused too now
    assert response.status_code == 429
    page = text(response)
    assert "Too many failed login attempts" in page
    assert LOCKED_ACCOUNT in page
    assert "Wait 15 minutes, then try again." in page
    assert "PT15M" not in page
    assert "_auth_user_id" not in client.session


def test_the_lock_follows_the_account_to_every_address(client, bob):
    lock_bob(client, CLASSROOM)
    response = login(client, "bob@example.org", address=HOME)
    assert response.status_code == 429
    assert LOCKED_ACCOUNT in text(response)
    assert "_auth_user_id" not in client.session


def test_other_accounts_at_that_address_log_in_until_the_address_limit(
    client, bob, charlie, settings
):
    settings.AXES_IP_FAILURE_LIMIT = 8
    lock_bob(client, CLASSROOM)  # 5 failures from the classroom
    assert login(client, "charlie").status_code == 302  # a classmate is not locked out
    client.logout()
    assert login(client, "dora", "wrong").status_code == 200
    assert login(client, "erin", "wrong").status_code == 200
    response = login(client, "frank", "wrong")  # the address's 8th failure
    assert response.status_code == 429
    assert LOCKED_ADDRESS in text(response)

    response = login(client, "charlie")
    assert response.status_code == 429
    assert LOCKED_ADDRESS in text(response)
    assert login(client, "charlie", address=HOME).status_code == 302  # elsewhere: fine


def test_a_successful_login_forgets_the_accounts_failures(client, bob):
    for typed in BOB_TYPED[:-1]:
        assert login(client, typed, "wrong").status_code == 200
    assert login(client, "Bob@Example.org", address=HOME).status_code == 302
    client.logout()
    for typed in BOB_TYPED[:-1]:  # four more: the count started again
        assert login(client, typed, "wrong").status_code == 200
    assert login(client, BOB_TYPED[-1], "wrong").status_code == 429


def test_a_successful_login_does_not_forget_the_addresss_failures(client, bob, settings):
    settings.AXES_IP_FAILURE_LIMIT = 4
    for name in ["dora", "erin", "frank"]:
        assert login(client, name, "wrong").status_code == 200
    assert login(client, "bob").status_code == 302  # one's own account: no reset for others
    client.logout()
    assert login(client, "gina", "wrong").status_code == 429


def test_unknown_accounts_are_locked_alike_and_the_page_tells_nothing_more(client, bob):
    bob_page = text(lock_bob(client))
    responses = [login(client, typed, "wrong") for typed in ["nobody", "NOBODY ", "Nobody"] * 2]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429, 429]
    nobody_page = text(responses[-1])
    strip = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')
    assert strip.sub("", nobody_page) == strip.sub("", bob_page)


def test_tries_while_locked_neither_count_nor_push_the_lock_back(client, bob, settings):
    lock_bob(client)
    for _ in range(10):
        assert login(client, "bob", "wrong", address=HOME).status_code == 429
    attempts = AccessAttempt.objects.filter(username="bob")
    assert sum(attempts.values_list("failures_since_start", flat=True)) == 5
    assert sum(len(a.post_data) for a in attempts) < 5_000  # the rows do not grow
    # Once the cool-off has passed since the last counted failure, the right password works.
    attempts.update(attempt_time=timezone.now() - settings.AXES_COOLOFF_TIME - timedelta(1))
    assert login(client, "bob").status_code == 302


def test_resetting_the_password_unlocks_the_account(client, bob, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    lock_bob(client)
    client.post(reverse("accounts:password_reset"), {"email": "bob@example.org"})
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": "Fresh-pass-42", "new_password2": "Fresh-pass-42"})
    assert login(client, "bob", "Fresh-pass-42").status_code == 302


@pytest.mark.parametrize(
    ("username", "password", "message"),
    [
        ("", PASSWORD, "Enter username or email."),
        ("   ", PASSWORD, "Enter username or email."),
        ("bob", "", "Enter password."),
        ("b" * 10_000, PASSWORD, "Keep username or email to 254 characters or fewer"),
        ("bob\x00", PASSWORD, "invisible control character (NUL, U+0000)"),
        ("bob", "pass\x00word", "invisible control character (NUL, U+0000)"),
        ("bob' OR '1'='1", PASSWORD, "do not match an account"),
        ("<script>alert(1)</script>", PASSWORD, "do not match an account"),
        ("ｂｏｂ", PASSWORD, "do not match an account"),  # fullwidth letters: not bob
        ("@", PASSWORD, "do not match an account"),
        ("bob@", "x" * 100_000, "do not match an account"),
    ],
)
def test_hostile_login_values_are_refused_with_a_message(client, bob, username, password, message):
    response = login(client, username, password)
    assert response.status_code == 200
    assert message in text(response)
    assert "<script>alert(1)</script>" not in text(response)
    assert "_auth_user_id" not in client.session
    assert AccessAttempt.objects.filter(username="bob").count() == 0  # not bob's failures


def test_the_lockout_says_any_wait_in_words_never_as_an_iso_duration(client, bob, settings):
    settings.AXES_COOLOFF_TIME = timedelta(minutes=90)
    page = text(lock_bob(client))
    assert "Wait 1 hour, 30 minutes, then try again." in page
    assert "PT1H30M" not in page and "1:30:00" not in page
