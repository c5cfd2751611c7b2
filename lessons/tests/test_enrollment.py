"""Sign-up with a course key, and self-enrollment for people who have an account."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.urls import reverse

from accounts.models import Role, User
from accounts.tests.factories import UserFactory
from lessons import services
from lessons.models import Enrollment
from lessons.tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

STRONG = "a-long-passphrase-42"


def signup_data(key: str, **overrides) -> dict:
    data = {
        "key": key,
        "username": "dora",
        "email": "Dora@Example.org",
        "display_name": "Dora Student",
        "password1": STRONG,
        "password2": STRONG,
    }
    return {**data, **overrides}


def test_signup_with_a_key_creates_the_account_and_the_enrollment(client, pyweb):
    response = client.post(
        reverse("lessons:signup"), signup_data(pyweb.course.enrollment_key), follow=True
    )
    user = User.objects.get(username="dora")
    assert user.email == "dora@example.org"
    assert user.check_password(STRONG)
    enrollment = Enrollment.objects.get(user=user)
    assert (enrollment.course, enrollment.role) == (pyweb.course, Role.STUDENT)
    assert response.redirect_chain[-1][0] == pyweb.course.get_absolute_url()
    assert response.context["user"] == user  # logged in
    assert "Your account is ready" in response.content.decode()


def test_a_wrong_key_keeps_what_was_typed(client, pyweb):
    response = client.post(reverse("lessons:signup"), signup_data("not-the-key"))
    assert response.status_code == 200
    page = response.content.decode()
    assert "No course has this enrollment key" in page
    assert 'value="dora"' in page and 'value="Dora Student"' in page
    assert 'value="not-the-key"' in page
    assert STRONG not in page  # passwords are never echoed back
    assert not User.objects.filter(username="dora").exists()


def test_signup_for_an_unpublished_course_explains_why(client, db):
    course = CourseFactory(is_published=False, title="Secret Course In Preparation")
    response = client.post(reverse("lessons:signup"), signup_data(course.enrollment_key))
    page = response.content.decode()
    assert "is not open for enrollment: it is being prepared, or its run has ended" in page
    assert course.title not in page  # a guessed key tells no title
    assert not User.objects.filter(username="dora").exists()


def test_signup_rejects_a_taken_email_and_mismatched_passwords(client, pyweb, bob):
    response = client.post(
        reverse("lessons:signup"),
        signup_data(pyweb.course.enrollment_key, email=bob.email.upper(), password2="other"),
    )
    page = response.content.decode()
    assert "already uses this email" in page
    assert "The two passwords differ" in page


def test_signup_creates_nothing_if_the_enrollment_fails(pyweb, database_refuses):
    from django.core.exceptions import ValidationError
    from django.db import DatabaseError

    database_refuses("lessons_enrollment")
    # SQLite reports the refusal as an integrity error, which the service words as a
    # validation error; PostgreSQL as a plain database error. Either way: no account.
    with pytest.raises((DatabaseError, ValidationError)):
        services.user_signup_with_key(
            username="dora",
            email="dora@example.org",
            password=STRONG,
            display_name="Dora",
            key=pyweb.course.enrollment_key,
        )
    assert not User.objects.filter(username="dora").exists()


def test_logged_in_people_are_sent_to_the_enroll_form(client, bob):
    client.force_login(bob)
    response = client.get(reverse("lessons:signup"))
    assert response.url == reverse("lessons:enroll")


def test_self_enrollment_with_a_key(client, pyweb, charlie):
    client.force_login(charlie)
    response = client.post(
        reverse("lessons:enroll"), {"key": f"  {pyweb.course.enrollment_key} "}, follow=True
    )
    assert Enrollment.objects.filter(user=charlie, course=pyweb.course, role=Role.STUDENT).exists()
    assert f"Welcome to {pyweb.course.title}" in response.content.decode()
    assert response.redirect_chain[-1][0] == pyweb.course.get_absolute_url()


def test_self_enrollment_when_already_enrolled_says_so(client, pyweb, bob):
    client.force_login(bob)
    response = client.post(
        reverse("lessons:enroll"), {"key": pyweb.course.enrollment_key}, follow=True
    )
    assert "already enrolled" in response.content.decode()
    assert Enrollment.objects.filter(user=bob).count() == 1


def test_self_enrollment_with_a_wrong_key_keeps_it_in_the_form(client, pyweb, charlie):
    client.force_login(charlie)
    response = client.post(reverse("lessons:enroll"), {"key": "nope-nope"})
    page = response.content.decode()
    assert "No course has this enrollment key" in page
    assert 'value="nope-nope"' in page
    assert "You were not enrolled" in page


def test_a_rotated_key_stops_working(client, pyweb, charlie):
    old = pyweb.course.enrollment_key
    new = pyweb.course.rotate_enrollment_key()
    assert new != old
    client.force_login(charlie)
    client.post(reverse("lessons:enroll"), {"key": old})
    assert not Enrollment.objects.filter(user=charlie, course=pyweb.course).exists()


def test_enrollment_create_refuses_a_duplicate(pyweb, bob):
    with pytest.raises(ValidationError):
        services.enrollment_create(user=bob, course=pyweb.course)


def _remove_in_the_back_office(client, enrollment, how: str) -> None:
    if how == "delete page":
        url = reverse("admin:lessons_enrollment_delete", args=[enrollment.pk])
        assert client.post(url, {"post": "yes"}).status_code == 302
    elif how == "delete action":
        data = {"action": "delete_selected", "_selected_action": [enrollment.pk], "post": "yes"}
        assert client.post(reverse("admin:lessons_enrollment_changelist"), data).status_code == 302
    else:
        url = reverse("api:enrollment-detail", args=[enrollment.pk])
        assert client.delete(url).status_code == 204


@pytest.mark.parametrize("how", ["delete page", "delete action", "api"])
def test_a_student_removed_by_a_teacher_cannot_enroll_again_with_the_key(
    client, pyweb, other_course, alice, bob, how
):
    enrollment = Enrollment.objects.get(user=bob, course=pyweb.course)
    client.force_login(alice)
    _remove_in_the_back_office(client, enrollment, how)
    assert not Enrollment.objects.filter(user=bob, course=pyweb.course).exists()

    client.force_login(bob)
    response = client.post(reverse("lessons:enroll"), {"key": pyweb.course.enrollment_key})
    page = response.content.decode()
    assert "Your instructor removed you from" in page and "ask them to add you again" in page
    assert f'value="{pyweb.course.enrollment_key}"' in page  # the key stays typed
    assert not Enrollment.objects.filter(user=bob, course=pyweb.course).exists()
    assert client.get(pyweb.course.get_absolute_url()).status_code == 404

    # Another course's key still enrolls them; a teacher may add them back.
    client.post(reverse("lessons:enroll"), {"key": other_course.course.enrollment_key})
    assert Enrollment.objects.filter(user=bob, course=other_course.course).exists()
    services.enrollment_create(user=bob, course=pyweb.course)
    assert client.get(pyweb.course.get_absolute_url()).status_code == 200


def test_the_delete_pages_say_the_key_will_not_let_them_back(client, pyweb, alice, bob):
    enrollment = Enrollment.objects.get(user=bob, course=pyweb.course)
    client.force_login(alice)
    single = client.get(reverse("admin:lessons_enrollment_delete", args=[enrollment.pk]))
    bulk = client.post(
        reverse("admin:lessons_enrollment_changelist"),
        {"action": "delete_selected", "_selected_action": [enrollment.pk]},
    )
    for page in (single.content.decode(), bulk.content.decode()):
        assert "cannot enroll again with the course key" in page
        assert "add their enrollment here" in page
        # What stays, and what enrolling them again does (probe 101).
        assert "progress, answers, group" in page and "a grader's reviews) is kept" in page
        assert "its password and name cleared" in page
    assert Enrollment.objects.filter(pk=enrollment.pk).exists()  # asked, not done


def test_a_removal_from_one_course_does_not_bar_another_student(client, pyweb, alice, charlie):
    services.enrollment_delete(Enrollment.objects.get(user__username="bob", course=pyweb.course))
    client.force_login(charlie)
    client.post(reverse("lessons:enroll"), {"key": pyweb.course.enrollment_key})
    assert Enrollment.objects.filter(user=charlie, course=pyweb.course).exists()


def test_guessing_keys_is_stopped_after_a_few_wrong_ones(client, pyweb, charlie, settings):
    settings.SIGNUP_FAILURE_LIMIT = 3
    client.force_login(charlie)
    for guess in ("guess-0001", "guess-0002", "guess-0003"):
        response = client.post(reverse("lessons:enroll"), {"key": guess})
        assert response.status_code == 200
        cache.clear()  # what another worker without Redis sees: counted all the same
    response = client.post(reverse("lessons:enroll"), {"key": pyweb.course.enrollment_key})
    assert response.status_code == 429
    page = response.content.decode()
    assert "Too many wrong keys" in page
    assert f'value="{pyweb.course.enrollment_key}"' in page
    assert not Enrollment.objects.filter(user=charlie, course=pyweb.course).exists()
    # Counted per account: a classmate behind the same address enrolls.
    classmate = UserFactory(username="dana")
    client.force_login(classmate)
    client.post(reverse("lessons:enroll"), {"key": pyweb.course.enrollment_key})
    assert Enrollment.objects.filter(user=classmate, course=pyweb.course).exists()


def test_the_key_of_a_course_not_open_yet_is_no_wrong_guess(client, charlie, settings):
    settings.SIGNUP_FAILURE_LIMIT = 2
    course = CourseFactory(is_published=False)
    client.force_login(charlie)
    for _ in range(3):  # students retrying the key their instructor just gave them
        response = client.post(reverse("lessons:enroll"), {"key": course.enrollment_key})
        assert response.status_code == 200
        page = response.content.decode()
        assert "is not open for enrollment: it is being prepared, or its run has ended" in page
        assert "please check the key" not in page
    course.is_published = True
    course.save()
    client.post(reverse("lessons:enroll"), {"key": course.enrollment_key})
    assert Enrollment.objects.filter(user=charlie, course=course).exists()


def test_the_signup_form_is_sent_once(client, pyweb):
    """Probe 46: a second click while the first was sending got "This username is taken"
    for the account the first had just made. site.js sends a data-once form once."""
    for response in (
        client.get(reverse("lessons:signup")),
        client.post(reverse("lessons:signup"), signup_data("WRONG-KEY")),  # shown again
    ):
        page = response.content.decode()
        form = re.search(r'<form[^>]* id="signup-form"[^>]*>', page).group()
        assert 'data-once="Creating your account…"' in form
