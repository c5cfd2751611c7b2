"""The client's address, as the proxies in front of the site saw it: one rule for every
throttle (logins, sign-ups, password resets, enrollment keys, the API).

Behind ``TRUSTED_PROXIES`` reverse proxies (``AXES_PROXY_COUNT``), each appending to
``X-Forwarded-For`` the address that connected to it, the client's address is the
N-th from the right: what the client itself sent sits further left and is never read.
With no proxy, ``REMOTE_ADDR``. Without this, every visitor behind a proxy shared the
proxy's address (axes reads ``REMOTE_ADDR`` unless django-ipware is installed), and
fifty wrong passwords on made-up names locked the whole site's login.
"""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """Return REQUEST's client address (see the module's docstring)."""
    remote = request.META.get("REMOTE_ADDR", "")
    proxies = settings.TRUSTED_PROXIES
    if not proxies:
        return remote
    forwarded = [
        address.strip()
        for address in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
        if address.strip()
    ]
    if len(forwarded) < proxies:
        return remote  # not through all the proxies: what connected is all we know
    candidate = forwarded[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        return remote
