"""Who may do what, per course: the one access policy of the platform.

Every answer comes from the role of the user's enrollment in the object's course
(``lessons.Enrollment.role``: student, grader or instructor); superusers may do
everything, inactive users nothing. Nothing else grants access: no site-wide group,
no staff flag, no model permission. Views, selectors, admin screens, exports and
tasks ask through three functions:

* ``scope(user, action, queryset)`` - the rows USER may act on (lists, lookups);
* ``can(user, action, obj)`` - one object;
* ``get_or_refuse(user, action, queryset, **lookup)`` - the object, or 404 for
  people outside its course and 403 for its course's members without the right.

The rules are the ``RULES`` table below: for each model, each action, the roles that
grant it in the object's course, some only under a condition on the row (a student
sees a submission of their own group; a grader grades the reviews assigned to them).
Each condition is written once, as a ``Q``, and serves both lists and single objects,
so the two can never disagree. Models are named by label, so group projects can ask
about their objects without this module importing grading.

Actions:

* ``VIEW`` - read it;
* ``CHANGE`` - take part in it as a student (form a group, submit a version);
* ``GRADE`` - grade in the course (open the queue, score a review);
* ``TEACH`` - manage it: everything in the back office.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from typing import NamedTuple

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, PermissionDenied
from django.db.models import (
    CharField,
    Exists,
    Model,
    OuterRef,
    Q,
    QuerySet,
    StringAgg,
    Subquery,
    Value,
)
from django.db.models.functions import Cast, Coalesce, Concat
from django.http import Http404

from accounts.models import Role
from coursesite.prepared import prepared

VIEW = "view"
CHANGE = "change"
GRADE = "grade"
TEACH = "teach"

ANYONE = frozenset(Role.values)
STAFF = frozenset({Role.GRADER, Role.INSTRUCTOR})
STUDENTS = frozenset({Role.STUDENT})
GRADERS = frozenset({Role.GRADER})
TEACHERS = frozenset({Role.INSTRUCTOR})

Condition = Callable[[Model], Q]  # user -> a filter on the rule's model


# What a missing object, a draft and another course's object all answer (a 404).
NOT_FOUND = "No such page."
# What a member of the course's staff, a member of a group too, is told of its grading.
OWN_GROUP = (
    "You are a member of this group: nobody grades their own group, answers its regrade "
    "requests or sets its marks. Another instructor of the course does, or the site's "
    "administrators for a course you teach alone."
)


class RefusedInWords(PermissionDenied):
    """A refusal whose message is written for the person refused: the 403 page says it
    (PermissionDenied's own messages are for the log)."""


@dataclass(frozen=True)
class Grant:
    """ROLES in the object's course allow the action, on the rows matching WHEN (if any)."""

    roles: frozenset[str]
    when: Condition | None = None
    # What a person with ROLES is told when WHEN excludes the row, if not merely that
    # their role does not allow it.
    refusal: str = ""


@dataclass(frozen=True)
class Rule:
    """How one model relates to its course, and which grants each action has.

    COURSE is the lookup from the model to its course ("" for Course itself). A rule
    with PARENT delegates every action to the object at that relation instead.
    """

    course: str = ""
    actions: dict[str, tuple[Grant, ...]] = field(default_factory=dict)
    parent: str = ""


def _model(label: str) -> type[Model]:
    return apps.get_model(label)


# Conditions, each a function of the user returning a filter on its model ----------
def _published_course(prefix: str = "") -> Condition:
    return lambda user: Q(**{f"{prefix}is_published": True})


def _published_module(prefix: str = "") -> Condition:
    return lambda user: Q(**{f"{prefix}is_published": True, f"{prefix}course__is_published": True})


def _published_lesson(prefix: str = "") -> Condition:
    return lambda user: Q(
        **{
            f"{prefix}is_published": True,
            f"{prefix}module__is_published": True,
            f"{prefix}module__course__is_published": True,
        }
    )


def _own(field_name: str) -> Condition:
    return lambda user: Q(**{field_name: user})


def _member_of(group: str) -> Condition:
    """Rows whose group (at GROUP, "pk" for Group itself) has USER as a member."""

    def condition(user) -> Q:
        # The user's groups as a list, not a test per row: SQLite ran the correlated
        # EXISTS once for every group of the course (2 ms a page at 10,000 students).
        memberships = _model("projects.GroupMembership").objects
        return Q(**{f"{group}__in": memberships.filter(student=user).values("group_id")})

    return condition


def _not_member_of(group: str) -> Condition:
    """Rows whose group (at GROUP) does not have USER as a member: nobody grades their own
    group. A student made a grader or an instructor keeps their groups (their marks stand
    on them): made an instructor, one answered one's own regrade requests (probe 117)."""
    member_of = _member_of(group)
    return lambda user: ~member_of(user)


def sets_own_groups_mark(user, assignment_id: int, student_id: int) -> bool:
    """Whether an override of STUDENT_ID's mark on the project would set USER's own mark
    or a teammate's: nobody grades their own group (probe 117)."""
    if is_superuser(user):
        return False
    teammates = _model("projects.GroupMembership").objects.filter(
        assignment_id=assignment_id, student_id=student_id, group__memberships__student=user
    )
    return student_id == user.pk or teammates.exists()


def _assigned_grader(user) -> Q:
    return Q(grader=user)


def _assigned_or_open_to_graders(user) -> Q:
    # Open groups as a subquery on the review's own column: written as an OR across the
    # joined rubric, it kept PostgreSQL off the index on grader_id (a grader's queue
    # walked every submission of the course; docs/performance.md). Not one's own group:
    # a student made a grader read their group's marks before the release (probe 127).
    return Q(grader=user) | (Q(group__in=_open_groups()) & _not_member_of("group")(user))


@functools.cache
def _open_groups() -> QuerySet:
    # Built once: a queryset used as a subquery is never evaluated, only compiled.
    groups = _model("projects.Group").objects
    return groups.filter(assignment__rubric__graders_see_all=True).values("pk")


def _released_feedback_of_member(user) -> Q:
    return Q(status="completed", group__assignment__grade_release__isnull=False) & _member_of(
        "group"
    )(user)


def _published_assignment(user) -> Q:
    return Q(is_published=True, course__is_published=True)


def _graded_by(prefix: str) -> Condition:
    """Rows of a group whose review USER grades, or whose rubric opens reviews to graders."""
    return lambda user: (
        Q(**{f"{prefix}review__grader": user})
        | Q(**{f"{prefix}assignment__rubric__graders_see_all": True})
    )


def _group_graded_by(user) -> Q:
    """Versions of a group whose review USER grades (not merely reads)."""
    reviews = _model("grading.Review").objects.filter(grader=user)
    return Q(group__in=reviews.values("group_id"))


TEACHING = (Grant(TEACHERS),)

RULES: dict[str, Rule] = {
    "lessons.Course": Rule(
        course="",
        actions={
            VIEW: (Grant(TEACHERS), Grant(ANYONE, _published_course())),
            GRADE: (Grant(STAFF),),
            TEACH: TEACHING,
        },
    ),
    "lessons.Module": Rule(
        course="course",
        actions={VIEW: (Grant(TEACHERS), Grant(ANYONE, _published_module())), TEACH: TEACHING},
    ),
    "lessons.Lesson": Rule(
        course="module__course",
        actions={VIEW: (Grant(TEACHERS), Grant(ANYONE, _published_lesson())), TEACH: TEACHING},
    ),
    "lessons.LessonAttachment": Rule(
        course="lesson__module__course",
        actions={
            VIEW: (Grant(TEACHERS), Grant(ANYONE, _published_lesson("lesson__"))),
            TEACH: TEACHING,
        },
    ),
    # Quizzes and exercises (practice/): students of a published lesson answer them;
    # everyone who sees the lesson sees them; each one's attempts are theirs.
    "practice.Question": Rule(
        course="lesson__module__course",
        actions={
            VIEW: (Grant(TEACHERS), Grant(ANYONE, _published_lesson("lesson__"))),
            CHANGE: (Grant(STUDENTS, _published_lesson("lesson__")),),
            TEACH: TEACHING,
        },
    ),
    "practice.Choice": Rule(parent="question"),
    "practice.Exercise": Rule(
        course="lesson__module__course",
        actions={
            VIEW: (Grant(TEACHERS), Grant(ANYONE, _published_lesson("lesson__"))),
            CHANGE: (Grant(STUDENTS, _published_lesson("lesson__")),),
            TEACH: TEACHING,
        },
    ),
    "practice.Attempt": Rule(
        course="question__lesson__module__course",
        actions={VIEW: (Grant(TEACHERS), Grant(ANYONE, _own("user"))), TEACH: TEACHING},
    ),
    "practice.ExerciseAttempt": Rule(
        course="exercise__lesson__module__course",
        actions={VIEW: (Grant(TEACHERS), Grant(ANYONE, _own("user"))), TEACH: TEACHING},
    ),
    "lessons.Enrollment": Rule(
        course="course",
        actions={VIEW: (Grant(TEACHERS), Grant(ANYONE, _own("user"))), TEACH: TEACHING},
    ),
    "projects.ProjectAssignment": Rule(
        course="course",
        actions={
            VIEW: (Grant(TEACHERS), Grant(ANYONE, _published_assignment)),
            CHANGE: (Grant(STUDENTS, _published_assignment),),
            GRADE: (Grant(STAFF),),
            TEACH: TEACHING,
        },
    ),
    "projects.Group": Rule(
        course="assignment__course",
        actions={
            VIEW: (Grant(TEACHERS), Grant(STUDENTS, _member_of("pk"))),
            CHANGE: (Grant(STUDENTS, _member_of("pk")),),
            TEACH: TEACHING,
        },
    ),
    "projects.GroupMembership": Rule(parent="group"),
    "projects.MembershipEvent": Rule(parent="group"),
    "projects.Extension": Rule(parent="group"),
    # Graders read (and download) the versions of the groups whose review they may
    # open: the viewer shows them the files, and sends them to the archive for what it
    # cannot show. The site's page of a version names its group and who submitted it,
    # so it asks as a member or teacher (anonymous grading).
    "projects.Submission": Rule(
        course="group__assignment__course",
        actions={
            VIEW: (
                Grant(TEACHERS),
                Grant(GRADERS, _graded_by("group__")),
                Grant(STUDENTS, _member_of("group")),
            ),
            # Run its tests again: the group's own grader (a sandbox error, a flaky test);
            # not a member (the tests may pre-fill its marks: probe 121).
            GRADE: (
                Grant(TEACHERS, _not_member_of("group"), refusal=OWN_GROUP),
                Grant(GRADERS, _group_graded_by),
            ),
            TEACH: TEACHING,
        },
    ),
    "grading.Rubric": Rule(
        course="assignment__course", actions={VIEW: (Grant(STAFF),), TEACH: TEACHING}
    ),
    "grading.Criterion": Rule(parent="rubric"),
    "grading.Level": Rule(parent="criterion"),
    "grading.Review": Rule(
        course="group__assignment__course",
        actions={
            VIEW: (
                Grant(TEACHERS),
                Grant(GRADERS, _assigned_or_open_to_graders),
                # A student made a grader keeps their groups and reads their released
                # feedback (probe 124: it became a 404).
                Grant(GRADERS, _released_feedback_of_member),
                Grant(STUDENTS, _released_feedback_of_member),
            ),
            GRADE: (
                Grant(TEACHERS, _not_member_of("group"), refusal=OWN_GROUP),
                Grant(GRADERS, _assigned_grader),
            ),
            TEACH: TEACHING,
        },
    ),
    "grading.CriterionScore": Rule(parent="review"),
    "grading.LineComment": Rule(parent="review"),
    "grading.RegradeRequest": Rule(parent="review"),
    "grading.RegradeMessage": Rule(parent="regrade"),
    "grading.FeedbackView": Rule(
        course="review__group__assignment__course",
        actions={VIEW: (Grant(TEACHERS), Grant(STUDENTS, _own("student"))), TEACH: TEACHING},
    ),
    "grading.GradeRelease": Rule(course="assignment__course", actions={TEACH: TEACHING}),
    # Read in the back office; set on the grading pages, where nobody sets their own
    # group's marks (sets_own_groups_mark).
    "grading.MarkOverride": Rule(course="assignment__course", actions={TEACH: TEACHING}),
    "grading.PeerRating": Rule(
        course="group__assignment__course",
        actions={VIEW: (Grant(TEACHERS), Grant(STUDENTS, _own("rater"))), TEACH: TEACHING},
    ),
    "autograding.TestSuite": Rule(
        course="assignment__course", actions={VIEW: (Grant(STAFF),), TEACH: TEACHING}
    ),
    "autograding.TestGroup": Rule(parent="suite"),
    # What a student may read of a run (visible tests, hidden ones as counts) is decided
    # where results are shown (autograding/results.py); the policy says whose runs.
    "autograding.Run": Rule(
        course="submission__group__assignment__course",
        actions={
            VIEW: (
                Grant(TEACHERS),
                Grant(GRADERS, _graded_by("submission__group__")),
                Grant(STUDENTS, _member_of("submission__group")),
            ),
            TEACH: TEACHING,
        },
    ),
    "autograding.TestResult": Rule(parent="run"),
    "autograding.PrefilledScore": Rule(parent="score"),
}


# The user's roles ------------------------------------------------------------
class EnrollmentRow(NamedTuple):
    role: str
    last_lesson_id: int | None  # "continue where you left off", read with the role


def enrollments(user) -> dict[int, EnrollmentRow]:
    """Return {course id: (role, last lesson)} of USER's enrollments, read once per user object.

    Views get a fresh user object on every request, so a changed enrollment shows on
    the next request; code that changes a user's enrollments and asks again in the
    same request calls ``forget(user)``. A user loaded ``with_enrollments`` brings them
    along (the session's user, accounts/backends.py): no query of its own.
    """
    if not user.is_authenticated or not user.is_active:
        return {}
    rows = user.__dict__.get("_enrollments")
    if rows is None:
        text = user.__dict__.pop(_ENROLLMENTS_TEXT, _NOT_READ)
        if text is _NOT_READ:
            found = _enrollment_rows(user_id=user.pk)
        else:
            found = (row.split(":") for row in text.split(",")) if text else ()
        rows = {
            int(course_id): EnrollmentRow(role, int(last_lesson_id) if last_lesson_id else None)
            for course_id, role, last_lesson_id in found
        }
        user._enrollments = rows
    return rows


# Where a user loaded with_enrollments carries them: "course:role:last lesson" joined
# with commas (roles are plain words; ids are digits), or None when there are none.
_ENROLLMENTS_TEXT = "enrollments_text"
_NOT_READ = object()


def with_enrollments(users: QuerySet) -> QuerySet:
    """Return USERS, each with their enrollments read in the same query, for enrollments().

    Every page of a logged-in user asks their roles (the access checks, the navbar's
    links), so the session's user is loaded with them: one round trip instead of two.
    Only for users read afresh on each request: a user kept across requests (a cache)
    would keep roles that may have changed since.
    """
    rows = (
        _model("lessons.Enrollment")
        .objects.filter(user_id=OuterRef("pk"))
        .order_by()
        .values("user_id")
        .annotate(
            text=StringAgg(
                Concat(
                    Cast("course_id", CharField()),
                    Value(":"),
                    "role",
                    Value(":"),
                    Coalesce(Cast("last_lesson_id", CharField()), Value("")),
                    output_field=CharField(),
                ),
                Value(","),
            )
        )
        .values("text")
    )
    return users.annotate(**{_ENROLLMENTS_TEXT: Subquery(rows)})


@prepared
def _enrollment_rows(user_id: int):
    # No ORDER BY: the default ordering would join the course and the user.
    return (
        _model("lessons.Enrollment")
        .objects.filter(user_id=user_id)
        .order_by()
        .values_list("course_id", "role", "last_lesson_id")
    )


def course_roles(user) -> dict[int, str]:
    """Return {course id: role} for USER's enrollments."""
    return {course_id: row.role for course_id, row in enrollments(user).items()}


def forget(user) -> None:
    """Drop USER's remembered enrollments (after changing them)."""
    user.__dict__.pop("_enrollments", None)
    user.__dict__.pop(_ENROLLMENTS_TEXT, None)


def variant(user) -> tuple:
    """Return what the policy reads of USER besides their id: their standing and roles.

    Two users with the same variant get the same filters from ``scope`` and
    ``access_filter`` with only their ids differing, so a query compiled for one serves
    the other (coursesite/prepared.py, ``prepared_per(policy.variant)``).
    """
    return (
        user.is_authenticated,
        user.is_active,
        user.is_superuser,
        tuple(sorted((course_id, row.role) for course_id, row in enrollments(user).items())),
    )


def is_superuser(user) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_superuser)


def enrollment(user, course) -> EnrollmentRow | None:
    """Return USER's enrollment in COURSE (a Course or its id), or None."""
    course_id = course if isinstance(course, int) else course.pk
    return enrollments(user).get(course_id)


def role_in(user, course) -> str | None:
    """Return USER's role in COURSE (a Course or its id), or None."""
    row = enrollment(user, course)
    return row.role if row is not None else None


def courses_where(user, roles: Collection[str]) -> list[int]:
    """Return the ids of the courses in which USER has one of ROLES."""
    return [course_id for course_id, row in enrollments(user).items() if row.role in roles]


def uses_back_office(user) -> bool:
    """Return whether USER may open the back office: superusers and instructors."""
    return is_superuser(user) or bool(courses_where(user, TEACHERS))


def grades_only(user) -> bool:
    """Return whether USER grades and neither studies nor teaches anywhere.

    Their day starts on the grading queue rather than the dashboard: the queue is all
    their work. Someone who also studies keeps the dashboard (their deadlines and
    feedback are there) with a link to the queue; instructors keep it for their
    back-office links.
    """
    return set(course_roles(user).values()) == {Role.GRADER} and not is_superuser(user)


def studies_anywhere(user) -> bool:
    """Return whether USER is a student of some course, or of none yet (a new account):
    the feedback pages are a student's."""
    roles = course_roles(user)
    return Role.STUDENT in roles.values() or not (roles or is_superuser(user))


def grades_anywhere(user) -> bool:
    """Return whether USER grades in some course: the grading queue is theirs."""
    return is_superuser(user) or bool(courses_where(user, STAFF))


# Asking about rows -----------------------------------------------------------
def _rule(model: type[Model]) -> Rule:
    try:
        return RULES[model._meta.label]
    except KeyError:
        raise LookupError(f"The access policy has no rule for {model._meta.label}.") from None


def _grants(rule: Rule, action: str, roles: Collection[str] | None) -> tuple[Grant, ...]:
    grants = rule.actions.get(action, ())
    if roles is None:
        return grants
    return tuple(
        Grant(grant.roles & frozenset(roles), grant.when, grant.refusal) for grant in grants
    )


def access_filter(
    user, action: str, model: type[Model], *, roles: Collection[str] | None = None
) -> Q:
    """Return the filter on MODEL's rows that USER may ACTION (as one of ROLES, if given).

    A filter that matches nothing for users with no grant (``pk__in=[]``), everything
    for superusers.
    """
    if is_superuser(user):
        return Q()
    rule = _rule(model)
    if rule.parent:
        parent = model._meta.get_field(rule.parent).related_model
        allowed = parent._default_manager.filter(access_filter(user, action, parent, roles=roles))
        return Q(**{f"{rule.parent}__in": allowed.values("pk")})
    course = f"{rule.course}__in" if rule.course else "pk__in"
    result = Q(pk__in=[])
    for grant in _grants(rule, action, roles):
        course_ids = courses_where(user, grant.roles)
        if not course_ids:
            continue
        allowed = Q(**{course: course_ids})
        if grant.when is not None:
            allowed &= grant.when(user)
        result |= allowed
    return result


def scope(user, action: str, queryset, *, roles: Collection[str] | None = None) -> QuerySet:
    """Return the rows of QUERYSET (a queryset or a manager) that USER may ACTION."""
    queryset = queryset.all()
    if is_superuser(user):
        return queryset
    return queryset.filter(access_filter(user, action, queryset.model, roles=roles))


def course_path(model: type[Model]) -> str | None:
    """Return the lookup from MODEL to its course ("" for Course itself, None if the
    policy has no rule for it), through its rule's parents."""
    rule = RULES.get(model._meta.label)
    if rule is None:
        return None
    if not rule.parent:
        return rule.course
    above = course_path(model._meta.get_field(rule.parent).related_model)
    if above is None:
        return None
    return f"{rule.parent}__{above}" if above else rule.parent


def course_id_of(obj: Model) -> int | None:
    """Return the id of OBJ's course, following its rule's course lookup."""
    rule = _rule(type(obj))
    if rule.parent:
        return course_id_of(getattr(obj, rule.parent))
    if not rule.course:
        return obj.pk
    *hops, last = rule.course.split("__")
    for hop in hops:
        obj = getattr(obj, hop)
    return getattr(obj, f"{last}_id")


def can(user, action: str, obj: Model, *, roles: Collection[str] | None = None) -> bool:
    """Return whether USER may ACTION OBJ (as one of ROLES, if given)."""
    if is_superuser(user):
        return True
    rule = _rule(type(obj))
    if rule.parent:
        return can(user, action, getattr(obj, rule.parent), roles=roles)
    role = role_in(user, course_id_of(obj))
    if role is None:
        return False
    conditions = []
    for grant in _grants(rule, action, roles):
        if role not in grant.roles:
            continue
        if grant.when is None:
            return True
        conditions.append(grant.when(user))
    if not conditions:
        return False
    # The same filter lists use, asked of this one row: read from what the object has
    # loaded when that is enough, else from the database.
    matches = Q()
    for condition in conditions:
        matches |= condition
    answer = _holds(obj, matches)
    if answer is not None:
        return answer
    return type(obj)._default_manager.filter(matches, pk=obj.pk).exists()


def _holds(obj: Model, condition: Q) -> bool | None:
    """Evaluate CONDITION on OBJ's loaded fields; None if that needs the database.

    Only equality and ``isnull`` lookups along relations already loaded are read here
    (``Exists``, subqueries and anything else go to the database, unless the rest
    decides: a true part of an OR, a false part of an AND), so this never runs a query.
    """
    results = []
    unknown = False
    for child in condition.children:
        if isinstance(child, Q):
            result = _holds(obj, child)
        elif isinstance(child, tuple):
            result = _lookup_holds(obj, *child)
        else:
            result = None
        if result is None:
            unknown = True
        else:
            results.append(result)
    # Three-valued: one known false child decides an AND, one known true child an OR.
    if condition.connector == Q.AND:
        combined = False if not all(results) else None if unknown else True
    else:
        combined = True if any(results) else None if unknown else False
    if combined is None:
        return None
    return not combined if condition.negated else combined


def _lookup_holds(obj: Model, lookup: str, expected) -> bool | None:
    *names, last = lookup.split("__")
    if last == "in":  # a subquery (a student's groups): the database answers
        return None
    test = last if last == "isnull" else "exact"
    if test == "exact":
        names.append(last)
    value = obj
    for name in names:
        if value is None:
            break
        try:
            field = value._meta.get_field(name)
        except FieldDoesNotExist:  # a name that is not a field of this model
            return None
        if field.is_relation:
            if field.many_to_many or field.one_to_many or not field.is_cached(value):
                return None
            value = field.get_cached_value(value)
        else:
            value = getattr(value, field.attname)
    if test == "isnull":
        return (value is None) == expected
    return value is not None and value == expected


def get_or_refuse(
    user, action: str, queryset, *, roles: Collection[str] | None = None, **lookup
) -> Model:
    """Return the object of QUERYSET matching LOOKUP if USER may ACTION it.

    Otherwise raise PermissionDenied if USER may at least see it (a student on the
    gradebook of their course), else Http404: a draft, another course's object and a
    missing one look the same.

    The object is read plainly and then asked about (``can`` reads what it loaded, so
    select the relations the rule looks at): one simple query instead of compiling the
    rule into it, with the same answer as ``scope`` (access/tests/test_policy.py).
    """
    try:
        obj = queryset.get(**lookup)
    except queryset.model.DoesNotExist:
        raise Http404(NOT_FOUND) from None
    require(user, action, obj, roles=roles)
    return obj


def first_or_refuse(
    user, action: str, rows: list[Model], *, roles: Collection[str] | None = None
) -> Model:
    """Return the first of ROWS, read already (a prepared query's result), if USER may
    ACTION it; the answers of ``get_or_refuse`` otherwise, Http404 when ROWS is empty."""
    if not rows:
        raise Http404(NOT_FOUND)
    require(user, action, rows[0], roles=roles)
    return rows[0]


def require(user, action: str, obj: Model, *, roles: Collection[str] | None = None) -> None:
    """Raise PermissionDenied (or Http404 if USER may not even see OBJ) unless USER may
    ACTION it."""
    if can(user, action, obj, roles=roles):
        return
    if (action, roles) != (VIEW, None) and can(user, VIEW, obj):
        reason = refusal(user, action, obj, roles=roles)
        if reason:
            raise RefusedInWords(reason)
        raise PermissionDenied("Your role in this course does not allow this.")
    raise Http404(NOT_FOUND)


def refusal(user, action: str, obj: Model, *, roles: Collection[str] | None = None) -> str:
    """Why USER may not ACTION OBJ in words for them, when their role's grant says it
    (``can`` said no); "" when it is merely their role."""
    rule = _rule(type(obj))
    if rule.parent:
        return refusal(user, action, getattr(obj, rule.parent), roles=roles)
    role = role_in(user, course_id_of(obj))
    for grant in _grants(rule, action, roles):
        if role in grant.roles and grant.refusal:
            return grant.refusal
    return ""


def visible_users(user):
    """Return the users USER may see in the back office: people of the courses they teach."""
    users = _model("accounts.User").objects.all()
    if is_superuser(user):
        return users
    enrollments = _model("lessons.Enrollment").objects.filter(
        user=OuterRef("pk"), course_id__in=courses_where(user, TEACHERS)
    )
    return users.filter(Q(Exists(enrollments)) | Q(pk=user.pk))
