"""The assignment hub's figures: a fixed number of queries whatever the number of groups.

It lives in grading because it counts reviews and releases, which projects must not know.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.apps import apps
from django.db.models import Case, Count, Exists, F, OuterRef, Q, Subquery, Sum, When

from access import policy
from accounts.models import Role, User
from lessons.models import Enrollment, percent_of
from projects.models import Group, ProjectAssignment, Submission

from .models import CriterionScore, Review, ReviewStatus


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
    # Submitted groups without a completed review, by name: they hold the release back.
    ungraded: list[str] = field(default_factory=list)
    after_release: list[LateArrival] = field(default_factory=list)

    @property
    def not_submitted(self) -> int:
        return self.groups - self.submitted

    @property
    def percent_graded(self) -> int:
        """Return the share of submitted groups with a completed review, in whole percent."""
        return percent_of(self.graded, self.submitted)


def hub_counts(assignment: ProjectAssignment, *, released_at: datetime | None) -> HubCounts:
    """Return ASSIGNMENT's group counts (one query), the groups that never submitted and
    those submitted without a completed review (one) and, once released at RELEASED_AT,
    the versions that came after it (one)."""
    groups = Group.objects.filter(assignment=assignment).annotate(
        has_submission=Exists(Submission.objects.filter(group=OuterRef("pk")))
    )
    counts = groups.order_by().aggregate(
        groups=Count("pk"),
        submitted=Count("pk", filter=Q(has_submission=True)),
        assigned=Count("pk", filter=Q(review__isnull=False)),
        graded=Count("pk", filter=Q(review__status=ReviewStatus.COMPLETED)),
    )
    unfinished = list(
        groups.exclude(review__status=ReviewStatus.COMPLETED)
        .order_by("name")
        .values_list("name", "has_submission")
    )
    never = [name for name, submitted in unfinished if not submitted]
    ungraded = [name for name, submitted in unfinished if submitted]
    released = counts["graded"] if released_at else 0
    after = submitted_after_release(assignment, released_at) if released_at else []
    return HubCounts(
        **counts,
        released=released,
        never_submitted=never,
        ungraded=ungraded,
        after_release=after,
    )


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


def other_reviewer_loads(assignment: ProjectAssignment) -> list[User]:
    """Return the people who hold reviews of ASSIGNMENT without being its course's graders
    (an instructor who grades, someone removed from the course, a superuser), each with
    ``assigned``, ``done`` and ``role_here`` (their role in the course, None if none):
    the allocation table lost them while the counts above it held their reviews (probes
    95, 100)."""
    mine = Q(reviews__group__assignment=assignment)
    here = Enrollment.objects.filter(user=OuterRef("pk"), course_id=assignment.course_id)
    return list(
        User.objects.filter(mine)
        .exclude(Exists(here.filter(role=Role.GRADER)))
        .annotate(
            assigned=Count("reviews", filter=mine),
            done=Count("reviews", filter=mine & Q(reviews__status=ReviewStatus.COMPLETED)),
            role_here=Subquery(here.values("role")[:1]),
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


# A grader's marks differ from the others' when their mean is this many points (of 100)
# away, over at least this many reviews on each side: below that, one unusual group
# moves the mean more than any habit of the grader's.
DRIFT_POINTS = 10
DRIFT_MIN_REVIEWS = 3


@dataclass
class Drift:
    """A grader's mean mark on one criterion (or the whole rubric), in percent of the
    maximum, against the other graders' mean on the same reviews' criterion."""

    percent: int | None  # None: nothing scored
    others: int | None  # None: no other grader scored it
    reviews: int
    others_reviews: int

    @property
    def points(self) -> int | None:
        """Points (of 100) above (+) or below (-) the others' mean, when both exist."""
        if self.percent is None or self.others is None:
            return None
        return self.percent - self.others

    @property
    def flagged(self) -> bool:
        """Whether the difference is large and rests on enough reviews to be looked at."""
        points = self.points
        return (
            points is not None
            and abs(points) >= DRIFT_POINTS
            and min(self.reviews, self.others_reviews) >= DRIFT_MIN_REVIEWS
        )


@dataclass
class GraderConsistency:
    grader: str
    overall: Drift
    criteria: list[Drift]  # in the rubric's order

    @property
    def reviews(self) -> int:
        """The grader's completed reviews that have scores."""
        return self.overall.reviews


@dataclass
class Consistency:
    criteria: list[str]  # the rubric's criteria, by title
    graders: list[GraderConsistency]


def grader_consistency(assignment: ProjectAssignment) -> Consistency:
    """Return, for each grader who completed reviews of ASSIGNMENT, their mean mark per
    criterion and overall against the other graders' (two queries).

    Graders no longer in the course are included: their marks stand. The comparison
    means something when groups were spread over graders without regard to their work
    (the hub's "spread" does that); the page says so.
    """
    criteria = list(
        assignment.rubric.criteria.order_by("order", "pk").values_list("pk", "max_points", "title")
    )
    scores = CriterionScore.objects.filter(
        review__group__assignment=assignment,
        review__status=ReviewStatus.COMPLETED,
        points__isnull=False,
    )
    if apps.is_installed("autograding"):
        # Points the tests pre-filled and the grader left as they were are the tests'
        # judgement, not the grader's (probe 79: they hid or made drift). Read through
        # autograding's reverse relation, as grading does not import that app.
        scores = scores.exclude(prefill__points=F("points"))
    # A review's marks are its completer's: an instructor who finished a grader's reviews
    # at the end of term is a row of their own, not half of the grader's (probe 88).
    # Reviews completed before that was recorded count for their grader.
    by_completer = Q(review__completed_by__isnull=False)
    marker = {
        name: Case(
            When(by_completer, then=F(f"review__completed_by__{name}")),
            default=F(f"review__grader__{name}"),
        )
        for name in ("id", "display_name", "first_name", "last_name", "username")
    }
    rows = (
        scores.annotate(**{f"marker_{name}": value for name, value in marker.items()})
        .values(*[f"marker_{name}" for name in marker], "criterion_id")
        .annotate(points=Sum("points"), scored=Count("pk"))
        .order_by()
    )
    # (grader, criterion) -> (points, times scored); per grader, their name and reviews.
    sums: dict[tuple[int, int], tuple[float, int]] = {}
    names: dict[int, str] = {}
    for row in rows:
        grader = row["marker_id"]
        names[grader] = User.name_of(
            row["marker_display_name"],
            row["marker_first_name"],
            row["marker_last_name"],
            row["marker_username"],
        )
        sums[grader, row["criterion_id"]] = (float(row["points"]), row["scored"])
    maxima = {pk: float(max_points) for pk, max_points, _ in criteria}

    def mean_of(graders: list[int], criterion_ids: list[int]) -> tuple[int | None, int]:
        """The mean percent of the maximum GRADERS gave on CRITERION_IDS, and over how
        many reviews (a review counts once, however many of its criteria were scored)."""
        points = possible = 0.0
        reviews = 0
        for grader in graders:
            cells = [sums[grader, c] + (c,) for c in criterion_ids if (grader, c) in sums]
            points += sum(p for p, _, _ in cells)
            possible += sum(maxima[c] * n for _, n, c in cells)
            reviews += max((n for _, n, _ in cells), default=0)
        return (round(100 * points / possible) if possible else None), reviews

    def drift(grader: int, criterion_ids: list[int]) -> Drift:
        others = [other for other in names if other != grader]
        percent, reviews = mean_of([grader], criterion_ids)
        others_percent, others_reviews = mean_of(others, criterion_ids)
        return Drift(percent, others_percent, reviews, others_reviews)

    ids = [pk for pk, _, _ in criteria]
    table = []
    for grader, name in names.items():
        table.append(GraderConsistency(name, drift(grader, ids), [drift(grader, [c]) for c in ids]))
    table.sort(key=lambda row: row.grader.casefold())
    return Consistency([title for _, _, title in criteria], table)
