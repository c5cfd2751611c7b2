"""Hostile roster files: each one gets a clear message, and nothing is half written.

An instructor uploads whatever their spreadsheet (or a student's "roster" sent by
email) produced. Every case goes through the admin page and checks three things:
the page answers (never a server error), it says what is wrong in words, and no
account or enrollment is left behind for what was refused.
"""

from __future__ import annotations

import csv
import io
import string
import unicodedata

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from accounts.models import Role, User
from accounts.validators import validate_name
from api.tests.conftest import token_client
from lessons.models import Enrollment, one_line_refusal
from lessons.services import (
    NAME_MAX_LENGTH,
    ROSTER_MAX_ROWS,
    RosterOutcome,
    roster_import,
    roster_parse,
)

pytestmark = pytest.mark.django_db

HEADER = b"email,name,role\n"
# Each part within the limits of an address, the whole past the column's 254.
LONG_EMAIL = ("a" * 64 + "@" + ".".join(c * 63 for c in "bcd") + "." + "e" * 60 + ".org").encode()

# Files the form refuses as a whole: (case, file content, words the page must show).
REFUSED_FILES = [
    ("invalid UTF-8", HEADER + b"\xff\xfe@example.org,A,student\n", "not UTF-8"),
    ("UTF-16", "email,name,role\na@example.org,A,student\n".encode("utf-16"), "not UTF-8"),
    ("Latin-1", HEADER + "z@example.org,Zoë,student\n".encode("latin-1"), "not UTF-8"),
    ("a picture", b"\x89PNG\r\n\x1a\n" + bytes(range(256)), "not UTF-8"),
    ("too large", HEADER + b"x" * (2 * 1024 * 1024), "larger than 2 MB"),
    (
        "too many rows",
        HEADER + b"".join(b"s%d@example.org,S,student\n" % n for n in range(ROSTER_MAX_ROWS + 1)),
        "more than 5,000 rows",
    ),
    (
        # Probe 63: 690,000 lines of commas took 2-3 s before the file was refused.
        "too many empty lines",
        HEADER + b"a@example.org,A,student\n" + b",,\n" * (ROSTER_MAX_ROWS + 1),
        "more than 5,000 empty lines",
    ),
    (
        "a field past the CSV limit",
        HEADER + b"a@example.org," + b"n" * 200_000,
        "Line 2 has a value longer than 131,072 characters",
    ),
    (
        "a quote left open on the last line",
        HEADER + b'ok@example.org,Ok,student\nq3@example.org,"Quinn Three,grader',
        "A quotation mark opened on line 3 is never closed",
    ),
    (
        "a quote left open before other lines",
        HEADER + b'q3@example.org,"Quinn,grader\nok@example.org,Ok,student\n',
        "A quotation mark opened on line 2 is never closed",
    ),
    ("text after a closing quote", HEADER + b'a@example.org,"Ann" B,student\n', "Line 2 is"),
    ("header only", HEADER, "header but no rows"),
    ("no header", b"a@example.org,A,student\n", "missing: email, name, role"),
    ("NUL in the header", b"em\x00ail,name,role\na@example.org,A,student\n", "missing: email"),
    ("only separators", b";;;;\n,,,,\n\t\t\n", "missing: email, name, role"),
    ("empty", b"", "The submitted file is empty"),
]

# Rows refused one by one: (case, row, words the result shows).
REFUSED_ROWS = [
    ("NUL in the name", b"nul@example.org,Ad\x00a,student", "control character (U+0000)"),
    ("NUL in the email", b"n\x00l@example.org,Ada,student", "control character (U+0000)"),
    ("NUL in the role", b"role@example.org,Ada,stu\x00dent", "control character (U+0000)"),
    ("escape code", b"esc@example.org,\x1b[31mAda,student", "control character (U+001B)"),
    ("C1 control", "c1@example.org,A\x85da,student".encode(), "control character (U+0085)"),
    ("direction override", "rlo@example.org,\u202eadA,student".encode(), "(U+202E)"),
    ("line separator", "ls@example.org,A\u2028da,student".encode(), "(U+2028)"),
    ("a name too long", b"long@example.org," + b"n" * (NAME_MAX_LENGTH + 1) + b",student", "150"),
    ("an email too long", LONG_EMAIL + b",Ada,student", "longer than 254"),
    ("no email", b",Ada,student", "bad email"),
    ("not an email", b"=cmd|' /C calc'!A0,Ada,student", "bad email"),
    ("two @", b"a@b@example.org,Ada,student", "bad email"),
    ("a huge role", b"huge@example.org,Ada," + b"r" * 100_000, "unknown role"),
    ("superuser role", b"su@example.org,Ada,superuser", "unknown role"),
    ("a duplicate, other case", b"DUP@example.org,Again,student", "duplicate of line 2"),
]

# Strange but legitimate rows, imported as given: formulas are only text here (the
# exports escape them), and the longest allowed name fits.
ACCEPTED_ROWS = [
    (b'formula@example.org,=HYPERLINK("http://x"),student', '=HYPERLINK("http://x")'),
    (b"=1+2@example.org,-2+3,student", "-2+3"),
    (b"max@example.org," + b"m" * NAME_MAX_LENGTH + b",grader", "m" * NAME_MAX_LENGTH),
    ("rtl@example.org,\u05e9\u05dc\u05d5\u05dd,student".encode(), "\u05e9\u05dc\u05d5\u05dd"),
    (b'comma@example.org,"Lovelace, Ada",', "Lovelace, Ada"),
]


def upload(client, course, content: bytes):
    return client.post(
        reverse("admin:lessons_enrollment_import_roster"),
        {"course": course.pk, "file": SimpleUploadedFile("roster.csv", content)},
    )


def snapshot():
    return User.objects.count(), Enrollment.objects.count()


@pytest.mark.parametrize(("case", "content", "message"), REFUSED_FILES, ids=lambda v: str(v)[:30])
def test_an_unusable_file_is_refused_whole_with_a_message(
    client, pyweb, alice, case, content, message
):
    client.force_login(alice)
    before = snapshot()
    response = upload(client, pyweb.course, content)
    assert response.status_code == 200, case
    page = response.content.decode()
    assert message in page, case
    assert "The roster was not imported" in page
    assert response.context["results"] is None
    assert snapshot() == before, case


def test_each_bad_row_is_refused_with_its_reason_and_the_good_rows_are_imported(
    client, pyweb, alice
):
    client.force_login(alice)
    before_users, before_enrollments = snapshot()
    good = [b"dup@example.org,First,student"] + [row for row, _ in ACCEPTED_ROWS]
    content = HEADER + b"\n".join(good + [row for _, row, _ in REFUSED_ROWS]) + b"\n"
    response = upload(client, pyweb.course, content)
    assert response.status_code == 200
    results = response.context["results"]
    rejected = [row for row in results if not row.accepted]
    assert len(rejected) == len(REFUSED_ROWS)
    page = response.content.decode()
    for (case, _row, message), row in zip(REFUSED_ROWS, rejected, strict=True):
        assert message in row.detail, (case, row.detail)
        assert row.outcome == RosterOutcome.REJECTED
        if "\x00" not in row.email:  # PostgreSQL cannot even be asked about a NUL
            assert not User.objects.filter(email=row.email).exclude(display_name="First"), case
        assert len(row.detail) < 200, case  # a 100,000-character role is not echoed back
    assert f"{len(good)} row(s) accepted, {len(REFUSED_ROWS)} rejected" in page
    # Only the good rows were written, each as a whole: an account and its enrollment.
    assert snapshot() == (before_users + len(good), before_enrollments + len(good))
    for _row, name in ACCEPTED_ROWS:
        user = User.objects.get(display_name=name)
        assert Enrollment.objects.filter(user=user, course=pyweb.course).exists()
    assert User.objects.get(email="=1+2@example.org").display_name == "-2+3"
    assert User.objects.get(email="dup@example.org").display_name == "First"  # not "Again"


def test_a_byte_order_mark_twice_or_in_the_middle_is_harmless(client, pyweb, alice):
    client.force_login(alice)
    content = b"\xef\xbb\xbf\xef\xbb\xbfEmail;Name;Role\r\nbom@example.org;Bom;student\r\n"
    response = upload(client, pyweb.course, content)
    assert [row.outcome for row in response.context["results"]] == [RosterOutcome.CREATED]


def test_when_the_database_refuses_a_row_nothing_of_the_roster_is_written(
    client, pyweb, alice, database_refuses
):
    database_refuses("lessons_enrollment", when="NEW.role = 'grader'")
    client.force_login(alice)
    before = snapshot()
    content = HEADER + b"first@example.org,First,student\nta@example.org,TA,grader\nbad,X,\n"
    response = upload(client, pyweb.course, content)
    assert response.status_code == 200
    first, ta, bad = response.context["results"]
    assert "not saved" in ta.detail and "nothing from this file was saved" in ta.detail
    assert "line 3 could not be saved" in first.detail
    assert "bad email" in bad.detail  # its own reason, untouched
    assert "0 row(s) accepted, 3 rejected" in response.content.decode()
    assert snapshot() == before


def test_usernames_stay_unique_for_many_emails_with_the_same_name(pyweb):
    rows = roster_parse(
        HEADER + b"".join(b"sam@host%d.example.org,Sam,student\n" % n for n in range(300))
    )
    User.objects.create(username="sam2", email="taken@example.org")
    roster_import(course=pyweb.course, rows=rows)
    names = sorted(User.objects.filter(username__startswith="sam").values_list("username"))
    assert len(names) == 301 and len(set(names)) == 301
    assert User.objects.get(email="sam@host0.example.org").username == "sam"
    assert User.objects.get(email="sam@host1.example.org").username == "sam3"


def test_a_large_roster_is_written_in_batches_and_invited_in_batches(
    pyweb, django_assert_max_num_queries, django_capture_on_commit_callbacks
):
    # 1,200 new people, a few sharing a name, and one person already enrolled: the
    # accounts and enrollments go in a few hundred at a time (one INSERT each took most
    # of a minute for 5,000 rows), and the invitations are queued a hundred a task.
    body = b"".join(b"person%d@example.org,Person %d,student\n" % (n, n) for n in range(1197))
    body += b"kim@one.example.org,Kim,student\nkim@two.example.org,Kim,grader\n"
    existing = User.objects.create(
        username="known", email="known@example.org", email_confirmed=True
    )
    Enrollment.objects.create(user=existing, course=pyweb.course, role=Role.STUDENT)
    rows = roster_parse(HEADER + body + b"known@example.org,Known,grader\n")
    with django_assert_max_num_queries(40):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            roster_import(course=pyweb.course, rows=rows)
    outcomes = [row.outcome for row in rows]
    assert outcomes.count(RosterOutcome.CREATED) == 1199
    assert outcomes[-1] == RosterOutcome.ALREADY and "role left unchanged" in rows[-1].detail
    assert (
        Enrollment.objects.filter(course=pyweb.course, user__email__startswith="person").count()
        == 1197
    )
    kims = dict(User.objects.filter(email__startswith="kim@").values_list("email", "username"))
    assert kims == {"kim@one.example.org": "kim", "kim@two.example.org": "kim2"}
    assert Enrollment.objects.get(user__username="kim2", course=pyweb.course).role == Role.GRADER
    assert User.objects.get(username="person7").display_name == "Person 7"
    assert not User.objects.get(username="person7").has_usable_password()
    assert len(callbacks) == 12  # 1,199 invitations, a hundred a task
    assert all(row.invited for row in rows[:-1]) and not rows[-1].invited


def test_an_address_differing_from_an_accounts_in_a_look_alike_letter_is_refused(pyweb):
    # Sign-up and the profile refuse it too: PostgreSQL's case-insensitive match makes
    # the dotless "ı" an "I", and such a twin made the real account's logins fail; on
    # SQLite it was imported as a second account. Before the @ only plain Latin letters
    # are taken now, on every database.
    User.objects.create(username="rix", email="rix@example.org")
    twin = "rıx@example.org,Twin,student\n".encode()
    rows = roster_parse(HEADER + twin + b"rix@example.org,Rix,student\n")
    roster_import(course=pyweb.course, rows=rows)
    assert rows[1].outcome == RosterOutcome.ENROLLED
    assert rows[0].outcome == RosterOutcome.REJECTED and "plain Latin letters" in rows[0].detail
    alone = roster_parse(HEADER + twin)
    roster_import(course=pyweb.course, rows=alone)
    assert alone[0].outcome == RosterOutcome.REJECTED
    assert not User.objects.filter(email="rıx@example.org").exists()
    # Two new twins in one file: the plain one stands.
    pair = roster_parse(HEADER + "kim@example.org,A,student\nkım@example.org,B,student\n".encode())
    roster_import(course=pyweb.course, rows=pair)
    assert pair[0].outcome == RosterOutcome.CREATED
    assert pair[1].outcome == RosterOutcome.REJECTED and "plain Latin letters" in pair[1].detail


def test_a_closed_account_is_not_enrolled_by_a_roster_or_the_api(pyweb, alice):
    """The back office offers no deactivated account; its roster and the API's did."""
    closed = User.objects.create(username="gone", email="gone@example.org", is_active=False)
    User.objects.create(username="here", email="here@example.org")
    rows = roster_parse(HEADER + b"gone@example.org,Gone,student\nhere@example.org,Here,student\n")
    roster_import(course=pyweb.course, rows=rows)
    assert rows[0].outcome == RosterOutcome.REJECTED
    assert "that account is closed (deactivated): an administrator must reopen it" in rows[0].detail
    assert rows[1].outcome == RosterOutcome.ENROLLED  # the other row still goes in
    assert not Enrollment.objects.filter(user=closed).exists()
    client = token_client(alice)
    response = client.post(
        f"/api/v1/courses/{pyweb.course.pk}/enrollments/",
        {"email": "gone@example.org", "role": "student"},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "That account is closed (deactivated)" in response.content.decode()
    assert not Enrollment.objects.filter(user=closed).exists()
    # Reopened by an administrator, it is enrolled like any other.
    User.objects.filter(pk=closed.pk).update(is_active=True)
    again = roster_parse(HEADER + b"gone@example.org,Gone,student\n")
    roster_import(course=pyweb.course, rows=again)
    assert again[0].outcome == RosterOutcome.ENROLLED


# Properties ---------------------------------------------------------------------
def parse_or_refuse(data: bytes) -> list | None:
    try:
        return roster_parse(data)
    except ValidationError as exc:
        assert exc.messages and all(exc.messages)
        return None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=3000))
def test_any_bytes_are_parsed_or_refused_with_a_message(data):
    parse_or_refuse(data)
    parse_or_refuse(HEADER + data)


CSV_PIECES = st.sampled_from(
    ['"', ",", ";", "\t", "\n", "\r", "\r\n", "\x00", "\ufeff", "@", "=", " ", "email", "role"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(CSV_PIECES, st.text(max_size=12)), max_size=60).map("".join))
def test_any_text_under_a_header_is_parsed_or_refused_and_rows_have_reasons(text):
    rows = parse_or_refuse(("email,name,role\n" + text).encode("utf-8", "surrogatepass"))
    for row in rows or []:
        assert row.outcome in ("", RosterOutcome.REJECTED)
        if row.outcome == "":
            assert "@" in row.email and row.role in Role.values
            assert one_line_refusal(row.email + row.name + row.role) is None
        else:
            assert row.detail


def _is_a_name(name: str) -> bool:
    """Whether sign-up and the profile take NAME (and so a roster does)."""
    try:
        validate_name(name)
    except ValidationError:
        return False
    return True


NAMES = (
    st.text(st.characters(exclude_categories=("Cc", "Cs", "Zl", "Zp")), min_size=0, max_size=150)
    .map(str.strip)
    .filter(lambda name: one_line_refusal(name) is None)
    .filter(lambda name: not name or _is_a_name(name))
)
LOCAL_PARTS = st.text(string.ascii_lowercase + string.digits + "._+-", min_size=1, max_size=30)


@settings(max_examples=200, deadline=None)
@given(
    st.dictionaries(
        LOCAL_PARTS.filter(lambda p: not p.startswith(".") and ".." not in p and p[-1] != "."),
        st.tuples(NAMES, st.sampled_from(Role.values)),
        min_size=1,
        max_size=20,
    ),
    st.sampled_from([",", ";", "\t"]),
)
@example(people={"a": ("\uf900", "student")}, delimiter=",")  # NFC changes it: U+8C48
def test_what_a_spreadsheet_writes_is_read_back_unchanged(people, delimiter):
    """Unchanged but for the one spelling names are stored in (NFC: an accent typed as a
    mark, a compatibility ideograph, read as the character they are)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=delimiter)
    writer.writerow(["email", "name", "role"])
    expected = []
    for local, (name, role) in people.items():
        writer.writerow([f"{local}@example.org", name, role])
        expected.append((f"{local}@example.org", unicodedata.normalize("NFC", name), role))
    rows = roster_parse(("\ufeff" + buffer.getvalue()).encode())
    assert [(row.email, row.name, row.role) for row in rows] == expected
    assert [row.detail for row in rows] == [""] * len(expected)


@pytest.mark.parametrize("body", [b"", b"   \n", b"email,name,role\n"])
def test_an_empty_roster_sent_to_the_api_is_a_400(pyweb, alice, body):
    response = token_client(alice).post(
        f"/api/v1/courses/{pyweb.course.pk}/roster/", body, content_type="text/csv"
    )
    assert response.status_code == 400
    assert response["Content-Type"] == "application/problem+json"
    assert Enrollment.objects.filter(course=pyweb.course).count() == 3  # alice, bob, grace


def test_broken_quoting_is_explained_in_words_not_pythons():
    """Python's wording ("',' expected after '\\"'") told an instructor nothing."""
    from lessons.services import roster_parse

    with pytest.raises(ValidationError) as excinfo:
        roster_parse('email,name,role\nsam@example.org,"Sam" Smith,student\n')
    [message] = excinfo.value.messages
    assert message.startswith("Line 2 is not valid CSV: most often a quotation mark")
    assert "expected after" not in message and "Nothing was imported." in message


def test_a_roster_row_at_a_bare_machine_says_why():
    """Probe 22: "bad email 'q2@intranet'", with no reason, where sign-up names it."""
    rows = roster_parse(b"email,name,role\nq2@intranet,Q,student\nx@[127.0.0.1],X,student\n")
    details = [row.detail for row in rows]
    assert "bad email 'q2@intranet': Give the whole domain after the @" in details[0]
    assert "not at a network address in brackets" in details[1]


def test_rows_are_numbered_where_they_start_and_a_bad_address_says_why():
    """Probe 28: after a value over two lines every row was numbered by where it ended,
    and "bad-email" was refused with no reason."""
    rows = roster_parse(
        b'email,name,role\nml2@example.org,"Line1\nLine2",student\nbad-email,X,student\n'
        b"ok@example.org,Ok,student\n"
    )
    assert [row.line for row in rows] == [2, 4, 5]
    assert "runs over several lines" in rows[0].detail
    assert (
        rows[1].detail
        == "bad email 'bad-email': not an email address (one looks like ada@example.org)"
    )
    assert rows[2].outcome != RosterOutcome.REJECTED


def test_enrollment_notices_of_a_large_roster_go_a_hundred_a_task(
    pyweb, django_capture_on_commit_callbacks
):
    """Probe 56: a roster's notices went in one task, which a slow mail server could keep
    running past the hour after which a running task is taken for lost and run again."""
    from coursesite import lost_tasks
    from lessons.tasks import send_enrollment_notices

    User.objects.bulk_create(
        User(username=f"known{n}", email=f"known{n}@example.org", email_confirmed=True)
        for n in range(250)
    )
    body = b"".join(b"known%d@example.org,Known %d,student\n" % (n, n) for n in range(250))
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        roster_import(course=pyweb.course, rows=roster_parse(HEADER + body))
    notices = [
        callback.keywords["enrollment_ids"]
        for callback in callbacks
        if getattr(callback, "func", None) == send_enrollment_notices.enqueue
    ]
    assert [len(chunk) for chunk in notices] == [100, 100, 50]
    # A task of a hundred emails, each waiting the mail server's timeout at worst, ends
    # well before it would be taken for lost.
    assert lost_tasks.lost_after().total_seconds() >= 2 * 100 * 10
