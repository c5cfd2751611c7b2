"""Reads that compute marks: group marks with late penalties, individual marks, the gradebook.

Each selector runs a fixed number of queries whatever the number of groups, students
or criteria, and does the arithmetic in Python:

* group mark = total / rubric maximum x 100 x (1 - late penalty % / 100), where the
  penalty is ``assignment.late_penalty_percent(days_late(submitted_at, deadline))``;
* individual mark = group mark x WebPA factor (capped), at most 100 (see ``peer``);
* an instructor's override replaces the individual mark.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction

from django.db.models import Count, Sum

from accounts.models import Role
from lessons.models import Course, Enrollment, Lesson, LessonCompletion

from ..models import (
    Criterion,
    GradeRelease,
    GroupMembership,
    MarkOverride,
    PeerRating,
    ProjectAssignment,
    Review,
    ReviewStatus,
    Rubric,
)
from .peer import individual_mark, to_decimal, webpa_factors

__all__ = [
    "GroupGrade",
    "build_gradebook",
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


@dataclass
class StudentMark:
    student_id: int
    group_id: int
    grade: GroupGrade | None
    factor: Fraction | None = None  # None when the assignment has no peer evaluation
    capped_factor: Fraction | None = None
    computed: Decimal | None = None
    override: MarkOverride | None = None

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
    )


def rubric_max_totals(assignment_ids: Iterable[int]) -> dict[int, Decimal]:
    rows = (
        Criterion.objects.filter(rubric__assignment_id__in=list(assignment_ids))
        .values("rubric__assignment_id")
        .annotate(total=Sum("max_points"))
    )
    return {row["rubric__assignment_id"]: row["total"] or Decimal(0) for row in rows}


@dataclass
class AssignmentMarks:
    """Marks of the students of some assignments, keyed by (assignment id, student id)."""

    marks: dict[tuple[int, int], StudentMark] = field(default_factory=dict)
    rubrics: dict[int, Rubric] = field(default_factory=dict)
    released: set[int] = field(default_factory=set)

    def get(self, assignment_id: int, student_id: int) -> StudentMark | None:
        return self.marks.get((assignment_id, student_id))


def assignment_marks(assignment_ids: Iterable[int]) -> AssignmentMarks:
    """Return every member's mark for the given assignments, from completed reviews only."""
    ids = list(assignment_ids)
    result = AssignmentMarks()
    if not ids:
        return result
    result.rubrics = {r.assignment_id: r for r in Rubric.objects.filter(assignment_id__in=ids)}
    result.released = set(
        GradeRelease.objects.filter(assignment_id__in=ids).values_list("assignment_id", flat=True)
    )
    max_totals = rubric_max_totals(ids)
    grades = {}
    for review in Review.objects.filter(
        group__assignment_id__in=ids, status=ReviewStatus.COMPLETED
    ).select_related("submission", "group__assignment", "group__extension"):
        assignment_id = review.group.assignment_id
        grades[review.group_id] = group_grade(
            review, max_total=max_totals.get(assignment_id, Decimal(0))
        )

    members: dict[int, list[int]] = defaultdict(list)
    group_assignment: dict[int, int] = {}
    for assignment_id, group_id, student_id in GroupMembership.objects.filter(
        assignment_id__in=ids
    ).values_list("assignment_id", "group_id", "student_id"):
        members[group_id].append(student_id)
        group_assignment[group_id] = assignment_id

    peer_ids = [pk for pk, rubric in result.rubrics.items() if rubric.peer_evaluation]
    ratings: dict[int, dict[int, dict[int, int]]] = defaultdict(lambda: defaultdict(dict))
    if peer_ids:
        for group_id, rater, ratee, score in PeerRating.objects.filter(
            group__assignment_id__in=peer_ids
        ).values_list("group_id", "rater_id", "ratee_id", "score"):
            ratings[group_id][rater][ratee] = score

    overrides = {
        (o.assignment_id, o.student_id): o
        for o in MarkOverride.objects.filter(assignment_id__in=ids)
    }

    for group_id, student_ids in members.items():
        assignment_id = group_assignment[group_id]
        rubric = result.rubrics.get(assignment_id)
        grade = grades.get(group_id)
        peer = rubric is not None and rubric.peer_evaluation
        factors = webpa_factors(student_ids, ratings.get(group_id, {})) if peer else {}
        for student_id in student_ids:
            entry = StudentMark(
                student_id=student_id,
                group_id=group_id,
                grade=grade,
                override=overrides.get((assignment_id, student_id)),
            )
            if peer:
                entry.factor = factors[student_id]
                entry.capped_factor = min(entry.factor, Fraction(rubric.peer_factor_cap))
            if grade is not None:
                if peer:
                    entry.computed = individual_mark(
                        grade.mark, entry.factor, cap=rubric.peer_factor_cap
                    )
                else:
                    entry.computed = grade.mark
            result.marks[(assignment_id, student_id)] = entry
    return result


@dataclass
class GradebookRow:
    student_id: int
    name: str
    username: str
    email: str
    progress: Decimal  # percentage of published lessons completed
    marks: list[Decimal | None]


@dataclass
class Gradebook:
    course: Course
    assignments: list[ProjectAssignment]
    released: set[int]
    lesson_count: int
    rows: list[GradebookRow]


SORT_KEYS = ("name", "progress")


def build_gradebook(course: Course, *, sort: str = "name") -> Gradebook:
    """Return one row per student of COURSE: a mark per project, then lesson progress.

    SORT is ``name``, ``progress`` or ``p<assignment id>``, with a leading ``-`` for
    descending; students without a mark sort last either way.
    """
    assignments = list(ProjectAssignment.objects.filter(course=course).order_by("due_at", "pk"))
    marks = assignment_marks(a.pk for a in assignments)
    published = Lesson.objects.published().filter(module__course=course)
    lesson_count = published.count()
    done = dict(
        LessonCompletion.objects.filter(lesson__in=published)
        .values("user_id")
        .annotate(n=Count("pk"))
        .values_list("user_id", "n")
    )
    rows = []
    for enrollment in (
        Enrollment.objects.filter(course=course, role=Role.STUDENT)
        .select_related("user")
        .order_by("user__username")
    ):
        user = enrollment.user
        row_marks = []
        for assignment in assignments:
            entry = marks.get(assignment.pk, user.pk)
            row_marks.append(entry.mark if entry is not None else None)
        progress = (
            to_decimal(Decimal(done.get(user.pk, 0)) * HUNDRED / lesson_count)
            if lesson_count
            else Decimal("0.00")
        )
        rows.append(
            GradebookRow(
                student_id=user.pk,
                name=str(user),
                username=user.username,
                email=user.email,
                progress=progress,
                marks=row_marks,
            )
        )
    _sort_rows(rows, sort, [a.pk for a in assignments])
    return Gradebook(
        course=course,
        assignments=assignments,
        released=marks.released,
        lesson_count=lesson_count,
        rows=rows,
    )


def _sort_rows(rows: list[GradebookRow], sort: str, assignment_ids: list[int]) -> None:
    descending = sort.startswith("-")
    key = sort.removeprefix("-")
    rows.sort(key=lambda row: (row.name.casefold(), row.username))
    if key == "progress":
        rows.sort(key=lambda row: row.progress, reverse=descending)
    elif key.startswith("p") and key[1:].isdigit() and int(key[1:]) in assignment_ids:
        index = assignment_ids.index(int(key[1:]))
        with_mark = [row for row in rows if row.marks[index] is not None]
        without = [row for row in rows if row.marks[index] is None]
        with_mark.sort(key=lambda row: row.marks[index], reverse=descending)
        rows[:] = with_mark + without
    elif descending:
        rows.reverse()
