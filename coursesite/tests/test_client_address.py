"""Every throttle reads the client's address one way: behind proxies, the one they saw."""

from __future__ import annotations

import pytest
from django.test import RequestFactory
from django.urls import reverse

from coursesite.clientip import client_ip

PROXY = "10.0.0.2"
ALICE_HOME, BOB_HOME = "203.0.113.9", "198.51.100.77"


def address(settings, proxies: int, remote: str, forwarded: str | None = None) -> str:
    settings.TRUSTED_PROXIES = proxies
    headers = {} if forwarded is None else {"HTTP_X_FORWARDED_FOR": forwarded}
    return client_ip(RequestFactory().get("/", REMOTE_ADDR=remote, **headers))


def test_with_no_proxy_the_header_a_client_sends_is_never_read(settings):
    assert address(settings, 0, ALICE_HOME, forwarded="1.2.3.4") == ALICE_HOME


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (1, ALICE_HOME, ALICE_HOME),  # nginx appends who connected to it
        (1, f"6.6.6.6, {ALICE_HOME}", ALICE_HOME),  # the client's own claim is left of it
        (2, f"6.6.6.6, {ALICE_HOME}, 10.0.0.1", ALICE_HOME),  # a balancer, then nginx
        (1, None, PROXY),  # no header: what connected is all that is known
        (2, ALICE_HOME, PROXY),  # fewer hops than proxies: not through them all
        (1, "not-an-address", PROXY),
        (1, "2001:DB8::1", "2001:db8::1"),
    ],
)
def test_behind_proxies_the_address_they_saw_counts(settings, proxies, forwarded, expected):
    assert address(settings, proxies, PROXY, forwarded) == expected


@pytest.mark.django_db
def test_behind_a_proxy_one_visitor_s_failures_lock_out_only_that_visitor(client, bob, settings):
    # Read as the proxy's address, fifty wrong passwords on made-up names locked the
    # whole site's login, the right password included, for 15 minutes.
    settings.TRUSTED_PROXIES = 1
    settings.AXES_IP_FAILURE_LIMIT = 4
    url = reverse("accounts:login")

    def login(username, password, visitor):
        return client.post(
            url,
            {"username": username, "password": password},
            REMOTE_ADDR=PROXY,
            HTTP_X_FORWARDED_FOR=visitor,
        )

    for name in ("ghost1", "ghost2", "ghost3"):
        assert login(name, "wrong", ALICE_HOME).status_code == 200
    assert login("ghost4", "wrong", ALICE_HOME).status_code == 429
    # A made-up address on the left does not escape the lock.
    assert login("ghost5", "wrong", f"6.6.6.6, {ALICE_HOME}").status_code == 429
    from accounts.tests.factories import PASSWORD

    assert login("bob", PASSWORD, BOB_HOME).status_code == 302
