"""Revoking a token twice (a double click, or Back then Revoke) says it is done already."""

from __future__ import annotations

import pytest
from django.urls import reverse

from api.models import PersonalAccessToken
from api.tokens import token_create

pytestmark = pytest.mark.django_db


def revoke(client, token_pk: int, **extra):
    return client.post(reverse("accounts:token_revoke", args=[token_pk]), **extra)


def test_a_second_revoke_shows_the_profile_saying_it_was_done(client, bob):
    token, _ = token_create(user=bob, name="roster sync", scope="read")
    client.force_login(bob)
    first = revoke(client, token.pk, follow=True)
    assert "Token “roster sync” revoked" in first.content.decode()
    second = revoke(client, token.pk)
    assert second.status_code == 200
    page = second.content.decode()
    assert "This token was already revoked." in page
    assert 'id="token-form"' in page  # the profile page, its forms working
    assert not PersonalAccessToken.objects.filter(pk=token.pk).exists()


def test_another_persons_token_is_still_a_page_that_does_not_exist(client, bob, charlie):
    theirs, _ = token_create(user=charlie, name="charlie's", scope="read")
    mine, _ = token_create(user=bob, name="mine", scope="read")
    client.force_login(bob)
    revoke(client, mine.pk)
    assert revoke(client, theirs.pk).status_code == 404
    assert PersonalAccessToken.objects.filter(pk=theirs.pk).exists()


def test_a_token_its_owner_revoked_is_no_page_for_anyone_else(client, bob, charlie):
    theirs, _ = token_create(user=charlie, name="charlie's", scope="read")
    charlie_client = client.__class__()
    charlie_client.force_login(charlie)
    assert revoke(charlie_client, theirs.pk).status_code == 302
    assert revoke(charlie_client, theirs.pk).status_code == 200  # his own, revoked already
    client.force_login(bob)
    assert revoke(client, theirs.pk).status_code == 404
    assert revoke(client, 999_999_999).status_code == 404
