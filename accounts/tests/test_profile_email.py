"""A new email address asks for the current password, and the old address is told.

Password resets go to the account's address: whoever found a session left open could
type their own address on the profile page, then reset the password and keep the
account. Now they need the password they do not know, and the owner's mailbox hears
of any change.
"""

from __future__ import annotations

import re
from functools import partial

import pytest
from django.contrib.sessions.models import Session
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from accounts.models import User
from accounts.tests.factories import PASSWORD, UserFactory
from lessons.tests.conftest import build_course

pytestmark = pytest.mark.django_db

SITE_URL = "https://courses.example.edu"
NEW = "bob.new@example.org"


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_NAME = "Pyweb Academy"
    settings.SITE_URL = SITE_URL
    # Tasks run when enqueued, which happens on commit (django_capture_on_commit_callbacks).
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def profile(client, email: str, password: str | None = None, **fields):
    data = {"display_name": "Bobby", "first_name": "Bob", "last_name": "B", "email": email}
    if password is not None:
        data["current_password"] = password
    return client.post(reverse("accounts:profile"), {**data, **fields})


def test_the_profile_page_shows_the_password_field(client, bob):
    client.force_login(bob)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'name="current_password"' in page and 'type="password"' in page
    assert "Needed only to change your email address." in page


@pytest.mark.parametrize(
    ("password", "message"),
    [
        (None, "To change your email address, type your current password here."),
        ("", "To change your email address, type your current password here."),
        ("not-the-password", "This is not your current password"),
        (PASSWORD.upper(), "This is not your current password"),
    ],
    ids=["absent", "empty", "wrong", "other case"],
)
def test_a_new_address_without_the_password_is_refused_and_the_rest_kept(
    client, bob, django_capture_on_commit_callbacks, password, message
):
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = profile(client, NEW, password)
    assert response.status_code == 200
    page = response.content.decode()
    assert message in page
    assert "Your profile was not saved" in page
    # What was typed stays in the form (the password is never sent back).
    assert f'value="{NEW}"' in page and 'value="Bobby"' in page
    assert PASSWORD.upper() not in page and "not-the-password" not in page
    bob.refresh_from_db()
    assert (bob.email, bob.display_name) == ("bob@example.org", "Bob Student")
    assert mail.outbox == []


def test_someone_else_at_an_open_session_cannot_use_their_own_password(
    client, bob, charlie, django_capture_on_commit_callbacks
):
    client.force_login(bob)  # charlie found bob's session open
    with django_capture_on_commit_callbacks(execute=True):
        response = profile(client, "charlie.takes@example.org", PASSWORD + "-charlie")
    assert "This is not your current password" in response.content.decode()
    charlie.set_password("charlies-own-pass-1")
    charlie.save()
    with django_capture_on_commit_callbacks(execute=True):
        response = profile(client, "charlie.takes@example.org", "charlies-own-pass-1")
    assert "This is not your current password" in response.content.decode()
    assert User.objects.get(pk=bob.pk).email == "bob@example.org"
    assert mail.outbox == []


def confirm_link(message) -> str:
    match = re.search(r"https://courses\.example\.edu(/accounts/confirm/\S+?/\S+?/)", message.body)
    assert match, message.body
    return match.group(1)


def test_a_new_address_takes_over_once_its_link_is_opened_and_the_old_one_is_told(
    client, bob, django_capture_on_commit_callbacks
):
    """Changed at once, a mistyped address handed the account to whoever held it: its
    "Forgot your password?" went there. The confirmed address now stays until then."""
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = profile(client, "Bob.New@Example.org", PASSWORD)
    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.email, bob.pending_email, bob.email_confirmed) == ("bob@example.org", NEW, True)
    page = client.get(response["Location"]).content.decode()
    assert f"To make {NEW} your address, open the link just sent to it" in page
    assert "Until then your address stays bob@example.org" in page
    assert f"Your new address, <strong>{NEW}</strong>, waits for confirmation" in page
    [confirmation] = mail.outbox  # nothing to the old address yet: nothing moved
    assert confirmation.to == [NEW]
    assert "Confirm your new email address" in confirmation.subject
    assert "keeps its current address" in confirmation.body

    # Meanwhile the new address opens nothing: no login, no reset link.
    mail.outbox.clear()
    login = {"username": NEW, "password": PASSWORD}
    assert Client().post(reverse("accounts:login"), login).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("accounts:password_reset"), {"email": NEW})
    assert mail.outbox == []

    # The link, opened logged in: a page with a button, then the move and the notice.
    path = confirm_link(confirmation)
    page = client.get(path).content.decode()
    assert f"Make <strong>{NEW}</strong> the address" in page
    assert "and bob@example.org is told of the change" in page
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(path, follow=True).content.decode()
    assert f"your email address is now {NEW}" in page
    assert "bob@example.org is told of the change" in page
    bob.refresh_from_db()
    assert (bob.email, bob.pending_email, bob.email_confirmed) == (NEW, "", True)
    [notice] = mail.outbox
    assert notice.to == ["bob@example.org"]  # the old address, not the new one
    assert "another email address" in notice.subject
    text = notice.body
    assert "from bob@example.org" in text and f"to   {NEW}" in text
    assert "If you did not, someone else may be using your account." in text
    assert f"{SITE_URL}/accounts/password/" in text and "username bob" in text
    html_body = notice.alternatives[0].content
    assert NEW in html_body and f'href="{SITE_URL}/accounts/profile/"' in html_body
    assert "Nothing is waiting for this link" in client.post(path, follow=True).content.decode()
    assert client.get(reverse("lessons:dashboard")).status_code == 200  # still logged in


def test_a_new_address_waiting_can_be_given_up_or_lost_to_another_account(
    client, bob, django_capture_on_commit_callbacks
):
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        profile(client, NEW, PASSWORD)
    path = confirm_link(mail.outbox[0])
    page = client.post(reverse("accounts:pending_email_cancel"), follow=True).content.decode()
    assert f"{NEW} is no longer waiting" in page
    client.post(path)  # its link now moves nothing
    assert User.objects.get(pk=bob.pk).email == "bob@example.org"

    # Typed again, then taken by someone else before the link is opened.
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        profile(client, NEW, PASSWORD)
    path = confirm_link(mail.outbox[0])
    UserFactory(username="quicker", email=NEW)
    page = client.post(path, follow=True).content.decode()
    assert f"{NEW} is now the address of another account" in page
    stored = User.objects.get(pk=bob.pk)
    assert (stored.email, stored.pending_email) == ("bob@example.org", "")


def test_an_unconfirmed_address_changes_at_once(client, bob, django_capture_on_commit_callbacks):
    """Nothing to keep: the account's address was never shown to be its owner's."""
    User.objects.filter(pk=bob.pk).update(email_confirmed=False)
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        response = profile(client, NEW, PASSWORD)
    page = client.get(response["Location"]).content.decode()
    assert f"Your email address is now {NEW}. Confirm the new address" in page
    stored = User.objects.get(pk=bob.pk)
    assert (stored.email, stored.pending_email, stored.email_confirmed) == (NEW, "", False)
    assert [m.to for m in mail.outbox] == [[NEW]]  # the old, unconfirmed, hears nothing


def test_names_alone_need_no_password_and_tell_nobody(
    client, bob, django_capture_on_commit_callbacks
):
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        # The same address, typed in other capitals and with spaces: not a new one.
        response = profile(client, " BOB@example.org ")
    assert response.status_code == 302
    bob.refresh_from_db()
    assert (bob.display_name, bob.email) == ("Bobby", "bob@example.org")
    assert mail.outbox == []


def test_a_refused_new_address_asks_nothing_else_of_the_password(client, bob):
    UserFactory(username="dora", email="dora@example.org")
    client.force_login(bob)
    page = profile(client, "dora@example.org", PASSWORD).content.decode()
    assert "Another account already uses this email address." in page
    assert "not your current password" not in page
    assert User.objects.get(pk=bob.pk).email == "bob@example.org"


@pytest.mark.django_db(transaction=True)
def test_the_notice_goes_through_the_database_queue_and_its_worker(client, settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    bob = UserFactory(username="bob", email="bob@example.org")
    client.force_login(bob)
    assert profile(client, NEW, PASSWORD).status_code == 302
    assert mail.outbox == []  # the request only queued it
    work = partial(call_command, "db_worker", batch=True, startup_delay=False, reload=False)
    assert DBTaskResult.objects.filter(status="READY").count() == 1  # the link, to the new
    work(verbosity=0)
    [link] = mail.outbox
    assert link.to == [NEW]
    assert client.post(confirm_link(link)).status_code == 302
    assert DBTaskResult.objects.filter(status="READY").count() == 1  # the notice, to the old
    work(verbosity=0)
    assert [message.to for message in mail.outbox[1:]] == [["bob@example.org"]]


def test_a_password_posted_after_the_session_ended_is_never_kept(client, bob):
    """A form sent after its session ended is kept for after login: never a password."""
    data = build_course(slug="kept")
    lesson = data.lessons[0]
    client.force_login(bob)
    client.get(lesson.get_absolute_url())  # the browser learns who used it last
    Session.objects.all().delete()  # expired, or ended in another tab
    url = reverse("lessons:complete", args=[data.course.slug, lesson.slug])
    response = client.post(url, {"completed": "1", "current_password": PASSWORD})
    assert response["Location"].startswith(reverse("accounts:login"))
    [entry] = client.session["_kept_forms"].values()
    assert [tuple(field) for field in entry["fields"]] == [("completed", "1")]
    assert PASSWORD not in repr(dict(client.session))


@pytest.mark.parametrize("password", [None, "not-the-password"], ids=["absent", "wrong"])
def test_without_the_password_the_page_tells_nothing_of_other_accounts(client, bob, password):
    """Whether an address has an account is said only to whoever typed the password: a
    session left open is no way to learn who studies here."""
    UserFactory(username="dora", email="dora@example.org")
    client.force_login(bob)
    page = profile(client, "Dora@example.org", password).content.decode()
    assert "already uses" not in page
    assert "current password" in page
    assert User.objects.get(pk=bob.pk).email == "bob@example.org"


def test_the_password_cannot_be_guessed_faster_than_at_the_login_form(client, bob, alice, settings):
    """Wrong current passwords count per account, as failed logins do: past the limit
    even the right one changes nothing until the cool-off ends; other accounts and the
    password page share the count of the account, not of the browser."""
    client.force_login(bob)
    for attempt in range(settings.AXES_FAILURE_LIMIT):
        assert (
            "This is not your current password"
            in profile(client, NEW, f"guess-{attempt}").content.decode()
        )
    page = profile(client, NEW, PASSWORD).content.decode()
    assert "Too many wrong passwords for this account: wait 15\xa0minutes" in page
    assert User.objects.get(pk=bob.pk).email == "bob@example.org"
    assert mail.outbox == []
    # The password page asks the same count.
    page = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-Pass-9",
            "new_password2": "a-new-Pass-9",
        },
    ).content.decode()
    assert "Too many wrong passwords for this account" in page
    assert User.objects.get(pk=bob.pk).check_password(PASSWORD)
    # Another account, in another session, is not held back.
    other = type(client)()
    other.force_login(alice)
    response = profile(other, "alice.new@example.org", PASSWORD)
    assert response.status_code == 302
    assert User.objects.get(pk=alice.pk).pending_email == "alice.new@example.org"


def test_a_right_password_forgives_its_own_count(client, bob, settings):
    """A person who mistypes now and then is never locked out by their right tries."""
    client.force_login(bob)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        profile(client, NEW, "typo")
    assert profile(client, bob.email, PASSWORD).status_code == 302  # no change: no check
    response = profile(client, NEW, PASSWORD)
    assert response.status_code == 302
    assert User.objects.get(pk=bob.pk).pending_email == NEW


def test_changing_the_password_logs_every_other_session_out(client, bob):
    """What the notice to the old address promises: a new password ends the sessions
    of whoever else is in the account; the one that changed it stays in."""
    intruder = type(client)()
    intruder.force_login(bob)
    client.force_login(bob)
    response = client.post(
        reverse("accounts:password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "a-new-Pass-9",
            "new_password2": "a-new-Pass-9",
        },
    )
    assert response.status_code == 302
    assert client.get(reverse("accounts:profile")).status_code == 200
    assert intruder.get(reverse("accounts:profile")).status_code == 302  # to the login page


def test_whether_an_address_has_an_account_is_said_only_after_the_password(client, bob):
    """Django's own unique check answered "User with this Email address already exists."
    before the password: anyone at a session left open could look addresses up."""
    other = UserFactory(username="other", email="taken@example.org")
    client.force_login(bob)
    for password in (None, "", "wrong-password-1"):
        page = profile(client, "Taken@Example.org", password).content.decode()
        assert "already exists" not in page and "already uses" not in page, password
        assert "Constraint" not in page and "violated" not in page, password
        assert "current password" in page
    page = profile(client, "taken@example.org", PASSWORD).content.decode()
    assert "already uses this email address" in page
    bob.refresh_from_db()
    assert bob.email != other.email


def test_a_profile_save_leaves_a_password_cleared_meanwhile_cleared(client, bob):
    """The form saved the whole row read when the request began: a reclaim clearing the
    password while a squatter saved their profile was undone."""
    client.force_login(bob)
    form_user = User.objects.get(pk=bob.pk)  # the row as the profile request read it
    User.objects.filter(pk=bob.pk).update(password="!cleared-meanwhile")
    from accounts.forms import ProfileForm

    data = {"display_name": "Bobby", "first_name": "Bob", "last_name": "B", "email": bob.email}
    form = ProfileForm(data, instance=form_user)
    assert form.is_valid(), form.errors
    form.save()
    stored = User.objects.get(pk=bob.pk)
    assert stored.password == "!cleared-meanwhile"
    assert stored.display_name == "Bobby"


def test_a_password_change_racing_a_reclaim_saves_nothing_and_says_why(rf, bob):
    """An impostor changing the password while an instructor enrolled the address kept
    the account: the change, checked against the password read when its request began,
    wrote its new one over the password the reclaim had just cleared."""
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.confirmation import reclaim_unconfirmed
    from accounts.views import PasswordChangeView

    User.objects.filter(pk=bob.pk).update(email_confirmed=False)
    data = {"old_password": PASSWORD, "new_password1": "Kept-it-99", "new_password2": "Kept-it-99"}
    request = rf.post(reverse("accounts:password_change"), data)
    request.user = User.objects.get(pk=bob.pk)  # read as the request began
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request._dont_enforce_csrf_checks = True
    assert reclaim_unconfirmed(User.objects.get(pk=bob.pk))  # meanwhile, the instructor's

    response = PasswordChangeView.as_view()(request)
    response.render()
    assert response.status_code == 200
    assert "Your password changed while this form was open" in response.content.decode()
    stored = User.objects.get(pk=bob.pk)
    assert not stored.has_usable_password()
    assert not stored.check_password("Kept-it-99")


def test_a_new_address_racing_a_reclaim_is_refused_and_the_reclaim_stands(client, bob):
    """Probe 17: a squatter's address change, checked against the password its request
    read, landed after an instructor's reclaim: the account went to the squatter's
    address, where "Forgot your password?" then gave it back to them."""
    from accounts.confirmation import reclaim_unconfirmed
    from accounts.forms import ProfileForm

    User.objects.filter(pk=bob.pk).update(email_confirmed=False)
    form_user = User.objects.get(pk=bob.pk)  # as the profile request read it
    data = {"display_name": "B", "first_name": "", "last_name": "", "email": "mine@evil.test"}
    form = ProfileForm({**data, "current_password": PASSWORD}, instance=form_user)
    assert form.is_valid(), form.errors
    assert reclaim_unconfirmed(User.objects.get(pk=bob.pk))  # meanwhile
    with pytest.raises(ValidationError, match="changed while this form was open"):
        form.save()
    stored = User.objects.get(pk=bob.pk)
    assert stored.email == "bob@example.org" and not stored.has_usable_password()
    assert stored.display_name != "B"
    # A change of names alone needs no password and is kept (only its own columns).
    names = ProfileForm({**data, "email": "bob@example.org"}, instance=stored)
    assert names.is_valid(), names.errors
    names.save()
    assert User.objects.get(pk=bob.pk).display_name == "B"


def test_a_password_reset_racing_an_address_change_saves_nothing_of_either_side(bob):
    """Probe 17: the owner's reset saved the whole row as it read it: it undid an address
    change saved meanwhile, or, landing first, left the squatter's change to follow and
    take the account. Each side now finds the other's write and saves nothing."""
    from accounts.forms import ProfileForm, SetPasswordForm

    User.objects.filter(pk=bob.pk).update(email_confirmed=False)
    owner_view = User.objects.get(pk=bob.pk)  # the reset link's request
    squatter_view = User.objects.get(pk=bob.pk)  # the profile's request
    reset = SetPasswordForm(
        owner_view, {"new_password1": "Owner-42-x", "new_password2": "Owner-42-x"}
    )
    moved = ProfileForm(
        {"display_name": "", "email": "mine@evil.test", "current_password": PASSWORD},
        instance=squatter_view,
    )
    assert reset.is_valid() and moved.is_valid(), (reset.errors, moved.errors)
    moved.save()  # the squatter first: the link was for the address it had
    with pytest.raises(ValidationError, match="changed while this page was open"):
        reset.save()
    stored = User.objects.get(pk=bob.pk)
    assert stored.email == "mine@evil.test" and not stored.email_confirmed
    assert stored.check_password(PASSWORD)

    # The owner first: the squatter's change, checked against the old password, fails.
    User.objects.filter(pk=bob.pk).update(email="bob@example.org")
    owner_view = User.objects.get(pk=bob.pk)
    squatter_view = User.objects.get(pk=bob.pk)
    reset = SetPasswordForm(
        owner_view, {"new_password1": "Owner-42-x", "new_password2": "Owner-42-x"}
    )
    moved = ProfileForm(
        {"display_name": "", "email": "mine@evil.test", "current_password": PASSWORD},
        instance=squatter_view,
    )
    assert reset.is_valid() and moved.is_valid()
    reset.save()
    with pytest.raises(ValidationError, match="changed while this form was open"):
        moved.save()
    stored = User.objects.get(pk=bob.pk)
    assert stored.email == "bob@example.org" and stored.email_confirmed
    assert stored.check_password("Owner-42-x")


def test_a_change_of_names_alone_leaves_an_address_confirmed_meanwhile_confirmed(bob):
    """Probe 18: a name change read before the owner's password reset wrote back "not
    confirmed" (and the address) over the reset's confirmation."""
    from accounts.forms import ProfileForm

    User.objects.filter(pk=bob.pk).update(email_confirmed=False)
    form_user = User.objects.get(pk=bob.pk)  # as the profile request read it
    User.objects.filter(pk=bob.pk).update(email_confirmed=True)  # the reset, meanwhile
    form = ProfileForm({"display_name": "Renamed", "email": bob.email}, instance=form_user)
    assert form.is_valid(), form.errors
    form.save()
    stored = User.objects.get(pk=bob.pk)
    assert stored.email_confirmed and stored.display_name == "Renamed"


# Probe 20: the new address waiting -----------------------------------------------------
def spend(kind: str, address: str) -> None:
    """Use up ADDRESS's emails of KIND for the hour, as other requests would have."""
    from accounts.throttle import address_mail_allowed

    for _ in range(3):
        address_mail_allowed(kind, address)


def test_the_move_says_the_old_address_was_told_only_when_it_was(
    client, bob, settings, django_capture_on_commit_callbacks
):
    settings.PASSWORD_RESET_EMAIL_LIMIT = 3
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        profile(client, NEW, PASSWORD)
    path = confirm_link(mail.outbox[0])
    spend("moved", "bob@example.org")  # its notices of the hour, used by earlier moves
    page = client.get(path).content.decode()
    assert f"Make <strong>{NEW}</strong> the address" in page
    assert "is told of the change" not in page  # not promised either
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        page = client.post(path, follow=True).content.decode()
    assert f"your email address is now {NEW}" in page
    assert "is told of the change" not in page and mail.outbox == []


def test_a_refused_new_address_never_shows_as_the_accounts(client, bob):
    """The page after a wrong password said "your address stays typo@..." and offered
    "Keep typo@...": drawn from the account the form had just written the typo on."""
    client.force_login(bob)
    User.objects.filter(pk=bob.pk).update(pending_email="waiting@example.org")
    page = profile(client, "typo@example.org", "wrong-password").content.decode()
    assert "This is not your current password" in page
    assert "Keep typo@example.org" not in page and "Keep bob@example.org" in page
    assert "your address stays <strong>bob@example.org</strong>" in " ".join(page.split())
    assert 'value="typo@example.org"' in page  # what was typed is kept in the field


def test_keep_the_old_address_from_a_stale_page_undoes_nothing_done_since(rf, bob):
    """Confirmed in another tab (or a newer address typed), a slow "Keep" click cleared
    it, and said the address stayed the old one."""
    from django.contrib.messages import get_messages
    from django.contrib.messages.storage.fallback import FallbackStorage
    from django.contrib.sessions.backends.db import SessionStore

    from accounts.views import pending_email_cancel

    User.objects.filter(pk=bob.pk).update(pending_email="newer@example.org")
    request = rf.post(reverse("accounts:pending_email_cancel"))
    request.user = User.objects.get(pk=bob.pk)  # the page as it was
    request.user.pending_email = NEW
    request.session = SessionStore()
    request._messages = FallbackStorage(request)
    request._dont_enforce_csrf_checks = True
    response = pending_email_cancel(request)
    assert response.status_code == 302
    assert [str(m) for m in get_messages(request)] == [
        "Your address changed meanwhile: see it below."
    ]
    assert User.objects.get(pk=bob.pk).pending_email == "newer@example.org"


def test_an_address_taken_at_the_moment_of_saving_is_a_form_error_not_a_crash(bob):
    from accounts.forms import ProfileForm

    User.objects.filter(pk=bob.pk).update(email_confirmed=False)  # changes at once
    form = ProfileForm(
        {"display_name": "B", "email": NEW, "current_password": PASSWORD},
        instance=User.objects.get(pk=bob.pk),
    )
    assert form.is_valid(), form.errors
    UserFactory(username="first", email=NEW)  # confirmed by another account meanwhile
    with pytest.raises(ValidationError, match="Another account already uses this email"):
        form.save()
    assert User.objects.get(pk=bob.pk).email == "bob@example.org"


def test_a_confirmation_link_opened_logged_out_says_which_address_logs_in(client, bob):
    page = client.get(
        reverse("accounts:login"), {"next": "/accounts/confirm/Mg/abc-123/"}
    ).content.decode()
    assert "with its username or its" in page and "<strong>current</strong> email" in page
    assert "login-to-confirm" not in client.get(reverse("accounts:login")).content.decode()


def test_a_back_office_edit_writes_only_what_it_changed(rf, bob):
    """A superuser's name edit saved the whole row as read: the person's new address,
    confirmed meanwhile, went back to the old one (after the old one was told)."""
    from django.contrib import admin

    from accounts.admin import UserAdmin

    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    request = rf.post("/")
    request.user = root
    stale = User.objects.get(pk=bob.pk)
    model_admin = UserAdmin(User, admin.site)
    form_class = model_admin.get_form(request, stale, change=True)
    data = {
        "username": stale.username,
        "display_name": "Bobby B",
        "first_name": stale.first_name,
        "last_name": stale.last_name,
        "email": stale.email,
        "is_active": "on",
        "date_joined_0": "2026-01-01",
        "date_joined_1": "10:00",
    }
    form = form_class(data, instance=stale)
    assert form.is_valid(), form.errors
    User.objects.filter(pk=bob.pk).update(email=NEW)  # the person's move, meanwhile
    model_admin.save_model(request, form.save(commit=False), form, change=True)
    stored = User.objects.get(pk=bob.pk)
    assert (stored.display_name, stored.email) == ("Bobby B", NEW)


def test_a_superusers_page_opened_before_a_move_cannot_undo_it(client, bob):
    """Probe 21: a superuser's change page, opened before the person confirmed their new
    address and saved after with a name change, posted the old address back: the move
    was undone, the new address told the account had left it."""
    from access.tests.matrix import form_data

    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    url = reverse("admin:accounts_user_change", args=[bob.pk])
    data = form_data(client.get(url).content.decode(), "user_form")
    assert data["email_shown"] == ["bob@example.org"]
    User.objects.filter(pk=bob.pk).update(email=NEW)  # the person's move, meanwhile
    data["display_name"] = ["Bobby B"]
    response = client.post(url, data)
    assert response.status_code == 200
    assert f"changed while this page was open: it is now {NEW}" in response.content.decode()
    stored = User.objects.get(pk=bob.pk)
    assert (stored.email, stored.display_name) != ("bob@example.org", "Bobby B")
    assert stored.email == NEW
    # From a fresh page, the same edit saves.
    data = form_data(client.get(url).content.decode(), "user_form")
    data["display_name"] = ["Bobby B"]
    assert client.post(url, data).status_code == 302
    stored = User.objects.get(pk=bob.pk)
    assert (stored.email, stored.display_name) == (NEW, "Bobby B")


def test_keep_from_a_tab_drawn_before_a_newer_address_leaves_the_newer_one(
    client, bob, django_capture_on_commit_callbacks
):
    """Probe 21: "Keep" sent nothing of what its page showed: from a tab drawn before
    another tab typed a newer address, it gave the newer one up."""
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        profile(client, NEW, PASSWORD)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert f'name="pending_email" value="{NEW}"' in page  # what "Keep" posts
    with django_capture_on_commit_callbacks(execute=True):
        profile(client, "newer@example.org", PASSWORD)  # the other tab
    answer = client.post(
        reverse("accounts:pending_email_cancel"), {"pending_email": NEW}, follow=True
    ).content.decode()
    assert "Your address changed meanwhile" in answer
    assert User.objects.get(pk=bob.pk).pending_email == "newer@example.org"


def test_a_post_without_the_address_it_showed_cannot_move_it_back(client, bob):
    """Probe 22: the check of the page's address was skipped when the post did not say
    it (a page drawn before the check existed, or a hand-made post)."""
    from access.tests.matrix import form_data

    root = UserFactory(username="root", is_superuser=True, is_staff=True)
    client.force_login(root)
    url = reverse("admin:accounts_user_change", args=[bob.pk])
    data = form_data(client.get(url).content.decode(), "user_form")
    del data["email_shown"]
    User.objects.filter(pk=bob.pk).update(email=NEW)  # the person's move, meanwhile
    response = client.post(url, data)
    assert response.status_code == 200
    assert User.objects.get(pk=bob.pk).email == NEW
    data["email"] = [NEW]  # the address as it is: names save without the field
    data["display_name"] = ["Bobby B"]
    assert client.post(url, data).status_code == 302
    assert User.objects.get(pk=bob.pk).display_name == "Bobby B"


def test_a_second_click_on_keep_says_the_address_was_given_up(
    client, bob, django_capture_on_commit_callbacks
):
    """Probe 22: the second click of a double click said "Your address changed
    meanwhile" although the first had done what was asked."""
    client.force_login(bob)
    with django_capture_on_commit_callbacks(execute=True):
        profile(client, NEW, PASSWORD)
    url = reverse("accounts:pending_email_cancel")
    first = client.post(url, {"pending_email": NEW}, follow=True).content.decode()
    assert f"{NEW} is no longer waiting" in first
    # The page it lands on shows no address waiting (with the session's user cached,
    # the copy from before the click still showed it, with its "Keep" button).
    assert f'name="pending_email" value="{NEW}"' not in first
    second = client.post(url, {"pending_email": NEW}, follow=True).content.decode()
    assert f"{NEW} is no longer waiting: your address stays bob@example.org." in second
    assert "changed meanwhile" not in second
    stored = User.objects.get(pk=bob.pk)
    assert (stored.email, stored.pending_email) == ("bob@example.org", "")


def test_a_student_cannot_list_who_has_an_account_by_typing_addresses(client, bob, alice):
    """Probe 72: with their own password, a student learned of any address whether it
    had an account (about 40 a minute, deactivated ones too). A few mistakes a day are
    answered; past them every new address is refused alike, taken or not, for a day,
    and only for that student."""
    for n in range(5):
        UserFactory(username=f"classmate{n}", email=f"classmate{n}@example.org")
    client.force_login(bob)
    for n in range(5):
        page = profile(client, f"classmate{n}@example.org", PASSWORD).content.decode()
        assert "already uses this email address" in page
    for address in ("classmate0@example.org", "nobody.here@example.org"):
        page = profile(client, address, PASSWORD).content.decode()
        assert "already uses" not in page and "open the link" not in page
        assert "cannot be changed for 1\xa0day" in page
        assert 'value="Bobby"' in page  # what was typed is kept
    bob.refresh_from_db()
    assert bob.pending_email == "" and bob.email == "bob@example.org"
    # Names alone still save; another student is not held back by bob's count.
    assert profile(client, bob.email, display_name="Bob the Builder").status_code == 302
    bob.refresh_from_db()
    assert bob.display_name == "Bob the Builder"
    other = UserFactory(username="dana", email="dana@example.org")
    client.force_login(other)
    page = profile(client, "classmate1@example.org", PASSWORD).content.decode()
    assert "already uses this email address" in page
