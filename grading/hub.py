"""The assignment hub's figures: a fixed number of queries whatever the number of groups.

It lives in grading because it counts reviews and releases, which projects must not know.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import Count, Exists, OuterRef, Q

from accounts.models import Role, User
from projects.models import Group, ProjectAssignment, Submission

from .models import ReviewStatus


@dataclass
class HubCounts:
    groups: int
    submitted: int
    assigned: int
    graded: int
    released: int
    never_submitted: list[str] = field(default_factory=list)

    @property
    def not_submitted(self) -> int:
        return self.groups - self.submitted

    @property
    def percent_graded(self) -> int:
        """Return the share of submitted groups with a completed review, in whole percent."""
        return round(100 * self.graded / self.submitted) if self.submitted else 0


def hub_counts(assignment: ProjectAssignment, *, released: bool) -> HubCounts:
    """Return ASSIGNMENT's group counts (one query) and the groups that never submitted (one)."""
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
    return HubCounts(**counts, released=counts["graded"] if released else 0, never_submitted=never)


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
