"""The assignment hub's figures: a fixed number of queries whatever the number of groups.

It lives in grading because it counts reviews and releases, which projects must not know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Q

from access import policy
from accounts.models import Role, User
from lessons.models import Enrollment, percent_of
from projects.models import Group, ProjectAssignment, Submission

from .models import Review, ReviewStatus


@dataclass
class LateArrival:
    """A group's latest version, sent after the release: nobody grades it."""

    group: str
    version: int
    submitted_at: datetime
    graded_version: int | None  # None: the group's work was never graded


@dataclass
class HubCounts:
    groups: int
    submitted: int
    assigned: int
    graded: int
    released: int
    never_submitted: list[str] = field(default_factory=list)
    after_release: list[LateArrival] = field(default_factory=list)

    @property
    def not_submitted(self) -> int:
        return self.groups - self.submitted

    @property
    def percent_graded(self) -> int:
        """Return the share of submitted groups with a completed review, in whole percent."""
        return percent_of(self.graded, self.submitted)


def hub_counts(assignment: ProjectAssignment, *, released_at: datetime | None) -> HubCounts:
    """Return ASSIGNMENT's group counts (one query), the groups that never submitted (one)
    and, once released at RELEASED_AT, the versions that came after it (one)."""
    groups = Group.objects.filter(assignment=assignment).annotate(
        has_submission=Exists(Submission.objects.filter(group=OuterRef("pk")))
    )
    counts = groups.order_by().aggregate(
        groups=Count("pk"),
        submitted=Count("pk", filter=Q(has_submission=True)),
        assigned=Count("pk", filter=Q(review__isnull=False)),
        graded=Count("pk", filter=Q(review__status=ReviewStatus.COMPLETED)),
    )
    never = list(
        groups.filter(has_submission=False).order_by("name").values_list("name", flat=True)
    )
    released = counts["graded"] if released_at else 0
    after = submitted_after_release(assignment, released_at) if released_at else []
    return HubCounts(**counts, released=released, never_submitted=never, after_release=after)


def submitted_after_release(
    assignment: ProjectAssignment, released_at: datetime
) -> list[LateArrival]:
    """Return each group's latest version of ASSIGNMENT submitted after RELEASED_AT, by name.

    None of them is graded: reviews cannot change once the grades are released.
    """
    rows = (
        Submission.objects.filter(group__assignment=assignment, submitted_at__gt=released_at)
        .order_by("group__name", "group_id", "-version")
        .values(
            "group_id",
            "group__name",
            "version",
            "submitted_at",
            "group__review__status",
            "group__review__submission__version",
        )
    )
    latest: dict[int, LateArrival] = {}
    for row in rows:
        if row["group_id"] in latest:
            continue  # an older version of a group already listed
        graded = row["group__review__status"] == ReviewStatus.COMPLETED
        latest[row["group_id"]] = LateArrival(
            group=row["group__name"],
            version=row["version"],
            submitted_at=row["submitted_at"],
            graded_version=row["group__review__submission__version"] if graded else None,
        )
    return list(latest.values())


def grader_loads(assignment: ProjectAssignment) -> list[User]:
    """Return the course's graders, each with ``assigned`` and ``done`` reviews of ASSIGNMENT."""
    mine = Q(reviews__group__assignment=assignment)
    return list(
        User.objects.filter(
            enrollments__course_id=assignment.course_id, enrollments__role=Role.GRADER
        )
        .annotate(
            assigned=Count("reviews", filter=mine),
            done=Count("reviews", filter=mine & Q(reviews__status=ReviewStatus.COMPLETED)),
        )
        .order_by("username")
    )


def stranded_reviews(assignment: ProjectAssignment) -> list[Review]:
    """Return ASSIGNMENT's unfinished reviews whose grader no longer grades the course
    (one query).

    Removing a grader from the course leaves their reviews assigned to them, and the
    allocation table lists the course's graders only: without this, nothing showed
    that such a group will never be graded. A superuser grades every course.
    """
    grades_here = Enrollment.objects.filter(
        user=OuterRef("grader_id"), course_id=assignment.course_id, role__in=policy.STAFF
    )
    return list(
        Review.objects.filter(group__assignment=assignment)
        .exclude(status=ReviewStatus.COMPLETED)
        .exclude(Exists(grades_here))
        .exclude(grader__is_superuser=True, grader__is_active=True)
        .select_related("group", "grader")
        .order_by("group__name", "pk")
    )
