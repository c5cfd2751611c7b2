"""Read-side queries for project pages and for the course page and dashboard."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from access import policy
from accounts.models import Role, User
from lessons.models import Course

from .models import Group, GroupMembership, ProjectAssignment, Submission


@dataclass(frozen=True)
class ProjectStatus:
    """One assignment as one user sees it: their group, deadline and latest version."""

    assignment: ProjectAssignment
    group_name: str | None
    deadline: datetime
    latest_version: int | None
    latest_submitted_at: datetime | None
    latest_is_late: bool | None
    is_student: bool

    @property
    def is_past_due(self) -> bool:
        return timezone.now() > self.deadline

    @property
    def has_extension(self) -> bool:
        return self.deadline != self.assignment.due_at

    @property
    def status(self) -> str:
        """Return a short machine-friendly status used for badges."""
        if not self.is_student:
            return "teacher"
        if self.latest_version:
            return "late" if self.latest_is_late else "submitted"
        if self.group_name is None:
            return "no_group"
        return "missed" if self.is_past_due else "pending"


# What the project lists show of an assignment and its course.
LISTED_FIELDS = (
    "title",
    "slug",
    "opens_at",
    "due_at",
    "is_published",
    "course__title",
    "course__slug",
    "course__is_published",
)


def _statuses(user: User, assignments: QuerySet[ProjectAssignment]) -> list[ProjectStatus]:
    """Return USER's status on each of ASSIGNMENTS, by deadline, in three simple queries.

    The assignments; the user's memberships among them (a group per assignment at
    most, with its extension); the versions of those groups. Joined here rather than
    in SQL: one query with the filtered relation and the latest version's subqueries
    cost more to build than the three of them to run (docs/performance.md).
    """
    assignments = list(
        assignments.select_related("course").only(*LISTED_FIELDS).order_by("due_at", "pk")
    )
    if not assignments:
        return []
    memberships = {
        row["assignment_id"]: row
        for row in GroupMembership.objects.filter(
            student=user, assignment_id__in=[a.pk for a in assignments]
        )
        .order_by()
        .values("assignment_id", "group_id", "group__name", "group__extension__due_at")
    }
    latest: dict[int, dict] = {}
    if memberships:
        versions = Submission.objects.filter(
            group_id__in=[row["group_id"] for row in memberships.values()]
        ).order_by("group_id", "-version")
        for row in versions.values("group_id", "version", "submitted_at", "is_late"):
            latest.setdefault(row["group_id"], row)
    statuses = []
    for assignment in assignments:
        mine = memberships.get(assignment.pk, {})
        version = latest.get(mine.get("group_id"), {})
        extension = mine.get("group__extension__due_at")
        deadline = extension if extension and extension > assignment.due_at else assignment.due_at
        statuses.append(
            ProjectStatus(
                assignment=assignment,
                group_name=mine.get("group__name"),
                deadline=deadline,
                latest_version=version.get("version"),
                latest_submitted_at=version.get("submitted_at"),
                latest_is_late=version.get("is_late"),
                is_student=policy.role_in(user, assignment.course_id) == Role.STUDENT,
            )
        )
    return statuses


def course_projects_for(user: User, course: Course) -> list[ProjectStatus]:
    """Return COURSE's assignments visible to USER with their status."""
    return _statuses(
        user, policy.scope(user, policy.VIEW, ProjectAssignment.objects.filter(course=course))
    )


def projects_for_dashboard(user: User) -> list[ProjectStatus]:
    """Return the assignments of every course USER is enrolled in, by deadline."""
    mine = ProjectAssignment.objects.filter(course_id__in=policy.enrollments(user))
    return _statuses(user, policy.scope(user, policy.VIEW, mine))


def upcoming_deadlines(user: User, *, limit: int = 5) -> list[ProjectStatus]:
    """Return the student's next deadlines that have not passed yet, soonest first."""
    now = timezone.now()
    rows = [
        row
        for row in projects_for_dashboard(user)
        if row.is_student and row.deadline >= now and row.assignment.opens_at <= now
    ]
    return sorted(rows, key=lambda row: row.deadline)[:limit]


def group_for_student(assignment: ProjectAssignment, user: User) -> Group | None:
    """Return USER's group for ASSIGNMENT with members, extension and versions loaded."""
    members = GroupMembership.objects.select_related("student").order_by("joined_at", "pk")
    versions = Submission.objects.select_related("submitted_by").order_by("-version")
    return (
        Group.objects.filter(assignment=assignment, memberships__student=user)
        .select_related("extension", "assignment", "graded_submission")
        .prefetch_related(
            Prefetch("memberships", queryset=members),
            Prefetch("submissions", queryset=versions),
        )
        .first()
    )
