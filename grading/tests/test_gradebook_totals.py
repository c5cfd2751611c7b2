"""The gradebook's weighted total, and missing work shown (and counted) as missing."""

from __future__ import annotations

import csv
import io
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from grading import services
from grading.gradebook import Cell, CellState, build_gradebook, weighted_total
from grading.models import Rubric
from projects.models import ProjectAssignment
from projects.tests.factories import ProjectAssignmentFactory

from .factories import add_group, past_assignment
from .test_grading_views import complete

pytestmark = pytest.mark.django_db


@pytest.fixture
def five_projects(world, bob):
    """Bob's five projects: graded 80, missing (as 0), missing (left out), ungraded, not due.

    Blog engine (weight 2) is graded 80.00; bob submitted nothing for Quiz (weight 1,
    missing counts as 0) nor for Essay (weight 3, missing left out); Wiki (weight 5) is
    submitted but not graded; Capstone (weight 4) is due next week.
    """
    complete(world)
    ProjectAssignment.objects.filter(pk=world.assignment.pk).update(weight=Decimal("2"))
    course = world.course
    past_assignment(course, title="Quiz", slug="quiz", weight=1, missing_counts_as_zero=True)
    past_assignment(course, title="Essay", slug="essay", weight=3)
    wiki = past_assignment(course, title="Wiki", slug="wiki", weight=5)
    add_group(wiki, [bob, world.dave])
    now = timezone.now()
    ProjectAssignmentFactory(
        course=course,
        title="Capstone",
        slug="capstone",
        weight=4,
        missing_counts_as_zero=True,
        opens_at=now - timedelta(days=1),
        due_at=now + timedelta(days=7),
    )
    return world


def test_weighted_total_counts_graded_work_and_missing_work_as_zero_where_asked(
    five_projects, alice
):
    book = build_gradebook(five_projects.course)
    titles = [a.title for a in book.assignments]
    bob = next(row for row in book.rows if row.username == "bob")
    cells = dict(zip(titles, bob.cells, strict=True))

    assert cells["Blog engine"] == Cell(CellState.GRADED, Decimal("80.00"))
    assert cells["Quiz"] == Cell(CellState.MISSING, counts_as_zero=True)
    assert cells["Essay"] == Cell(CellState.MISSING, counts_as_zero=False)
    assert cells["Wiki"] == Cell(CellState.PENDING)
    assert cells["Capstone"] == Cell(CellState.NOT_DUE)
    # (2 x 80 + 1 x 0) / (2 + 1): Essay, Wiki and Capstone stay out.
    assert bob.total == Decimal("53.33")


def test_work_missing_when_grades_are_released_early_is_missing(five_projects, alice, client):
    """Releasing closes the hand-in (probe 36: Capstone read "not due yet", left out of the
    total, until its deadline changed the released marks by itself)."""
    capstone = ProjectAssignment.objects.get(slug="capstone")
    Rubric.objects.create(assignment=capstone)
    services.grades_release(assignment=capstone, by=alice)
    book = build_gradebook(five_projects.course)
    bob = next(row for row in book.rows if row.username == "bob")
    cells = dict(zip([a.title for a in book.assignments], bob.cells, strict=True))
    assert cells["Capstone"] == Cell(CellState.MISSING, counts_as_zero=True)
    # (2 x 80 + 1 x 0 + 4 x 0) / (2 + 1 + 4)
    assert bob.total == Decimal("22.86")
    client.force_login(alice)
    url = reverse("grading:gradebook_csv", args=[five_projects.course.slug])
    rows = list(csv.reader(io.StringIO(client.get(url).getvalue().decode())))
    bob_row = next(row for row in rows if "bob" in row)
    assert "missing, counts as 0" in bob_row and "22.86" in bob_row


def test_each_project_says_if_released_with_or_without_a_rubric(five_projects, alice):
    """One query reads every project's rubric, maximum and release (grading/gradebook.py):
    a project released with no rubric, or with a rubric and no criteria, counts alike."""
    world = five_projects
    quiz = ProjectAssignment.objects.get(course=world.course, slug="quiz")
    essay = ProjectAssignment.objects.get(course=world.course, slug="essay")
    Rubric.objects.create(assignment=essay)  # no criteria: a maximum of 0
    assert not Rubric.objects.filter(assignment=quiz).exists()
    for assignment in (world.assignment, quiz, essay):
        services.grades_release(assignment=assignment, by=alice)
    book = build_gradebook(world.course)
    assert book.released == {world.assignment.pk, quiz.pk, essay.pk}
    bob = next(row for row in book.rows if row.username == "bob")
    assert bob.cells[[a.pk for a in book.assignments].index(world.assignment.pk)].mark == (
        Decimal("80.00")
    )


def test_an_extension_keeps_work_from_being_missing(five_projects):
    from projects.models import Extension, Group

    quiz = ProjectAssignment.objects.get(slug="quiz")
    group = Group.objects.create(assignment=quiz, name="Late starters")
    group.memberships.create(student=five_projects.dave, assignment=quiz)
    Extension.objects.create(group=group, due_at=timezone.now() + timedelta(days=2))

    book = build_gradebook(five_projects.course)
    dave = next(row for row in book.rows if row.username == "dave")
    quiz_cell = dave.cells[[a.slug for a in book.assignments].index("quiz")]
    assert quiz_cell.state == CellState.NOT_DUE


def test_work_for_a_draft_project_is_never_missing(world):
    past_assignment(world.course, title="Draft", slug="draft", is_published=False)
    ProjectAssignment.objects.filter(slug="draft").update(missing_counts_as_zero=True)
    book = build_gradebook(world.course)
    bob = next(row for row in book.rows if row.username == "bob")
    assert bob.cells[[a.slug for a in book.assignments].index("draft")].state == CellState.NOT_DUE


def test_without_counted_work_the_total_is_empty_not_zero(world):
    book = build_gradebook(world.course)  # nothing graded yet: bob's work is ungraded
    bob = next(row for row in book.rows if row.username == "bob")
    assert bob.cells[0].state == CellState.PENDING
    assert bob.total is None


def test_page_and_csv_show_missing_and_the_weighted_total(client, five_projects, alice):
    client.force_login(alice)
    slug = five_projects.course.slug
    page = client.get(reverse("grading:gradebook", kwargs={"slug": slug}))
    html = page.content.decode()
    assert "Weighted total" in html
    assert html.count('data-state="missing"') == 2 * 2  # bob and dave, Quiz and Essay
    assert "counts as 0" in html
    assert "53.33" in html

    body = client.get(reverse("grading:gradebook_csv", kwargs={"slug": slug})).getvalue()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8").removeprefix("\ufeff"))))
    header = rows[0]
    titles = ["Blog engine", "Quiz", "Essay", "Wiki", "Capstone"]
    assert header[3:] == [
        *(f"{title} (not released, %)" for title in titles),
        "Weighted total (%, marks not released included)",
        "Lesson progress (%)",
        *(f"{title} (state)" for title in titles),
        *(f"{title} (graded version)" for title in titles),
        *(f"{title} (set by hand: reason)" for title in titles),
    ]
    bob = next(r for r in rows[1:] if r[1] == "bob")
    # Numbers only, what enters the total: a spreadsheet's average takes missing work a
    # project counts as 0 (probe 125: "missing (0)" was text it skipped) ...
    assert bob[3:8] == ["80.00", "0.00", "", "", ""]
    assert bob[8] == "53.33"
    # ... and why, in the page's words ("ungraded", not the API's state "pending"),
    # missing work counted as 0 said apart from missing work left out (probe 32).
    assert bob[10:15] == [
        "graded",
        "missing, counts as 0",
        "missing, left out",
        "ungraded",
        "not due yet",
    ]


def test_each_row_shows_its_cells_states_and_the_students_name_escaped(
    client, five_projects, alice, bob
):
    bob.display_name = '<img src=x onerror="alert(1)"> & Bob'
    bob.save(update_fields=["display_name"])
    client.force_login(alice)
    page = client.get(reverse("grading:gradebook", kwargs={"slug": five_projects.course.slug}))
    html = page.content.decode()
    assert "<img src=x" not in html
    row = next(tr for tr in html.split("<tr>") if "(bob)" in tr)
    escaped = "&lt;img src=x onerror=&#34;alert(1)&#34;&gt; &amp; Bob"
    assert f'title="{escaped} (bob)">{escaped}</span>' in row
    cells = re.findall(
        r'<td class="text-end text-nowrap mark-cell" data-state="([^"]+)">(.*?)</td>', row
    )
    text = [(state, re.sub(r"<[^>]+>", " ", inner).split()) for state, inner in cells]
    assert text == [
        ("graded", ["80.00"]),  # Blog engine
        ("missing", ["missing", "counts", "as", "0"]),  # Quiz counts missing work as 0
        ("missing", ["missing"]),  # Essay leaves it out
        ("pending", ["ungraded"]),  # Wiki
        ("not due", ["—", "not", "due", "yet"]),  # Capstone
    ]
    assert '<td class="text-end fw-semibold weighted-total">53.33</td>' in row


def test_sorting_by_total_puts_the_best_first_and_students_without_a_total_last(
    client, five_projects, alice
):
    from accounts.tests.factories import UserFactory

    from .factories import enroll

    enroll(UserFactory(username="zoe", display_name="Zoe"), five_projects.course)
    client.force_login(alice)
    url = reverse("grading:gradebook", kwargs={"slug": five_projects.course.slug})
    rows = client.get(url, {"sort": "-total"}).context["page"].object_list
    assert [row.total for row in rows][:2] == [Decimal("53.33"), Decimal("53.33")]
    # Zoe has no group at all: Quiz counts as 0 for her too, Blog engine is missing.
    zoe = next(row for row in rows if row.username == "zoe")
    assert zoe.total == Decimal("0.00")
    assert rows[-1].username == "zoe"


def test_sorting_by_a_project_counts_missing_work_as_the_0_it_counts_for(
    client, five_projects, alice
):
    """Probe 32: students whose missing work counts as 0 sorted after every mark, both ways.
    Zoe, in no group, gets her Quiz mark by an override (her missing work counted 0)."""
    from accounts.tests.factories import UserFactory

    from .factories import enroll

    zoe = enroll(UserFactory(username="zoe", display_name="Zoe"), five_projects.course)
    quiz = ProjectAssignment.objects.get(slug="quiz")
    services.mark_override(assignment=quiz, student=zoe, mark=Decimal(50), reason="Solo", by=alice)
    client.force_login(alice)
    url = reverse("grading:gradebook", kwargs={"slug": five_projects.course.slug})
    column = [a.slug for a in build_gradebook(five_projects.course).assignments].index("quiz")

    def order(sort: str) -> list[tuple[str, Decimal | None]]:
        rows = client.get(url, {"sort": sort}).context["page"].object_list
        return [(row.username, row.cells[column].counted) for row in rows]

    assert order(f"p{quiz.pk}") == [("bob", 0), ("dave", 0), ("zoe", 50)]
    assert order(f"-p{quiz.pk}")[0] == ("zoe", 50)


marks = st.decimals(min_value=0, max_value=100, places=2)
weights = st.decimals(min_value=Decimal("0.01"), max_value=100, places=2)


@given(st.lists(st.tuples(weights, marks), min_size=1, max_size=8))
def test_the_weighted_total_lies_between_the_lowest_and_highest_mark(pairs):
    assignments = [ProjectAssignment(weight=weight) for weight, _mark in pairs]
    cells = [Cell(CellState.GRADED, mark) for _weight, mark in pairs]
    total = weighted_total(assignments, cells)
    assert min(m for _w, m in pairs) <= total <= max(m for _w, m in pairs)


def test_the_api_gives_weights_states_and_the_weighted_total(five_projects, alice, bob):
    from api.tests.conftest import token_client

    url = f"/api/v1/courses/{five_projects.course.pk}/gradebook/"
    book = token_client(alice).get(url).json()
    columns = {column["title"]: column for column in book["assignments"]}
    assert columns["Blog engine"]["weight"] == "2.00"
    assert columns["Quiz"]["missing_counts_as_zero"] is True
    row = next(row for row in book["results"] if row["username"] == "bob")
    assert row["states"] == ["graded", "missing", "missing", "pending", "not due"]
    assert row["total"] == "53.33"  # the page's and the CSV's figure
    # A student's token reads none of it.
    assert token_client(bob).get(url).status_code in (403, 404)


def test_the_api_gives_line_comments_rendered_and_sanitized(world, grace):
    from api.tests.conftest import token_client

    comment = services.line_comment_add(
        review=world.review,
        by=grace,
        path="app.py",
        line=1,
        text="Use **f-strings**<script>alert(1)</script>",
    )
    got = token_client(grace).get(f"/api/v1/line-comments/{comment.pk}/").json()
    assert "<strong>f-strings</strong>" in got["text_html"]
    assert "<script" not in got["text_html"]


def test_a_mark_set_by_hand_says_so_on_the_page_in_the_csv_and_the_api(
    client, five_projects, alice, bob
):
    """Probe 88: an override read as a computed mark in the gradebook and its exports,
    which go to exam boards; only the student's own pages said "adjusted"."""
    from api.tests.conftest import token_client

    blog = ProjectAssignment.objects.get(slug="blog")
    reason = 'Medical note <b>"="</b>'
    services.mark_override(assignment=blog, student=bob, mark=Decimal(59), reason=reason, by=alice)
    client.force_login(alice)
    slug = five_projects.course.slug

    html = client.get(reverse("grading:gradebook", kwargs={"slug": slug})).content.decode()
    cell = re.search(r'<td [^>]*data-override>59\.00<span [^>]*title="([^"]*)">set by hand<', html)
    assert cell and cell.group(1) == "Medical note &lt;b&gt;&#34;=&#34;&lt;/b&gt;"
    assert html.count("data-override") == 1  # dave's computed mark says nothing
    # Read out, not only in a mouse's tooltip.
    assert (
        '<span class="visually-hidden">: Medical note &lt;b&gt;&#34;=&#34;&lt;/b&gt;</span>' in html
    )

    body = client.get(reverse("grading:gradebook_csv", kwargs={"slug": slug})).getvalue()
    rows = list(csv.reader(io.StringIO(body.decode("utf-8").removeprefix("\ufeff"))))
    column = rows[0].index("Blog engine (set by hand: reason)")
    by_user = {row[1]: row for row in rows[1:]}
    assert by_user["bob"][3] == "59.00" and by_user["bob"][column] == reason
    assert by_user["dave"][column] == ""

    book = token_client(alice).get(f"/api/v1/courses/{five_projects.course.pk}/gradebook/")
    rows = {row["username"]: row for row in book.json()["results"]}
    assert rows["bob"]["overrides"][0] == reason and rows["bob"]["marks"][0] == "59.00"
    assert rows["dave"]["overrides"] == [None] * 5
