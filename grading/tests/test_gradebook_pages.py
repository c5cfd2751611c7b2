"""The gradebook page reads one page of students: it must show what the whole book shows.

Groups straddle page boundaries and rate each other (a WebPA factor depends on every
member), some submissions are late, one mark is overridden, and the names are chosen
so that a locale-aware or case-sensitive ORDER BY would disagree with Python's sort.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import User
from accounts.tests.factories import UserFactory
from grading import services
from grading.gradebook import assignment_marks, build_gradebook, gradebook_chunks, gradebook_page
from grading.models import PeerRating, Rubric
from grading.views import GRADEBOOK_PAGE_SIZE
from lessons.models import LessonCompletion
from lessons.tests.factories import LessonFactory, ModuleFactory
from projects.models import LatePolicy

from .factories import (
    CriterionFactory,
    add_group,
    enroll,
    grading_world,
    past_assignment,
)

pytestmark = pytest.mark.django_db

# (username, display name, first name, last name): str(user) is the display name, else
# "first last", else the username.
PEOPLE = [
    ("ann2", "Ann Lee", "", ""),
    ("anna", "Anna", "", ""),
    ("ann1", "Ann Lee", "", ""),  # same name: the username decides
    ("annlee", "annlee", "", ""),  # after "ann lee" by code point, before by a locale
    ("zoe", "", "zoë", "Quinn"),  # no display name: first and last
    ("Yves", "", "", ""),  # no name at all: the username
    ("yann", "", "", ""),
    ("bea", "BEA", "", ""),
    ("ben", "bea", "", ""),  # equal but for case
    ("carl", "", " ", "Carlsen"),  # the stripped full name
    ("dora", "Dora-May", "", ""),
    ("dorian", "Dora May", "", ""),
    ("eve", "Ève", "", ""),
    ("emil", "Emil", "", ""),
    ("fay", "fay", "", ""),
    ("gus", "Gus", "", ""),
]
SORTS = ("name", "-name", "", "bogus", "-bogus", "progress", "-progress")


@pytest.fixture
def book_world(alice, bob, grace):
    """Two projects, peer-rated groups of three, late work, an override, lesson progress."""
    world = grading_world(alice=alice, bob=bob, grace=grace, peer_evaluation=True)
    course = world.course
    students = [
        enroll(UserFactory(username=u, display_name=d, first_name=f, last_name=last), course)
        for u, d, f, last in PEOPLE
    ]
    enroll(UserFactory(username="nogroup", display_name="Nobody Ingroup"), course)
    late = past_assignment(
        course,
        title="Chat app",
        slug="chat",
        late_policy=LatePolicy.PENALTY,
        late_penalty_per_day=Decimal("10"),
        late_penalty_cap=Decimal("50"),
    )
    late_rubric = services.rubric_for(late)
    late_rubric.peer_evaluation = True
    late_rubric.save()
    CriterionFactory(rubric=late_rubric, max_points=20)
    for assignment, shift in ((world.assignment, 0), (late, 1)):
        criteria = list(services.rubric_for(assignment).criteria.all())
        # Shifted groups of three: pages of three, four or seven cut through most.
        members = students[shift:] + students[:shift]
        for number, start in enumerate(range(0, 15, 3)):
            team = members[start : start + 3]
            group, _ = add_group(
                assignment,
                team,
                name=f"{assignment.slug}-{number}",
                submitted_at=assignment.due_at + timedelta(days=number % 3, hours=1),
            )
            if number == 4:
                continue  # submitted, never graded
            review = services.grader_assign(group=group, grader=grace)
            services.review_save(
                review=review,
                by=grace,
                scores={c.pk: (Decimal(number + 1), "") for c in criteria},
                overall_feedback="",
                complete=True,
            )
            for i, rater in enumerate(team):
                for j, ratee in enumerate(team):
                    score = 1 + (i + 2 * j + number) % 5
                    PeerRating.objects.create(group=group, rater=rater, ratee=ratee, score=score)
    services.mark_override(
        assignment=late, student=students[4], mark=Decimal("99"), reason="Appeal", by=alice
    )
    module = ModuleFactory(course=course)
    lessons = [LessonFactory(module=module) for _ in range(3)]
    for i, student in enumerate(students):
        for lesson in lessons[: i % 4]:
            LessonCompletion.objects.create(user=student, lesson=lesson)
    return world


def pages(course, sort: str, per_page: int) -> list:
    """Return the rows of every page, in order, checking each page's bookkeeping."""
    rows = []
    number = 1
    while True:
        book, page = gradebook_page(course, sort=sort, number=number, per_page=per_page)
        assert book.rows == list(page.object_list)
        assert page.number == number
        rows += book.rows
        if not page.has_next():
            return rows
        number += 1


def graded_cells(book) -> list[tuple]:
    """(mark shown, group mark) of each graded cell of BOOK without an override."""
    ids = [a.pk for a in book.assignments]
    marks = assignment_marks(ids, student_ids=[row.student_id for row in book.rows])
    pairs = []
    for row in book.rows:
        for assignment_id, cell in zip(ids, row.cells, strict=True):
            entry = marks.get(assignment_id, row.student_id)
            if entry is not None and entry.grade is not None and entry.override is None:
                pairs.append((cell.mark, entry.grade.mark))
    return pairs


def test_ratings_count_only_while_a_rubric_asks_for_peer_evaluation(book_world):
    course = book_world.course
    with CaptureQueriesContext(connection) as rated:
        book, _ = gradebook_page(course, number=1, per_page=7)
    assert any("grading_peerrating" in query["sql"] for query in rated.captured_queries)
    assert any(shown != group for shown, group in graded_cells(book))  # factors apply

    Rubric.objects.filter(assignment__course=course).update(peer_evaluation=False)
    with CaptureQueriesContext(connection) as unrated:
        book, _ = gradebook_page(course, number=1, per_page=7)
    # The ratings stay stored but are not read: each member gets the group's mark.
    assert not any("grading_peerrating" in query["sql"] for query in unrated.captured_queries)
    assert len(unrated.captured_queries) == len(rated.captured_queries) - 1
    pairs = graded_cells(book)
    assert pairs and all(shown == group for shown, group in pairs)
    assert book.rows == build_gradebook(course).rows[:7]


@pytest.mark.parametrize("per_page", [4, 7])
def test_every_page_shows_the_rows_of_the_whole_gradebook(book_world, per_page):
    course = book_world.course
    column = f"p{book_world.assignment.pk}"
    for sort in (*SORTS, column, f"-{column}"):
        whole = build_gradebook(course, sort=sort)
        assert any(m is not None for row in whole.rows for m in row.marks)
        assert pages(course, sort, per_page) == whole.rows, sort
        book, page = gradebook_page(course, sort=sort, number=2, per_page=per_page)
        assert page.paginator.count == len(whole.rows) == len(PEOPLE) + 3  # + bob, dave
        assert book.assignments == whole.assignments
        assert book.released == whole.released
        assert book.lesson_count == whole.lesson_count == 3


def test_sorting_by_name_follows_pythons_order_across_pages(book_world):
    rows = pages(book_world.course, "name", per_page=3)
    names = [(row.name, row.username) for row in rows]
    assert names == sorted(names, key=lambda n: (n[0].casefold(), n[1]))
    assert names.index(("Ann Lee", "ann1")) + 1 == names.index(("Ann Lee", "ann2"))
    assert names.index(("Ann Lee", "ann2")) < names.index(("annlee", "annlee"))
    assert names.index(("Carlsen", "carl")) < names.index(("Dora May", "dorian"))
    assert ("zoë Quinn", "zoe") in names and ("Yves", "Yves") in names
    descending = pages(book_world.course, "-name", per_page=3)
    assert descending == rows[::-1]


def test_the_name_order_follows_each_edit_of_a_name(book_world):
    """Pages sorted by name read a column the database keeps (User.sort_name): a name
    edited through the profile form (save) or in bulk (update) moves its student at once."""
    course = book_world.course
    zoe = User.objects.get(username="zoe")
    zoe.display_name = "Aaron"
    zoe.save()
    User.objects.filter(username="anna").update(display_name="", first_name="Zed ")
    User.objects.filter(username="Yves").update(last_name="Abbott")
    rows = pages(course, "name", per_page=3)
    names = [(row.name, row.username) for row in rows]
    assert names == sorted(names, key=lambda n: (n[0].casefold(), n[1]))
    assert names[:2] == [("Aaron", "zoe"), ("Abbott", "Yves")]
    assert names[-2:] == [("Zed", "anna"), ("Ève", "eve")]  # by code point: è after z
    assert pages(course, "-name", per_page=3) == rows[::-1]


def test_page_numbers_out_of_range_behave_as_before(book_world):
    course = book_world.course
    count = len(PEOPLE) + 3
    last = (count + 3) // 4
    for number, expected in ((None, 1), ("x", 1), (0, last), (999, last), ("2", 2)):
        _book, page = gradebook_page(course, sort="name", number=number, per_page=4)
        assert page.number == expected, number
    _book, page = gradebook_page(course, sort="name", number=last, per_page=4)
    assert page.end_index() == count


def csv_rows(client, course, **query) -> list[list[str]]:
    """Return the CSV's rows as the page shows them: username, marks, progress."""
    url = reverse("grading:gradebook_csv", kwargs={"slug": course.slug})
    body = client.get(url, query).getvalue().decode("utf-8").removeprefix("\ufeff")
    header, *rows = csv.reader(io.StringIO(body))
    # The graded-version columns come after the progress: the page does not show them.
    end = header.index("Lesson progress (%)") + 1
    return [[r[1], *r[3:end]] for r in rows]


def shown(response) -> list[list[str]]:
    return [
        [
            row.username,
            *[cell.number for cell in row.cells],
            "" if row.total is None else f"{row.total:.2f}",
            f"{row.progress:.2f}",
        ]
        for row in response.context["page"].object_list
    ]


def test_page_two_shows_the_csvs_marks(client, book_world, alice):
    course = book_world.course
    for i in range(GRADEBOOK_PAGE_SIZE):
        enroll(UserFactory(username=f"s{i:03}", display_name=f"Student {i:03}"), course)
    client.force_login(alice)
    url = reverse("grading:gradebook", kwargs={"slug": course.slug})
    everyone = csv_rows(client, course)
    count = GRADEBOOK_PAGE_SIZE + len(PEOPLE) + 3
    assert len(everyone) == count

    assert shown(client.get(url)) == everyone[:GRADEBOOK_PAGE_SIZE]
    second = client.get(url, {"page": 2})
    assert shown(second) == everyone[GRADEBOOK_PAGE_SIZE:]
    # Their groups' other members (and raters) are on page 1.
    assert [r[0] for r in everyone[-4:]] == ["yann", "Yves", "zoe", "eve"]
    assert all(r[1] or r[2] for r in everyone[-4:])
    html = second.content.decode()
    assert f"Students 101–{count} of {count} (page 2 of 2)" in html
    assert 'href="?sort=name&amp;page=1"' in html
    # The first page links the last one (probe 50: "Next" alone, 51 times at 5,000).
    first = client.get(url).content.decode()
    assert 'id="gradebook-last" href="?sort=name&amp;page=2"' in first
    assert 'id="gradebook-first"' not in first and 'id="gradebook-first"' in html

    by_mark = f"-p{book_world.assignment.pk}"
    by_progress = "progress"
    for sort in (by_mark, by_progress):
        expected = csv_rows(client, course, sort=sort)
        assert shown(client.get(url, {"sort": sort, "page": 2})) == expected[100:], sort


@pytest.mark.parametrize("chunk_size", [1, 4, 7, 1000])
def test_the_exports_chunks_hold_the_rows_of_the_whole_gradebook(book_world, chunk_size):
    """The streamed CSV reads the gradebook in chunks: together they are the same rows."""
    course = book_world.course
    column = f"p{book_world.assignment.pk}"
    for sort in (*SORTS, column, f"-{column}", "total", "-total"):
        whole = build_gradebook(course, sort=sort)
        assignments, books = gradebook_chunks(course, sort=sort, chunk_size=chunk_size)
        assert assignments == whole.assignments
        books = list(books)
        assert all(len(book.rows) <= chunk_size for book in books)
        assert [row for book in books for row in book.rows] == whole.rows, sort


def csv_download(client, course, django_assert_max_num_queries, budget: int) -> list[str]:
    """Return the gradebook CSV's lines, read within BUDGET queries (streamed included)."""
    url = reverse("grading:gradebook_csv", kwargs={"slug": course.slug})
    with django_assert_max_num_queries(budget):
        response = client.get(url)
        assert response.streaming  # never built whole in memory
        body = b"".join(response.streaming_content).decode("utf-8")
    return body.removeprefix("\ufeff").splitlines()


def test_the_streamed_csv_reads_the_same_queries_for_three_times_the_students(
    client, book_world, alice, django_assert_max_num_queries
):
    """The export's queries do not grow with the course (within a chunk of 1,000)."""
    course = book_world.course
    client.force_login(alice)
    budget = 20  # session (and its refresh), user, policy, then the gradebook's reads
    small = csv_download(client, course, django_assert_max_num_queries, budget)
    for i in range(2 * len(small)):
        enroll(UserFactory(username=f"more{i:03}"), course)
    large = csv_download(client, course, django_assert_max_num_queries, budget)
    assert len(large) == 3 * len(small)  # the header, then 3x the students
    assert large[0] == small[0]
    page = client.get(reverse("grading:gradebook", kwargs={"slug": course.slug}))
    # The figures are the page's (usernames, marks, totals, progress), row for row.
    assert csv_rows(client, course) == shown(page)
