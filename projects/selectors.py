"""Read-side queries for project pages and for the course page and dashboard."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.db.models import OuterRef, Prefetch, QuerySet, Subquery
from django.utils import timezone

from access import policy
from accounts.history import NamedRow
from accounts.models import Role, User
from coursesite.dates import local_text
from coursesite.prepared import prepared, prepared_per
from coursesite.wording import first_few
from lessons.models import Course

from .models import (
    Group,
    GroupMembership,
    LateVersionRule,
    MembershipEvent,
    ProjectAssignment,
    Submission,
)


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
    grading_started: bool = False  # the user's group's

    @property
    def grades_released(self) -> bool:
        return self.assignment.grades_released_at is not None

    @property
    def is_past_due(self) -> bool:
        return timezone.now() > self.deadline

    @property
    def has_extension(self) -> bool:
        return self.deadline != self.assignment.due_at

    @property
    def takes_versions_after_deadline(self) -> bool:
        """Whether a version handed in after this deadline is still taken (late work), as
        the project's page says it (probe 97: not once its grading started, under "lock
        when grading starts")."""
        assignment = self.assignment
        return (
            assignment.accepts_late_work
            and assignment.late_version_rule != LateVersionRule.LOCK_AT_DEADLINE
            and not self.locked_by_grading
        )

    @property
    def locked_by_grading(self) -> bool:
        """Whether the user's group takes no new versions, its grading started under "lock
        when grading starts", whatever the deadline (probe 102: the lists counted down)."""
        rule = self.assignment.late_version_rule
        return rule == LateVersionRule.LOCK_WHEN_GRADING and self.grading_started

    @property
    def status(self) -> str:
        """Return a short machine-friendly status used for badges."""
        if not self.is_student:
            return "teacher"
        if self.latest_version:
            return "late" if self.latest_is_late else "submitted"
        if not self.assignment.has_opened():  # not "No group yet" (probe 97)
            return "not_open"
        if self.group_name is None:
            # Groups close at the deadline and at the release: "No group yet" read as if
            # one could still join (probe 118).
            closed = self.is_past_due or self.assignment.grades_released_at is not None
            return "no_group_closed" if closed else "no_group"
        return "missed" if self.is_past_due else "pending"


# The page of a version names its group and who submitted it: for the group and its
# teachers only. Graders download the versions they grade (anonymous grading keeps
# names from them).
MEMBER_OR_TEACHER = frozenset({Role.STUDENT, Role.INSTRUCTOR})


def _visible_version(user: User, pk: int, roles: frozenset[str] | None) -> QuerySet:
    versions = policy.scope(user, policy.VIEW, Submission.objects, roles=roles)
    return versions.select_related("group__assignment__course", "submitted_by").filter(pk=pk)


# Prepared per the viewer's roles (coursesite/prepared.py): the policy's filter was
# most of the version page's build when compiled on every request.
@prepared_per(policy.variant)
def version_for_page(user: User, pk: int):
    """The version PK, if USER may open its page: a member of its group or a teacher."""
    return _visible_version(user, pk, MEMBER_OR_TEACHER)


@prepared_per(policy.variant)
def version_for_download(user: User, pk: int):
    """The version PK, if USER may download it: as for its page, or as its grader."""
    return _visible_version(user, pk, None)


# What the project lists show of an assignment and its course.
LISTED_FIELDS = (
    "title",
    "slug",
    "opens_at",
    "due_at",
    "is_published",
    "grades_released_at",
    "late_policy",  # "passed …: late versions are still taken" or "no more versions"
    "late_version_rule",
    "course__title",
    "course__term",  # the course's name says it (probe 92: a query a row without it)
    "course__slug",
    "course__is_published",
)


@prepared
def _course_assignments(course_id: int):
    return _listed(ProjectAssignment.objects.filter(course_id=course_id))


@prepared
def _enrolled_assignments(user_id: int):
    """The assignments of every course the user is enrolled in."""
    return _listed(ProjectAssignment.objects.filter(course__enrollments__user_id=user_id))


def _listed(assignments: QuerySet[ProjectAssignment]) -> QuerySet[ProjectAssignment]:
    return assignments.select_related("course").only(*LISTED_FIELDS).order_by("due_at", "pk")


@prepared
def _memberships(user_id: int):
    """The user's groups (one per assignment at most) with extension and latest version."""
    latest = Submission.objects.latest_of(OuterRef("group_id"))
    return (
        GroupMembership.objects.filter(student_id=user_id)
        .order_by()
        .values(
            "assignment_id",
            "group__name",
            "group__extension__due_at",
            "group__grading_started_at",
            version=Subquery(latest.values("version")[:1]),
            submitted_at=Subquery(latest.values("submitted_at")[:1]),
            is_late=Subquery(latest.values("is_late")[:1]),
        )
    )


def _statuses(user: User, assignments: list[ProjectAssignment]) -> list[ProjectStatus]:
    """Return USER's status on each of ASSIGNMENTS (by deadline) that USER may see.

    Two prepared queries in all (coursesite/prepared.py): the assignments, read with
    their course so that the policy answers from what they loaded, and the user's
    memberships with their group's extension and latest version.
    """
    assignments = [a for a in assignments if policy.can(user, policy.VIEW, a)]
    if not assignments:
        return []
    memberships = {row["assignment_id"]: row for row in _memberships(user_id=user.pk)}
    statuses = []
    for assignment in assignments:
        mine = memberships.get(assignment.pk, {})
        extension = mine.get("group__extension__due_at")
        deadline = extension if extension and extension > assignment.due_at else assignment.due_at
        statuses.append(
            ProjectStatus(
                assignment=assignment,
                group_name=mine.get("group__name"),
                deadline=deadline,
                latest_version=mine.get("version"),
                latest_submitted_at=mine.get("submitted_at"),
                latest_is_late=mine.get("is_late"),
                is_student=policy.role_in(user, assignment.course_id) == Role.STUDENT,
                grading_started=mine.get("group__grading_started_at") is not None,
            )
        )
    return statuses


def course_projects_for(user: User, course: Course) -> list[ProjectStatus]:
    """Return COURSE's assignments visible to USER with their status."""
    return _statuses(user, _course_assignments(course_id=course.pk))


def projects_for_dashboard(user: User) -> list[ProjectStatus]:
    """Return the assignments of every course USER is enrolled in, by deadline."""
    if not policy.enrollments(user):
        return []
    return _statuses(user, _enrolled_assignments(user_id=user.pk))


def _overdue_and_open(row: ProjectStatus) -> bool:
    """Whether ROW's group has handed in nothing, past a deadline after which versions
    are still taken: the reminder it needs most (probe 99: it left the dashboard)."""
    return (
        row.group_name is not None
        and row.latest_version is None
        and row.takes_versions_after_deadline
    )


def upcoming_deadlines(user: User, *, limit: int = 5) -> list[ProjectStatus]:
    """Return the student's next deadlines that have not passed yet, soonest first: those
    of projects not open yet too (probe 96: "No upcoming project deadlines" beside a
    project due in 84 days, opening later), which say when they open; then those passed
    with nothing handed in where late versions are still taken."""
    now = timezone.now()
    rows = [
        row
        for row in projects_for_dashboard(user)
        if row.is_student and (row.deadline >= now or _overdue_and_open(row))
    ]
    # Released grades end a project, whatever deadline a group's extension still shows.
    rows = [row for row in rows if not row.grades_released]
    # The deadlines ahead first, soonest first; then the passed ones, latest first: five
    # long passed hid a project due in 20 days (probe 100).
    ahead = sorted((row for row in rows if row.deadline >= now), key=lambda row: row.deadline)
    passed = sorted(
        (row for row in rows if row.deadline < now), key=lambda row: row.deadline, reverse=True
    )
    return (ahead + passed)[:limit]


@prepared
def assignment_by_slugs(course_slug: str, slug: str):
    # Its pages show the brief as HTML, and of the course only its name.
    return (
        ProjectAssignment.objects.filter(course__slug=course_slug, slug=slug)
        .select_related("course")
        .defer("brief", *(f"course__{name}" for name in Course.TEXTS))
    )


@dataclass(frozen=True)
class StudentGroup:
    """A student's group for an assignment, as the project page shows it."""

    group: Group
    members: list[GroupMembership]
    versions: list[Submission]  # newest first


@prepared
def _group_of(assignment_id: int, user_id: int):
    return Group.objects.filter(
        assignment_id=assignment_id, memberships__student_id=user_id
    ).select_related("extension", "assignment", "graded_submission")


@prepared
def _members_of(group_id: int):
    return (
        GroupMembership.objects.filter(group_id=group_id)
        .with_is_student()
        .select_related("student")
        .order_by("joined_at", "pk")
    )


@prepared
def _versions_of(group_id: int):
    return Submission.objects.latest_of(group_id).select_related("submitted_by")


def student_group(assignment: ProjectAssignment, user: User) -> StudentGroup | None:
    """Return USER's group for ASSIGNMENT with its extension, members and versions, in
    three prepared queries (coursesite/prepared.py); None if USER has no group."""
    groups = _group_of(assignment_id=assignment.pk, user_id=user.pk)
    if not groups:
        return None
    group = groups[0]
    versions = _versions_of(group_id=group.pk)
    for version in versions:
        version.group = group
    return StudentGroup(group, _members_of(group_id=group.pk), versions)


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


def sent_again_notice(submission: Submission) -> str:
    """What a student is told whose hand-in repeated the version just made (a double click)."""
    return (
        f"Version {submission.version} already holds this work: you handed it in a moment "
        "ago, so nothing new was submitted."
    )


def version_notices(submission: Submission, assignment: ProjectAssignment) -> list[str]:
    """What a group should know of the new version SUBMISSION of ASSIGNMENT: whether it
    is kept but not graded, and how it compares with the version before (the site's
    messages after submitting, the API's ``notices``)."""
    notices = []
    if assignment.grades_released_at is not None:
        # Only "accept and notify" takes work then (submission_locked_reason).
        notices.append(
            f"The grades of this project are released: version {submission.version} "
            "is kept but not graded; your instructors have been told it exists."
        )
    elif graded := _graded_before(submission):
        told = "; your grader has been told it exists" * (
            assignment.late_version_rule == LateVersionRule.ACCEPT_AND_NOTIFY
        )
        notices.append(
            f"Grading had already started on version {graded}: version "
            f"{submission.version} is kept but not graded{told}."
        )
    elif note := _late_after_on_time(submission, assignment):
        notices.append(note)
    if note := _compared_with_the_last(submission):
        notices.append(note)
    return notices


def on_time_version_replaced(
    group: Group,
    assignment: ProjectAssignment,
    *,
    at: datetime,
    below: int | None = None,
    versions: Sequence[Submission] | None = None,
) -> tuple[int, Decimal] | None:
    """The version handed in on time that a version of GROUP handed in AT replaces as the
    one graded (the latest before it, numbered below BELOW if given), and the penalty AT
    costs; None when lateness costs nothing or the version before is late already. The
    site asks before such a version (probe 90); the API's answer says it (probe 93).
    VERSIONS: GROUP's versions newest first, when the caller has read them (no query)."""
    deadline = group.deadline()
    penalty = assignment.late_penalty_percent(assignment.days_late(at, deadline))
    if not penalty:
        return None
    if versions is not None and below is None:
        latest = (versions[0].version, versions[0].submitted_at) if versions else None
    else:
        before = Submission.objects.filter(group_id=group.pk)
        if below is not None:
            before = before.filter(version__lt=below)
        latest = before.order_by("-version").values_list("version", "submitted_at").first()
    if latest is None or latest[1] > deadline:
        return None
    return latest[0], penalty


def _late_after_on_time(submission: Submission, assignment: ProjectAssignment) -> str:
    """What a late SUBMISSION costs when it replaces a version handed in on time."""
    replaced = on_time_version_replaced(
        submission.group, assignment, at=submission.submitted_at, below=submission.version
    )
    if replaced is None:
        return ""
    version, penalty = replaced
    return (
        f"Version {submission.version} is late and replaces version {version}, handed in "
        f"on time, as the one graded: the late policy takes {penalty.normalize():f}% off its "
        "mark."
    )


def _graded_before(submission: Submission) -> int | None:
    """The number of the version graded, if grading started on an earlier one than SUBMISSION."""
    graded = (
        Group.objects.filter(pk=submission.group_id)
        .values_list("graded_submission__version", flat=True)
        .first()
    )
    return graded if graded is not None and graded != submission.version else None


def _compared_with_the_last(submission: Submission) -> str:
    """What a group should know of a new version against the one before, if anything."""
    before = (
        Submission.objects.filter(group_id=submission.group_id, version__lt=submission.version)
        .order_by("-version")
        .values("version", "sha256")
        .first()
    )
    if before is None or not before["sha256"]:
        return ""
    if not submission.sha256:
        return (
            f"Version {submission.version} has a repository link and no zip, unlike version "
            f"{before['version']}: if it is the one graded, your graders browse no files and "
            "no tests run on it. To keep your code with it, submit again with the zip."
        )
    if submission.sha256 == before["sha256"]:
        return (
            f"Version {submission.version} is the same zip as version {before['version']}, "
            "byte for byte: did you mean to send a newer file?"
        )
    return ""


def personal_data_of(user: User) -> dict:
    """USER's groups, group history and handed-in versions, for their data download
    (accounts.personal_data). A version's files are the group's: listed, not copied."""
    memberships = GroupMembership.objects.filter(student=user).select_related(
        "group__assignment__course", "group__extension"
    )
    events = MembershipEvent.objects.filter(student=user).select_related("group__assignment")
    versions = Submission.objects.filter(submitted_by=user).select_related(
        "group__assignment__course"
    )
    return {
        "project_groups": [
            {
                "course": m.group.assignment.course.title,
                "project": m.group.assignment.title,
                "group": m.group.name,
                "joined_at": m.joined_at,
                "extension_until": extension.due_at if extension else None,
            }
            for m in memberships.order_by("joined_at", "pk")
            for extension in [getattr(m.group, "extension", None)]
        ],
        "group_history": [
            {
                "project": e.group.assignment.title,
                "group": e.group.name,
                "what": f"{e.get_action_display()} ({e.note})"
                if e.note
                else e.get_action_display(),
                "at": e.at,
            }
            for e in events.order_by("at", "pk")
        ],
        "versions_handed_in": [
            {
                "course": s.group.assignment.course.title,
                "project": s.group.assignment.title,
                "group": s.group.name,
                "version": s.version,
                "handed_in_at": s.submitted_at,
                "late": s.is_late,
                "file_name": s.archive_name or None,
                "size_in_bytes": s.archive_size,
                "sha256": s.sha256 or None,
                "repository_url": s.repository_url or None,
                "commit": s.commit or None,
                "note": s.note,
            }
            for s in versions.order_by("submitted_at", "pk")
        ],
    }


def graded_penalties(assignment: ProjectAssignment) -> dict[str, Decimal]:
    """The late penalty (a percentage) of each group's graded version under ASSIGNMENT's
    dates and late rules as this instance holds them, by group name: the back office
    compares them before and after a change of those."""
    groups = Group.objects.filter(
        assignment_id=assignment.pk, graded_submission__isnull=False
    ).select_related("extension", "graded_submission")
    penalties = {}
    for group in groups:
        group.assignment = assignment  # the dates being compared, not the stored ones
        days = assignment.days_late(group.graded_submission.submitted_at, group.deadline())
        penalties[group.name] = assignment.late_penalty_percent(days)
    return penalties


def hidden_course_consequences(course_ids: list[int]) -> list[str]:
    """What hiding the courses COURSE_IDS takes from their students in projects: each
    published project not yet released (probe 124: hidden mid-term, an open project
    became a 404 to its students, unsaid)."""
    still_open = (
        ProjectAssignment.objects.filter(
            course_id__in=course_ids, is_published=True, grades_released_at__isnull=True
        )
        .select_related("course")
        .order_by("due_at", "pk")
    )
    named = [
        f"“{project.title}” of {project.course} (due {local_text(project.due_at)})"
        for project in still_open
    ]
    if not named:
        return []
    one = len(named) == 1
    # One sentence however many (probe 127: one each, for a bulk unpublish of many).
    return [
        f"{first_few(named, 5)} {'is' if one else 'are'} not released yet: while the course "
        f"is hidden its students cannot open {'it' if one else 'them'} or hand work in; its "
        "graders still grade. Publish the course again to give it back to them."
    ]


def rows_naming(person: User) -> list[NamedRow]:
    """PERSON's group memberships, those of groups they left rebuilt, each within its
    group (whose form lists them), for the back office's history (accounts.history)."""
    memberships = list(GroupMembership.objects.filter(student=person).select_related("group"))
    left = (
        Group.objects.filter(events__student=person)
        .exclude(pk__in=[m.group_id for m in memberships])
        .distinct()
    )
    memberships += [GroupMembership(student=person, group=group) for group in left]
    beside = _others_ever_in([m.group_id for m in memberships], person)
    return [
        NamedRow(m, "student", within=m.group, beside=beside.get(m.group_id, ()))
        for m in memberships
    ]


def _others_ever_in(group_ids: list[int], person: User) -> dict[int, tuple[int, ...]]:
    """{group id: the other students ever in it}, two queries: a change message of the
    group may name any of them where it names the person."""
    rows = [
        *GroupMembership.objects.filter(group_id__in=group_ids)
        .exclude(student=person)
        .values_list("group_id", "student_id"),
        *MembershipEvent.objects.filter(group_id__in=group_ids, student__isnull=False)
        .exclude(student=person)
        .values_list("group_id", "student_id"),
    ]
    found: dict[int, set[int]] = {}
    for group_id, student_id in rows:
        found.setdefault(group_id, set()).add(student_id)
    return {group_id: tuple(ids) for group_id, ids in found.items()}
