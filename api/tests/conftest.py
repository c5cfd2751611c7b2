"""Fixtures of the API's tests: the two courses of the permission matrix, and clients
that authenticate with a personal access token."""

from __future__ import annotations

import pytest
from django.test import Client

from access.tests.tenants import build_tenant
from accounts.tests.factories import UserFactory
from api.models import TokenScope
from api.tokens import token_create


def token_client(user, scope: str = TokenScope.WRITE) -> Client:
    """Return a client whose every request carries a new token of USER (None: no token)."""
    if user is None:
        return Client()
    _, secret = token_create(user=user, name=f"{user.username} test", scope=scope)
    return Client(headers={"Authorization": f"Bearer {secret}"})


@pytest.fixture
def world(db):
    a, b = build_tenant("Apple"), build_tenant("Banana")
    superuser = UserFactory(username="root", is_superuser=True, is_staff=True)
    return a, b, superuser
