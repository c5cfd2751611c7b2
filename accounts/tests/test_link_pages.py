"""A reset or invitation link that does not work says so in its title and its heading,
and says what to do."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.invitations import invitation_url

from .test_invitations import invited_person

pytestmark = pytest.mark.django_db


def title_and_h1(client, path: str) -> tuple[str, str, str]:
    response = client.get(path, follow=True)
    page = response.content.decode()
    title = re.search(r"<title>(.*?) · ", page).group(1)
    h1 = re.findall(r"<h1[^>]*>(.*?)</h1>", page, re.S)
    assert len(h1) == 1, h1
    return title, h1[0].strip(), page


def test_a_bad_reset_link_says_it_does_not_work_and_how_to_get_another(client, bob):
    path = reverse("accounts:password_reset_confirm", args=["MQ", "bad-token"])
    title, h1, page = title_and_h1(client, path)
    assert title == h1 == "This reset link does not work"
    assert "Ask for a new one" in page and 'name="new_password1"' not in page


@pytest.mark.parametrize(
    ("age", "heading", "advice"),
    [
        (timedelta(days=15), "This invitation has expired", "Ask for a new one"),
        (None, "This invitation link does not work", "ask for a new link"),
    ],
)
def test_a_bad_invitation_link_says_it_does_not_work_and_what_to_do(client, age, heading, advice):
    person = invited_person("late@example.org")
    if age is None:
        path = reverse("accounts:invitation", args=["MQ", "bad"])
    else:
        path = urlsplit(invitation_url(person, issued_at=timezone.now() - age)).path
    title, h1, page = title_and_h1(client, path)
    assert title == h1 == heading
    assert advice in page and 'name="new_password1"' not in page
