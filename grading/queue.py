"""The grader's queue: the reviews a person may see, a page at a time, with counts per status.

Every grader opens it between two reviews, so its reads are prepared queries
(coursesite/prepared.py) compiled once per set of roles (``policy.variant``): the
counts, one query per status filter for the page (its LIMIT and OFFSET given as
parameters), then the page's projects and members by id.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.core.paginator import Page, Paginator
from django.db.models import Case, Count, OuterRef, Q, Subquery, Value, When

from access import policy
from accounts.models import User
from coursesite.prepared import PreparedPages, aggregate_row, prepared, prepared_per
from projects.models import GroupMembership, ProjectAssignment, Submission

from .models import Review, ReviewStatus, group_label

# The filters above the queue: key in the URL -> (label, condition).
QUEUE_FILTERS = {
    "todo": ("To do", Q(status=ReviewStatus.TODO)),
    "draft": ("In progress", Q(status=ReviewStatus.DRAFT)),
    "completed": ("Done", Q(status=ReviewStatus.COMPLETED)),
    "late": ("Late", Q(submission__is_late=True)),
}
# Oldest first, a page at a time: a course-wide queue can hold thousands of reviews.
QUEUE_PAGE_SIZE = 50

_PERSON = ("display_name", "first_name", "last_name", "username")
_VALUES = (
    "pk",
    "status",
    "group_id",
    "group__name",
    "group__assignment_id",
    "group__extension__due_at",
    "group__assignment__rubric__anonymous_grading",
    "group__assignment__grade_release__released_at",
    "submission__submitted_at",
    "submission__version",
    *(f"grader__{name}" for name in _PERSON),
)


@dataclass
class QueueRow:
    """One review of the queue, read as values: a page lists fifty of them."""

    pk: int
    label: str
    members: str
    assignment: str
    course: str
    submitted_at: datetime
    version: int
    days_late: int
    penalty: Decimal
    grader: str
    status: str
    latest_version: int | None = None
    latest_submitted_at: datetime | None = None
    released_at: datetime | None = None

    @property
    def after_release(self) -> bool:
        """Whether the group's latest version came after the release: nobody grades it."""
        released, latest = self.released_at, self.latest_submitted_at
        return bool(released and latest and latest > released)

    @property
    def newer_version(self) -> int | None:
        """Return the group's latest version if it came after grading started, else None."""
        if self.status == ReviewStatus.TODO or not self.latest_version:
            return None  # a review still to do grades the latest version
        return self.latest_version if self.latest_version > self.version else None

    @property
    def status_label(self) -> str:
        return ReviewStatus(self.status).label


@dataclass
class Queue:
    rows: list[QueueRow]
    page: Page
    filters: list[tuple[str, str, int]]  # (key, label, count), "" for all
    current: str  # the filter shown


def queue_for(user: User, *, status: str = "", number: int | str | None = 1) -> Queue:
    """Return page NUMBER of the reviews USER may see (with STATUS, a key of QUEUE_FILTERS)."""
    if status not in QUEUE_FILTERS:
        status = ""
    [counts] = _counts(user=user)
    total = counts["all"] if not status else counts[status]
    pages = PreparedPages(_PAGES[status], total, user=user)
    page = Paginator(pages, QUEUE_PAGE_SIZE).get_page(number)
    filters = [("", "All", counts["all"])] + [
        (key, label, counts[key]) for key, (label, _) in QUEUE_FILTERS.items()
    ]
    return Queue(rows=_rows(page.object_list), page=page, filters=filters, current=status)


def _visible(user: User):
    # Not one's own group's: a student made a grader reads its released feedback, which
    # is not work of theirs to grade (probe 128: listed "Done" in their queue).
    own = GroupMembership.objects.filter(student=user).values("group_id")
    reviews = policy.scope(user, policy.VIEW, Review.objects, roles=policy.STAFF)
    return reviews.exclude(group__in=own)


@prepared_per(policy.variant)
def _counts(user: User):
    return aggregate_row(
        _visible(user),
        all=Count("pk"),
        **{key: Count("pk", filter=condition) for key, (_, condition) in QUEUE_FILTERS.items()},
    )


_FINISHED_LAST = Case(When(status=ReviewStatus.COMPLETED, then=Value(1)), default=Value(0))


def _page_query(condition: Q) -> prepared:
    def queue_page(user: User):
        latest = Submission.objects.latest_of(OuterRef("group_id"))
        return (
            _visible(user)
            .filter(condition)
            # What is left to grade comes first, oldest first: on "All", the finished
            # reviews, older, filled the first pages and the work left was last.
            .order_by(_FINISHED_LAST, "submission__submitted_at", "pk")
            .annotate(
                latest_version=Subquery(latest.values("version")[:1]),
                latest_submitted_at=Subquery(latest.values("submitted_at")[:1]),
            )
            .values(*_VALUES, "latest_version", "latest_submitted_at")
        )

    return prepared_per(policy.variant)(queue_page)


# The SQL differs by filter: one prepared query each.
_PAGES = {"": _page_query(Q())} | {
    key: _page_query(condition) for key, (_, condition) in QUEUE_FILTERS.items()
}


@prepared
def _assignments(ids: list[int]):
    return (
        ProjectAssignment.objects.filter(pk__in=ids)
        .select_related("course")
        .only(
            "title",
            "due_at",
            "late_policy",
            "late_penalty_per_day",
            "late_penalty_cap",
            "course__title",
        )
    )


@prepared
def _member_names(group_ids: list[int]):
    return (
        GroupMembership.objects.filter(group_id__in=group_ids)
        .order_by()
        .values_list("group_id", *(f"student__{name}" for name in _PERSON))
    )


def _rows(reviews: list[dict]) -> list[QueueRow]:
    """Turn a page of review values into rows: its projects and members in two queries."""
    if not reviews:
        return []
    assignments = {
        a.pk: a for a in _assignments(ids=[review["group__assignment_id"] for review in reviews])
    }
    members: dict[int, list[tuple[str, str]]] = defaultdict(list)
    for group_id, *person in _member_names(group_ids=[review["group_id"] for review in reviews]):
        name = User.name_of(*person)
        members[group_id].append((name.casefold(), name))
    rows = []
    for review in reviews:
        assignment = assignments[review["group__assignment_id"]]
        anonymous = bool(review["group__assignment__rubric__anonymous_grading"])
        extension = review["group__extension__due_at"]
        deadline = extension if extension and extension > assignment.due_at else None
        days = assignment.days_late(review["submission__submitted_at"], deadline)
        rows.append(
            QueueRow(
                pk=review["pk"],
                label=group_label(review["group_id"], review["group__name"], anonymous=anonymous),
                members=""
                if anonymous
                else ", ".join(name for _key, name in sorted(members[review["group_id"]])),
                assignment=assignment.title,
                course=assignment.course.title,
                submitted_at=review["submission__submitted_at"],
                version=review["submission__version"],
                days_late=days,
                penalty=assignment.late_penalty_percent(days),
                grader=User.name_of(*(review[f"grader__{name}"] for name in _PERSON)),
                status=review["status"],
                latest_version=review["latest_version"],
                latest_submitted_at=review["latest_submitted_at"],
                released_at=review["group__assignment__grade_release__released_at"],
            )
        )
    return rows
