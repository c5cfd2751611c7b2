"""Grading actions: assigning graders, saving reviews, releasing grades, regrades.

Every function here is a write that touches more than one row or has side effects.
They raise ``ValidationError`` with a message the views show as is; access checks
(who may open what) stay in the views.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from decimal import Decimal
from functools import partial

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from access import policy
from accounts.models import Role, User
from accounts.validators import shows_something
from coursesite.copying import copy_of
from coursesite.dates import local_text, moment_text, shifted_on_the_clock
from coursesite.prepared import prepared
from coursesite.wording import first_few
from lessons.rendering import feedback_to_html
from projects import services as projects_services
from projects.models import Group, GroupMembership, LateVersionRule, ProjectAssignment, Submission

from .gradebook import assignment_marks
from .models import (
    REGRADE_WINDOW_MAX_DAYS,
    Criterion,
    CriterionScore,
    GradeRelease,
    Level,
    LineComment,
    MarkOverride,
    PeerRating,
    RegradeMessage,
    RegradeRequest,
    RegradeStatus,
    Review,
    ReviewStatus,
    Rubric,
)

__all__ = [
    "RELEASED_MARKS_LOCKED",
    "closing_refusal",
    "grader_assign",
    "grader_assign_check",
    "graders_assign_round_robin",
    "grades_release",
    "groups_closed_by_grading",
    "groups_closed_by_round_robin",
    "groups_left_to_teachers_note",
    "is_released",
    "check_line",
    "draft_version",
    "line_comment_add",
    "line_comment_delete",
    "line_comment_edit",
    "mark_override",
    "mark_override_clear",
    "mark_override_delete",
    "new_version_notify",
    "peer_ratings_submit",
    "regrade_answer",
    "regrade_message_add",
    "regrade_request_create",
    "regrade_window_closes",
    "review_delete",
    "review_delete_refusal",
    "review_delete_refusals",
    "review_draft_save",
    "review_save",
    "rubric_copy",
    "rubric_for",
]


def rubric_for(assignment: ProjectAssignment) -> Rubric:
    """Return the assignment's rubric, creating an empty one with default settings."""
    rubric, _ = Rubric.objects.get_or_create(assignment=assignment)
    return rubric


def is_released(assignment: ProjectAssignment | int) -> bool:
    assignment_id = assignment if isinstance(assignment, int) else assignment.pk
    return bool(_release_of(assignment_id=assignment_id))


@prepared
def _release_of(assignment_id: int):
    # Asked on every review page and before every save: compiled once (coursesite/prepared.py).
    return GradeRelease.objects.filter(assignment_id=assignment_id).values_list("pk")[:1]


def _latest_submission(group: Group) -> Submission | None:
    return Submission.objects.latest_of(group.pk).first()


def _lock(assignment_id: int) -> None:
    """Take the project's lock (ProjectAssignment.objects.lock) before any write here
    reads what it decides on: released or not, who grades, the scores saved."""
    ProjectAssignment.objects.lock(assignment_id)


def _check_not_released(assignment: ProjectAssignment) -> None:
    if is_released(assignment):
        raise ValidationError(
            "Grades for this assignment have been released; "
            "changes now go through regrade requests."
        )


# Assigning graders


# Marks are computed when they are read, from the rubric, the reviews, the deadline, the
# late-work rules and the groups: once released, none of these changes under a mark a
# student has seen (the back office turns them read-only, the services refuse).
RELEASED_MARKS_LOCKED = (
    "The grades of this project are released, and its marks are computed from its "
    "rubric, deadline, late-work rules, groups and extensions: these no longer change. "
    "Correct one student's mark with a mark override; a group's through a regrade."
)


# Reviews cannot be saved once grades are released, so a grader given one then could
# never finish it: work that arrives later is marked by an instructor's override.
RELEASED_NO_REVIEWS = (
    "Grades for this project are released, so no new review can be assigned: give the "
    "mark of work that arrived since as an override on Reviews and marks."
)


def grader_assign_check(*, group: Group, grader: User) -> Submission:
    """Return the submission GRADER would grade; raise if they cannot grade GROUP."""
    if is_released(group.assignment):
        raise ValidationError(RELEASED_NO_REVIEWS)
    if not policy.can(grader, policy.GRADE, group.assignment.course):
        raise ValidationError(f"{grader} is not a grader or instructor of this course.")
    if group.memberships.filter(student=grader).exists():
        # A student made a grader keeps their groups (their marks stand on them).
        raise ValidationError(
            f"{grader} is a member of {group}: nobody grades their own group. "
            "Choose another grader."
        )
    submission = _latest_submission(group)
    if submission is None:
        raise ValidationError(f"{group} has not submitted anything yet.")
    return submission


def closing_refusal(closing: list[Group], *, confirm: str = "tick “Also close its hand-in”") -> str:
    """Why assigning graders was refused: it would close CLOSING's hand-in early. CONFIRM:
    how the caller says to assign anyway."""
    if len(closing) == 1:
        deadline = local_text(closing[0].deadline())
        who = f"{closing[0]} can still hand in until {deadline}"
    else:
        who = f"{len(closing)} groups can still hand in before their deadline"
    return (
        f"Nothing was assigned: {who}, and a grader assigned now closes that (this "
        f"project takes no new version once grading starts). To assign anyway, {confirm}; "
        "or assign after the deadline."
    )


def reviews_assigned_notify(reviews: list[Review], by: User | None) -> None:
    """Email each grader of REVIEWS, once the transaction commits, which reviews BY gave
    them: one email per grader and action, none for what one gives oneself."""
    from .tasks import send_reviews_assigned_email  # tasks import the services' models

    given: dict[int, list[int]] = {}
    for review in reviews:
        if by is None or review.grader_id != by.pk:
            given.setdefault(review.grader_id, []).append(review.pk)
    for grader_id, review_ids in given.items():
        transaction.on_commit(
            partial(
                send_reviews_assigned_email.enqueue,
                grader_id=grader_id,
                review_ids=review_ids,
                by_id=by.pk if by else None,
            )
        )


@transaction.atomic
def grader_assign(
    *,
    group: Group,
    grader: User,
    by: User | None = None,
    close_hand_in: bool = False,
    notify: bool = True,
) -> Review:
    """Assign GRADER to GROUP's latest submission, or hand an unfinished review over,
    and tell them unless not to NOTIFY (the demo's data).

    A first grader starts grading, which closes the group's hand-in on a project whose
    versions lock then: refused before the deadline unless CLOSE_HAND_IN (probe 79: a
    grader chosen three weeks early locked the team out, unsaid)."""
    _lock(group.assignment_id)
    policy.forget(grader)
    submission = grader_assign_check(group=group, grader=grader)
    _rubric_with_criteria(group.assignment)
    review = Review.objects.select_for_update().filter(group=group).first()
    if review is None and not close_hand_in:
        group.submission_count = 1  # it has a version: grader_assign_check said so
        if closing := groups_closed_by_grading(group.assignment, [group]):
            raise ValidationError(closing_refusal(closing))
    if review is None:
        review = Review.objects.create(
            group=group, submission=submission, grader=grader, assigned_by=by
        )
        projects_services.group_grading_started(submission=submission)
    elif review.is_completed:
        raise ValidationError(f"The review of {group} is completed; it cannot change graders.")
    else:
        theirs_already = review.grader_id == grader.pk
        review.grader = grader
        review.assigned_by = by
        review.save(update_fields=["grader", "assigned_by", "updated_at"])
        if theirs_already:
            return review  # nothing new to tell them
    if notify:
        reviews_assigned_notify([review], by)
    return review


NO_CRITERIA = (
    "Give the rubric its criteria first: a grader could not complete a review without "
    "them, and the groups would wait meanwhile."
)


def _rubric_with_criteria(assignment: ProjectAssignment) -> None:
    if not rubric_for(assignment).criteria.exists():
        raise ValidationError(NO_CRITERIA)


def groups_closed_by_grading(
    assignment: ProjectAssignment, groups: list[Group] | None = None
) -> list[Group]:
    """Return the groups that assigning graders now would stop from handing in: with a
    version and no grader yet, still before their deadline (or extension), on a project
    whose versions lock when grading starts. GROUPS: the assignment's without a review,
    read with their extension and ``submission_count`` (else read here)."""
    if assignment.late_version_rule != LateVersionRule.LOCK_WHEN_GRADING:
        return []
    if groups is None:
        groups = list(
            Group.objects.filter(assignment=assignment, review__isnull=True)
            .select_related("extension")
            .annotate(submission_count=Count("submissions"))
        )
    now = timezone.now()
    closing = []
    for group in groups:
        group.assignment = assignment  # its deadline reads it: no query per group
        if group.submission_count and group.deadline() > now:
            closing.append(group)
    return closing


def groups_closed_by_round_robin(
    assignment: ProjectAssignment, graders: list[User] | None = None
) -> list[Group]:
    """Return the groups a round robin run now would stop from handing in: those of
    ``groups_closed_by_grading`` it would give a grader, not those it passes over (the
    course's graders who can log in, GRADERS if read already, are all their members: an
    instructor grades them)."""
    closing = groups_closed_by_grading(assignment)
    if not closing:
        return closing
    if graders is None:
        graders, _waiting = graders_of(assignment)
    ids = {grader.pk for grader in graders}
    members: dict[int, set[int]] = {}
    for group_id, student_id in GroupMembership.objects.filter(
        group__in=closing, student_id__in=ids
    ).values_list("group_id", "student_id"):
        members.setdefault(group_id, set()).add(student_id)
    return [group for group in closing if not ids <= members.get(group.pk, set())]


@transaction.atomic
def graders_assign_round_robin(
    *, assignment: ProjectAssignment, by: User | None = None, close_hand_in: bool = False
) -> list[Review]:
    """Spread the submissions nobody grades yet over the course's graders, evenly.

    Oldest submissions first; each goes to the grader with the fewest reviews of this
    assignment so far (ties broken by username), so repeated runs stay balanced, and
    never to a member of the group. Only users enrolled with the grader role count, and
    only those who can log in (``graders_of``); instructors grade by hand. Refused
    while groups could still hand in, unless CLOSE_HAND_IN (as ``grader_assign``).
    """
    _lock(assignment.pk)
    if is_released(assignment):
        raise ValidationError(RELEASED_NO_REVIEWS)
    graders, waiting = graders_of(assignment)
    if not close_hand_in and (closing := groups_closed_by_round_robin(assignment, graders)):
        raise ValidationError(closing_refusal(closing, confirm="tick “Also close their hand-in”"))
    if not graders and waiting:
        names = first_few([str(user) for user in waiting], 5)
        raise ValidationError(
            f"No grader of {assignment.course} can log in yet: {names} "
            "have not chosen a password (their invitation is waiting). Nothing was assigned."
        )
    if not graders:
        raise ValidationError(f"The course of {assignment} has no graders to assign.")
    _rubric_with_criteria(assignment)
    load = dict.fromkeys((grader.pk for grader in graders), 0)
    for row in (
        Review.objects.filter(group__assignment=assignment, grader__in=graders)
        .values("grader_id")
        .annotate(n=Count("pk"))
    ):
        load[row["grader_id"]] = row["n"]
    latest: dict[int, Submission] = {}
    for submission in Submission.objects.filter(
        group__assignment=assignment, group__review__isnull=True
    ).order_by("group_id", "-version"):
        latest.setdefault(submission.group_id, submission)
    members: dict[int, set[int]] = {}
    for group_id, student_id in GroupMembership.objects.filter(
        group_id__in=latest, student_id__in=load
    ).values_list("group_id", "student_id"):
        members.setdefault(group_id, set()).add(student_id)
    created = []
    order = {grader.pk: index for index, grader in enumerate(graders)}
    for submission in sorted(latest.values(), key=lambda s: (s.submitted_at, s.pk)):
        eligible = [pk for pk in load if pk not in members.get(submission.group_id, ())]
        if not eligible:
            continue  # its only graders are its members: an instructor grades it
        grader_id = min(eligible, key=lambda pk: (load[pk], order[pk]))
        load[grader_id] += 1
        created.append(
            Review(
                group_id=submission.group_id,
                submission=submission,
                grader_id=grader_id,
                assigned_by=by,
            )
        )
    # save() one by one so each review gets its history row (bulk_create skips it).
    for review in created:
        review.save()
        projects_services.group_grading_started(submission=review.submission)
    reviews_assigned_notify(created, by)
    return created


def groups_left_to_teachers_note(assignment: ProjectAssignment) -> str:
    """A sentence naming the submitted groups still without a grader because every
    grader of the course who can log in is a member of them, or "" (said after a round
    robin, which passes them over: probe 81 found them left unsaid)."""
    graders, _waiting = graders_of(assignment)
    if not graders:
        return ""
    ids = {grader.pk for grader in graders}
    left = [
        group.name
        for group in Group.objects.filter(
            assignment=assignment, review__isnull=True, submissions__isnull=False
        )
        .distinct()
        .prefetch_related("memberships")
        .order_by("name")
        if ids <= {m.student_id for m in group.memberships.all()}
    ]
    if not left:
        return ""
    return (
        f" {first_few(left, 5)} got no grader: the course's graders are members of "
        f"{'it' if len(left) == 1 else 'them'}. Grade {'it' if len(left) == 1 else 'them'} "
        "yourself (Reviews → Add in the back office) or enroll another grader."
    )


def graders_of(assignment: ProjectAssignment) -> tuple[list[User], list[User]]:
    """Return the course's graders who can log in, and those who cannot yet (invited,
    no password chosen), by username; deactivated accounts are neither (probe 55:
    reviews went to a grader who never used their invitation, and stayed undone)."""
    graders = User.objects.filter(
        enrollments__course_id=assignment.course_id,
        enrollments__role=Role.GRADER,
        is_active=True,
    ).order_by("username")
    ready, waiting = [], []
    for grader in graders:
        (ready if grader.has_usable_password() else waiting).append(grader)
    return ready, waiting


def graders_waiting_note(assignment: ProjectAssignment) -> str:
    """A sentence naming the graders left out of assignments as they cannot log in yet,
    or "" (said after a round robin)."""
    _ready, waiting = graders_of(assignment)
    if not waiting:
        return ""
    names = first_few([str(user) for user in waiting], 5)
    return (
        f" {names} got none: they have not chosen a password yet (their "
        "invitation is waiting; the back office's “Email the invitation again” sends it)."
    )


# Unassigning a grader


REVIEW_COMPLETED_KEPT = (
    "A completed review is the record of its group's mark, so it is kept. To have the "
    "group graded again, reopen the review with its grader, or reassign it."
)


def review_delete_refusal(review: Review) -> str | None:
    """Return why REVIEW may not be deleted (unassigned), or None if it may.

    Only a review with nothing in it goes: a department expects a grader's scores and
    comments never to vanish with a click, and a group whose work someone has started
    marking to stay locked. Moving such a review is reassigning it (its work goes with
    it); deleting one that is empty gives the group its uploads back.
    """
    return review_delete_refusals([review.pk]).get(review.pk)


def review_delete_refusals(review_ids: Iterable[int]) -> dict[int, str]:
    """Return {review id: why it may not be deleted} of REVIEW_IDS (review_delete_refusal),
    in four queries however many (probe 92: "delete selected" on 120 reviews read each
    one's group, release and work apart, 253 queries)."""
    reviews = list(Review.objects.filter(pk__in=list(review_ids)).select_related("group", "grader"))
    released = set(
        GradeRelease.objects.filter(
            assignment_id__in={review.group.assignment_id for review in reviews}
        ).values_list("assignment_id", flat=True)
    )
    ids = [review.pk for review in reviews]
    with_work = set(
        LineComment.objects.filter(review_id__in=ids).values_list("review_id", flat=True)
    ) | set(
        CriterionScore.objects.filter(review_id__in=ids)
        .filter(Q(points__isnull=False) | ~Q(comment=""))
        .values_list("review_id", flat=True)
    )
    refusals = {}
    for review in reviews:
        if review.is_completed:
            refusals[review.pk] = REVIEW_COMPLETED_KEPT
        elif review.group.assignment_id in released:
            refusals[review.pk] = (
                "The grades of this project are released: its reviews are kept as they are."
            )
        elif review.overall_feedback.strip() or review.pk in with_work:
            refusals[review.pk] = (
                f"{review.grader} has already scored or commented on the review of "
                f"{review.group}: deleting it would throw that work away. Give the group to "
                "another grader instead (change the review's grader, or Reassign on the "
                "assignment hub): the work goes with it."
            )
    return refusals


@transaction.atomic
def review_delete(*, review: Review, by: User | None = None) -> bool:
    """Unassign REVIEW's grader by deleting the review; False if it was gone already.

    Refused (ValidationError) as ``review_delete_refusal`` says, decided under the
    project's lock. The group then has no review, so nobody grades it: its grading
    has not started (``grading_started_at``, ``graded_submission``), and under "lock
    when grading starts" it takes new versions again until a grader is assigned.
    """
    _lock(review.group.assignment_id)
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("group__assignment", "grader")
        .filter(pk=review.pk)
        .first()
    )
    if review is None:
        return False
    refusal = review_delete_refusal(review)
    if refusal:
        raise ValidationError(refusal)
    review._history_user = by
    review.delete()
    # Grading's own fields of the group (projects_services.group_grading_started sets
    # them); one UPDATE, as that one does.
    Group.objects.filter(pk=review.group_id).update(grading_started_at=None, graded_submission=None)
    return True


# Reviewing


@transaction.atomic
def review_save(
    *,
    review: Review,
    by: User,
    scores: Mapping[int, tuple[Decimal | None, str]],
    overall_feedback: str | None,
    complete: bool | None = False,
    only_given: bool = False,
    version: str = "",
    shown_version: int | None = None,
) -> Review:
    """Save a draft of REVIEW, or complete it when COMPLETE; return it as saved.

    SCORES maps criterion ids to (points or None, comment). Drafts keep whatever is
    given, blanks included; points must always lie within the criterion's range.
    Completing requires every criterion scored. The total is recomputed here. With
    ONLY_GIVEN (the API's partial update), criteria missing from SCORES keep their
    saved score, an OVERALL_FEEDBACK of None the saved feedback, and a COMPLETE of None
    the review's status (completed stays completed).

    Decided on the review as it is under the project's lock, not as the caller read
    it: a grader handed the review over meanwhile, or grades released meanwhile, get
    an error and change nothing. VERSION, when given, is the ``draft_version`` the
    grader's page showed: if the review was saved since (another tab), nothing is
    written (ValidationError, code STALE). SHOWN_VERSION, when given, is the version of
    the group's work the page showed: see _start_grading.
    """
    locked = _locked(review)
    # Whose it is before whether it changed: a review handed to another grader changed
    # too, and its grader was told to save again what they can no longer (probe 98).
    _check_still_grades(locked, by)
    _check_version(locked, version)
    saved = _save(
        locked,
        by=by,
        scores=scores,
        overall_feedback=overall_feedback,
        complete=complete,
        only_given=only_given,
        shown_version=shown_version,
    )
    for name in (*_SAVED_FIELDS, "updated_at", "grader_id"):  # the caller's copy, as saved
        setattr(review, name, getattr(saved, name))
    return saved


def _locked(review: Review) -> Review:
    """Return REVIEW as it is under its project's lock; raise if its grades are released."""
    _lock(review.group.assignment_id)
    review = _review_under_lock(review.pk)
    _check_not_released(review.group.assignment)
    return review


def _save(
    review: Review,
    *,
    by: User,
    scores: Mapping[int, tuple[Decimal | None, str]],
    overall_feedback: str | None,
    complete: bool | None,
    only_given: bool,
    shown_version: int | None = None,
) -> Review:
    """review_save on REVIEW, read under the lock (_locked)."""
    assignment = review.group.assignment
    _check_still_grades(review, by)
    if only_given:
        saved = {score.criterion_id: (score.points, score.comment) for score in review.scores.all()}
        if _changes_nothing(review, saved, scores, overall_feedback, complete):
            if review.status != ReviewStatus.TODO:
                # Writes nothing on a started review; refuses work sent about another
                # version, as a save that changes something is refused.
                _start_grading(review, shown_version)
            return review  # nothing written: updated_at (the API's ETag) stays
        scores = {**saved, **scores}
        if overall_feedback is None:
            overall_feedback = review.overall_feedback
    if complete is None:
        complete = review.status == ReviewStatus.COMPLETED
    criteria = list(Criterion.objects.filter(rubric__assignment=assignment))
    if complete and not criteria:
        # The page says the rubric has none; this says what it means for the button.
        raise ValidationError(
            "Not completed: a review is completed against the rubric's criteria. Ask an "
            "instructor to add them; your overall feedback can be saved as a draft meanwhile."
        )
    errors = []
    for criterion in criteria:
        points, _comment = scores.get(criterion.pk, (None, ""))
        if points is not None and not (0 <= points <= criterion.max_points):
            errors.append(
                f"“{criterion.title}” must be between 0 and {criterion.max_points:g} points."
            )
    missing = [c.title for c in criteria if scores.get(c.pk, (None, ""))[0] is None]
    if complete and missing:
        errors.append(
            "To complete the review, score every criterion. Missing: "
            + ", ".join(f"“{title}”" for title in missing)
            + "."
        )
    if errors:
        raise ValidationError(errors)

    _start_grading(review, shown_version)
    existing = {score.criterion_id: score for score in review.scores.all()}
    for criterion in criteria:
        points, comment = scores.get(criterion.pk, (None, ""))
        score = existing.get(criterion.pk)
        if score is None:
            score = CriterionScore(review=review, criterion=criterion)
        elif score.points == points and score.comment == comment:
            continue
        score.points, score.comment = points, comment
        score._history_user = by  # the audit trail records who, with or without a request
        score.save()
    review.overall_feedback = overall_feedback
    review.overall_feedback_html = feedback_to_html(overall_feedback)
    review.total = _total(review)
    if complete:
        if review.status != ReviewStatus.COMPLETED:
            # Who completes it, not who fixes a typo in it afterwards (probe 91).
            review.completed_by = by
        review.status = ReviewStatus.COMPLETED
        review.completed_at = timezone.now()
    else:
        review.status = ReviewStatus.DRAFT
        review.completed_at = None
        review.completed_by = None
    review._change_reason = "completed" if complete else "draft saved"
    review._history_user = by
    # Only what a save decides: the grader may have been handed over, under this lock.
    review.save(update_fields=[*_SAVED_FIELDS, "updated_at"])
    return review


def _changes_nothing(
    review: Review,
    saved: Mapping[int, tuple[Decimal | None, str]],
    scores: Mapping[int, tuple[Decimal | None, str]],
    overall_feedback: str | None,
    complete: bool | None,
) -> bool:
    """Return whether a partial save (only_given) of REVIEW leaves it as it is: each score
    given as saved, the feedback too, and the status asked for already the review's."""
    status = {None: review.status, True: ReviewStatus.COMPLETED, False: ReviewStatus.DRAFT}
    return (
        all(saved.get(pk, (None, "")) == score for pk, score in scores.items())
        and overall_feedback in (None, review.overall_feedback)
        and status[complete] == review.status
    )


_SAVED_FIELDS = (
    "submission",
    "status",
    "overall_feedback",
    "overall_feedback_html",
    "total",
    "completed_at",
    "completed_by",
)


REVIEW_GONE = (
    "This review was deleted by an instructor while you were saving, so nothing was "
    "saved. Copy what you wrote if you want to keep it."
)

NO_LONGER_GRADES = (
    "You do not grade this review (any more): it was handed to another grader or deleted, "
    "or your role in the course changed. Nothing was saved."
)

# The code of the refusals above: the review page's script stops saving drafts on it.
NOT_GRADING = "not_grading"


def _review_under_lock(pk: int) -> Review:
    review = (
        Review.objects.select_for_update(of=("self",))
        .select_related("group__assignment__course", "submission")
        .filter(pk=pk)
        .first()
    )
    if review is None:
        raise ValidationError(REVIEW_GONE, code=NOT_GRADING)
    return review


def _check_still_grades(review: Review, by: User) -> None:
    policy.forget(by)  # their role as it is under the lock, not as the request began
    if not policy.can(by, policy.GRADE, review):
        raise ValidationError(
            f"{NO_LONGER_GRADES} Copy what you wrote if you want to keep it.", code=NOT_GRADING
        )


NEWER_VERSION = "newer_version"


def _start_grading(review: Review, shown_version: int | None = None) -> None:
    """Fix the version being graded: the latest when the grader first saves anything.

    SHOWN_VERSION is the version the grader's page (or script) showed, if known: when a
    newer one arrived since, nothing is started (ValidationError, code NEWER_VERSION), as
    marks and comments written about the code shown would otherwise land on other code;
    a review already started must grade that very version.
    """
    if review.status != ReviewStatus.TODO:
        graded = review.submission.version
        if shown_version is not None and shown_version != graded:
            raise ValidationError(
                f"This review grades version {graded}, not version {shown_version}. "
                "Nothing was saved.",
                code=NEWER_VERSION,
            )
    else:
        latest = _latest_submission(review.group)
        if latest is not None and shown_version is not None and latest.version != shown_version:
            raise ValidationError(
                f"Version {latest.version} arrived "
                f"{moment_text(latest.submitted_at)}, after this page showed "
                f"version {shown_version}, and the review grades the latest version. "
                "Nothing was saved.",
                code=NEWER_VERSION,
            )
        review.submission = latest or review.submission
        review.status = ReviewStatus.DRAFT
        projects_services.group_grading_started(submission=review.submission)


def _total(review: Review) -> Decimal:
    return sum(
        (s.points for s in review.scores.all() if s.points is not None), Decimal("0")
    ).quantize(Decimal("0.01"))


@transaction.atomic
def review_draft_save(
    *,
    review: Review,
    by: User,
    scores: Mapping[int, tuple[Decimal | None, str]],
    overall_feedback: str,
    version: str = "",
    shown_version: int | None = None,
) -> Review:
    """Save what the grader typed so far, as the page does a few seconds after typing.

    Drafts apply to reviews in progress only: a completed review keeps its marks until
    its grader saves or completes it again by hand, and a released one never changes
    here. VERSION, when given, is the ``draft_version`` the page last saw: if the review
    changed since (another tab, another grader), nothing is written, so an old tab never
    overwrites newer work. Nothing is written either when nothing changed. SHOWN_VERSION:
    see _start_grading.
    """
    review = _locked(review)
    _check_still_grades(review, by)  # before the rest, as review_save (probes 100, 102)
    if review.is_completed:
        raise ValidationError(
            "This review is completed: changes are not saved automatically. "
            "Press “Complete review” to save them, or “Save draft” to reopen it."
        )
    _check_version(review, version)
    existing = {score.criterion_id: (score.points, score.comment) for score in review.scores.all()}
    unchanged = review.status == ReviewStatus.DRAFT and review.overall_feedback == overall_feedback
    if unchanged and all(
        existing.get(pk, (None, "")) == (points, comment)
        for pk, (points, comment) in scores.items()
    ):
        return review
    return _save(
        review,
        by=by,
        scores=scores,
        overall_feedback=overall_feedback,
        complete=False,
        only_given=False,
        shown_version=shown_version,
    )


STALE = "stale"


def _check_version(review: Review, version: str) -> None:
    """Raise (code STALE) if REVIEW was saved since its page showed VERSION."""
    if version and version != draft_version(review):
        raise ValidationError(
            "This review was changed in another tab or window "
            f"{moment_text(review.updated_at)}. Reload the page to see it; "
            "what you typed here stays in this page until you do.",
            code=STALE,
        )


def draft_version(review: Review) -> str:
    """Return a token that changes whenever REVIEW is saved."""
    return str(int(review.updated_at.timestamp() * 1_000_000)) if review.updated_at else ""


def check_line(submission: Submission, path: str, line: int) -> None:
    """Raise unless LINE is a line of the text file PATH of SUBMISSION's archive (the
    error's code names the field at fault: "path" or "line").

    Files longer than the viewer shows accept any line past what it shows: their comments
    are listed under the file, as the viewer cannot tell where the file ends.
    """
    from .viewer import archive_view

    if line < 1:
        raise ValidationError("Line numbers start at 1.", code="line")
    shown = archive_view(submission, path).file if path else None
    if shown is None or shown.error:
        raise ValidationError(f"“{path}” is not in the submitted archive.", code="path")
    if shown.is_binary:
        raise ValidationError(
            f"“{path}” is not a text file: comment on it in the overall feedback instead.",
            code="path",
        )
    count = len(shown.lines)
    if not count:
        raise ValidationError(
            f"“{path}” is empty: comment on it in the overall feedback instead.", code="path"
        )
    if line > count and not (shown.truncated or shown.lines_truncated):
        raise ValidationError(
            f"“{path}” has {count} line{'s' if count != 1 else ''}: "
            f"there is no line {line}. Choose a line between 1 and {count}.",
            code="line",
        )


SAME_COMMENT_WITHIN = timedelta(minutes=2)


# Far more than a grader writes on one version, few enough that a review page (which
# shows them all) stays readable and a script cannot fill the database (probe 63).
LINE_COMMENTS_PER_REVIEW = 1_000


@transaction.atomic
def line_comment_add(
    *,
    review: Review,
    by: User,
    path: str,
    line: int,
    text: str,
    shown_version: int | None = None,
    criterion_id: int | None = None,
) -> LineComment:
    """Add a Markdown comment on LINE of PATH, stored with its sanitised HTML, tied to
    the rubric's CRITERION_ID if given.

    SHOWN_VERSION: the version the page showed (see _start_grading).
    """
    review = _locked(review)
    _check_still_grades(review, by)
    text = text.strip()
    if not text:
        raise ValidationError("Write a comment before adding it.")
    if (
        criterion_id is not None
        and not Criterion.objects.filter(
            pk=criterion_id, rubric__assignment_id=review.group.assignment_id
        ).exists()
    ):
        raise ValidationError("Choose one of the rubric's criteria, or none.", code="criterion")
    started = review.status != ReviewStatus.TODO
    _start_grading(review, shown_version)
    if not started:
        review._history_user = by
        review.save(update_fields=["submission", "status", "updated_at"])
    check_line(review.submission, path, line)
    # The same comment sent twice (a double click, a form sent again) is one comment:
    # the review's lock orders the two, and the second finds the first (probe 36). The
    # same words tied to another criterion are another comment (probe 110).
    just_added = LineComment.objects.filter(
        review=review,
        author=by,
        path=path,
        line=line,
        text=text,
        criterion_id=criterion_id,
        created_at__gte=timezone.now() - SAME_COMMENT_WITHIN,
    ).first()
    if just_added is not None:
        return just_added
    if LineComment.objects.filter(review=review).count() >= LINE_COMMENTS_PER_REVIEW:
        raise ValidationError(
            f"This review has {LINE_COMMENTS_PER_REVIEW:,} line comments, the most one review "
            "holds: put what is left in a criterion's comment or the overall feedback."
        )
    return LineComment.objects.create(
        review=review,
        author=by,
        path=path,
        line=line,
        text=text,
        text_html=feedback_to_html(text),
        criterion_id=criterion_id,
    )


@transaction.atomic
def line_comment_edit(*, comment: LineComment, by: User, text: str) -> LineComment:
    """Replace COMMENT's text (a typo fixed, a point made clearer) with TEXT, rendered
    again; refused once the grades are released or if BY no longer grades the review.
    The change is in the comment's history, with who made it."""
    review = _locked(comment.review)
    _check_still_grades(review, by)
    text = text.strip()
    if not text:
        raise ValidationError("Write the comment, or remove it instead.")
    comment = LineComment.objects.select_for_update().filter(pk=comment.pk).first()
    if comment is None:
        raise ValidationError("This comment was removed meanwhile: nothing was saved.")
    if comment.text != text:
        comment.text, comment.text_html = text, feedback_to_html(text)
        comment._history_user = by
        comment.save(update_fields=["text", "text_html"])
    return comment


@transaction.atomic
def line_comment_delete(*, comment: LineComment, by: User) -> None:
    _lock(comment.review.group.assignment_id)
    _check_not_released(comment.review.group.assignment)
    comment.delete()


def version_arrived(*, submission: Submission) -> None:
    """A group handed in SUBMISSION (committed): the graded version follows it while the
    group's review is still to do, and its grader is told if grading started on another."""
    group = submission.group
    to_do = Review.objects.filter(group_id=group.pk, status=ReviewStatus.TODO)
    if to_do.exists() and not is_released(group.assignment_id):
        # Assigning the grader recorded the latest version then; the grader grades the
        # latest when they start (_start_grading), so the project page and the message
        # after submitting name this one, not an older one "graded" instead.
        projects_services.group_grading_started(submission=submission)
    new_version_notify(submission=submission)


def new_version_notify(*, submission: Submission) -> bool:
    """Email the grader of SUBMISSION's group that it is newer than the version graded.

    Only under the "accept and notify" rule, and only once grading started: a review
    still to do grades the latest version when its grader opens it. A version that
    arrives after the release (of a group graded or not) is emailed to the course's
    instructors, who alone can still change a mark, and to the group's grader if any.
    Returns whether an email was queued (the task worker sends it).
    """
    from .tasks import send_after_release_email, send_new_version_email

    group = submission.group
    if group.assignment.late_version_rule != LateVersionRule.ACCEPT_AND_NOTIFY:
        return False
    release = GradeRelease.objects.filter(assignment_id=group.assignment_id).first()
    if release is not None and submission.submitted_at > release.released_at:
        # After the release nobody grades it, and only the teachers can still change a
        # mark (an override): they are told, with the group's grader if it has one.
        send_after_release_email.enqueue(submission_id=submission.pk)
        return True
    review = (
        Review.objects.select_related("submission")
        .filter(group_id=submission.group_id)
        .exclude(status=ReviewStatus.TODO)
        .first()
    )
    if review is None:
        # Nobody started grading this group: its grader grades the latest version.
        return False
    if review.submission.version >= submission.version:
        return False
    send_new_version_email.enqueue(review_id=review.pk, submission_id=submission.pk)
    return True


# Releasing


@transaction.atomic
def grades_release(*, assignment: ProjectAssignment, by: User, base_url: str = "") -> GradeRelease:
    """Make the assignment's completed reviews visible and email every graded student.

    Refuse while a submitted group has no completed review. The emails are sent by the
    task worker, enqueued only once this transaction commits.
    """
    from .tasks import send_grades_released_email

    # Reviews saved and versions numbered before this lock are counted below; those
    # queued behind it find the grades released.
    _lock(assignment.pk)
    if is_released(assignment):
        raise ValidationError("The grades of this assignment are already released.")
    pending = list(
        Group.objects.filter(assignment=assignment, submissions__isnull=False)
        .exclude(review__status=ReviewStatus.COMPLETED)
        .distinct()
        .order_by("name")
        .values_list("name", flat=True)
    )
    if pending:
        raise ValidationError(
            f"{len(pending)} submitted group(s) have no completed review yet: "
            + ", ".join(pending[:10])
            + ("…" if len(pending) > 10 else "")
            + "."
        )
    unscored = list(_unscored_completed(assignment.pk).values_list("group__name", flat=True))
    if unscored:
        # The back office reopens them when it adds a criterion; a review completed
        # without a score for one (written around it) must not be released either.
        raise ValidationError(
            f"{len(unscored)} completed review(s) give no score for a criterion of the "
            "rubric (added after they were completed): "
            + ", ".join(sorted(unscored)[:10])
            + ("…" if len(unscored) > 10 else "")
            + ". Their graders must score it first."
        )
    release = GradeRelease(assignment=assignment, released_at=timezone.now(), released_by=by)
    release._history_user = by
    release.save()
    # Groups that never submitted are locked too: nobody would ever grade their work.
    projects_services.assignment_grading_closed(assignment=assignment, at=release.released_at)
    # The members the released marks' peer factors count, as they are now: a student
    # removed from the course later keeps their place in them (probe 64).
    GroupMembership.objects.filter(assignment=assignment).freeze_students(assignment.course_id)
    recipients = GroupMembership.objects.filter(
        assignment=assignment, group__review__status=ReviewStatus.COMPLETED
    ).values_list("student_id", "group__review__pk")
    for student_id, review_id in recipients:
        transaction.on_commit(
            partial(
                send_grades_released_email.enqueue,
                user_id=student_id,
                review_id=review_id,
                base_url=base_url,
            )
        )
    # A mark set by an override with no review to read (a student in no group, a group
    # that handed nothing in) is released too: its student was told nothing (probe 64).
    overridden = MarkOverride.objects.filter(assignment=assignment).exclude(
        student_id__in=recipients.values("student_id")
    )
    for student_id in overridden.values_list("student_id", flat=True):
        transaction.on_commit(
            partial(
                send_grades_released_email.enqueue,
                user_id=student_id,
                assignment_id=assignment.pk,
            )
        )
    return release


def _reviews_scoring(assignment_id: int, status: str) -> tuple[QuerySet, int]:
    """The project's reviews in STATUS, each with how many criteria it scores (``scored``),
    and how many criteria its rubric has."""
    criteria = Criterion.objects.filter(rubric__assignment_id=assignment_id).count()
    reviews = Review.objects.filter(group__assignment_id=assignment_id, status=status)
    scored = Count("scores", filter=Q(scores__points__isnull=False))
    return reviews.annotate(scored=scored), criteria


def _unscored_completed(assignment_id: int):
    """The completed reviews of the project that score fewer criteria than its rubric has."""
    reviews, criteria = _reviews_scoring(assignment_id, ReviewStatus.COMPLETED)
    return reviews.filter(scored__lt=criteria)


def reviews_fully_scored_drafts(assignment_id: int) -> int:
    """Return how many drafts of the project's reviews score every criterion: after a
    criterion is removed, those reopened when it was added need only completing."""
    reviews, criteria = _reviews_scoring(assignment_id, ReviewStatus.DRAFT)
    return reviews.filter(scored__gte=criteria).count()


@transaction.atomic
def reviews_reopen_unscored(*, assignment_id: int, by: User) -> int:
    """Reopen the completed reviews of the project that give no score for a criterion of
    its rubric, one added after they were completed: their total would count the new
    criterion as 0 and lower every such mark in silence. They go back to their graders
    as drafts, and the grades cannot be released until they are completed again.
    Return how many were reopened.
    """
    _lock(assignment_id)
    if is_released(assignment_id):
        return 0  # the back office refuses new criteria after the release
    reopened = 0
    for review in _unscored_completed(assignment_id):
        review.status = ReviewStatus.DRAFT
        review.completed_at = review.completed_by = None
        review._history_user = by
        review.save(update_fields=["status", "completed_at", "completed_by", "updated_at"])
        reopened += 1
    return reopened


# Regrades


def regrade_window_closes(assignment: ProjectAssignment) -> datetime | None:
    release = GradeRelease.objects.filter(assignment=assignment).first()
    if release is None:
        return None
    # Capped: a window saved before the limit existed (or written around the forms)
    # must not take every feedback page down with an OverflowError.
    days = min(rubric_for(assignment).regrade_window_days, REGRADE_WINDOW_MAX_DAYS)
    # Days on the site's clock, as lateness counts them: released at 18:00, closed at
    # 18:00 a week later across a change of the clocks, not 17:00 (probe 66).
    return shifted_on_the_clock(release.released_at, timedelta(days=days))[0]


@transaction.atomic
def regrade_request_create(
    *, review: Review, criterion: Criterion, student: User, reason: str
) -> RegradeRequest:
    assignment = review.group.assignment
    _lock(assignment.pk)  # the same request sent twice at once: the second one is told
    # Who asks is part of the record: a member of the group, still its student.
    if not _asks_as_member(student, review):
        raise ValidationError("Only members of the group can ask for a regrade.")
    closes = regrade_window_closes(assignment)
    if closes is None:
        raise ValidationError("Grades are not released yet.")
    if timezone.now() > closes:
        raise ValidationError(f"Regrade requests closed on {local_text(closes)}.")
    if criterion.rubric.assignment_id != assignment.pk:
        raise ValidationError("That criterion is not part of this rubric.")
    reason = reason.strip()
    if not shows_something(reason):  # spaces, or characters that show nothing
        raise ValidationError("Explain why this criterion should be regraded.")
    if RegradeRequest.objects.filter(
        review=review, criterion=criterion, status=RegradeStatus.OPEN
    ).exists():
        raise ValidationError(f"A regrade of “{criterion.title}” is already waiting for an answer.")
    score = review.scores.filter(criterion=criterion).first()
    regrade = RegradeRequest.objects.create(
        review=review,
        criterion=criterion,
        requested_by=student,
        reason=reason,
        old_points=score.points if score else None,
    )
    from .tasks import send_regrade_requested_email

    transaction.on_commit(partial(send_regrade_requested_email.enqueue, regrade_id=regrade.pk))
    return regrade


ANSWERED_BY_YOU = "answered_by_you"


def _refuse_answered(
    regrade: RegradeRequest, *, by: User, accept: bool, new_points: Decimal | None, response: str
) -> None:
    """Refuse an answer to REGRADE, answered already: as sent again if BY gave that very
    answer (a double click), else saying who answered and how (probe 98: "already
    answered", to a grader racing the instructor)."""
    accepted = regrade.status == RegradeStatus.ACCEPTED
    moment_ago = regrade.answered_at and timezone.now() - regrade.answered_at < timedelta(minutes=2)
    same = (
        accepted == accept
        and (not accept or regrade.new_points == new_points)
        and regrade.response == response
    )
    if regrade.answered_by_id == by.pk and same and moment_ago:
        raise ValidationError(
            "Your answer was sent a moment ago: the group reads it.", code=ANSWERED_BY_YOU
        )
    who = "You" if regrade.answered_by_id == by.pk else str(regrade.answered_by or "Someone")
    how = (
        f"accepted, new score {regrade.new_points.normalize():f}"
        if accepted and regrade.new_points is not None
        else "declined"
    )
    raise ValidationError(
        f"{who} answered this regrade request {moment_text(regrade.answered_at)}: {how}.",
        code="answered",
    )


def _asks_as_member(student: User, review: Review) -> bool:
    """Whether STUDENT speaks for REVIEW's group: a member, still a student of the course."""
    assignment = review.group.assignment
    member = GroupMembership.objects.filter(group=review.group, student=student).exists()
    return member and policy.role_in(student, assignment.course_id) == Role.STUDENT


@transaction.atomic
def regrade_message_add(*, regrade: RegradeRequest, by: User, text: str) -> RegradeMessage:
    """Add BY's message to REGRADE's thread while it waits for its answer: the review's
    grader (or a teacher) asking the group, or a member of the group answering.

    Probe 79: a grader could only accept or decline, and a student only ask again in a
    new request, which reached the grader as a fresh item without the exchange."""
    _lock(regrade.review.group.assignment_id)
    regrade = RegradeRequest.objects.select_for_update().select_related("review").get(pk=regrade.pk)
    review = regrade.review
    from_staff = policy.can(by, policy.GRADE, review)
    if not from_staff and not _asks_as_member(by, review):
        # A member made an instructor is told why, not that only the group writes there.
        own_group = policy.refusal(by, policy.GRADE, review)
        raise ValidationError(
            own_group or "Only the group and its grader write in this regrade request."
        )
    if regrade.status != RegradeStatus.OPEN:
        raise ValidationError(
            "This regrade request has been answered, so its thread is closed: ask for a "
            "new regrade if something is still wrong."
        )
    text = text.strip()
    if not shows_something(text):  # spaces, or characters that show nothing
        raise ValidationError("Write the message first.")
    # The same message sent twice (a double click) is one: the lock orders the two.
    just_sent = RegradeMessage.objects.filter(
        regrade=regrade, author=by, text=text, created_at__gte=timezone.now() - SAME_COMMENT_WITHIN
    ).first()
    if just_sent is not None:
        return just_sent
    message = RegradeMessage.objects.create(
        regrade=regrade, author=by, from_staff=from_staff, text=text
    )
    from .tasks import send_regrade_message_email

    transaction.on_commit(partial(send_regrade_message_email.enqueue, message_id=message.pk))
    return message


@transaction.atomic
def regrade_answer(
    *,
    regrade: RegradeRequest,
    by: User,
    accept: bool,
    response: str,
    new_points: Decimal | None = None,
) -> RegradeRequest:
    """Accept REGRADE with NEW_POINTS (the score and total change) or decline it."""
    # Two criteria of one review answered at once: each total counts the other's score.
    _lock(regrade.review.group.assignment_id)
    regrade = RegradeRequest.objects.select_for_update().get(pk=regrade.pk)
    if regrade.status != RegradeStatus.OPEN:
        _refuse_answered(
            regrade, by=by, accept=accept, new_points=new_points, response=response.strip()
        )
    response = response.strip()
    criterion = regrade.criterion
    if accept:
        if new_points is None or not (0 <= new_points <= criterion.max_points):
            most = f"{criterion.max_points.normalize():f}"  # 25.00 -> "25"
            raise ValidationError(
                {"new_points": f"To accept, give a new score between 0 and {most}."}
            )
        score, _ = CriterionScore.objects.get_or_create(review=regrade.review, criterion=criterion)
        if score.points is not None and score.points == new_points:
            # The student read "Accepted · new score 14.25" for the score they asked about
            # (probe 37): keeping it is declining, with the reason said.
            kept = f"{new_points.normalize():f}"
            raise ValidationError(
                {
                    "new_points": f"{kept} is the score already given: to keep it, decline "
                    "the request and say why; to accept, give the new score."
                }
            )
        assignment_id = regrade.review.group.assignment_id
        member_ids = list(
            GroupMembership.objects.filter(group_id=regrade.review.group_id).values_list(
                "student_id", flat=True
            )
        )
        marks_before = _marks_now(assignment_id, member_ids)
        score.points = new_points
        score._change_reason = f"regrade #{regrade.pk} accepted"
        score._history_user = by
        score.save(update_fields=["points"])
        review = regrade.review
        review.total = _total(review)
        review._change_reason = f"regrade #{regrade.pk} accepted"
        review._history_user = by
        review.save(update_fields=["total", "updated_at"])
        regrade.status = RegradeStatus.ACCEPTED
        regrade.new_points = new_points
        # Each member whose mark moved with the group's is emailed, as an override's
        # student is (probe 88: an override was, a regrade not). Not those whose mark did
        # not move: set by hand, or capped at 100 % by their peer factor (probe 91).
        marks_after = _marks_now(assignment_id, member_ids)
        for student_id in member_ids:
            if marks_after.get(student_id) != marks_before.get(student_id):
                _tell_mark_changed(assignment_id, student_id, why="regrade", regrade_id=regrade.pk)
    else:
        if not shows_something(response):  # spaces, or characters that show nothing
            raise ValidationError({"response": "Give the reason for declining."})
        regrade.status = RegradeStatus.DECLINED
        from .tasks import send_regrade_declined_email

        transaction.on_commit(partial(send_regrade_declined_email.enqueue, regrade_id=regrade.pk))
    regrade.response = response
    regrade.answered_by = by
    regrade.answered_at = timezone.now()
    regrade._history_user = by
    regrade.save()
    return regrade


# Peer evaluation and overrides


def peer_evaluation_open(group: Group) -> bool:
    assignment = group.assignment
    rubric = getattr(assignment, "rubric", None)
    return (
        rubric is not None
        and rubric.peer_evaluation
        and timezone.now() >= group.deadline()
        and not is_released(assignment)
    )


@transaction.atomic
def peer_ratings_submit(
    *, group: Group, rater: User, ratings: Mapping[int, tuple[int, str]]
) -> list[PeerRating]:
    """Record RATER's scores (1-5) and comments for every member of GROUP, self included."""
    _lock(group.assignment_id)
    if not rubric_for(group.assignment).peer_evaluation:
        raise ValidationError("This assignment has no peer evaluation.")
    if timezone.now() < group.deadline():
        raise ValidationError("Peer evaluation opens after your group's deadline.")
    if is_released(group.assignment):
        raise ValidationError("Peer evaluation closed when the grades were released.")
    # Members removed from the course neither rate nor are rated (of_students).
    members = set(group.memberships.of_students().values_list("student_id", flat=True))
    if rater.pk not in members:
        raise ValidationError("Only members of the group rate its members.")
    if set(ratings) != members:
        raise ValidationError("Rate every member of your group, yourself included.")
    if any(not (1 <= score <= 5) for score, _ in ratings.values()):
        raise ValidationError("Each rating must be between 1 and 5.")
    saved = []
    for ratee_id, (score, comment) in ratings.items():
        rating, _ = PeerRating.objects.update_or_create(
            group=group,
            rater=rater,
            ratee_id=ratee_id,
            defaults={"score": score, "comment": comment.strip()},
        )
        saved.append(rating)
    return saved


@transaction.atomic
def mark_override(
    *,
    assignment: ProjectAssignment,
    student: User,
    mark: Decimal,
    reason: str,
    by: User,
    seen: str | None = None,
) -> MarkOverride:
    """Replace STUDENT's mark on ASSIGNMENT by MARK (%), for REASON.

    SEEN, when given, is ``override_state`` of the override the page showed: if another
    teacher changed or cleared it since, nothing is saved (ValidationError, code
    MARK_CHANGED), so neither is told success while the other's mark is lost.
    """
    _lock(assignment.pk)
    _check_not_own_group(by, assignment.pk, student)
    if not overridable_students(assignment).filter(pk=student.pk).exists():
        raise ValidationError(f"{student} is not a student of this project's course.")
    if not (0 <= mark <= 100):
        raise ValidationError("A mark is a percentage between 0 and 100.")
    reason = reason.strip()
    if not shows_something(reason):  # the record says why: zero-width spaces say nothing
        raise ValidationError("Give the reason for overriding the mark.")
    override = MarkOverride.objects.filter(assignment=assignment, student=student).first()
    _check_override_seen(override, seen, student)
    override = override or MarkOverride(assignment=assignment, student=student)
    override.mark, override.reason, override.by = mark, reason, by
    override._history_user = by
    override.save()
    _tell_mark_changed(assignment.pk, student.pk)
    return override


def _marks_now(assignment_id: int, student_ids: list[int]) -> dict[int, Decimal | None]:
    """Return the marks of STUDENT_IDS on the assignment as they stand (overrides in)."""
    marks = assignment_marks([assignment_id], student_ids=student_ids)
    return {
        student_id: mark.mark if (mark := marks.get(assignment_id, student_id)) else None
        for student_id in student_ids
    }


def _tell_mark_changed(
    assignment_id: int, student_id: int, *, why: str = "override", regrade_id: int | None = None
) -> None:
    """After the release, the student is told their mark changed (probe 65: an override
    set then reached their feedback list without a word); WHY is "override" (an
    instructor set or cleared it) or "regrade" (REGRADE_ID was accepted)."""
    from .tasks import send_mark_changed_email

    if is_released(assignment_id):
        transaction.on_commit(
            partial(
                send_mark_changed_email.enqueue,
                user_id=student_id,
                assignment_id=assignment_id,
                why=why,
                regrade_id=regrade_id,
            )
        )


@transaction.atomic
def mark_override_delete(*, override: MarkOverride, by: User | None = None) -> bool:
    """Delete OVERRIDE (as it is under the project's lock); False if it was gone."""
    _lock(override.assignment_id)
    if by is not None:
        _check_not_own_group(by, override.assignment_id, override.student)
    current = MarkOverride.objects.filter(pk=override.pk).first()
    if current is None:
        return False
    current._history_user = by
    current.delete()
    _tell_mark_changed(current.assignment_id, current.student_id)
    return True


MARK_CHANGED = "mark_changed"


def _check_not_own_group(by: User, assignment_id: int, student: User) -> None:
    # Made an instructor, a member of a group set their own mark to 100 (probe 117).
    if policy.sets_own_groups_mark(by, assignment_id, student.pk):
        raise ValidationError(policy.OWN_GROUP)


def overridable_students(assignment: ProjectAssignment) -> QuerySet:
    """Return the people whose mark on ASSIGNMENT an instructor may override: its groups'
    members (those since removed from the course included: their work was the group's),
    and the course's students in no group of it, whose missing work may count as 0."""
    return User.objects.filter(
        Q(group_memberships__assignment=assignment)
        | Q(enrollments__course_id=assignment.course_id, enrollments__role=Role.STUDENT)
    ).distinct()


# What override_state writes: a client's `replaces` of another shape is a mistake, not a
# change made meanwhile (probe 86: "bogus" was told the override had been cleared).
OVERRIDE_STATE = r"\A(none|[0-9]+:[0-9]+\.[0-9]{6})\Z"  # ASCII digits: \d takes "٣" too


def override_state(override: MarkOverride | None) -> str:
    """Name OVERRIDE as a page shows it, for mark_override's SEEN: any change moves it."""
    if override is None:
        return "none"
    return f"{override.pk}:{override.at.timestamp():.6f}"


def _check_override_seen(override: MarkOverride | None, seen: str | None, student: User) -> None:
    if seen is None or seen == override_state(override):
        return
    if override is None:
        now = "its override was cleared, the computed mark applies"
    else:
        who = override.by or "another teacher"
        when = moment_text(override.at)
        now = f"{who} set it to {override.mark:.2f}% {when} (“{override.reason}”)"
    raise ValidationError(
        f"{student}'s mark changed since you read it: {now}. Nothing was saved; "
        "check it, then send yours again.",
        code=MARK_CHANGED,
    )


@transaction.atomic
def mark_override_clear(
    *,
    assignment: ProjectAssignment,
    student: User,
    by: User | None = None,
    seen: str | None = None,
) -> bool:
    """Remove STUDENT's override on ASSIGNMENT; SEEN as for mark_override. Return
    whether there was one to remove."""
    _lock(assignment.pk)
    if by is not None:
        _check_not_own_group(by, assignment.pk, student)
    overrides = list(MarkOverride.objects.filter(assignment=assignment, student=student))
    _check_override_seen(overrides[0] if overrides else None, seen, student)
    for override in overrides:
        override._history_user = by
        override.delete()  # one by one, so the history records who removed it
    return bool(overrides)


def students_without_review(assignment: ProjectAssignment) -> int:
    return (
        Group.objects.filter(assignment=assignment, submissions__isnull=False)
        .filter(Q(review__isnull=True) | ~Q(review__status=ReviewStatus.COMPLETED))
        .distinct()
        .count()
    )


# A course's new run


@transaction.atomic
def rubric_copy(*, source: ProjectAssignment, copy: ProjectAssignment) -> Rubric | None:
    """Copy SOURCE's rubric (its settings, criteria and levels) to COPY, a project of
    the course's new run (lessons.services.course_copy); None if SOURCE has none."""
    rubric = Rubric.objects.filter(assignment=source).first()
    if rubric is None:
        return None
    new = copy_of(rubric, assignment_id=copy.pk)
    new.save()
    for criterion in rubric.criteria.order_by("order", "pk").prefetch_related("levels"):
        new_criterion = copy_of(criterion, rubric_id=new.pk)
        new_criterion.save()
        Level.objects.bulk_create(
            copy_of(level, criterion_id=new_criterion.pk) for level in criterion.levels.all()
        )
    return new
