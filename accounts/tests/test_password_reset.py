"""Password reset: limited per email address and per network address, sent by the worker,
and answered alike whether an account exists, and whether the request was over a limit."""

from __future__ import annotations

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.models import ThrottleCount
from accounts.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
QUEUED = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
CLASSROOM = "192.0.2.10"
HOME = "198.51.100.7"
DONE = reverse("accounts:password_reset_done")


def ask(email: str, address: str = CLASSROOM):
    return Client().post(reverse("accounts:password_reset"), {"email": email}, REMOTE_ADDR=address)


def answer(response) -> tuple:
    return response.status_code, response["Location"]


def sent_to() -> list[str]:
    return [message.to[0] for message in mail.outbox]


@pytest.fixture
def sent_at_once(settings):
    settings.TASKS = IMMEDIATE  # the worker's part runs within the request


def test_a_burst_for_one_email_sends_a_few_and_answers_every_request_alike(
    sent_at_once, bob, charlie
):
    answers = {answer(ask("bob@example.org")) for _ in range(12)}
    assert answers == {(302, DONE)}  # the 4th to 12th are refused, and look the same
    assert sent_to() == ["bob@example.org"] * 3
    # However the address is typed, it is the same one, counted together.
    assert answer(ask(" BOB@Example.org ", address=HOME)) == (302, DONE)
    assert len(mail.outbox) == 3
    # Another person asking from the same network is not affected.
    assert answer(ask("charlie@example.org")) == (302, DONE)
    assert sent_to()[3:] == ["charlie@example.org"]


def test_many_emails_from_one_address_are_limited_per_address(sent_at_once, settings, bob):
    settings.PASSWORD_RESET_ADDRESS_LIMIT = 5
    for n in range(5):  # made-up addresses count too: being refused tells nothing
        assert answer(ask(f"guess{n}@example.org")) == (302, DONE)
    assert answer(ask("bob@example.org")) == (302, DONE)
    assert mail.outbox == []
    assert answer(ask("bob@example.org", address=HOME)) == (302, DONE)
    assert sent_to() == ["bob@example.org"]


def test_requests_are_counted_once_for_every_worker(sent_at_once, bob):
    # Without Redis each worker has a cache of its own, as empty as this one after
    # clear(): counted there, five workers would send five times the limit.
    for _ in range(5):
        assert answer(ask("bob@example.org")) == (302, DONE)
        cache.clear()
    assert sent_to() == ["bob@example.org"] * 3
    keys = list(ThrottleCount.objects.values_list("key", flat=True))
    assert any(key.startswith("reset-email:") for key in keys)
    assert not any("bob" in key for key in keys)  # a keyed hash, not the address


@pytest.mark.django_db(transaction=True)
def test_the_request_only_queues_the_same_work_for_accounts_and_made_up_addresses(settings):
    settings.TASKS = QUEUED
    UserFactory(username="bob")
    queries = {}
    # Each from an address of its own, each address's first request: counted alike.
    for email, address in (("bob@example.org", CLASSROOM), ("nobody@example.org", HOME)):
        with CaptureQueriesContext(connection) as captured:
            assert answer(ask(email, address)) == (302, DONE)
        queries[email] = [query["sql"] for query in captured.captured_queries]
    # No lookup of the account in the request, no email sent while it waits: what it
    # does (and so how long it takes) is the same whether the address has an account.
    assert len(queries["bob@example.org"]) == len(queries["nobody@example.org"])
    assert not any("accounts_user" in sql for sql in queries["bob@example.org"])
    assert mail.outbox == []
    assert DBTaskResult.objects.filter(status="READY").count() == 2

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    assert sent_to() == ["bob@example.org"]


@pytest.mark.django_db(transaction=True)
def test_requests_over_the_limit_queue_nothing(settings):
    settings.TASKS = QUEUED
    settings.PASSWORD_RESET_EMAIL_LIMIT = 2
    UserFactory(username="bob")
    for _ in range(5):
        assert answer(ask("bob@example.org")) == (302, DONE)
    assert DBTaskResult.objects.count() == 2


def reset_path(message) -> str:
    import re

    return re.search(r"https?://[^/]+(/accounts/\S+)", message.body).group(1)


def set_new_password(path: str, password: str):
    """Open the link at PATH in a new browser and choose PASSWORD; return the answer."""
    owner = Client()
    landing = owner.get(path, follow=True)
    form_url = landing.redirect_chain[-1][0] if landing.redirect_chain else path
    return owner.post(form_url, {"new_password1": password, "new_password2": password})


def can_log_in(username: str, password: str) -> bool:
    login = {"username": username, "password": password}
    return Client().post(reverse("accounts:login"), login).status_code == 302


def test_whoever_made_an_account_with_an_address_cannot_end_its_owners_reset_links(
    sent_at_once, settings
):
    """Probe 17: the account's maker asked for the three resets an address gets an hour
    (to the victim's mailbox), then logged in and changed the password: every link died,
    and the owner's own request was over the limit: no way in, hour after hour."""
    squatter = UserFactory(username="squat", email="victim@example.org", email_confirmed=False)
    squatter.set_password("Squatter-pass-1")
    squatter.save()
    for _ in range(3):
        ask("victim@example.org", HOME)
    assert sent_to() == ["victim@example.org"] * 3
    links = [reset_path(message) for message in mail.outbox]
    session = Client()
    assert (
        session.post(
            reverse("accounts:login"), {"username": "squat", "password": "Squatter-pass-1"}
        ).status_code
        == 302
    )
    session.post(
        reverse("accounts:password_change"),
        {
            "old_password": "Squatter-pass-1",
            "new_password1": "Squatter-pass-2",
            "new_password2": "Squatter-pass-2",
        },
    )
    assert can_log_in("squat", "Squatter-pass-2")
    assert answer(ask("victim@example.org")) == (302, DONE)  # over the limit: nothing sent
    assert len(mail.outbox) == 3

    # The links in the mailbox still work; the first one used confirms the address and
    # ends the others, and whoever made the account is out.
    response = set_new_password(links[1], "Owner-chose-42")
    assert response.status_code == 302, response.content.decode()[:3000]
    squatter.refresh_from_db()
    assert squatter.email_confirmed
    assert can_log_in("squat", "Owner-chose-42") and not can_log_in("squat", "Squatter-pass-2")
    assert "invalid or was already used" in Client().get(links[0], follow=True).content.decode()


def test_a_confirmed_accounts_reset_link_still_ends_when_it_logs_in(sent_at_once, bob):
    """Django's rule for everyone else: a link dies once its account logs in."""
    ask(bob.email)
    [message] = mail.outbox
    from accounts.tests.factories import PASSWORD

    assert can_log_in(bob.username, PASSWORD)
    assert (
        "invalid or was already used"
        in Client().get(reset_path(message), follow=True).content.decode()
    )
