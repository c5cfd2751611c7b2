"""Reads that compute marks: group marks with late penalties, individual marks, the gradebook.

Each selector runs a fixed number of queries whatever the number of groups, students
or criteria, and does the arithmetic in Python:

* group mark = total / rubric maximum x 100 x (1 - late penalty % / 100), where the
  penalty is ``assignment.late_penalty_percent(days_late(submitted_at, deadline))``;
* individual mark = group mark x WebPA factor (capped), at most 100 (see ``peer``);
* an instructor's override replaces the individual mark;
* weighted total = sum(weight x mark) / sum(weight) over the projects that count for
  the student: graded ones, and missing ones (no submission, and the deadline passed
  or the grades released) as 0 where the project says ``missing_counts_as_zero``. Work
  submitted but not graded yet, work not due yet, and missing work of other projects
  are left out.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from itertools import batched
from typing import NamedTuple

from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Sum
from django.utils import timezone

from access import policy
from accounts.models import User
from coursesite.converters import parse_id
from coursesite.prepared import PreparedPages, aggregate_row, prepared
from lessons.models import Course, Enrollment, Lesson, LessonCompletion
from projects.models import GroupMembership, ProjectAssignment, Submission

from .models import (
    Criterion,
    GradeRelease,
    MarkOverride,
    PeerRating,
    Review,
    ReviewStatus,
    Rubric,
)
from .peer import individual_mark, to_decimal, webpa_factors

__all__ = [
    "Cell",
    "CellState",
    "GroupGrade",
    "build_gradebook",
    "gradebook_chunks",
    "gradebook_page",
    "StudentMark",
    "assignment_marks",
    "group_grade",
]

HUNDRED = Decimal(100)


@dataclass(frozen=True)
class GroupGrade:
    review: Review
    max_total: Decimal
    percent: Decimal  # before the late penalty
    days_late: int
    penalty_percent: Decimal
    mark: Decimal  # after the late penalty
    # The same, not rounded: a student's mark is this times their peer factor, and
    # rounding both the group's and the student's marks made it a cent off.
    unrounded_mark: Decimal = Decimal(0)


@dataclass
class StudentMark:
    student_id: int
    group_id: int
    grade: GroupGrade | None
    factor: Fraction | None = None  # None when the assignment has no peer evaluation
    capped_factor: Fraction | None = None
    computed: Decimal | None = None
    override: MarkOverride | None = None
    submitted: bool = False  # the group has at least one version
    extension_due: datetime | None = None  # the group's extension, if any

    @property
    def mark(self) -> Decimal | None:
        return self.override.mark if self.override is not None else self.computed

    @property
    def factor_display(self) -> Decimal | None:
        return to_decimal(self.factor) if self.factor is not None else None

    @property
    def capped_factor_display(self) -> Decimal | None:
        return to_decimal(self.capped_factor) if self.capped_factor is not None else None


def group_grade(review: Review, *, max_total: Decimal) -> GroupGrade:
    """Return REVIEW's group mark, after the late penalty of its graded submission.

    Needs ``review.submission`` and ``review.group`` (with its assignment and extension).
    """
    group = review.group
    assignment = group.assignment
    days = assignment.days_late(review.submission.submitted_at, group.deadline())
    penalty = assignment.late_penalty_percent(days)
    if max_total > 0:
        raw = review.total * HUNDRED / max_total
    else:
        raw = Decimal(0)
    mark = raw * (1 - penalty / HUNDRED)
    return GroupGrade(
        review=review,
        max_total=max_total,
        percent=to_decimal(raw),
        days_late=days,
        penalty_percent=penalty,
        mark=to_decimal(mark),
        unrounded_mark=mark,
    )


@dataclass
class AssignmentMarks:
    """Marks of the students of some assignments, keyed by (assignment id, student id)."""

    marks: dict[tuple[int, int], StudentMark] = field(default_factory=dict)
    rubrics: dict[int, Rubric] = field(default_factory=dict)
    released: set[int] = field(default_factory=set)

    def get(self, assignment_id: int, student_id: int) -> StudentMark | None:
        return self.marks.get((assignment_id, student_id))


class _Reads(NamedTuple):
    """The rows marks are computed from, for some assignments (and students): querysets
    as ``_queries`` builds them, the lists below once read."""

    reviews: list[Review]  # completed, with submission, group, extension (assignment set)
    # (assignment id, group id, student id, extension due, whether the group has a version)
    memberships: list[tuple]
    ratings: list[tuple]  # (group id, rater id, ratee id, score), peer-evaluated projects
    overrides: list[MarkOverride]


def _queries(assignment_ids: list[int], student_ids: list[int] | None) -> _Reads:
    """Return the querysets of _Reads, of STUDENT_IDS' groups only unless None.

    Their groups are read whole (members and ratings): a WebPA factor depends on every
    member of the group.
    """
    # No ORDER BY: rows go into dicts keyed by unique keys, and the default orderings
    # join up to three more tables.
    reviews = Review.objects.filter(
        group__assignment_id__in=assignment_ids, status=ReviewStatus.COMPLETED
    ).order_by()
    memberships = GroupMembership.objects.filter(assignment_id__in=assignment_ids).order_by()
    ratings = PeerRating.objects.filter(
        group__assignment_id__in=assignment_ids, group__assignment__rubric__peer_evaluation=True
    ).order_by()
    overrides = MarkOverride.objects.filter(assignment_id__in=assignment_ids).order_by()
    if student_ids is not None:
        groups = GroupMembership.objects.filter(
            assignment_id__in=assignment_ids, student_id__in=student_ids
        ).values("group_id")
        reviews = reviews.filter(group_id__in=groups)
        memberships = memberships.filter(group_id__in=groups)
        ratings = ratings.filter(group_id__in=groups)
        overrides = overrides.filter(student_id__in=student_ids)
    return _Reads(
        # The group's assignment is one of those asked about: set from them, not joined.
        reviews=reviews.select_related("submission", "group__extension"),
        # counted: removed from the course (before the release), no peer rating by or of
        # them counts.
        memberships=memberships.with_counted_in_marks()
        .annotate(submitted=Exists(Submission.objects.filter(group_id=OuterRef("group_id"))))
        .values_list(
            "assignment_id",
            "group_id",
            "student_id",
            "group__extension__due_at",
            "submitted",
            "counted",
        ),
        ratings=ratings.values_list("group_id", "rater_id", "ratee_id", "score"),
        overrides=overrides,
    )


def _prepared_read(name: str) -> prepared:
    def read(assignment_ids: list[int], student_ids: list[int]):
        return getattr(_queries(assignment_ids, student_ids), name)

    read.__name__ = read.__qualname__ = f"marks_{name}"
    return prepared(read)


# A page or a chunk of students: the same queries, compiled once per number of ids.
_READS_OF_STUDENTS = _Reads(*(_prepared_read(name) for name in _Reads._fields))


def _with_grading(assignments: QuerySet[ProjectAssignment]) -> QuerySet[ProjectAssignment]:
    """ASSIGNMENTS with their rubric (None without one), its maximum (``max_total``, None
    without criteria) and whether their grades are released (``released``)."""
    criteria = (
        Criterion.objects.filter(rubric__assignment=OuterRef("pk"))
        .order_by()
        .values("rubric__assignment")
        .annotate(total=Sum("max_points"))
        .values("total")
    )
    releases = GradeRelease.objects.filter(assignment=OuterRef("pk"))
    return assignments.select_related("rubric").annotate(
        max_total=Subquery(criteria), released=Exists(releases)
    )


@prepared
def _grading_of(assignment_ids: list[int]):
    return _with_grading(ProjectAssignment.objects.filter(pk__in=assignment_ids).order_by())


def assignment_marks(
    assignment_ids: Iterable[int], *, student_ids: Collection[int] | None = None
) -> AssignmentMarks:
    """Return every member's mark for the given assignments, from completed reviews only.

    With STUDENT_IDS, return only those students' marks. Their groups are still read
    whole (members and ratings): a WebPA factor depends on every member of the group.
    """
    # No ids: no query (a prepared __in with nothing to match does not run).
    return _marks_of(_grading_of(assignment_ids=list(assignment_ids)), student_ids=student_ids)


def released_marks_of(user: User) -> list[tuple[ProjectAssignment, StudentMark]]:
    """Return USER's own marks as their feedback pages show them: one per project of the
    courses they study in whose grades are released, with a mark (a completed review of
    their group, or an instructor's override), in course and deadline order."""
    # As the feedback pages (the policy's rule for reviews): released marks stay a
    # student's once the course or project is unpublished at the term's end (probe 73:
    # the API's list emptied while the pages showed them).
    # And those of their groups in a course they were made staff of since, whose released
    # feedback they still read (probe 127: the API listed none of their marks).
    own_groups = Q(
        course_id__in=policy.courses_where(user, policy.STAFF), groups__memberships__student=user
    )
    projects = ProjectAssignment.objects.filter(
        Q(course_id__in=policy.courses_where(user, policy.STUDENTS)) | own_groups,
        grade_release__isnull=False,
    ).distinct()
    assignments = list(_with_grading(projects).order_by("course", "due_at", "pk"))
    marks = _marks_of(assignments, student_ids=[user.pk])
    return [
        (assignment, mark)
        for assignment in assignments
        if (mark := marks.get(assignment.pk, user.pk)) is not None and mark.mark is not None
    ]


@dataclass
class CourseGrades:
    """One student's projects of one course as they may read them: a released project's
    mark (or why it has none), the others "not released yet", and the weighted total of
    the released ones."""

    course: Course
    # (project, its cell, or None: grades not released yet; whether in a group of it)
    rows: list[tuple[ProjectAssignment, Cell | None, bool]]
    total: Decimal | None = None

    @property
    def released_count(self) -> int:
        return sum(cell is not None for _, cell, _ in self.rows)


@prepared
def _projects_of_students(course_ids: list[int]):
    # What a student of COURSE_IDS sees of their projects: published ones, and released
    # ones whatever was unpublished since (released_marks_of says why).
    shown = Q(is_published=True, course__is_published=True) | Q(grade_release__isnull=False)
    projects = ProjectAssignment.objects.filter(shown, course_id__in=course_ids)
    return (
        _with_grading(projects)
        .select_related("course")
        .order_by("course__title", "course_id", "due_at", "pk")
    )


def grades_of(user: User) -> list[CourseGrades]:
    """USER's grades in each course they study in, as the gradebook computes them but
    only from released marks (probe 118: a student had no page with their marks and the
    course's weighted total, which the instructor's gradebook shows). A fixed number of
    prepared queries (none for someone who studies nowhere)."""
    course_ids = policy.courses_where(user, policy.STUDENTS)
    if not course_ids:
        return []
    assignments = _projects_of_students(course_ids=sorted(course_ids))
    marks = _marks_of([a for a in assignments if a.released], student_ids=[user.pk])
    now = timezone.now()
    courses: dict[int, CourseGrades] = {}
    for assignment in assignments:
        grades = courses.setdefault(assignment.course_id, CourseGrades(assignment.course, []))
        entry = marks.get(assignment.pk, user.pk)
        cell = cell_for(assignment, entry, now) if assignment.released else None
        grades.rows.append((assignment, cell, entry is not None and entry.group_id != 0))
    for grades in courses.values():
        counted = [(assignment, cell) for assignment, cell, _ in grades.rows if cell is not None]
        grades.total = weighted_total(*zip(*counted, strict=True)) if counted else None
    return list(courses.values())


def _marks_of(
    assignments: list[ProjectAssignment], *, student_ids: Collection[int] | None
) -> AssignmentMarks:
    """``assignment_marks`` of ASSIGNMENTS read ``_with_grading``."""
    ids = [assignment.pk for assignment in assignments]
    result = AssignmentMarks()
    if not ids:
        return result
    by_id = {assignment.pk: assignment for assignment in assignments}
    for assignment in assignments:
        rubric = getattr(assignment, "rubric", None)  # a reverse one-to-one: may be absent
        if rubric is not None:
            result.rubrics[assignment.pk] = rubric
        if assignment.released:
            result.released.add(assignment.pk)
    # Ratings count only where the rubric asks for peer evaluation: most projects don't.
    skipped = set() if any(r.peer_evaluation for r in result.rubrics.values()) else {"ratings"}
    wanted = None if student_ids is None else set(student_ids)
    if wanted is None:
        queries = _queries(ids, None)._asdict()
        reads = _Reads(
            **{name: [] if name in skipped else list(qs) for name, qs in queries.items()}
        )
    else:
        values = {"assignment_ids": ids, "student_ids": sorted(wanted)}
        reads = _Reads(
            *(
                [] if name in skipped else read(**values)
                for name, read in _READS_OF_STUDENTS._asdict().items()
            )
        )
    grades = {}
    for review in reads.reviews:
        assignment = review.group.assignment = by_id[review.group.assignment_id]
        grades[review.group_id] = group_grade(review, max_total=assignment.max_total or Decimal(0))

    members: dict[int, list[int]] = defaultdict(list)
    group_assignment: dict[int, int] = {}
    extensions: dict[int, datetime | None] = {}
    submitted = set()
    students: dict[int, list[int]] = defaultdict(list)  # members counted in peer factors
    for (
        assignment_id,
        group_id,
        student_id,
        extension_due,
        has_version,
        counted,
    ) in reads.memberships:
        members[group_id].append(student_id)
        if counted:
            students[group_id].append(student_id)
        group_assignment[group_id] = assignment_id
        extensions[group_id] = extension_due
        if has_version:
            submitted.add(group_id)
    ratings: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    for group_id, rater, ratee, score in reads.ratings:
        ratings[group_id][rater][ratee] = score
    overrides = {(o.assignment_id, o.student_id): o for o in reads.overrides}

    for group_id, member_ids in members.items():
        assignment_id = group_assignment[group_id]
        rubric = result.rubrics.get(assignment_id)
        grade = grades.get(group_id)
        peer = rubric is not None and rubric.peer_evaluation
        factors = webpa_factors(students[group_id], ratings.get(group_id, {})) if peer else {}
        for student_id in member_ids:
            if wanted is not None and student_id not in wanted:
                continue
            entry = StudentMark(
                student_id=student_id,
                group_id=group_id,
                grade=grade,
                override=overrides.get((assignment_id, student_id)),
                submitted=group_id in submitted,
                extension_due=extensions.get(group_id),
            )
            if peer:
                # Someone removed from the course is rated by nobody: their own factor is 1.
                entry.factor = factors.get(student_id, Fraction(1))
                entry.capped_factor = min(entry.factor, Fraction(rubric.peer_factor_cap))
            if grade is not None:
                if peer:
                    entry.computed = individual_mark(
                        grade.unrounded_mark, entry.factor, cap=rubric.peer_factor_cap
                    )
                else:
                    entry.computed = grade.mark
            result.marks[(assignment_id, student_id)] = entry
    # An override of a student in no group of its project (who left theirs, or came after
    # the groups closed): the instructor's mark is theirs, where "missing" counted 0.
    for (assignment_id, student_id), override in overrides.items():
        if (assignment_id, student_id) not in result.marks and (
            wanted is None or student_id in wanted
        ):
            result.marks[(assignment_id, student_id)] = StudentMark(
                student_id=student_id, group_id=0, grade=None, override=override
            )
    return result


class CellState(StrEnum):
    GRADED = "graded"
    PENDING = "pending"  # submitted, not graded yet
    MISSING = "missing"  # nothing submitted: the (group's) deadline passed, or released
    NOT_DUE = "not due"  # nothing submitted yet, still time


@dataclass(frozen=True)
class Cell:
    """What the gradebook shows of one student's project: a mark or why there is none."""

    state: CellState
    mark: Decimal | None = None
    counts_as_zero: bool = False  # missing, and the project counts missing work as 0
    # The reason of an instructor's override, whose mark this is (None: computed). Said
    # wherever the mark is read: an export for an exam board could not tell a mark set by
    # hand from a computed one (probe 88).
    override_reason: str | None = None

    @property
    def text(self) -> str:
        """Return the cell as the page and the CSV write it."""
        if self.mark is not None:
            return f"{self.mark:.2f}"
        if self.state == CellState.NOT_DUE:
            return ""
        if self.state == CellState.PENDING:
            return "ungraded"  # the page's word (the API's states keep "pending")
        if self.counts_as_zero:
            # Said in the cell: the CSV's "missing" was 0 for one project and left out of
            # the total for another, with nothing to tell them apart (probe 32).
            return "missing (0)"
        return str(self.state)

    @property
    def number(self) -> str:
        """The cell as the CSV's mark column writes it: the number entering the weighted
        total, or nothing. Numbers only, so that a spreadsheet's average or sum takes
        every student counted (probe 125: "missing (0)" among them was skipped, and a
        project's average read 72.75 where it is 38.51)."""
        counted = self.counted
        return "" if counted is None else f"{counted:.2f}"

    @property
    def state_text(self) -> str:
        """What the CSV's state column says of the cell: why its number is what it is."""
        if self.mark is not None:
            return "set by hand" if self.override_reason is not None else "graded"
        if self.state == CellState.NOT_DUE:
            return "not due yet"
        if self.state == CellState.PENDING:
            return "ungraded"
        return "missing, counts as 0" if self.counts_as_zero else "missing, left out"

    @property
    def counted(self) -> Decimal | None:
        """Return the mark that enters the weighted total, or None if it stays out."""
        if self.mark is not None:
            return self.mark
        return Decimal(0) if self.counts_as_zero else None


def cell_for(assignment: ProjectAssignment, entry: StudentMark | None, now: datetime) -> Cell:
    """Return the cell of a student whose mark for ASSIGNMENT is ENTRY (None: no group)."""
    if entry is not None and entry.mark is not None:
        reason = entry.override.reason if entry.override is not None else None
        return Cell(CellState.GRADED, entry.mark, override_reason=reason)
    if entry is not None and entry.submitted:
        return Cell(CellState.PENDING)
    if not assignment.is_published:  # a draft: nobody could hand anything in
        return Cell(CellState.NOT_DUE)
    deadline = assignment.due_at
    if entry is not None and entry.extension_due and entry.extension_due > deadline:
        deadline = entry.extension_due
    # Released grades close the hand-in (assignment_grading_closed): work missing then
    # stays missing, even before the deadline (probe 36: "not due yet" until it passed,
    # and the released project left out of the total meanwhile).
    if now <= deadline and assignment.grades_released_at is None:
        return Cell(CellState.NOT_DUE)
    return Cell(CellState.MISSING, counts_as_zero=assignment.missing_counts_as_zero)


def weighted_total(
    assignments: Iterable[ProjectAssignment], cells: Iterable[Cell]
) -> Decimal | None:
    """Return sum(weight x mark) / sum(weight) of the cells that count, None if none does."""
    weights = Decimal(0)
    points = Decimal(0)
    for assignment, cell in zip(assignments, cells, strict=True):
        mark = cell.counted
        if mark is None or assignment.weight <= 0:
            continue
        weights += assignment.weight
        points += assignment.weight * mark
    if weights == 0:
        return None
    return to_decimal(points / weights)


@dataclass
class GradebookRow:
    student_id: int
    name: str
    username: str
    email: str
    progress: Decimal  # percentage of published lessons completed
    marks: list[Decimal | None]
    cells: list[Cell] = field(default_factory=list)
    total: Decimal | None = None  # the weighted total

    # As the page and the CSV write them (a format, not Django's localising floatformat:
    # a page of 100 students formats 300 numbers).
    @property
    def total_text(self) -> str:
        return "" if self.total is None else f"{self.total:.2f}"

    @property
    def progress_text(self) -> str:
        return f"{self.progress:.2f}"


@dataclass
class Gradebook:
    course: Course
    assignments: list[ProjectAssignment]
    released: set[int]
    lesson_count: int
    rows: list[GradebookRow]


SORT_KEYS = ("name", "progress", "total")


class Student(NamedTuple):
    pk: int
    name: str  # str(user)
    username: str
    email: str


# What a row shows of a student, for values_list: model instances cost more than the
# query when the whole course is read.
STUDENT_FIELDS = ("id", "display_name", "first_name", "last_name", "username", "email")


def _student(
    pk: int, display_name: str, first: str, last: str, username: str, email: str
) -> Student:
    return Student(pk, User.name_of(display_name, first, last, username), username, email)


def build_gradebook(course: Course, *, sort: str = "name") -> Gradebook:
    """Return one row per student of COURSE: a mark per project, then lesson progress.

    SORT is ``name``, ``progress``, ``total`` or ``p<assignment id>``, with a leading ``-`` for
    descending; students without a mark sort last either way.
    """
    assignments = _assignments(course)
    book = _gradebook(course, assignments, _students(course), whole_course=True)
    _sort_rows(book.rows, sort, [a.pk for a in assignments])
    return book


def gradebook_page(
    course: Course, *, sort: str = "name", number: int | str | None = 1, per_page: int = 100
) -> tuple[Gradebook, Page]:
    """Return page NUMBER of ``build_gradebook(course, sort=sort)``: the book holds its rows.

    Sorted by name, the page is cut in SQL and only its students' marks and progress
    are read, so the cost does not grow with the course.
    """
    assignments = _assignments(course)
    what, descending = _parse_sort(sort, [a.pk for a in assignments])
    if what == "name":
        # Counted on enrollments alone; the page's users read as values, not instances.
        [count] = _student_count(course_id=course.pk)
        by_name = PreparedPages(_students_by_name[descending], count["n"], course_id=course.pk)
        page = Paginator(by_name, per_page).get_page(number)
        students = [_student(*values) for values in page.object_list]
    else:
        # Ranked with the same rows and rules as the CSV, then the rest read for the page only.
        ranked = _ranked_students(course, assignments, sort, what)
        page = Paginator(ranked, per_page).get_page(number)
        students = list(page.object_list)
    book = _gradebook(course, assignments, students, whole_course=False)
    return book, Page(book.rows, page.number, page.paginator)


# Students per chunk of a streamed export: each chunk reads the same few queries (marks,
# progress) for its students only, so memory stays bounded by the chunk.
EXPORT_CHUNK = 1000


def gradebook_chunks(
    course: Course, *, sort: str = "name", chunk_size: int = EXPORT_CHUNK
) -> tuple[list[ProjectAssignment], Iterator[Gradebook]]:
    """Return COURSE's assignments and its gradebook in SORT order, CHUNK_SIZE rows a book.

    The same rows and figures as ``build_gradebook`` (the CSV export streams them), read
    lazily: sorted by name, the students come from one query read as the chunks are
    consumed, and each chunk reads the marks and progress of its students only.
    Sorted by a mark or by progress, that one column is read for everyone first (as
    ``gradebook_page`` does), then the chunks.
    """
    assignments = _assignments(course)
    return assignments, _chunks(course, assignments, sort, chunk_size)


def _chunks(
    course: Course, assignments: list[ProjectAssignment], sort: str, chunk_size: int
) -> Iterator[Gradebook]:
    what, descending = _parse_sort(sort, [a.pk for a in assignments])
    if what == "name":
        enrollments = (
            Enrollment.objects.students()
            .filter(course=course)
            .order_by_user_name(descending=descending)
            .values_list(*(f"user__{name}" for name in STUDENT_FIELDS))
        )
        students: Iterable[Student] = (
            _student(*values) for values in enrollments.iterator(chunk_size=chunk_size)
        )
    else:
        students = _ranked_students(course, assignments, sort, what)
    for chunk in batched(students, chunk_size):
        yield _gradebook(course, assignments, chunk, whole_course=False)


def _ranked_students(
    course: Course, assignments: list[ProjectAssignment], sort: str, what: str | int
) -> list[Student]:
    """Return COURSE's students ordered by a mark, the total or progress (SORT)."""
    # Ordering by a mark (or by progress) needs that column for every student, so
    # this grows with the course: read that column alone for everyone and sort with
    # the same rows and rules as the whole gradebook.
    if what == "total":
        column = assignments
    else:
        column = [assignments[what]] if isinstance(what, int) else []
    everyone = {student.pk: student for student in _students(course)}
    ranking = _gradebook(
        course, column, everyone.values(), whole_course=True, progress=what == "progress"
    ).rows
    _sort_rows(ranking, sort, [a.pk for a in column])
    return [everyone[row.student_id] for row in ranking]


def _assignments(course: Course) -> list[ProjectAssignment]:
    return _assignments_of(course_id=course.pk)


@prepared
def _assignments_of(course_id: int):
    # Read with what their marks need: assignment_marks would read it again.
    assignments = ProjectAssignment.objects.filter(course_id=course_id).order_by("due_at", "pk")
    return _with_grading(assignments)


@prepared
def _student_count(course_id: int):
    return aggregate_row(Enrollment.objects.students().filter(course_id=course_id), n=Count("pk"))


def _by_name(descending: bool) -> prepared:
    def students_by_name(course_id: int):
        return (
            Enrollment.objects.students()
            .filter(course_id=course_id)
            .order_by_user_name(descending=descending)
            .values_list(*(f"user__{name}" for name in STUDENT_FIELDS))
        )

    return prepared(students_by_name)


_students_by_name = {descending: _by_name(descending) for descending in (False, True)}


def _students(course: Course) -> list[Student]:
    # Sorted in Python by the caller: no ORDER BY (the default one joins the course).
    enrollments = Enrollment.objects.students().filter(course=course).order_by()
    return [
        _student(*values)
        for values in enrollments.values_list(*(f"user__{name}" for name in STUDENT_FIELDS))
    ]


@prepared
def _published_lessons(course_id: int):
    return Lesson.objects.published().filter(module__course_id=course_id).values_list("pk")


def _lessons_done_query(course_id: int, student_ids: list[int] | None):
    """(student id, published lessons completed) of STUDENT_IDS (None: everyone)."""
    published = Lesson.objects.published().filter(module__course_id=course_id)
    if student_ids is None:
        completions = LessonCompletion.objects.filter(lesson__in=published)
        done = Count("pk")
    else:
        # Some students: read each one's completions and count the published ones. As a
        # WHERE on both columns, SQLite probes the (user, lesson) index once per pair
        # (100 students x 33 lessons: twice the time).
        completions = LessonCompletion.objects.filter(user_id__in=student_ids)
        done = Count("pk", filter=Q(lesson__in=published))
    return completions.values("user_id").annotate(n=done).values_list("user_id", "n")


@prepared
def _lessons_done(course_id: int, student_ids: list[int]):
    return _lessons_done_query(course_id, student_ids)


def _gradebook(
    course: Course,
    assignments: list[ProjectAssignment],
    students: Iterable[Student],
    *,
    whole_course: bool,
    progress: bool = True,
) -> Gradebook:
    """Return the rows of STUDENTS, in their order, with a mark per assignment.

    Unless WHOLE_COURSE, read the marks and progress of STUDENTS only. Without
    PROGRESS, skip reading it (every row shows 0.00).
    """
    students = list(students)
    student_ids = None if whole_course else [student.pk for student in students]
    marks = _marks_of(assignments, student_ids=student_ids)
    lesson_count, done = 0, {}
    if progress:
        lesson_count = len(_published_lessons(course_id=course.pk))
        if student_ids is None:
            done = dict(_lessons_done_query(course.pk, None))
        else:
            done = dict(_lessons_done(course_id=course.pk, student_ids=student_ids))
    rows = []
    now = timezone.now()
    # Once per page, not per row: the cells of students without a group, and the
    # percentage of each number of lessons done.
    without_group = [cell_for(a, None, now) for a in assignments]
    percents: dict[int, Decimal] = {}
    for student in students:
        cells = []
        for assignment, no_group in zip(assignments, without_group, strict=True):
            entry = marks.get(assignment.pk, student.pk)
            cells.append(no_group if entry is None else cell_for(assignment, entry, now))
        lessons_done = done.get(student.pk, 0)
        if lessons_done not in percents:
            percents[lessons_done] = (
                to_decimal(Decimal(lessons_done) * HUNDRED / lesson_count)
                if lesson_count
                else Decimal("0.00")
            )
        rows.append(
            GradebookRow(
                student_id=student.pk,
                name=student.name,
                username=student.username,
                email=student.email,
                progress=percents[lessons_done],
                marks=[cell.mark for cell in cells],
                cells=cells,
                total=weighted_total(assignments, cells),
            )
        )
    return Gradebook(
        course=course,
        assignments=assignments,
        released=marks.released,
        lesson_count=lesson_count,
        rows=rows,
    )


def _parse_sort(sort: str, assignment_ids: list[int]) -> tuple[str | int, bool]:
    """Return what SORT orders by ("name", "progress" or a column index) and if descending.

    Anything unknown sorts by name.
    """
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    if key in ("progress", "total"):
        return key, descending
    # parse_id(): "²" or 5,000 digits are no assignment (and int() would refuse them).
    assignment_id = parse_id(key[1:]) if key.startswith("p") else None
    if assignment_id in assignment_ids:
        return assignment_ids.index(assignment_id), descending
    return "name", descending


def _sort_rows(rows: list[GradebookRow], sort: str, assignment_ids: list[int]) -> None:
    what, descending = _parse_sort(sort, assignment_ids)
    # The SQL twin of this key, for pages sorted by name: accounts.models.name_sort_keys.
    rows.sort(key=lambda row: (row.name.casefold(), row.username))
    if what == "progress":
        rows.sort(key=lambda row: row.progress, reverse=descending)
    elif what == "total":
        with_total = [row for row in rows if row.total is not None]
        without = [row for row in rows if row.total is None]
        with_total.sort(key=lambda row: row.total, reverse=descending)
        rows[:] = with_total + without
    elif isinstance(what, int):
        # By the mark that counts: missing work a project counts as 0 sorts as 0, not
        # after every mark both ways (probe 32).
        with_mark = [row for row in rows if row.cells[what].counted is not None]
        without = [row for row in rows if row.cells[what].counted is None]
        with_mark.sort(key=lambda row: row.cells[what].counted, reverse=descending)
        rows[:] = with_mark + without
    elif descending:
        rows.reverse()
