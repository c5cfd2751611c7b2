"""A roster refuses what sign-up refuses, and a file whose columns are ambiguous."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from accounts.models import Role, User
from api.tests.conftest import token_client
from lessons.models import Enrollment
from lessons.services import RosterOutcome, roster_parse
from lessons.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

# Names with nothing visible, which sign-up and the profile refuse (validate_name).
BLANK_NAMES = [
    pytest.param("\u200b", id="zero-width space"),
    pytest.param("\u3164", id="Hangul filler"),
    pytest.param("\u2800\u2800", id="blank Braille"),
    pytest.param("\u200b \u2060", id="invisibles and a space"),
]


def upload(client, course, content: bytes):
    return client.post(
        reverse("admin:lessons_enrollment_import_roster"),
        {"course": course.pk, "file": SimpleUploadedFile("roster.csv", content)},
    )


@pytest.mark.parametrize("name", BLANK_NAMES)
def test_a_name_with_nothing_visible_is_refused_as_sign_up_refuses_it(client, pyweb, alice, name):
    client.force_login(alice)
    content = f"email,name,role\nghost@example.org,{name},student\nann@example.org,Ann,student\n"
    response = upload(client, pyweb.course, content.encode())
    assert response.status_code == 200
    ghost, ann = response.context["results"]
    assert ghost.outcome == RosterOutcome.REJECTED
    assert "at least one visible letter, digit or sign" in ghost.detail
    assert "at least one visible letter" in response.content.decode()
    assert ann.outcome == RosterOutcome.CREATED  # the other rows are imported
    assert not User.objects.filter(email="ghost@example.org").exists()
    assert User.objects.filter(email="ann@example.org").exists()


def test_a_name_in_any_alphabet_or_none_at_all_is_imported(pyweb):
    rows = roster_parse(
        "email,name,role\n"
        "a@example.org,می\u200cخواهم,student\n"  # a joiner between letters is part of a name
        "b@example.org,,student\n"
    )
    assert [row.detail for row in rows] == ["", ""]


def test_the_api_roster_refuses_a_blank_name_too(pyweb, alice):
    response = token_client(alice).post(
        f"/api/v1/courses/{pyweb.course.pk}/roster/",
        {"rows": [{"email": "ghost@example.org", "name": "\u3164", "role": "student"}]},
        content_type="application/json",
    )
    assert response.status_code in (200, 400), response.content
    assert "at least one visible letter" in response.content.decode()
    assert not User.objects.filter(email="ghost@example.org").exists()


@pytest.mark.parametrize(
    ("header", "column", "times"),
    [
        ("email,name,role,email", "email", "twice"),
        ("name;email;role;name", "name", "twice"),
        ("Role,email,name,ROLE , role", "role", "3 times"),
    ],
)
def test_a_column_named_twice_refuses_the_file(client, pyweb, alice, header, column, times):
    client.force_login(alice)
    separator = ";" if ";" in header else ","
    values = {"email": "x@example.org", "name": "X", "role": "student"}
    row = separator.join(values.get(name.strip().lower(), "") for name in header.split(separator))
    before = User.objects.count(), Enrollment.objects.count()
    response = upload(client, pyweb.course, f"{header}\n{row}\n".encode())
    assert response.status_code == 200
    page = response.content.decode()
    assert f"The column “{column}” appears {times} in the first line." in page
    assert "The roster was not imported" in page
    assert (User.objects.count(), Enrollment.objects.count()) == before


def test_columns_nobody_reads_may_repeat(pyweb):
    # Spreadsheets write empty headers for trailing columns; extra columns are ignored.
    rows = roster_parse("email,name,role,,,notes,notes\na@example.org,A,student,,,x,y\n")
    assert [(row.email, row.detail) for row in rows] == [("a@example.org", "")]
    with pytest.raises(ValidationError, match="appears twice"):
        roster_parse("email,name,role,email\na@example.org,A,student,b@example.org\n")


def test_another_courses_instructor_imports_nothing_into_this_one(client, pyweb, other_course):
    teacher = EnrollmentFactory(course=other_course.course, role=Role.INSTRUCTOR).user
    client.force_login(teacher)
    response = upload(client, pyweb.course, b"email,name,role\nz@example.org,Z,student\n")
    assert response.status_code == 200
    assert "Select a valid choice" in response.content.decode()
    assert not Enrollment.objects.filter(course=pyweb.course, user__email="z@example.org").exists()


def test_a_name_with_accents_typed_as_marks_is_stored_as_one_spelling(client, pyweb, alice):
    """Probe 53: a roster written on a Mac (accents as separate marks, NFD) stored names
    that looked like the ones typed elsewhere and were not: two "Zoë Müller", a search
    finding one of them."""
    import unicodedata

    from accounts.models import people_matching

    composed = "Zoë Müller"
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    client.force_login(alice)
    upload(
        client, pyweb.course, f"email,name,role\nzoe@example.org,{decomposed},student\n".encode()
    )
    zoe = User.objects.get(email="zoe@example.org")
    assert str(zoe) == composed
    # Found by the name typed either way.
    for typed in (composed, decomposed, "zoë"):
        assert list(User.objects.filter(people_matching(typed))) == [zoe], typed
    # Every other way in (sign-up, the profile, the back office) saves the account.
    signed_up = User.objects.create_user(
        "zoe2", "zoe2@example.org", "pw", display_name=decomposed, last_name=decomposed
    )
    signed_up.refresh_from_db()
    assert (signed_up.display_name, signed_up.last_name) == (composed, composed)
