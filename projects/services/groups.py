"""Group formation: students create, join and leave; instructors auto-form and move."""

from __future__ import annotations

import math
import random
import unicodedata
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count

from access import policy
from accounts.models import Role, User
from accounts.validators import validate_name
from coursesite.dates import local_text
from coursesite.emails import in_chunks
from lessons.models import Course
from projects.models import (
    Extension,
    Group,
    GroupMembership,
    MembershipEvent,
    ProjectAssignment,
)
from projects.signals import marks_lock

from .submissions import submissions_refresh_lateness

NOT_ENROLLED = "Only students enrolled in this course can join its project groups."
INSTRUCTOR_ASSIGNS = "The instructor assigns the groups for this project."
ALREADY_IN_GROUP = "You are already in the group “%(group)s” for this project."
GRADING_STARTED = (
    "Grading of the group “%(group)s” has started: it takes no new members. Ask your "
    "instructor if you belong in it."
)
NOBODY_LEFT = (
    "Nobody of the group “%(group)s” is in the course any more, and the work it handed in "
    "stays theirs: it takes no new members. Create a group, or ask your instructor to "
    "place you in one."
)
GROUP_FULL = "The group “%(group)s” is full (%(max)s members maximum)."
# Asked before joining a group that handed in work: a member of it cannot leave, and
# reads its versions (probe 90: a student joined a wrong group by its code, for good).
HANDED_IN = (
    "The group “%(group)s” has handed in %(versions)s. Once you join it, you cannot leave "
    "it, and you read the work it handed in. Tick the box to join it."
)
UNKNOWN_CODE = "No group of this project has that join code. Check it with your teammate."
NAME_TAKEN = "A group called “%(name)s” already exists for this project. Pick another name."
NOT_IN_GROUP = "You are not in a group for this project."
ALREADY_SUBMITTED = (
    "Your group has already submitted work, so you can no longer leave it. "
    "Ask your instructor if you need to change groups."
)
RENAME_GRADING_STARTED = (
    "Grading of your group has started: its graders know it by its name, which no longer "
    "changes. Ask your instructor if it must."
)
CHANGED_MEANWHILE = "Groups changed while we were saving. Please try again."
GROUPS_FINAL = (
    "The grades of this project are released, so its groups no longer change. Ask your "
    "instructor if you need to be in a group."
)


def _closed_message(assignment: ProjectAssignment) -> str:
    if not assignment.is_published:
        return "This project is not open yet."
    when = local_text(assignment.due_at)
    if assignment.accepts_late_work:  # the project is not closed: late work comes in
        return f"The deadline passed on {when}: groups can no longer be changed."
    return f"This project closed on {when}: groups can no longer be changed."


def student_groups_closed_reason(assignment: ProjectAssignment) -> str | None:
    """Return why students may not create, join or leave ASSIGNMENT's groups now, if so
    (what the project page says instead of offering its forms)."""
    if not assignment.groups_are_open():
        return _closed_message(assignment)
    if marks_locked_reason(assignment):
        return GROUPS_FINAL
    return None


def _check_student_can_change_groups(
    assignment: ProjectAssignment, student: User
) -> ProjectAssignment:
    """Take the project's lock and return the project as it is under it, if STUDENT may
    change their groups now: the grades cannot be released, the rules changed (formation
    mode, sizes, deadline) nor the student removed between these checks and the change."""
    assignment = ProjectAssignment.objects.lock(assignment.pk) or assignment
    policy.forget(student)
    if not assignment.students_form_groups:
        raise ValidationError(INSTRUCTOR_ASSIGNS, code="instructor_assigns")
    if not assignment.groups_are_open():
        raise ValidationError(_closed_message(assignment), code="closed")
    if policy.role_in(student, assignment.course_id) != Role.STUDENT:
        raise ValidationError(NOT_ENROLLED, code="not_enrolled")
    if marks_locked_reason(assignment):
        # Nobody would grade a group formed now; leaving would take a mark away.
        raise ValidationError(GROUPS_FINAL, code="released")
    return assignment


def _current_membership(assignment: ProjectAssignment, student: User) -> GroupMembership | None:
    return (
        GroupMembership.objects.select_related("group")
        .filter(assignment=assignment, student=student)
        .first()
    )


def _refuse_if_in_group(assignment: ProjectAssignment, student: User) -> None:
    membership = _current_membership(assignment, student)
    if membership is not None:
        raise ValidationError(
            ALREADY_IN_GROUP, code="already_in_group", params={"group": membership.group.name}
        )


def _add_member(*, group: Group, student: User, action: str, actor: User | None) -> GroupMembership:
    # The savepoint keeps the outer transaction usable when the unique constraint
    # (one group per student and assignment) fires because of a concurrent request.
    try:
        with transaction.atomic():
            membership = GroupMembership.objects.create(
                group=group, assignment_id=group.assignment_id, student=student
            )
    except IntegrityError as exc:
        raise ValidationError(CHANGED_MEANWHILE, code="conflict") from exc
    MembershipEvent.objects.create(group=group, student=student, action=action, actor=actor)
    return membership


def _free_name(assignment: ProjectAssignment, name: str, *, other_than: Group | None = None) -> str:
    """Return NAME as a group of ASSIGNMENT would be called (spaces collapsed, accents
    composed), if it is a name and no other group has it in any capitals."""
    name = unicodedata.normalize("NFC", " ".join(name.split()))  # as Group.save stores it
    if not name:
        raise ValidationError({"name": "Give your group a name."}, code="required")
    try:
        validate_name(name)
    except ValidationError as exc:
        raise ValidationError({"name": exc.messages}) from exc
    others = Group.objects.filter(assignment=assignment, name__iexact=name)
    if other_than is not None:
        others = others.exclude(pk=other_than.pk)
    if taken := others.values_list("name", flat=True).first():
        # Its name as it is, not as typed (probe 99: "TEAM alpha" for "Team Alpha").
        raise ValidationError({"name": NAME_TAKEN % {"name": taken}}, code="name_taken")
    return name


@transaction.atomic
def group_create(*, assignment: ProjectAssignment, student: User, name: str) -> Group:
    """Create a group named NAME with STUDENT as its first member."""
    assignment = _check_student_can_change_groups(assignment, student)
    _refuse_if_in_group(assignment, student)
    name = _free_name(assignment, name)
    try:
        with transaction.atomic():
            group = Group.objects.create(assignment=assignment, name=name, created_by=student)
    except IntegrityError as exc:
        raise ValidationError({"name": NAME_TAKEN % {"name": name}}, code="name_taken") from exc
    _add_member(group=group, student=student, action=MembershipEvent.Action.CREATED, actor=student)
    return group


@transaction.atomic
def group_rename(*, assignment: ProjectAssignment, student: User, name: str) -> Group:
    """Rename STUDENT's group of ASSIGNMENT to NAME: its members may, while they may
    change groups and its grading has not started (graders then know it by its name)."""
    assignment = _check_student_can_change_groups(assignment, student)
    membership = _current_membership(assignment, student)
    if membership is None:
        raise ValidationError(NOT_IN_GROUP, code="not_in_group")
    group = Group.objects.select_for_update().get(pk=membership.group_id)
    if group.grading_started_at is not None:
        raise ValidationError(RENAME_GRADING_STARTED, code="grading_started")
    name = _free_name(assignment, name, other_than=group)
    if name == group.name:
        raise ValidationError(
            {"name": f"Your group is already called “{name}”: type its new name."},
            code="unchanged",
        )
    before, group.name = group.name, name
    try:
        with transaction.atomic():
            group.save(update_fields=["name"])
    except IntegrityError as exc:  # taken meanwhile
        raise ValidationError({"name": NAME_TAKEN % {"name": name}}, code="name_taken") from exc
    MembershipEvent.objects.create(
        group=group,
        student=student,
        action=MembershipEvent.Action.RENAMED,
        actor=student,
        note=f"was “{before}”",
    )
    return group


@transaction.atomic
def group_join(
    *, assignment: ProjectAssignment, student: User, join_code: str, knows_handed_in: bool = True
) -> Group:
    """Add STUDENT to the group of ASSIGNMENT whose join code is JOIN_CODE. A group that
    has handed in work is joined only KNOWS_HANDED_IN (the site asks; HANDED_IN)."""
    assignment = _check_student_can_change_groups(assignment, student)
    code = "".join(join_code.split()).upper()
    # Lock the group row: concurrent joins queue here, so the size check below
    # counts every member that committed before us and a group never overfills.
    group = Group.objects.select_for_update().filter(assignment=assignment, join_code=code).first()
    if group is None:
        raise ValidationError({"join_code": ValidationError(UNKNOWN_CODE, code="unknown_code")})
    _refuse_if_in_group(assignment, student)
    if group.grading_started_at is not None:
        # A newcomer would receive the mark of work graded without them.
        raise ValidationError(GRADING_STARTED, code="grading_started", params={"group": group.name})
    if group.submissions.exists() and not group.memberships.of_students().exists():
        # Its members were removed or their accounts deleted: a newcomer would be
        # graded on, and could download, work that is not theirs.
        raise ValidationError(NOBODY_LEFT, code="nobody_left", params={"group": group.name})
    if group.memberships.of_students().count() >= assignment.max_group_size:
        raise ValidationError(
            GROUP_FULL,
            code="group_full",
            params={"group": group.name, "max": assignment.max_group_size},
        )
    if not knows_handed_in and (versions := group.submissions.count()):
        said = "1 version" if versions == 1 else f"{versions} versions"
        raise ValidationError(
            HANDED_IN, code="handed_in", params={"group": group.name, "versions": said}
        )
    _add_member(group=group, student=student, action=MembershipEvent.Action.JOINED, actor=student)
    return group


def is_unknown_join_code(error: ValidationError) -> bool:
    """Whether ERROR, raised by group_join, says its code is no group's (a wrong guess)."""
    errors = error.error_dict.get("join_code", []) if hasattr(error, "error_dict") else []
    return any(item.code == "unknown_code" for item in errors)


@transaction.atomic
def group_leave(*, assignment: ProjectAssignment, student: User) -> Group:
    """Remove STUDENT from their group, deleting the group when it becomes empty.

    Leaving is allowed only until the group's first submission, so every version
    keeps the members who made it.
    """
    assignment = _check_student_can_change_groups(assignment, student)
    membership = _current_membership(assignment, student)
    if membership is None:
        raise ValidationError(NOT_IN_GROUP, code="not_in_group")
    group = Group.objects.select_for_update().filter(pk=membership.group_id).first()
    if group is None:  # emptied and deleted by a leave that committed first
        raise ValidationError(NOT_IN_GROUP, code="not_in_group")
    if group.submissions.exists():
        raise ValidationError(ALREADY_SUBMITTED, code="already_submitted")
    membership.delete()
    if group.memberships.exists():
        MembershipEvent.objects.create(
            group=group, student=student, action=MembershipEvent.Action.LEFT, actor=student
        )
    else:
        # An empty group that never submitted has nothing worth keeping; deleting it
        # frees its name and makes its join code useless.
        group.delete()
    return group


@dataclass
class AutoFormResult:
    placed: int = 0
    groups_created: list[Group] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)


def balanced_sizes(count: int, minimum: int, maximum: int) -> list[int] | None:
    """Return group sizes for COUNT students, as equal as possible within the limits.

    Use the fewest groups that respect MAXIMUM; return None when no split respects
    MINIMUM too (e.g. 5 students in groups of 3 or 4).
    """
    if count == 0:
        return []
    groups = math.ceil(count / maximum)
    if count // groups < minimum:
        return None
    base, extra = divmod(count, groups)
    return [base + 1] * extra + [base] * (groups - extra)


def _next_group_names(assignment: ProjectAssignment, how_many: int) -> list[str]:
    taken = {name.lower() for name in assignment.groups.values_list("name", flat=True)}
    names: list[str] = []
    number = 1
    while len(names) < how_many:
        candidate = f"Group {number}"
        if candidate.lower() not in taken:
            names.append(candidate)
        number += 1
    return names


@transaction.atomic
def groups_auto_form(
    *, assignment: ProjectAssignment, seed: int | str | None = None, actor: User | None = None
) -> AutoFormResult:
    """Put every enrolled student of the course without a group into random groups.

    New groups get balanced sizes within the assignment's limits. When the leftover
    students cannot make groups of the minimum size, some join existing groups that
    still have room; failing that, a smaller group is made and a warning returned.
    SEED makes the draw reproducible.
    """
    result = AutoFormResult()
    # Two auto-forms of the same project cannot interleave; the sizes are read under it.
    assignment = ProjectAssignment.objects.lock(assignment.pk) or assignment
    if reason_locked := marks_locked_reason(assignment):
        raise ValidationError(reason_locked, code="marks_locked")
    students = list(assignment.students_in_no_group().order_by("pk"))
    if not students:
        return result
    rng = random.Random(seed)  # noqa: S311 - a fair draw, not a secret
    rng.shuffle(students)

    minimum, maximum = assignment.min_group_size, assignment.max_group_size
    sizes = balanced_sizes(len(students), minimum, maximum)
    if sizes is None:
        # Top up existing groups with room, one student at a time, until the rest split.
        open_groups = list(
            Group.objects.filter(assignment=assignment)
            .annotate(size=Count("memberships"))
            .filter(size__lt=maximum)
            .order_by("pk")
        )
        room = {group.pk: maximum - group.size for group in open_groups}
        rng.shuffle(open_groups)
        while sizes is None and students and any(room.values()):
            group = min(open_groups, key=lambda g: (-room[g.pk], g.pk))
            student = students.pop()
            _add_member(
                group=group, student=student, action=MembershipEvent.Action.ADDED, actor=actor
            )
            room[group.pk] -= 1
            result.placed += 1
            sizes = balanced_sizes(len(students), minimum, maximum)
    if sizes is None:
        groups = math.ceil(len(students) / maximum)
        base, extra = divmod(len(students), groups)
        sizes = [base + 1] * extra + [base] * (groups - extra)
        result.warnings.append(
            f"{len(students)} student(s) could not make a group of {minimum}: "
            "a smaller group was formed. Move students by hand if needed."
        )

    for name, size in zip(_next_group_names(assignment, len(sizes)), sizes, strict=True):
        group = Group.objects.create(assignment=assignment, name=name, created_by=actor)
        result.groups_created.append(group)
        for _ in range(size):
            _add_member(
                group=group,
                student=students.pop(),
                action=MembershipEvent.Action.ADDED,
                actor=actor,
            )
            result.placed += 1
    return result


def marks_locked_reason(assignment: ProjectAssignment | int) -> str | None:
    """Return why what ASSIGNMENT's marks are computed from (members, deadline, late-work
    rules, extensions) may no longer change, if another app says so."""
    assignment_id = assignment if isinstance(assignment, int) else assignment.pk
    if assignment_id is None:
        return None
    for _receiver, reason in marks_lock.send(sender=ProjectAssignment, assignment_id=assignment_id):
        if reason:
            return reason
    return None


def membership_locked_reason(group: Group) -> str | None:
    """Return why GROUP's members may no longer change, if another app says so."""
    return marks_locked_reason(group.assignment_id)


def _refuse_if_locked(group: Group) -> None:
    reason = membership_locked_reason(group)
    if reason:
        raise ValidationError(reason, code="members_locked")


@transaction.atomic
def membership_move(*, student: User, to_group: Group, actor: User | None = None) -> Group | None:
    """Put STUDENT in TO_GROUP, taking them out of their current group (instructors).

    Return the group they left, or None. Instructors may move students at any time,
    also after submissions (the history keeps who was where when), until a listener
    of ``marks_lock`` refuses (the grades are released).
    """
    assignment = ProjectAssignment.objects.lock(to_group.assignment_id) or to_group.assignment
    policy.forget(student)
    _refuse_if_locked(to_group)
    if policy.role_in(student, assignment.course_id) != Role.STUDENT:
        raise ValidationError(
            "%(student)s is not enrolled as a student in this course.",
            code="not_enrolled",
            params={"student": student},
        )
    to_group = Group.objects.select_for_update().get(pk=to_group.pk)
    current = _current_membership(assignment, student)
    if current is not None and current.group_id == to_group.pk:
        return None
    if current is not None:
        _refuse_if_locked(current.group)
    if to_group.memberships.count() >= assignment.max_group_size:
        raise ValidationError(
            GROUP_FULL,
            code="group_full",
            params={"group": to_group.name, "max": assignment.max_group_size},
        )
    left = None
    if current is not None:
        left = current.group
        membership_remove(membership=current, actor=actor)
    _add_member(group=to_group, student=student, action=MembershipEvent.Action.ADDED, actor=actor)
    return left


@transaction.atomic
def membership_remove(*, membership: GroupMembership, actor: User | None = None) -> None:
    """Take a student out of a group on an instructor's behalf, keeping the history."""
    ProjectAssignment.objects.lock(membership.assignment_id)
    _refuse_if_locked(membership.group)
    # Read before the lock: a removal that got there first leaves nothing to record
    # (two instructors' clicks logged the student's removal twice, probe 59).
    if not GroupMembership.objects.filter(pk=membership.pk).exists():
        return
    MembershipEvent.objects.create(
        group_id=membership.group_id,
        student_id=membership.student_id,
        action=MembershipEvent.Action.REMOVED,
        actor=actor,
    )
    membership.delete()


@transaction.atomic
def extension_grant(
    *, group: Group, due_at: datetime, reason: str = "", granted_by: User | None = None
) -> int:
    """Give GROUP a later deadline, replacing any earlier extension; return how many of
    its members are emailed it (none for a reason corrected, or a draft project)."""
    ProjectAssignment.objects.lock(group.assignment_id)
    if reason_locked := marks_locked_reason(group.assignment_id):
        raise ValidationError(reason_locked, code="marks_locked")
    if due_at <= group.assignment.due_at:
        raise ValidationError(
            {"due_at": "An extension must end after the project's deadline."}, code="too_early"
        )
    # The group's deadline as stored (an extension the project's deadline overtook no
    # longer applies): its members are told when it moves, not when a reason is corrected.
    project_due = group.assignment.due_at
    stored = Extension.objects.filter(group=group).values_list("due_at", flat=True).first()
    before = max(stored, project_due) if stored else project_due
    Extension.objects.update_or_create(
        group=group, defaults={"due_at": due_at, "reason": reason, "granted_by": granted_by}
    )
    submissions_refresh_lateness(assignment_id=group.assignment_id, group_id=group.pk)
    if due_at == before:
        return 0
    return deadline_changes_tell(group.assignment, _members(group))


def extension_remove(extension: Extension) -> int:
    """Take a group's extension away: its deadline is the project's again, its versions'
    lateness is read from it; return how many of its members are emailed it."""
    group = extension.group
    # As stored: a form ticked for deletion may carry another date typed with the tick.
    stored = Extension.objects.filter(pk=extension.pk).values_list("due_at", flat=True).first()
    extension.delete()
    submissions_refresh_lateness(assignment_id=group.assignment_id, group_id=group.pk)
    if not stored or stored <= group.assignment.due_at:  # overtaken: it changed nothing
        return 0
    return deadline_changes_tell(group.assignment, _members(group))


def students_whose_deadline_moved(assignment: ProjectAssignment, *, before: datetime) -> list[int]:
    """The ids of the students of ASSIGNMENT's course whose own deadline moved when the
    project's moved from BEFORE: all but the members of groups whose extension still
    ends after both."""
    kept = GroupMembership.objects.filter(
        assignment=assignment, group__extension__due_at__gte=max(before, assignment.due_at)
    ).values("student_id")
    return list(
        User.objects.filter(
            enrollments__course_id=assignment.course_id,
            enrollments__role=Role.STUDENT,
            is_active=True,
        )
        .exclude(email="")
        .exclude(pk__in=kept)
        .order_by("pk")
        .values_list("pk", flat=True)
    )


def deadline_changes_tell(assignment: ProjectAssignment, user_ids: list[int]) -> int:
    """Email the students of USER_IDS their new deadline for ASSIGNMENT once the change
    is saved (a task per hundred); return how many are to be told. Nobody hears of a
    draft's dates, nor of a closed course's, nor of a project whose marks are released
    (they are final): the count said is the emails that go (probe 105)."""
    course_open = Course.objects.filter(pk=assignment.course_id, is_published=True).exists()
    if not (assignment.is_published and course_open) or assignment.grades_released_at:
        return 0
    from projects.tasks import send_deadline_changed_email  # tasks import the models

    for chunk in in_chunks(user_ids):
        transaction.on_commit(
            partial(
                send_deadline_changed_email.enqueue, assignment_id=assignment.pk, user_ids=chunk
            )
        )
    return len(user_ids)


def _members(group: Group) -> list[int]:
    """The ids of GROUP's members an email reaches: still students, active, with an address."""
    return list(
        GroupMembership.objects.of_students()
        .filter(group=group, student__is_active=True)
        .exclude(student__email="")
        .order_by("student_id")
        .values_list("student_id", flat=True)
    )


__all__ = [
    "AutoFormResult",
    "balanced_sizes",
    "deadline_changes_tell",
    "extension_grant",
    "extension_remove",
    "marks_locked_reason",
    "membership_locked_reason",
    "group_create",
    "group_join",
    "group_leave",
    "groups_auto_form",
    "membership_move",
    "membership_remove",
    "students_whose_deadline_moved",
]
