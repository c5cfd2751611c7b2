"""Sign-up with a course key: it tells nobody who has an account, and refusals are limited."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import ThrottleCount, User
from lessons import services
from lessons.models import Enrollment
from lessons.tests.test_enrollment import STRONG, signup_data

pytestmark = pytest.mark.django_db

CLASSROOM = "192.0.2.10"
HOME = "198.51.100.7"


def signup(client, data, address=CLASSROOM):
    return client.post(reverse("lessons:signup"), data, REMOTE_ADDR=address)


def errors(response) -> dict:
    return {field: list(messages) for field, messages in response.context["form"].errors.items()}


def accounts() -> set:
    return set(User.objects.values_list("username", flat=True))


STAFF = {"alice", "bob", "grace"}  # pyweb's people


def test_a_wrong_key_does_not_tell_whether_an_account_exists(client, pyweb, bob):
    taken = signup(client, signup_data("not-the-key", username="BOB", email=bob.email))
    free = signup(client, signup_data("not-the-key", username="nobody", email="no@example.org"))
    assert (
        errors(taken)
        == errors(free)
        == {
            "key": [
                "No course has this enrollment key. Check it with your instructor "
                "(keys are case-sensitive and may have been renewed)."
            ]
        }
    )
    assert "taken" not in taken.content.decode()
    assert "already uses" not in taken.content.decode()


def test_with_the_right_key_a_taken_username_or_email_is_explained(client, pyweb, bob):
    response = signup(client, signup_data(pyweb.course.enrollment_key, username="Bob"))
    assert errors(response) == {"username": ["This username is taken. Choose another one."]}
    response = signup(client, signup_data(pyweb.course.enrollment_key, email="BOB@example.org"))
    assert "already uses this email address" in errors(response)["email"][0]
    assert accounts() == STAFF


def test_refused_signups_are_limited_per_address_and_nothing_is_saved(client, pyweb, settings):
    settings.SIGNUP_FAILURE_LIMIT = 3
    for _ in range(3):
        assert signup(client, signup_data("not-the-key")).status_code == 200
    response = signup(client, signup_data(pyweb.course.enrollment_key))  # right, but too late
    assert response.status_code == 429
    page = response.content.decode().replace("\xa0", " ")
    assert "Too many sign-up attempts from your network: wait 15 minutes" in page
    assert "Nothing was saved." in page
    assert 'value="dora"' in page and f'value="{pyweb.course.enrollment_key}"' in page
    assert STRONG not in page
    assert accounts() == STAFF
    assert Enrollment.objects.count() == 3

    response = signup(client, signup_data(pyweb.course.enrollment_key), address=HOME)
    assert response.status_code == 302  # another address is not affected
    assert accounts() == STAFF | {"dora"}


def test_refusals_are_counted_once_for_every_worker_until_the_window_ends(client, pyweb, settings):
    settings.SIGNUP_FAILURE_LIMIT = 2
    for _ in range(2):
        assert signup(client, signup_data("not-the-key")).status_code == 200
        # Another worker, without Redis, has a cache as empty as this one after clear().
        cache.clear()
    assert signup(client, signup_data(pyweb.course.enrollment_key)).status_code == 429
    assert accounts() == STAFF
    # The window ends (its end moved to the past rather than waiting 15 minutes):
    # counting starts again, and the right key gets in.
    ThrottleCount.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    assert signup(client, signup_data(pyweb.course.enrollment_key)).status_code == 302
    assert accounts() == STAFF | {"dora"}


def test_a_classroom_can_sign_up_together(pyweb, settings):
    # Only refusals count: thirty students behind one address all get in.
    settings.SIGNUP_FAILURE_LIMIT = 3
    for n in range(30):
        data = signup_data(
            pyweb.course.enrollment_key, username=f"student{n}", email=f"s{n}@example.org"
        )
        assert signup(Client(), data).status_code == 302
    assert Enrollment.objects.filter(course=pyweb.course).count() == 30 + 3


def test_a_concurrent_signup_that_came_first_is_explained(pyweb, bob):
    # The form checks the username, but another sign-up may take it just after:
    # the database refuses the second, and the service says so in words.
    with pytest.raises(ValidationError, match="taken a moment ago"):
        services.user_signup_with_key(
            username="BOB",
            email="new@example.org",
            password=STRONG,
            display_name="Bob Again",
            key=pyweb.course.enrollment_key,
        )
    assert accounts() == STAFF
    assert Enrollment.objects.count() == 3


HOSTILE = [
    ("key", "\x00", "invisible control character (NUL, U+0000)"),
    ("key", "k" * 1_000, "to 40 characters or fewer (it has 1000)"),
    ("key", "<script>alert(1)</script>", "No course has this enrollment key"),
    ("username", "", "Enter username."),
    ("username", "two words", "Use only the letters a-z and A-Z"),
    ("username", "u" * 151, "Keep username to 150 characters or fewer (it has 151)"),
    ("username", "dora\x00", "invisible control character (NUL, U+0000)"),
    ("username", "<script>", "Use only the letters a-z and A-Z"),
    # A Cyrillic "е" (U+0435): "studеnt1" would pass for "student1".
    ("username", "stud\u0435nt1", "Use only the letters a-z and A-Z"),
    # Read as an email address at login, and possibly someone else's address.
    ("username", "eve@home", "a name with @ reads as an email address at login"),
    ("username", "student1@example.org", "a name with @ reads as an email address at login"),
    ("email", "not-an-email", "Enter a valid email address."),
    ("email", "e" * 250 + "@example.org", "to 254 characters or fewer (it has 262)"),
    ("email", "dora\x00@example.org", "invisible control character (NUL, U+0000)"),
    ("display_name", "   ", "Enter "),
    ("display_name", "d" * 151, "to 150 characters or fewer (it has 151)"),
    ("display_name", "Dora\x00", "invisible control character (NUL, U+0000)"),
    # A right-to-left override: "Bob\u202eecila" shows as "Bobalice".
    ("display_name", "Bob\u202eecila", "invisible text-direction characters"),
    ("display_name", "\u2066Dora\u2069", "invisible text-direction characters"),
    ("password1", "short", "The two passwords differ."),
    ("password1", "x" * 100_000, "The two passwords differ."),
    ("password2", "\x00", "invisible control character (NUL, U+0000)"),
    ("password1 password2", "short", "This password is too short."),
    ("password1 password2", "dora@example.org", "too similar to the"),
]


@pytest.mark.parametrize(("field", "value", "message"), HOSTILE)
def test_hostile_values_are_refused_with_a_message_and_save_nothing(
    client, pyweb, field, value, message
):
    hostile = dict.fromkeys(field.split(), value)
    response = signup(client, {**signup_data(pyweb.course.enrollment_key), **hostile})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Your account was not created" in page
    assert message in page
    assert "<script>alert(1)</script>" not in page
    assert accounts() == STAFF
    assert Enrollment.objects.count() == 3


@pytest.mark.parametrize(
    "name", ["Zoë Łukasz-Ñúñez", "محمد علي", "مه\u200cسا", "李小龍", "Ōtsuka Ĳsbrand"]
)
def test_names_in_any_alphabet_are_welcome(client, pyweb, name):
    response = signup(client, signup_data(pyweb.course.enrollment_key, display_name=name))
    assert response.status_code == 302
    assert User.objects.get(username="dora").display_name == name


def test_a_key_holder_cannot_list_who_has_an_account_by_signing_up(pyweb, bob, settings):
    """Probe 76: with the course key every student has, sign-up told of any address
    whether it had an account, some 2,880 a day per network address. Past a few taken
    addresses a day, every address is refused alike from that network, taken or not;
    another network signs up as before."""
    settings.SIGNUP_TAKEN_LIMIT = 3
    settings.SIGNUP_FAILURE_LIMIT = 100
    key = pyweb.course.enrollment_key
    for n in range(3):
        taken = signup(Client(), signup_data(key, username=f"probe{n}", email="BOB@example.org"))
        assert "already uses this email address" in errors(taken)["email"][0]
    for email in ("bob@example.org", "nobody.here@example.org"):
        refused = signup(Client(), signup_data(key, username="probe9", email=email))
        message = errors(refused)["email"][0]
        assert message.startswith("Sign-ups from your network typed several addresses")
        assert "already uses" not in refused.content.decode()
        assert 'value="probe9"' in refused.content.decode()  # kept
    assert accounts() == STAFF
    response = signup(Client(), signup_data(key, email="dora@example.org"), address=HOME)
    assert response.status_code == 302
