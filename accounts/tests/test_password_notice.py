"""A changed password is told to the account's confirmed address.

Whoever finds a session left open and knows (or watched) the password could change it
and keep the account; the owner learned of it only at their next failed login. Now the
address hears of every new password, however it was set, and what to do if it was not
its owner's doing.
"""

from __future__ import annotations

import re

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.models import User
from accounts.tasks import password_changed_notify
from accounts.tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

NEW = "N3w-pass-phrase-71"


@pytest.fixture(autouse=True)
def _sent_at_once(settings):
    settings.SITE_NAME = "Pyweb Academy"
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def change_password(client, old: str = PASSWORD, new: str = NEW):
    data = {"old_password": old, "new_password1": new, "new_password2": new}
    return client.post(reverse("accounts:password_change"), data, follow=True)


def reset_password(email: str, new: str, mailoutbox) -> Client:
    """Ask for a reset link, open it and choose NEW, as the address's reader does."""
    client = Client()
    client.post(reverse("accounts:password_reset"), {"email": email})
    link = re.search(r"https?://[^/]+(/\S+)", mailoutbox[-1].body).group(1)
    form_url = client.get(link, follow=True).redirect_chain[-1][0]
    client.post(form_url, {"new_password1": new, "new_password2": new})
    return client


def notices(mailoutbox) -> list:
    return [message for message in mailoutbox if "password of your account" in message.subject]


def test_a_password_changed_on_its_page_is_told_to_the_address(
    client, bob, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = change_password(client)
    assert "Your password was changed." in response.content.decode()
    [notice] = notices(mailoutbox)
    assert notice.to == [bob.email]
    assert notice.subject == "The password of your account on Pyweb Academy was changed"
    assert "(username bob)" in notice.body
    assert "changed on its password page" in notice.body
    assert reverse("accounts:password_reset") in notice.body  # what to do if it was not them
    assert NEW not in notice.body and NEW not in notice.alternatives[0].content
    assert "change your email password first" not in notice.body  # they had the password


def test_a_refused_change_tells_nobody(client, bob, mailoutbox, django_capture_on_commit_callbacks):
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = change_password(client, old="not-my-password")
    assert "Your old password was entered incorrectly" in response.content.decode()
    assert mailoutbox == []
    assert User.objects.get(pk=bob.pk).check_password(PASSWORD)


def test_an_unconfirmed_address_is_not_told(client, mailoutbox, django_capture_on_commit_callbacks):
    """It may be a stranger's (a typo): they would learn the account's name."""
    typo = UserFactory(username="typo", email="someone.else@example.org", email_confirmed=False)
    client.force_login(typo)
    with django_capture_on_commit_callbacks(execute=True):
        change_password(client)
    assert User.objects.get(pk=typo.pk).check_password(NEW)
    assert mailoutbox == []


def test_a_reset_is_told_and_says_the_mailbox_may_be_read(
    bob, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        reset_password(bob.email, NEW, mailoutbox)
    assert User.objects.get(pk=bob.pk).check_password(NEW)
    [notice] = notices(mailoutbox)
    assert notice.to == [bob.email]
    assert "reset through a link emailed to this address" in notice.body
    assert "change your email password first" in notice.body


def test_the_first_reset_of_an_unconfirmed_account_is_its_owners_own_act(
    mailoutbox, django_capture_on_commit_callbacks
):
    fresh = UserFactory(username="fresh", email="fresh@example.org", email_confirmed=False)
    with django_capture_on_commit_callbacks(execute=True):
        reset_password(fresh.email, NEW, mailoutbox)
    after = User.objects.get(pk=fresh.pk)
    assert after.check_password(NEW) and after.email_confirmed  # the link confirmed it
    assert notices(mailoutbox) == []


def test_a_password_a_superuser_sets_is_told_but_not_one_switched_off(
    admin_client, bob, mailoutbox, django_capture_on_commit_callbacks
):
    url = reverse("admin:auth_user_password_change", args=[bob.pk])
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            url,
            {"usable_password": "true", "password1": NEW, "password2": NEW, "set-password": "1"},
        )
    assert response.status_code == 302
    assert User.objects.get(pk=bob.pk).check_password(NEW)
    [notice] = notices(mailoutbox)
    assert notice.to == [bob.email] and "set by an administrator of the site" in notice.body
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(url, {"usable_password": "false", "unset-password": "1"})
    assert response.status_code == 302
    assert not User.objects.get(pk=bob.pk).has_usable_password()
    assert len(notices(mailoutbox)) == 1  # no password to tell of


def test_notices_are_limited_per_hour(client, bob, mailoutbox, django_capture_on_commit_callbacks):
    """Changing back and forth must not fill the mailbox: three an hour, as other mail."""
    client.force_login(bob)
    passwords = [PASSWORD, "Second-pass-81", "Third-pass-82", "Fourth-pass-83", "Fifth-pass-84"]
    for old, new in zip(passwords, passwords[1:], strict=False):
        with django_capture_on_commit_callbacks(execute=True):
            response = change_password(client, old=old, new=new)
        assert "Your password was changed." in response.content.decode()
    assert len(notices(mailoutbox)) == 3


@pytest.mark.django_db(transaction=True)
def test_the_notice_goes_to_the_address_of_the_change_even_if_it_moved_since(
    bob, mailoutbox, settings
):
    """Queued, then sent by the worker after the account moved: the old owner hears."""
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    assert password_changed_notify(user=bob, how="changed", was_confirmed=True)  # queued
    User.objects.filter(pk=bob.pk).update(email="elsewhere@example.org")
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)
    [notice] = notices(mailoutbox)
    assert notice.to == ["bob@example.org"]


def test_the_current_password_is_not_taken_as_a_new_one(
    client, bob, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = change_password(client, new=PASSWORD)
    page = response.content.decode()
    assert "The new password is your current one: choose another." in page
    assert "Your password was changed." not in page
    assert mailoutbox == []


def test_a_password_a_superuser_sets_writes_the_password_only(bob):
    """The form saved the whole row as read when it was posted: a name or address its
    person changed meanwhile was put back."""
    from accounts.forms import AdminPasswordChangeForm
    from accounts.signals import forget_user

    form = AdminPasswordChangeForm(
        User.objects.get(pk=bob.pk),
        {"usable_password": "true", "password1": NEW, "password2": NEW},
    )
    assert form.is_valid(), form.errors
    User.objects.filter(pk=bob.pk).update(display_name="Bob Meanwhile")  # another request
    forget_user(bob.pk)
    form.save()
    saved = User.objects.get(pk=bob.pk)
    assert saved.check_password(NEW)
    assert saved.display_name == "Bob Meanwhile"
