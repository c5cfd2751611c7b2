"""The reads the review pages repeat with other ids, compiled once (coursesite/prepared.py)."""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable

from django.db.models import (
    Case,
    Count,
    Exists,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
    prefetch_related_objects,
)

from access import policy
from accounts.history import NamedRow
from accounts.models import Role, User, name_sort_keys, people_matching
from coursesite.prepared import prepared, prepared_per
from coursesite.wording import first_few
from projects.models import Group, GroupMembership, ProjectAssignment, Submission

from .models import (
    Criterion,
    CriterionScore,
    GradeRelease,
    Level,
    LineComment,
    MarkOverride,
    PeerRating,
    RegradeMessage,
    RegradeRequest,
    Review,
    ReviewStatus,
    group_label,
)


def reviews_with_context():
    """Reviews with what their pages and the access policy read of them."""
    return Review.objects.select_related(
        "group__assignment__course",
        "group__assignment__rubric",
        "group__extension",
        "submission",
        "grader",
    )


@prepared
def review_by_pk(pk: int):
    """The review with what its page reads besides: who submitted, whether the grades
    are released, the group's latest version, and whether anyone asked for a regrade
    (the page reads the latest version and the regrades only when there are)."""
    latest = Submission.objects.latest_of(OuterRef("group_id"))
    release = GradeRelease.objects.filter(assignment=OuterRef("group__assignment_id"))
    return (
        reviews_with_context()
        .select_related("submission__submitted_by")
        .annotate(
            grades_released=Exists(release),
            latest_version=Subquery(latest.values("version")[:1]),
            has_regrades=Exists(RegradeRequest.objects.filter(review=OuterRef("pk"))),
        )
        .filter(pk=pk)
    )


@prepared_per(policy.variant)
def _left_to_grade(user: User, assignment_id: int, done_id: int):
    """USER's reviews still to finish (unreleased, graded by them), this project's first."""
    other_project = Case(When(group__assignment_id=assignment_id, then=Value(0)), default=Value(1))
    return (
        policy.scope(user, policy.GRADE, Review.objects)
        .filter(
            grader=user,
            status__in=(ReviewStatus.TODO, ReviewStatus.DRAFT),
            group__assignment__grades_released_at__isnull=True,
        )
        .exclude(pk=done_id)
        .order_by(other_project, "submission__submitted_at", "pk")
        .values("pk", "group_id", "group__name", "group__assignment__rubric__anonymous_grading")[:1]
    )


def next_to_grade(user: User, done: Review) -> tuple[int, str] | None:
    """The review USER grades next after DONE, as (pk, label), or None when none is left.

    The oldest hand-in of the same project first, then of their other projects, as the
    queue lists them: a grader moves on without going back to the queue.
    """
    rows = _left_to_grade(user=user, assignment_id=done.group.assignment_id, done_id=done.pk)
    if not rows:
        return None
    [row] = rows
    anonymous = bool(row["group__assignment__rubric__anonymous_grading"])
    return row["pk"], group_label(row["group_id"], row["group__name"], anonymous=anonymous)


@prepared_per(policy.variant)
def feedback_of(user: User):
    """The released reviews of USER's own groups that USER may read: as a student, or as a
    student since made a grader or an instructor of the course (probe 124)."""
    mine = reviews_with_context().filter(
        group__memberships__student=user,
        status=ReviewStatus.COMPLETED,
        group__assignment__grade_release__isnull=False,
    )
    return policy.scope(user, policy.VIEW, mine).order_by("-group__assignment__due_at")


@prepared_per(policy.variant)
def released_overrides_of(user: User):
    """USER's marks set by an instructor's override in projects of the courses they study
    in whose grades are released, with each project and its course, latest first."""
    # Published or not, as the feedback pages (released_marks_of says why).
    projects = ProjectAssignment.objects.filter(
        grade_release__isnull=False, course_id__in=policy.courses_where(user, policy.STUDENTS)
    )
    return (
        MarkOverride.objects.filter(student=user, assignment__in=projects)
        .select_related("assignment__course")
        .only("mark", "assignment__title", "assignment__course__title", "assignment__course__term")
        .order_by("-assignment__due_at", "assignment_id")
    )


def has_member_unrated_by(user: User, group: str = "group_id") -> Exists:
    """Whether the group at GROUP has a current member USER has not rated: their ratings
    do not count yet (grading/peer.py), e.g. someone joined after they rated."""
    rated = PeerRating.objects.filter(
        group=OuterRef("group_id"), rater=user, ratee=OuterRef("student_id")
    )
    members = GroupMembership.objects.filter(group=OuterRef(group)).of_students()
    return Exists(members.exclude(Exists(rated)))


@prepared_per(policy.variant)
def peer_memberships_of(user: User):
    """USER's memberships of groups they may act for, in projects with peer evaluation."""
    return GroupMembership.objects.filter(
        student=user,
        group__in=policy.scope(user, policy.CHANGE, Group.objects),
        assignment__rubric__peer_evaluation=True,
    ).select_related("group__assignment__rubric", "group__extension")


@prepared
def scores_of(review_id: int):
    return CriterionScore.objects.filter(review_id=review_id)


@prepared
def latest_version_of(group_id: int):
    return Submission.objects.latest_of(group_id).select_related("submitted_by")[:1]


def version_number(*, group_id: int, submission_id: int) -> int | None:
    """Return the version number of SUBMISSION_ID if it is one of GROUP_ID's versions."""
    return (
        Submission.objects.filter(pk=submission_id, group_id=group_id)
        .values_list("version", flat=True)
        .first()
    )


@prepared
def line_comments_of(review_id: int):
    return LineComment.objects.filter(review_id=review_id).select_related("author")


@prepared
def members_of(group_id: int):
    return (
        GroupMembership.objects.filter(group_id=group_id)
        .select_related("student")
        .order_by("student")
    )


@prepared
def regrades_of(review_id: int):
    return RegradeRequest.objects.filter(review_id=review_id).select_related("criterion")


@prepared
def _criteria_of(assignment_id: int):
    return Criterion.objects.filter(rubric__assignment_id=assignment_id)


@prepared
def _levels_of(assignment_id: int):
    return Level.objects.filter(criterion__rubric__assignment_id=assignment_id)


def rubric_criteria(assignment_id: int) -> list[Criterion]:
    """Return the rubric's criteria in order, each with its levels (best first) in
    ``level_list``: what ``Prefetch("levels", to_attr="level_list")`` gives, in two
    prepared queries. The rubric form and the review page read them."""
    levels: dict[int, list[Level]] = defaultdict(list)
    for level in _levels_of(assignment_id=assignment_id):
        levels[level.criterion_id].append(level)
    criteria = _criteria_of(assignment_id=assignment_id)
    for criterion in criteria:
        criterion.level_list = levels[criterion.pk]
    return criteria


def last_changed_by(review: Review) -> User | None:
    """Who saved REVIEW last, from its history (None: no one known, a script)."""
    record = review.history.select_related("history_user").first()
    return record.history_user if record is not None else None


def versions_had(review: Review) -> set[str]:
    """The versions REVIEW has had (``services.draft_version`` of each save), from its
    history."""
    return {
        str(int(at.timestamp() * 1_000_000))
        for at in review.history.values_list("updated_at", flat=True).distinct()
        if at is not None
    }


def completed_scores_of(criterion_ids: list[int]) -> dict[int, int]:
    """Return {criterion id: how many completed reviews score it}, one query."""
    rows = (
        CriterionScore.objects.filter(
            criterion_id__in=criterion_ids, review__status=ReviewStatus.COMPLETED
        )
        .values_list("criterion_id")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return dict(rows)


# What the project's grading page can narrow its groups to: (value, label), "" for all.
GROUP_STATES = (
    ("", "All groups"),
    ("ungraded", "No grader yet"),
    (ReviewStatus.TODO, "To do"),
    (ReviewStatus.DRAFT, "In progress"),
    (ReviewStatus.COMPLETED, "Done"),
)


def groups_of_project(assignment_id: int, *, search: str = "", state: str = ""):
    """The project's groups in STATE (a ``GROUP_STATES`` value) whose name, or one of
    whose members' name, username or email, holds SEARCH (any capitals), by name."""
    groups = Group.objects.filter(assignment_id=assignment_id)
    if state == "ungraded":
        groups = groups.filter(review__isnull=True)
    elif state in ReviewStatus.values:
        groups = groups.filter(review__status=state)
    if search:
        member = GroupMembership.objects.filter(
            people_matching(search, "student__"), group=OuterRef("pk")
        )
        groups = groups.filter(Q(name__icontains=search) | Exists(member))
    return groups.order_by("name", "pk")


def students_of_project_in_no_group(assignment: ProjectAssignment, *, search: str = ""):
    """``assignment.students_in_no_group()`` whose name, username or email holds SEARCH,
    in the order lists sort people."""
    students = assignment.students_in_no_group()
    if search:
        students = students.filter(people_matching(search))
    return students.order_by(*name_sort_keys())


def peer_raters(group_ids: list[int]) -> dict[int, tuple[set[int], set[int]]]:
    """For each of GROUP_IDS with members: who of them rated so that it counts (every
    member counted in marks, as WebPA takes a rater: grading.peer), and those members.

    Probe 79: the marks page showed a factor of 0.33 without saying that it rested on one
    member's self-serving ratings, the other one never having rated."""
    members: dict[int, set[int]] = defaultdict(set)
    for group_id, student_id in (
        GroupMembership.objects.filter(group_id__in=group_ids)
        .with_counted_in_marks()
        .filter(counted=True)
        .values_list("group_id", "student_id")
    ):
        members[group_id].add(student_id)
    rated: dict[tuple[int, int], set[int]] = defaultdict(set)
    for group_id, rater_id, ratee_id in PeerRating.objects.filter(
        group_id__in=group_ids
    ).values_list("group_id", "rater_id", "ratee_id"):
        rated[group_id, rater_id].add(ratee_id)
    return {
        group_id: ({m for m in group_members if rated[group_id, m] >= group_members}, group_members)
        for group_id, group_members in members.items()
    }


def personal_data_of(user: User) -> dict:
    """USER's released marks and feedback, the regrades they asked for and the peer
    ratings they gave, for their data download (accounts.personal_data). What the
    feedback pages show a member of the group: nothing of a review before its release, no
    grader's name and no rating of USER by a teammate (never shown to the one rated)."""
    from .gradebook import assignment_marks

    # Of every course USER was in, removed since or not (probe 76: the feedback pages
    # are closed to a removed student, but what is held on them is theirs to have).
    released = ProjectAssignment.objects.filter(grade_release__isnull=False)
    reviews = list(
        reviews_with_context()
        .filter(
            group__memberships__student=user,
            status=ReviewStatus.COMPLETED,
            group__assignment__in=released,
        )
        .order_by("-group__assignment__due_at", "pk")
    )
    prefetch_related_objects(reviews, "scores__criterion", "line_comments__criterion")
    overridden = MarkOverride.objects.filter(student=user, assignment__in=released)
    projects = {review.group.assignment_id for review in reviews}
    projects |= set(overridden.values_list("assignment_id", flat=True))
    marks = assignment_marks(projects, student_ids=[user.pk])
    marked = [
        (assignment, mark)
        for assignment in ProjectAssignment.objects.filter(pk__in=projects)
        .select_related("course")
        .order_by("course", "due_at", "pk")
        if (mark := marks.get(assignment.pk, user.pk)) is not None and mark.mark is not None
    ]
    regrades = (
        RegradeRequest.objects.filter(requested_by=user)
        .select_related("criterion", "review__group__assignment")
        .order_by("created_at", "pk")
    )
    # A teammate's requests about their group's feedback, which its page shows them with
    # its reason and answer (probe 116: the threads' messages came without them).
    teammates = (
        RegradeRequest.objects.filter(review__in=reviews)
        .exclude(requested_by=user)
        .select_related("criterion", "review__group__assignment")
        .order_by("created_at", "pk")
    )
    # What USER wrote in regrade threads, as a student or as a grader.
    written = (
        RegradeMessage.objects.filter(author=user)
        .select_related("regrade__criterion", "regrade__review__group__assignment")
        .order_by("created_at", "pk")
    )
    # The threads of their group's requests, as its feedback page shows them: who wrote
    # is "you", "your group" or "the grading side", never a name (probe 115).
    threads = (
        RegradeMessage.objects.filter(
            regrade__review__in=reviews, regrade__review__group__memberships__student=user
        )
        .exclude(author=user)
        .select_related("regrade__criterion", "regrade__review__group__assignment")
        .order_by("regrade_id", "created_at", "pk")
    )
    ratings = (
        PeerRating.objects.filter(rater=user)
        .select_related("ratee", "group__assignment")
        .order_by("group_id", "ratee_id")
    )
    return {
        "marks": [
            {
                "course": assignment.course.title,
                "project": assignment.title,
                "mark": mark.mark,
                "set_by_an_instructor": mark.override is not None,
                # Held about them, so theirs to read (probe 115), shown on no page.
                "instructors_reason": mark.override.reason if mark.override else None,
                "group_mark": mark.grade.mark if mark.grade else None,
                "late_penalty_percent": mark.grade.penalty_percent if mark.grade else None,
                "peer_factor": mark.capped_factor_display,
            }
            for assignment, mark in marked
        ],
        "feedback": [
            {
                "project": review.group.assignment.title,
                "group": review.group.name,
                "version_graded": review.submission.version,
                "completed_at": review.completed_at,
                "overall_feedback": review.overall_feedback,
                "criteria": [
                    {
                        "criterion": score.criterion.title,
                        "points": score.points,
                        "out_of": score.criterion.max_points,
                        "comment": score.comment,
                    }
                    for score in sorted(
                        review.scores.all(), key=lambda s: (s.criterion.order, s.criterion_id)
                    )
                ],
                "line_comments": [
                    {
                        "file": c.path,
                        "line": c.line,
                        "comment": c.text,
                        "criterion": c.criterion.title if c.criterion else None,
                    }
                    for c in sorted(review.line_comments.all(), key=lambda c: (c.path, c.line))
                ],
            }
            for review in reviews
        ],
        "regrade_requests": [
            {
                "project": r.review.group.assignment.title,
                "criterion": r.criterion.title,
                "reason": r.reason,
                "asked_at": r.created_at,
                "status": r.get_status_display(),
                "points_before": r.old_points,
                "points_after": r.new_points,
                "answer": r.response if r.answered_at else None,
                "answered_at": r.answered_at,
            }
            for r in regrades
        ],
        "regrade_requests_of_their_group": [
            {
                "project": r.review.group.assignment.title,
                "criterion": r.criterion.title,
                "reason": r.reason,
                "asked_at": r.created_at,
                "status": r.get_status_display(),
                "answer": r.response if r.answered_at else None,
            }
            for r in teammates
        ],
        "regrade_messages_written": [
            {
                "project": m.regrade.review.group.assignment.title,
                "criterion": m.regrade.criterion.title,
                "message": m.text,
                "written_at": m.created_at,
            }
            for m in written
        ],
        "regrade_messages_to_them": [
            {
                "project": m.regrade.review.group.assignment.title,
                "criterion": m.regrade.criterion.title,
                "from": "the grading side" if m.from_staff else "your group",
                "message": m.text,
                "written_at": m.created_at,
            }
            for m in threads
        ],
        "peer_ratings_given": [
            {
                "project": p.group.assignment.title,
                "group": p.group.name,
                "teammate": str(p.ratee),
                "contribution": p.score,
                "comment": p.comment,
                "changed_at": p.updated_at,
            }
            for p in ratings
        ],
    }


def removal_consequences(enrollments) -> list[str]:
    """What removing ENROLLMENTS (rows with their users) hides or leaves behind in
    grading, in sentences for the confirmation page: students' released marks and
    feedback they would no longer see, reviews nobody could finish."""
    notes = []
    students = [e for e in enrollments if e.role == Role.STUDENT]
    graders = [e for e in enrollments if e.role in policy.STAFF]
    if students:
        of_students = Q()
        for e in students:
            of_students |= Q(student_id=e.user_id, assignment__course_id=e.course_id)
        with_marks = set(
            GroupMembership.objects.filter(of_students, assignment__grade_release__isnull=False)
            .filter(group__review__status=ReviewStatus.COMPLETED)
            .values_list("student_id", flat=True)
        )
        names = sorted(str(e.user) for e in students if e.user_id in with_marks)
        if names:
            shown = first_few(names, 10)
            notes.append(
                f"{shown} {'has' if len(names) == 1 else 'have'} released marks and feedback "
                "here: removed, they no longer see them, and the gradebook and its exports "
                "leave them out. They are kept: enrolling them again gives everything back."
            )
    for e in graders:
        if note := _unfinished_reviews_note(e.user, e.course_id, why=""):
            notes.append(note)
    return notes


def _unfinished_reviews_note(grader: User, course_id: int, *, why: str) -> str:
    """A sentence saying how many reviews of COURSE_ID GRADER leaves unfinished on leaving
    its graders (WHY they no longer grade, if said), or ""."""
    count = (
        Review.objects.filter(grader=grader, group__assignment__course_id=course_id)
        .exclude(status=ReviewStatus.COMPLETED)
        .count()
    )
    if not count:
        return ""
    return (
        f"{grader} has {count} unfinished review{'s' if count != 1 else ''} here: {why}no "
        f"grader can finish {'it' if count == 1 else 'them'} until another is chosen on each "
        "review's page (the project's grading page lists them); an instructor still can."
    )


def member_added_consequences(student: User, group: Group) -> list[str]:
    """What putting STUDENT in GROUP means for their mark: a group whose review is
    completed gives them its mark at once, for work handed in before they joined (probe
    124: moved into a graded group, a student took its 80 % unsaid)."""
    review = (
        Review.objects.filter(group=group, status=ReviewStatus.COMPLETED)
        .select_related("submission")
        .first()
    )
    if review is None:
        return []
    return [
        f"{student} now takes the mark of “{group}”'s completed review (of version "
        f"{review.submission.version}, handed in before they joined). If that is not "
        "meant, reopen the review or override their mark on the project's grading page."
    ]


def role_change_consequences(enrollment, was: str) -> list[str]:
    """What changing ENROLLMENT's role from WAS means in grading, in sentences for the
    teacher who changed it: a student made staff keeps their groups, grades none of
    them, still reads their released feedback, and leaves the gradebook (it lists
    students); staff made a student leaves their unfinished reviews to someone else."""
    person, course_id = enrollment.user, enrollment.course_id
    if was == Role.STUDENT and enrollment.role != Role.STUDENT:
        memberships = list(
            GroupMembership.objects.filter(student=person, group__assignment__course_id=course_id)
            .select_related("group__assignment")
            .order_by("group__assignment__due_at", "group__assignment_id")
        )
        if not memberships:
            return []
        groups = first_few([f"{m.group.name} ({m.group.assignment.title})" for m in memberships])
        released = [m for m in memberships if m.group.assignment.grades_released_at is not None]
        note = (
            f"{person} stays a member of {groups}: nobody grades their own group, so "
            "another grader or instructor grades "
            f"{'it' if len(memberships) == 1 else 'them'}, and their marks leave the "
            "gradebook and its exports (which list the course's students) until they are "
            "a student again."
        )
        if released:
            note += " They still read their released feedback."
        return [note]
    if enrollment.role == Role.STUDENT and was in policy.STAFF:
        why = "as a student they no longer grade, so "
        if note := _unfinished_reviews_note(person, course_id, why=why):
            return [note]
    return []


def rows_naming(person: User) -> list[NamedRow]:
    """PERSON's reviews (any they graded, since handed to another or deleted: probe
    119), peer ratings given or received and mark overrides (deleted ones too: probe
    120), each as it is or as its history last recorded it, for the back office's
    history (accounts.history)."""
    reviews = _ever(Review, Review.history.filter(grader=person), "group")
    ratings = _ever(
        PeerRating, PeerRating.history.filter(Q(rater=person) | Q(ratee=person)), "rater", "ratee"
    )
    overrides = _ever(MarkOverride, MarkOverride.history.filter(student=person), "assignment")
    graded_when = _graded_by_person_when([review.pk for review in reviews], person)
    return [
        *(
            NamedRow(
                review,
                "grader",
                theirs_at=graded_when.get(review.pk),
            )
            for review in reviews
        ),
        # A rater rates themselves too (WebPA): both names are theirs then.
        *(
            NamedRow(
                rating,
                tuple(f for f in ("rater", "ratee") if getattr(rating, f"{f}_id") == person.pk),
            )
            for rating in ratings
        ),
        *(NamedRow(override, "student") for override in overrides),
    ]


def _graded_by_person_when(review_ids: list[int], person: User) -> dict[int, Callable]:
    """{review id: whether PERSON was its grader at a given moment}, from the reviews'
    history, one query: an entry written while another graded it is not the person's."""
    changes: dict[int, list[tuple]] = {}
    for review_id, at, grader_id in (
        Review.history.filter(id__in=review_ids)
        .order_by("history_date", "history_id")
        .values_list("id", "history_date", "grader_id")
    ):
        changes.setdefault(review_id, []).append((at, grader_id))

    def graded_at(history: list[tuple]) -> Callable:
        moments = [at for at, _grader in history]

        def theirs(moment) -> bool:
            # The record saved last at or before MOMENT; the back office logs a change
            # just after saving it, so a moment before the first record is the first's.
            index = max(bisect_right(moments, moment) - 1, 0)
            return history[index][1] == person.pk

        return theirs

    return {review_id: graded_at(history) for review_id, history in changes.items()}


def _ever(model, records, *related: str) -> list:
    """The rows of MODEL that RECORDS (its history) name: as they are, or as last
    recorded if deleted since."""
    ids = set(records.values_list("id", flat=True))
    rows = {row.pk: row for row in model.objects.filter(pk__in=ids).select_related(*related)}
    gone = model.history.filter(id__in=ids - set(rows)).order_by("id", "-history_id")
    rebuilt = {}
    for record in gone:  # the latest first: the others are not built
        if record.id not in rebuilt:
            rebuilt[record.id] = record.instance
    # Their names read RELATED: one query for all, not one each (probe 122: 2,013
    # queries for 2,000 deleted reviews).
    prefetch_related_objects(list(rebuilt.values()), *related)
    return [*rows.values(), *rebuilt.values()]
