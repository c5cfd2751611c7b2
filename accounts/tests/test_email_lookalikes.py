"""Email addresses that look like a taken one: one canonical form wherever an address is
typed (profile, sign-up, password reset, rosters by file and by API), and invisible
characters refused, so nobody gets a second account under someone else's address."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role, User
from accounts.tests.factories import PASSWORD, UserFactory
from accounts.validators import canonical_email
from api.tests.conftest import token_client
from lessons.models import Enrollment
from lessons.services import RosterOutcome
from lessons.tests.factories import CourseFactory, EnrollmentFactory
from lessons.tests.test_enrollment import signup_data

pytestmark = pytest.mark.django_db

# The probe's look-alikes of student1@example.org and kelvin@example.org.
FULLWIDTH = "student1@\uff45xample.org"  # a fullwidth e
KELVIN = "\u212aelvin@example.org"  # the Kelvin sign, which NFKC folds into a K
INVISIBLE = [
    "student1@example.org\u200b",
    "stud\u200dent1@example.org",
    "\ufeffstudent1@example.org",
]
TAKEN_ALIKE = [FULLWIDTH, KELVIN, " STUDENT1@Example.ORG "]
DOTLESS_I = "\u0131nstructor@example.org"  # the probe's look-alike of instructor@
CYRILLIC_DOMAIN = "student1@ex\u0430mple.org"  # a Cyrillic "а"


@pytest.mark.parametrize(
    ("typed", "canonical"),
    [
        (FULLWIDTH, "student1@example.org"),
        (KELVIN, "kelvin@example.org"),
        ("  Student1@EXAMPLE.org\u00a0", "student1@example.org"),  # NBSP: a space, stripped
        ("\uff53tudent1\uff20example.org", "student1@example.org"),  # a fullwidth s and @
        # A domain in another alphabet, in its xn-- form: no list shows it as example.org.
        (CYRILLIC_DOMAIN, "student1@xn--exmple-4nf.org"),
        ("bob@m\u00fcller.de", "bob@xn--mller-kva.de"),
    ],
)
def test_an_address_is_kept_in_one_canonical_form(typed, canonical):
    assert canonical_email(typed) == canonical


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        *((typed, "invisible character") for typed in INVISIBLE),
        ("student 1@example.org", "no spaces"),
        ("student1@exam\u00a0ple.org", "no spaces"),
        ("student1@", "Enter a valid email address."),
        # Letters Django's check takes for "i": the dotless i passed for instructor@.
        (DOTLESS_I, "plain Latin letters"),
        # IDNA 2003 turns "ß" into "ss": the invitation would go to strasse.de's owner.
        ("new.person@stra\u00dfe.de", "such as ß"),
        ("student1@\u00df.example", "such as ß"),
        # A label past 63 characters once IDNA-encoded: accepted, then every email failed.
        ("z@" + "é" * 63 + ".org", "not a domain name email can be sent to"),
    ],
)
def test_invisible_characters_and_inner_spaces_are_refused(typed, message):
    with pytest.raises(ValidationError, match=re.escape(message)):
        canonical_email(typed)


@pytest.fixture
def people():
    """student1 and kelvin, the addresses the look-alikes imitate; dora, who types them."""
    return (
        UserFactory(username="student1"),
        UserFactory(username="kelvin"),
        UserFactory(username="dora"),
    )


def profile(client, email: str):
    data = {
        "display_name": "Dora",
        "first_name": "",
        "last_name": "",
        "email": email,
        "current_password": PASSWORD,  # a new address asks for it
    }
    return client.post(reverse("accounts:profile"), data)


@pytest.mark.parametrize("typed", TAKEN_ALIKE)
def test_the_profile_refuses_a_look_alike_of_anothers_address(client, people, typed):
    _, _, dora = people
    client.force_login(dora)
    response = profile(client, typed)
    assert "Another account already uses this email address." in response.content.decode()
    assert User.objects.get(pk=dora.pk).email == "dora@example.org"


@pytest.mark.parametrize("typed", INVISIBLE)
def test_the_profile_refuses_invisible_characters(client, people, typed):
    _, _, dora = people
    client.force_login(dora)
    assert "invisible character" in profile(client, typed).content.decode()
    assert User.objects.get(pk=dora.pk).email == "dora@example.org"


def test_ones_own_address_typed_differently_is_saved_canonical(client, people):
    student1, _, _ = people
    client.force_login(student1)
    assert profile(client, FULLWIDTH.upper()).status_code == 302
    assert User.objects.get(pk=student1.pk).email == "student1@example.org"


@pytest.fixture
def course(people):
    course = CourseFactory(slug="web")
    EnrollmentFactory(user=UserFactory(username="teacher"), course=course, role=Role.INSTRUCTOR)
    return course


@pytest.mark.parametrize("typed", TAKEN_ALIKE)
def test_signing_up_with_a_look_alike_of_a_taken_address_is_refused(client, course, typed):
    data = signup_data(course.enrollment_key, username="newcomer", email=typed)
    response = client.post(reverse("lessons:signup"), data)
    assert "already uses this email address" in response.content.decode()
    assert not User.objects.filter(username="newcomer").exists()


def test_signing_up_with_an_invisible_character_is_refused(client, course):
    data = signup_data(course.enrollment_key, username="newcomer", email=INVISIBLE[0])
    response = client.post(reverse("lessons:signup"), data)
    assert "invisible character (U+200B)" in response.content.decode()
    assert not User.objects.filter(username="newcomer").exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("x@[127.0.0.1]", "not at a network address in brackets"),
        ("Ann@[10.0.0.1]", "not at a network address in brackets"),
        ("root@localhost", "with its dot (such as example.org)"),
        ("p9x@mail.localhost", "names a local machine or no machine at all"),
        ("q@box.invalid", "names a local machine or no machine at all"),
        ("X@LOCALHOST", "with its dot (such as example.org)"),
    ],
)
def test_an_address_at_a_bare_machine_is_refused_in_words(client, course, typed, message):
    """Django takes a domain literal and "localhost": mail to a bare machine, nobody's
    address; sign-up, the profile and the reset form alike refuse it (probe 21)."""
    with pytest.raises(ValidationError, match=re.escape(message)):
        canonical_email(typed)
    data = signup_data(course.enrollment_key, username="newcomer", email=typed)
    assert message in client.post(reverse("lessons:signup"), data).content.decode()
    assert not User.objects.filter(username="newcomer").exists()
    page = client.post(reverse("accounts:password_reset"), {"email": typed})
    assert message in page.content.decode()
    # The API's enrollment says why, not "import a roster to create one" (probe 22).
    teacher = token_client(course.enrollments.get(role=Role.INSTRUCTOR).user)
    response = teacher.post(
        f"/api/v1/courses/{course.pk}/enrollments/",
        {"email": typed, "role": "student"},
        content_type="application/json",
    )
    assert response.status_code == 400
    refusal = response.json()["errors"]["email"][0]
    assert "Import a roster" not in refusal
    assert message in refusal or refusal == "Enter a valid email address."  # DRF's, first


def test_signing_up_with_a_new_address_stores_it_canonical(client, course):
    data = signup_data(course.enrollment_key, username="newcomer", email="New@\uff45xample.org")
    assert client.post(reverse("lessons:signup"), data).status_code == 302
    assert User.objects.get(username="newcomer").email == "new@example.org"


def test_a_reset_asked_with_a_look_alike_reaches_the_account(client, people, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    client.post(reverse("accounts:password_reset"), {"email": FULLWIDTH})
    assert [message.to for message in mail.outbox] == [["student1@example.org"]]


# Rosters: a look-alike enrolls the existing account, never a second one ---------------
ROSTER = f"email,name,role\n{FULLWIDTH},Student One,student\n{KELVIN},Kelvin,grader\n"


def roster_rows(client, course, text: str):
    response = client.post(
        reverse("admin:lessons_enrollment_import_roster"),
        {"course": course.pk, "file": SimpleUploadedFile("roster.csv", text.encode())},
    )
    return response.context["results"]


def test_a_roster_file_enrolls_the_account_a_look_alike_imitates(client, course, people):
    student1, kelvin, _ = people
    accounts = User.objects.count()
    client.force_login(User.objects.get(username="teacher"))
    rows = roster_rows(client, course, ROSTER)
    assert [(row.email, row.outcome) for row in rows] == [
        ("student1@example.org", RosterOutcome.ENROLLED),
        ("kelvin@example.org", RosterOutcome.ENROLLED),
    ]
    assert User.objects.count() == accounts
    assert Enrollment.objects.get(user=kelvin, course=course).role == Role.GRADER


def test_a_roster_row_with_an_invisible_character_is_rejected_with_its_reason(
    client, course, people
):
    client.force_login(User.objects.get(username="teacher"))
    rows = roster_rows(client, course, f"email,name,role\n{INVISIBLE[0]},Again,student\n")
    [row] = rows
    assert row.outcome == RosterOutcome.REJECTED
    assert "bad email" in row.detail and "invisible character (U+200B)" in row.detail
    assert not Enrollment.objects.filter(course=course, user__username="student1").exists()


def test_the_api_roster_of_another_course_does_the_same(people):
    # The same import by another course's instructor, through the API: the look-alike
    # is the existing account there too, and a duplicate of it in one file is one row.
    student1, _, _ = people
    other = CourseFactory(slug="other")
    teacher = UserFactory(username="other-teacher")
    EnrollmentFactory(user=teacher, course=other, role=Role.INSTRUCTOR)
    given = [
        {"email": FULLWIDTH, "name": "Student One"},
        {"email": "Student1@example.org", "name": "Again"},
        {"email": INVISIBLE[1], "name": "Invisible"},
    ]
    response = token_client(teacher).post(
        f"/api/v1/courses/{other.pk}/roster/", {"rows": given}, content_type="application/json"
    )
    assert response.status_code == 200
    rows = response.json()["rows"]
    assert [(row["email"], row["outcome"]) for row in rows] == [
        ("student1@example.org", "enrolled"),
        ("student1@example.org", "rejected"),
        ("stud\u200dent1@example.org", "rejected"),
    ]
    assert rows[0]["detail"] == "existing account, as student; told by email"  # no username
    assert "duplicate of line 2" in rows[1]["detail"]
    assert "invisible character (U+200D)" in rows[2]["detail"]
    assert list(Enrollment.objects.filter(course=other, user=student1)) != []
    assert not User.objects.filter(email__contains="\uff45").exists()


def test_the_profile_refuses_a_domain_no_email_reaches(client, people):
    _, _, dora = people
    client.force_login(dora)
    page = profile(client, "dora@" + "é" * 63 + ".org").content.decode()
    assert "not a domain name email can be sent to" in page
    assert User.objects.get(pk=dora.pk).email == "dora@example.org"
    assert profile(client, "dora@bücher.example").status_code == 302  # IDNA that encodes


def test_a_roster_keeps_look_alike_letters_out_of_every_list(client, course, people):
    # On SQLite, lookups ignoring case do not see "ı" as "i": the row was imported as
    # a new account "nstructor" beside the instructor on every list.
    UserFactory(username="instructor", email="instructor@example.org")
    client.force_login(User.objects.get(username="teacher"))
    text = f"email,name,role\n{DOTLESS_I},Not Them,student\n{CYRILLIC_DOMAIN},Other,student\n"
    dotless, cyrillic = roster_rows(client, course, text)
    assert dotless.outcome == RosterOutcome.REJECTED
    assert "plain Latin letters" in dotless.detail
    # A real address of another domain, shown as what it is.
    assert cyrillic.email == "student1@xn--exmple-4nf.org"
    assert not User.objects.filter(email__in=[DOTLESS_I, CYRILLIC_DOMAIN]).exists()


def test_signing_up_with_a_dotless_i_is_refused_in_words(client, course):
    data = signup_data(course.enrollment_key, username="newcomer", email=DOTLESS_I)
    response = client.post(reverse("lessons:signup"), data)
    assert "plain Latin letters" in response.content.decode()
    assert not User.objects.filter(username="newcomer").exists()


def test_addresses_saved_before_with_a_unicode_domain_are_found_after_the_migration(client, course):
    from importlib import import_module

    from django.apps import apps

    old = UserFactory(username="idnuser")
    User.objects.filter(pk=old.pk).update(email="idnuser@b\u00fccher.example")  # as stored before
    import_module("accounts.migrations.0007_email_domains_in_ascii").domains_in_ascii(apps, None)

    assert User.objects.get(pk=old.pk).email == "idnuser@xn--bcher-kva.example"
    assert User.objects.get_by_login("IDNuser@b\u00fccher.example") == old
    data = signup_data(course.enrollment_key, username="twin", email="idnuser@b\u00fccher.example")
    response = client.post(reverse("lessons:signup"), data)
    assert "already uses this email address" in response.content.decode()
    assert not User.objects.filter(username="twin").exists()
