from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse

from accounts.tests.factories import PASSWORD, UserFactory
from coursesite import formpages

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def login(client, login, password=PASSWORD, **extra):
    return client.post(
        reverse("accounts:login"), {"username": login, "password": password}, **extra
    )


def test_it_logs_in_with_username(client, bob):
    response = login(client, "bob", follow=True)
    assert response.context["user"] == bob
    assert "Welcome back" in response.content.decode()


def test_it_logs_in_with_email_in_any_case(client, bob):
    response = login(client, "BOB@example.org")
    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(bob.pk)


def test_an_address_differing_in_a_look_alike_letter_takes_no_login_away(client, bob):
    # PostgreSQL's case-insensitive match makes the dotless "ı" an "I": an account at
    # "bıb@example.org" (an instructor's roster could create one) matched bob's address
    # too, and every login of bob by email was a server error.
    bob.email = "bib@example.org"
    bob.save()
    twin = UserFactory(username="twin", email="bıb@example.org")
    for typed in ("bib@example.org", "BIB@example.org", " Bib@Example.org "):
        client.logout()
        assert login(client, typed).status_code == 302, typed
        assert client.session["_auth_user_id"] == str(bob.pk), typed
    client.logout()
    assert login(client, "bıb@example.org").status_code == 302
    assert client.session["_auth_user_id"] == str(twin.pk)
    client.logout()
    response = login(client, "bib@example.org", password="not the password")
    assert response.status_code == 200 and "do not match" in response.content.decode()


def test_it_explains_a_wrong_password_and_keeps_the_username(client, bob):
    response = login(client, "bob", "not-the-password")
    assert response.status_code == 200
    html = response.content.decode()
    assert "do not match an account" in html
    assert 'value="bob"' in html
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_marks_both_fields_for_screen_readers(client, bob):
    """Probe 87: every form's fields in error said so (aria-invalid, the message tied to
    them) but the login's, whose error is both fields together."""
    page = login(client, "bob", "not-the-password").content.decode()
    for name in ("username", "password"):
        field = re.search(rf'<input[^>]* name="{name}"[^>]*>', page).group(0)
        assert 'aria-invalid="true"' in field and 'aria-describedby="form-errors"' in field
    assert re.search(r'<div class="alert alert-danger" role="alert" id="form-errors">', page)
    # Sent first, nothing is marked; the required star is not part of the fields' names.
    fresh = client.get(reverse("accounts:login")).content.decode()
    assert "aria-invalid" not in fresh
    assert '<span class="asteriskField" aria-hidden="true">*</span>' in fresh
    assert '<span class="asteriskField">*</span>' not in fresh


def test_a_closed_account_is_told_so_only_with_its_right_password(client, bob):
    bob.is_active = False
    bob.save(update_fields=["is_active"])
    closed = "This account is closed (deactivated). If you think this is a mistake"
    right = html.unescape(login(client, "bob").content.decode())
    assert closed in right and "_auth_user_id" not in client.session
    wrong = html.unescape(login(client, "bob", "not-the-password").content.decode())
    assert closed not in wrong  # a guesser learns nothing of the account
    assert "That username or email and password do not match an account" in wrong


def test_it_rotates_the_session_key_at_login(client, bob):
    client.get(reverse("accounts:login"))
    client.session.save()
    before = client.session.session_key
    login(client, "bob")
    assert client.session.session_key != before


def test_it_throttles_repeated_failures_with_a_clear_message(client, bob, settings):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        login(client, "bob", "wrong")
    response = login(client, "bob")  # even the right password is refused now
    assert response.status_code == 429
    assert "Too many failed login attempts" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout_requires_post(client, bob):
    client.force_login(bob)
    # The address typed: a page with the button, still logged in (no logout on GET,
    # which any other site could send).
    response = client.get(reverse("accounts:logout"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Press the button to log out." in page
    assert f'<form method="post" action="{reverse("accounts:logout")}"' in page
    assert 'name="csrfmiddlewaretoken"' in page and 'id="logout-confirm"' in page
    assert formpages.POST_ONLY not in html.unescape(page)
    assert client.get(reverse("lessons:dashboard")).status_code == 200
    response = client.post(reverse("accounts:logout"), follow=True)
    assert not response.context["user"].is_authenticated
    assert "You have been logged out." in response.content.decode()


def test_idle_sessions_expire_after_the_configured_time(client, bob, settings):
    client.force_login(bob)
    client.get(reverse("accounts:profile"))
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    assert not settings.SESSION_SAVE_EVERY_REQUEST  # the middleware below refreshes instead


def _session_row(client):
    from django.contrib.sessions.models import Session

    return Session.objects.get(session_key=client.session.session_key)


def test_activity_pushes_the_expiry_forward_at_most_once_a_minute(client, bob, settings):
    from unittest import mock

    from django.utils import timezone

    client.force_login(bob)
    start = timezone.now()
    url = reverse("accounts:profile")
    client.get(url)
    first = _session_row(client).expire_date
    # Within the minute: no write, so the stored expiry stays put.
    with mock.patch("accounts.middleware.time.time", return_value=start.timestamp() + 30):
        client.get(url)
    assert _session_row(client).expire_date == first
    # A minute or more later, activity refreshes the session: a new expiry is saved.
    later = start + timedelta(seconds=settings.SESSION_REFRESH_SECONDS + 5)
    with (
        mock.patch("accounts.middleware.time.time", return_value=later.timestamp()),
        mock.patch("django.contrib.sessions.backends.base.timezone.now", return_value=later),
    ):
        response = client.get(url)
    assert _session_row(client).expire_date > first
    assert response.cookies[settings.SESSION_COOKIE_NAME]["max-age"] == settings.SESSION_COOKIE_AGE


def test_idle_session_past_its_age_is_logged_out(client, bob, settings):
    from unittest import mock

    from django.utils import timezone

    client.force_login(bob)
    client.get(reverse("accounts:profile"))
    idle = timezone.now() + timedelta(seconds=settings.SESSION_COOKIE_AGE + 1)
    with mock.patch("django.contrib.sessions.backends.db.timezone.now", return_value=idle):
        response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert reverse("accounts:login") in response.url


def test_password_change_needs_the_old_password(client, bob):
    client.force_login(bob)
    url = reverse("accounts:password_change")
    response = client.post(
        url,
        {
            "old_password": "wrong",
            "new_password1": "N3w-pass-phrase",
            "new_password2": "N3w-pass-phrase",
        },
    )
    assert "Your old password was entered incorrectly" in response.content.decode()
    response = client.post(
        url,
        {
            "old_password": PASSWORD,
            "new_password1": "N3w-pass-phrase",
            "new_password2": "N3w-pass-phrase",
        },
        follow=True,
    )
    assert "Your password was changed." in response.content.decode()
    bob.refresh_from_db()
    assert bob.check_password("N3w-pass-phrase")


def test_password_reset_link_from_the_email_works_end_to_end(client, bob, settings):
    settings.TASKS = IMMEDIATE  # the worker sends the email (test_password_reset.py)
    response = client.post(reverse("accounts:password_reset"), {"email": "bob@example.org"})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    assert mail.outbox[0].to == ["bob@example.org"]
    # How long it works, in both parts (probe 55: text only, and no word of it).
    assert "The link works once, for 3 days." in mail.outbox[0].body
    html, kind = mail.outbox[0].alternatives[0]
    assert kind == "text/html" and "The link works once, for 3 days." in html
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    assert f'href="http://testserver{link}"' in html or link in html
    response = client.get(link, follow=True)  # Django swaps the token for a session marker
    form_url = response.redirect_chain[-1][0]
    response = client.post(
        form_url, {"new_password1": "Fresh-pass-42", "new_password2": "Fresh-pass-42"}, follow=True
    )
    assert "The password of bob was reset" in response.content.decode()
    assert login(client, "bob", "Fresh-pass-42").status_code == 302


def test_a_reset_link_opened_where_another_account_is_logged_in_says_whose_it_is(
    client, bob, alice, settings
):
    """Probe 55: the page named no account, and "Your password was reset" was then said
    to the account logged in, of another's."""
    settings.TASKS = IMMEDIATE
    client.post(reverse("accounts:password_reset"), {"email": "bob@example.org"})
    link = re.search(r"https?://[^/]+(/\S+)", mail.outbox[0].body).group(1)
    client.force_login(alice)
    page = client.get(link, follow=True)
    html = page.content.decode()
    assert "For the account <strong>bob</strong>." in html
    assert 'id="reset-other-account"' in html and "<strong>alice</strong>" in html
    form_url = page.redirect_chain[-1][0]
    done = client.post(
        form_url, {"new_password1": "Fresh-pass-42", "new_password2": "Fresh-pass-42"}, follow=True
    )
    text = done.content.decode()
    assert "The password of bob was reset" in text and "still logged in as alice" in text
    bob.refresh_from_db()
    alice.refresh_from_db()
    assert bob.check_password("Fresh-pass-42") and not alice.check_password("Fresh-pass-42")


def test_password_reset_does_not_reveal_unknown_emails(client, bob, settings):
    settings.TASKS = IMMEDIATE
    response = client.post(reverse("accounts:password_reset"), {"email": "nobody@example.org"})
    assert response.status_code == 302
    assert mail.outbox == []


def test_the_profile_form_is_sent_once(client, bob):
    """Probe 55: a double click on a new address sent two confirmation emails (both
    requests saw the old address). site.js sends a data-once form once."""
    client.force_login(bob)
    for response in (
        client.get(reverse("accounts:profile")),
        client.post(reverse("accounts:profile"), {"email": "not an address"}),  # shown again
    ):
        form = re.search(r'<form[^>]* id="profile-form"[^>]*>', response.content.decode())
        assert form and 'data-once="Saving…"' in form.group()


def test_profile_edit_saves_name_and_email(client, bob):
    client.force_login(bob)
    # Each field says what it is, for browsers to fill in (WCAG 1.3.5, probe 39).
    page = client.get(reverse("accounts:profile")).content.decode()
    for name, purpose in (("first_name", "given-name"), ("last_name", "family-name")):
        assert re.search(rf'<input[^>]*name="{name}"[^>]*autocomplete="{purpose}"', page) or (
            re.search(rf'<input[^>]*autocomplete="{purpose}"[^>]*name="{name}"', page)
        )
    assert 'autocomplete="email"' in page and 'autocomplete="nickname"' in page
    response = client.post(
        reverse("accounts:profile"),
        {
            "display_name": "Bobby",
            "first_name": "Bob",
            "last_name": "B",
            "email": "Bobby@Example.org",
            "current_password": PASSWORD,
        },
        follow=True,
    )
    assert "Your profile was saved." in response.content.decode()
    bob.refresh_from_db()
    # A confirmed address stays until the new one is confirmed (test_profile_email.py).
    assert (bob.display_name, bob.pending_email) == ("Bobby", "bobby@example.org")
    assert bob.email == "bob@example.org"


def test_profile_refuses_a_taken_email_and_keeps_the_rest(client, bob):
    UserFactory(username="dora", email="dora@example.org")
    client.force_login(bob)
    response = client.post(
        reverse("accounts:profile"),
        {
            "display_name": "New name",
            "first_name": "",
            "last_name": "",
            "email": "dora@example.org",
            "current_password": PASSWORD,  # without it, nothing is said of other accounts
        },
    )
    html = response.content.decode()
    assert "Another account already uses this email address." in html
    assert 'value="New name"' in html
    bob.refresh_from_db()
    assert bob.email == "bob@example.org"


def test_profile_requires_login(client):
    response = client.get(reverse("accounts:profile"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))


def test_profile_names_refuse_text_direction_overrides_and_keep_the_rest(client, bob):
    client.force_login(bob)
    before = bob.display_name
    data = {
        "display_name": "Bob\u202eecila",
        "first_name": "Bob",
        "last_name": "B",
        "email": bob.email,
    }
    response = client.post(reverse("accounts:profile"), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "invisible text-direction characters" in page and 'value="Bob"' in page
    bob.refresh_from_db()
    assert bob.display_name == before


@pytest.mark.parametrize(
    "invisible",
    [
        "\u200b\u200b",
        " \u2060 ",
        "\ufeff",
        "\u00ad",
        "\u3164",
        "\u2800",
        "\u115f\u1160",
        "\u034f\ufe0f",
    ],
)
def test_a_display_name_must_show_something(client, bob, invisible):
    """Only invisible characters would leave graders a blank "submitted by"."""
    client.force_login(bob)
    before = bob.display_name
    data = {"display_name": invisible, "first_name": "Bob", "last_name": "B", "email": bob.email}
    response = client.post(reverse("accounts:profile"), data)
    assert response.status_code == 200
    assert "at least one visible letter" in response.content.decode()
    bob.refresh_from_db()
    assert bob.display_name == before
    # A name in any alphabet, joiners included, is welcome.
    data["display_name"] = "می\u200cخواهم"
    assert client.post(reverse("accounts:profile"), data).status_code == 302
    bob.refresh_from_db()
    assert bob.display_name == "می\u200cخواهم"


def test_pages_of_a_logged_in_person_are_never_stored_by_the_browser(client, bob):
    """After logout on a shared computer, Back must not show the last person's pages."""
    client.force_login(bob)
    for url in (
        reverse("lessons:dashboard"),
        reverse("accounts:profile"),
        reverse("grading:feedback_list"),
        "/api/v1/courses/",
    ):
        response = client.get(url)
        assert response.status_code == 200, url
        assert response["Cache-Control"] == "private, no-store", url
    # Anonymous pages stay cacheable as they were (the home page), and a response that
    # says how to cache itself keeps its header (the login page never caches).
    client.logout()
    assert "no-store" not in client.get(reverse("home")).get("Cache-Control", "")
    assert "max-age=0" in client.get(reverse("accounts:login"))["Cache-Control"]
    # Anonymous pages with a form hold the browser's CSRF token: not for shared caches.
    for url in (reverse("lessons:signup"), reverse("accounts:password_reset")):
        assert client.get(url)["Cache-Control"] == "private, no-store", url


@pytest.mark.parametrize("typed", ["Stu\r\nBcc: evil@example.com", "Tab\there", "Bell\x07"])
def test_a_display_name_stays_on_one_line(client, bob, typed):
    client.force_login(bob)
    before = bob.display_name
    data = {"display_name": typed, "first_name": "Bob", "last_name": "B", "email": bob.email}
    response = client.post(reverse("accounts:profile"), data)
    assert "Keep the name on one line" in response.content.decode()
    bob.refresh_from_db()
    assert bob.display_name == before


@pytest.mark.parametrize(
    "space",
    ["\u200b", "\u2060", "\ufeff", "\u2063", "\u00ad", "\u3164", "\u034f", "\U000e0041"],
)
def test_a_display_name_holds_no_invisible_space(client, bob, space):
    """ "Ada" + a zero-width space + "Lovelace" passed for another person's name."""
    client.force_login(bob)
    data = {
        "display_name": f"Ada{space}Lovelace",
        "first_name": "Bob",
        "last_name": "B",
        "email": bob.email,
    }
    response = client.post(reverse("accounts:profile"), data)
    assert response.status_code == 200
    assert "Remove the invisible character from the name" in response.content.decode()
    # A line separator is a line break.
    data["display_name"] = "Ada\u2028Lovelace"
    assert (
        "Keep the name on one line"
        in client.post(reverse("accounts:profile"), data).content.decode()
    )
    # The joiners some scripts and emoji need stay allowed.
    for name in (
        "\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645",
        "Ada \U0001f469\u200d\U0001f4bb",
    ):
        data["display_name"] = name
        assert client.post(reverse("accounts:profile"), data).status_code == 302


def test_a_name_with_accents_stacked_past_any_script_s_is_refused(client, bob):
    """Probe 29: "a" with 100 acute accents was taken, drawn over the rows around it."""
    client.force_login(bob)
    data = {"first_name": "Bob", "last_name": "B", "email": bob.email}
    response = client.post(
        reverse("accounts:profile"), {**data, "display_name": "Za" + "\u0301" * 100 + "lgo"}
    )
    assert response.status_code == 200
    assert "Remove the accents stacked on one letter" in response.content.decode()
    # Real names keep theirs: Vietnamese (two marks on a letter, decomposed), Hindi.
    for name in (
        "Nguye\u0302\u0303n",
        "\u0928\u093f\u0916\u093f\u0932 \u0936\u0930\u094d\u092e\u093e",
    ):
        response = client.post(reverse("accounts:profile"), {**data, "display_name": name})
        assert response.status_code == 302, name


@pytest.mark.parametrize(
    ("sent", "lands"),
    [
        ("/projects/", "/projects/"),
        ("%252Fprojects%252F", "/projects/"),  # a link that encoded its next twice
        ("projects/", "/"),  # relative: it resolved under /accounts/login/, a 404
        ("%252F%252Fevil.example%252F", "/"),
        ("https://evil.example/", "/"),
        ("%252F%255Cevil.example", "/"),
        ("https%253A%252F%252Fevil.example%252F", "/"),
    ],
)
def test_after_login_a_next_lands_on_a_page_of_this_site(client, bob, sent, lands):
    url = f"{reverse('accounts:login')}?next={sent}"  # SENT as it is in the link
    response = client.post(url, {"username": "bob", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == lands  # "/": the dashboard
    assert client.get(response["Location"], follow=True).status_code == 200
