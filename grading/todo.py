"""The dashboard's grading to-do lists.

A student's: new feedback, regrade answers, peer evaluations to give, shown beside the
project deadlines (``projects.selectors``); three queries whatever the number of
courses, projects or regrades, asking the access policy which reviews and groups are
the student's. An instructor's: per project of the courses they teach, what waits for
them (regrade requests, groups with work and no grader, grading done and not
released); three queries whatever the number of courses.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Count, Exists, F, OuterRef, Q, Subquery
from django.urls import reverse
from django.utils import timezone
from jinja2 import pass_context
from jinja2.runtime import Context
from markupsafe import Markup

from access import policy
from accounts.models import User
from coursesite.prepared import prepared
from projects.models import Group, GroupMembership, ProjectAssignment, Submission

from .models import (
    FeedbackView,
    RegradeMessage,
    RegradeRequest,
    RegradeStatus,
    Review,
    ReviewStatus,
)
from .selectors import has_member_unrated_by

__all__ = ["StudentTodo", "TeacherTask", "feedback_mark_viewed", "student_todo", "teacher_todo"]


@dataclass
class StudentTodo:
    new_feedback: list[Review] = field(default_factory=list)
    regrade_answers: list[RegradeRequest] = field(default_factory=list)
    regrade_questions: list[RegradeRequest] = field(default_factory=list)
    peer_evaluations: list[Group] = field(default_factory=list)

    def __bool__(self) -> bool:
        return bool(
            self.new_feedback
            or self.regrade_answers
            or self.regrade_questions
            or self.peer_evaluations
        )


def student_todo(user: User) -> StudentTodo:
    """Return what USER, as a student, has to read or do about grading."""
    todo = StudentTodo()
    if not user.is_authenticated or not policy.courses_where(user, policy.STUDENTS):
        return todo
    # Most students have nothing here most of the time: one light query over their own
    # memberships says which of the lists below can have rows, and only those are read
    # (building the three full queries costs ~30k Python calls, most of the dashboard).
    # It is a superset of what the lists show (feedback is shown once released, peer
    # evaluations until then; the lists add the policy and what was read or given), so
    # skipping a list never hides anything.
    possible = _possible_lists(user_id=user.pk)
    if possible and possible[0]["feedback"]:
        _feedback(user, todo)
    if possible and possible[0]["peer"]:
        todo.peer_evaluations = _peer_evaluations(user)
    return todo


@prepared
def _possible_lists(user_id: int):
    """One row (none without memberships): how many of the user's memberships may have
    feedback to read, and how many a peer evaluation to give."""
    return (
        GroupMembership.objects.filter(student_id=user_id)
        .order_by()
        .values("student_id")
        .annotate(
            feedback=Count(
                "pk",
                filter=Q(
                    group__review__status=ReviewStatus.COMPLETED,
                    assignment__grade_release__isnull=False,
                ),
            ),
            peer=Count(
                "pk",
                filter=Q(
                    assignment__rubric__peer_evaluation=True,
                    assignment__grade_release__isnull=True,
                ),
            ),
        )
        .values("feedback", "peer")
    )


def _feedback(user: User, todo: StudentTodo) -> None:
    """Fill TODO's new feedback and regrade answers for USER."""
    viewed = FeedbackView.objects.filter(review=OuterRef("pk"), student=user).values("viewed_at")
    # Released feedback of the user's own groups, in courses where they are a student.
    mine = policy.scope(
        user,
        policy.VIEW,
        Review.objects.filter(group__memberships__student=user, status=ReviewStatus.COMPLETED),
        roles=policy.STUDENTS,
    )
    todo.new_feedback = list(
        mine.annotate(viewed_at=Subquery(viewed[:1]))
        .filter(viewed_at__isnull=True)
        .select_related("group__assignment__course", "submission")
        .order_by("-group__assignment__grade_release__released_at", "pk")
    )
    # Answers given since the student last opened that feedback.
    regrade_viewed = FeedbackView.objects.filter(review=OuterRef("review_id"), student=user).values(
        "viewed_at"
    )
    # Answers given since, and open requests whose grader's question waits for the
    # group's answer: one query for both lists.
    last = RegradeMessage.objects.filter(regrade=OuterRef("pk")).order_by("-created_at", "-pk")
    unread_answer = Q(answered_at__isnull=False) & (
        Q(viewed_at__isnull=True) | Q(answered_at__gt=F("viewed_at"))
    )
    # A question stays until a member answers it (probe 81: it went once read).
    unread_question = Q(status=RegradeStatus.OPEN, asked_by_staff=True)
    regrades = (
        RegradeRequest.objects.filter(review__in=mine)
        .annotate(
            viewed_at=Subquery(regrade_viewed[:1]),
            asked_at=Subquery(last.values("created_at")[:1]),
            asked_by_staff=Subquery(last.values("from_staff")[:1]),
        )
        .filter(unread_answer | unread_question)
        .select_related("criterion", "review__group__assignment__course")
        .order_by("-answered_at", "-asked_at", "pk")
    )
    for regrade in regrades:
        if regrade.answered_at:
            todo.regrade_answers.append(regrade)
        else:
            todo.regrade_questions.append(regrade)


def _peer_evaluations(user: User) -> list[Group]:
    """Return the groups where USER's peer evaluation is open and not given yet."""
    # Open after the group's deadline, until the grades are released; given once every
    # current member is rated (a newcomer asks for it again).
    memberships = (
        GroupMembership.objects.filter(
            has_member_unrated_by(user),
            student=user,
            group__in=policy.scope(user, policy.CHANGE, Group.objects),
            assignment__rubric__peer_evaluation=True,
            assignment__grade_release__isnull=True,
        )
        .select_related("group__assignment__course", "group__extension")
        .order_by("assignment__due_at", "pk")
    )
    now = timezone.now()
    return [m.group for m in memberships if now >= m.group.deadline()]


@dataclass(frozen=True)
class TeacherTask:
    """One thing waiting for an instructor, about one project."""

    assignment: ProjectAssignment
    text: str
    action: str  # the button's words
    url: str
    urgent: bool = False  # students wait on it (regrades), rather than the schedule


def teacher_todo(user: User) -> list[TeacherTask]:
    """Return what waits for USER in the projects of the courses they teach: regrade
    requests to answer, groups whose hand-in closed with work and no grader, and grading
    finished but not released. Nothing for someone who teaches nowhere (no query)."""
    taught = policy.courses_where(user, policy.TEACHERS)
    if not taught:
        return []
    now = timezone.now()
    # Per project not released: groups that handed in, those of them without a grader
    # or a completed review, and those still working under an extension.
    has_work = Exists(Submission.objects.filter(group=OuterRef("pk")))
    groups = (
        Group.objects.filter(
            assignment__course_id__in=taught,
            assignment__is_published=True,
            assignment__grade_release__isnull=True,
        )
        .annotate(has_work=has_work)
        .order_by()
        .values("assignment_id")
        .annotate(
            submitted=Count("pk", filter=Q(has_work=True)),
            # Not those still working under an extension: a grader assigned closes their
            # hand-in early (services.groups_closed_by_grading).
            unassigned=Count(
                "pk",
                filter=Q(has_work=True, review__isnull=True)
                & (Q(extension__isnull=True) | Q(extension__due_at__lte=now)),
            ),
            ungraded=Count(
                "pk", filter=Q(has_work=True) & ~Q(review__status=ReviewStatus.COMPLETED)
            ),
            extended=Count("pk", filter=Q(extension__due_at__gt=now)),
        )
    )
    counts = {row["assignment_id"]: row for row in groups}
    # Those they may answer: not their own group's (probe 119: "2 regrade requests wait"
    # for an instructor who is a member of the group, who may answer neither).
    answerable = policy.scope(user, policy.GRADE, RegradeRequest.objects, roles=policy.TEACHERS)
    regrades = dict(
        answerable.filter(
            status=RegradeStatus.OPEN, review__group__assignment__course_id__in=taught
        )
        .order_by()
        .values("review__group__assignment_id")
        .annotate(n=Count("pk"))
        .values_list("review__group__assignment_id", "n")
    )
    assignments = ProjectAssignment.objects.filter(pk__in={*counts, *regrades}).select_related(
        "course"
    )
    tasks = []
    for assignment in sorted(assignments, key=lambda a: (a.due_at, a.pk)):
        hub = reverse("grading:assignment_hub", args=[assignment.pk])
        if waiting := regrades.get(assignment.pk):
            tasks.append(
                TeacherTask(
                    assignment,
                    f"{waiting} regrade request{'s wait' if waiting > 1 else ' waits'} for "
                    "an answer.",
                    "Answer",
                    f"{reverse('grading:regrade_list')}?project={assignment.pk}",
                    urgent=True,
                )
            )
        row = counts.get(assignment.pk)
        if row is None or not row["submitted"] or now <= assignment.due_at:
            continue  # nothing handed in, or the hand-in still open
        if row["unassigned"]:
            unassigned = row["unassigned"]
            tasks.append(
                TeacherTask(
                    assignment,
                    f"{unassigned} group{'s' if unassigned > 1 else ''} handed in work and "
                    f"{'have' if unassigned > 1 else 'has'} no grader.",
                    "Assign graders",
                    hub,
                )
            )
        elif row["ungraded"]:
            graded = row["submitted"] - row["ungraded"]
            tasks.append(
                TeacherTask(
                    assignment,
                    f"Grading: {graded} of {row['submitted']} groups graded.",
                    "Follow the grading",
                    hub,
                )
            )
        elif not row["extended"]:
            tasks.append(
                TeacherTask(
                    assignment,
                    f"All {row['submitted']} groups that handed in are graded: the grades "
                    "can be released.",
                    "Release the grades",
                    hub,
                )
            )
    # What students wait on first.
    return sorted(tasks, key=lambda task: not task.urgent)


@transaction.atomic
def feedback_mark_viewed(*, review: Review, student: User) -> None:
    """Record that STUDENT opened REVIEW's feedback now (it leaves their to-do list)."""
    FeedbackView.objects.update_or_create(
        review=review, student=student, defaults={"viewed_at": timezone.now()}
    )


@pass_context
def render_student_todo(context: Context) -> Markup:
    """Render grading/_todo.html for the page's user (a Jinja global of the dashboard)."""
    request = context.get("request")
    user = request.user if request is not None else context.get("user")
    template = context.environment.get_template("grading/_todo.html")
    # The partial escaped what it printed (autoescape): its HTML is safe as it stands.
    return Markup(template.render({"todo": student_todo(user)}))  # noqa: S704


@pass_context
def render_teacher_todo(context: Context) -> Markup:
    """Render grading/_teacher_todo.html for the page's user (a Jinja global of the
    dashboard, shown to instructors)."""
    request = context.get("request")
    user = request.user if request is not None else context.get("user")
    template = context.environment.get_template("grading/_teacher_todo.html")
    # The partial escaped what it printed (autoescape): its HTML is safe as it stands.
    return Markup(template.render({"tasks": teacher_todo(user)}))  # noqa: S704
