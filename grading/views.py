"""Grading pages: the grader's queue and review page, instructors' release, peer
factors, overrides and gradebook, and the students' view of released feedback.

Access: outsiders get 404; course members without the needed role get 403.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Collection, Iterator
from datetime import timedelta
from decimal import Decimal
from functools import wraps
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.core.serializers.json import DjangoJSONEncoder
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Subquery, When
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_safe

from access import policy
from accounts.models import Role, User
from coursesite.converters import (
    is_whole_number,
    page_number,
    parse_id,
    search_text,
)
from coursesite.csvexport import CsvStreamingResponse
from coursesite.dates import local_text, moment_text
from coursesite.formpages import form_view, keep_refused, kept_fields, page
from lessons.models import Course, Enrollment
from lessons.selectors import course_by_slug
from projects.models import Group, GroupMembership, ProjectAssignment

from . import selectors, services
from .diff import archive_diff
from .forms import (
    COMMENT_MAX_LENGTH,
    REASON_MAX_LENGTH,
    REGRADE_TEXT_MAX_LENGTH,
    GraderReassignForm,
    LineCommentEditForm,
    LineCommentForm,
    MarkOverrideForm,
    PeerRatingForm,
    RegradeAnswerForm,
    RegradeMessageForm,
    RegradeRequestForm,
    ReleaseForm,
    RubricForm,
)
from .gradebook import (
    CellState,
    StudentMark,
    assignment_marks,
    gradebook_chunks,
    gradebook_page,
    grades_of,
    group_grade,
)
from .hub import (
    DRIFT_MIN_REVIEWS,
    DRIFT_POINTS,
    grader_consistency,
    grader_loads,
    hub_counts,
    other_reviewer_loads,
    stranded_reviews,
)
from .models import (
    Criterion,
    GradeRelease,
    LineComment,
    PeerRating,
    RegradeMessage,
    RegradeRequest,
    RegradeStatus,
    Review,
    ReviewStatus,
)
from .queue import queue_for
from .todo import feedback_mark_viewed
from .viewer import archive_view

GRADEBOOK_PAGE_SIZE = 100


# Access: every question goes to the access policy.
STAFF_ROLES = policy.STAFF  # the grading pages are for a course's graders and instructors
MEMBER_OR_TEACHER = frozenset({Role.STUDENT, Role.INSTRUCTOR})  # the feedback pages


def _require_grader(user: User) -> None:
    if not policy.grades_anywhere(user):
        # Said: a grader removed from their course, back at a bookmark, read a bare
        # "Access denied" (probe 95).
        raise policy.RefusedInWords(
            "You grade in no course, so there is nothing to grade here. If you should, ask "
            "your instructor to enroll you as a grader."
        )


def get_review_for_grader(request: HttpRequest, pk: int) -> tuple[Review, bool]:
    """Return the review and whether the user may grade it; 404 or 403 if they may not see it."""
    found = selectors.review_by_pk(pk=pk)
    review = policy.first_or_refuse(request.user, policy.VIEW, found, roles=STAFF_ROLES)
    return review, policy.can(request.user, policy.GRADE, review)


def _get_course_for_instructor(request: HttpRequest, slug: str) -> Course:
    return policy.first_or_refuse(request.user, policy.TEACH, course_by_slug(slug=slug))


def _get_assignment_for_instructor(request: HttpRequest, pk: int) -> ProjectAssignment:
    assignments = ProjectAssignment.objects.select_related("course", "rubric")
    return policy.get_or_refuse(request.user, policy.TEACH, assignments, pk=pk)


def _anonymous(review: Review) -> bool:
    rubric = getattr(review.group.assignment, "rubric", None)
    return bool(rubric and rubric.anonymous_grading)


def _base_url(request: HttpRequest) -> str:
    return request.build_absolute_uri("/").rstrip("/")


# Grader pages


@require_safe
@login_required
def grader_queue(request: HttpRequest) -> HttpResponse:
    _require_grader(request.user)
    queue = queue_for(
        request.user, status=request.GET.get("status", ""), number=request.GET.get("page")
    )
    teaching = []
    # Most people on the queue teach nowhere: their list is empty without building it.
    if policy.uses_back_office(request.user):
        projects = ProjectAssignment.objects.only("title", "course_id").order_by("due_at", "pk")
        teaching = (
            policy.scope(request.user, policy.TEACH, Course.objects)
            .only("title", "slug")
            .prefetch_related(Prefetch("projects", queryset=projects))
            .order_by("title")
        )
    return render(
        request,
        "grading/grader_queue.html",
        {
            "rows": queue.rows,
            "page": queue.page,
            "filters": queue.filters,
            "current": queue.current,
            "teaching": teaching,
            # Students have a few days to ask; nothing else told graders one was waiting.
            # Those they may answer: not their own group's, nor another grader's.
            "regrades_waiting": _regrades_answerable_by(request.user)
            .filter(status=RegradeStatus.OPEN)
            .count(),
        },
    )


def _regrades_seen_by(user: User):
    """The regrade requests USER sees: of the reviews they grade, or of the courses they
    teach."""
    return policy.scope(user, policy.VIEW, RegradeRequest.objects, roles=STAFF_ROLES)


def _regrades_answerable_by(user: User):
    """The regrade requests USER may answer: of the reviews they grade, or of the courses
    they teach but their own group's (probe 119)."""
    return policy.scope(user, policy.GRADE, RegradeRequest.objects, roles=STAFF_ROLES)


# What a grader typed is never lost: a review handed to someone else, deleted, or
# released while its page was open refuses the save with the text shown back.

RELEASED_NOT_SAVED = (
    "Grades for this assignment have been released, so nothing was saved: changes now go "
    "through regrade requests."
)


def typed_back_when_refused(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Answer a POST that VIEW refuses (404, 403) with what was typed and why it was not
    saved, on the status the refusal had; a GET's refusal stays a plain one."""

    @wraps(view)
    def wrapper(request: HttpRequest, pk: int) -> HttpResponse:
        try:
            return view(request, pk)
        except (Http404, PermissionDenied) as refusal:
            if request.method != "POST":
                raise
            status = 404 if isinstance(refusal, Http404) else 403
            return _typed_back(request, pk, status=status)

    return wrapper


ANOTHER_GRADERS = (
    "You do not grade this review (any more): it is another grader's; you may read it, "
    "not change it. Nothing was saved."
)


def _typed_back(request: HttpRequest, pk: int, *, status: int) -> HttpResponse:
    """The page that shows REQUEST's posted review form read-only, to copy.

    The review is named (and its criteria) only to someone who may still read it; to
    anyone else a review taken away, deleted or never theirs reads the same.
    """
    rows = selectors.review_by_pk(pk=pk)
    review = rows[0] if rows else None
    if review is not None and not policy.can(request.user, policy.VIEW, review, roles=STAFF_ROLES):
        review = None
    released = review is not None and review.grades_released
    if released:
        reason = RELEASED_NOT_SAVED
    elif review is not None and not policy.can(request.user, policy.GRADE, review):
        # Open to every grader's reading (graders_see_all), or their own group's.
        reason = policy.refusal(request.user, policy.GRADE, review) or ANOTHER_GRADERS
    else:
        reason = services.NO_LONGER_GRADES
    titles = {}
    if review is not None:
        titles = {c.pk: c.title for c in selectors.rubric_criteria(review.group.assignment_id)}
    return render(
        request,
        "grading/review_not_saved.html",
        {
            "review": review,
            "reason": reason,
            "typed": _typed(request.POST, titles),
            # Taken out of every course they graded: the queue would be a bare 403.
            "has_queue": policy.grades_anywhere(request.user),
        },
        status=status,
    )


TITLE_SHOWN = 200  # characters of a criterion's title the review form sent back


def _typed(post, titles: dict[int, str], *, besides: set[int] | None = None):
    """Return (label, text) for what POST holds of a review: scores, comments, the
    overall feedback and a line comment; criteria named by TITLES when known, else by the
    titles the review page sent with its form (the poster's own page: nothing is read
    that they may no longer see), else by their order (probe 111). With BESIDES (the
    rubric's criteria), only what was typed for other criteria: removed meanwhile."""
    ids: list[int] = []
    for name in post:
        kind, _, rest = name.partition("_")
        pk = parse_id(rest) if kind in ("score", "comment", "level") else None
        if pk is not None and pk not in ids and (besides is None or pk not in besides):
            ids.append(pk)
    typed = []
    for number, pk in enumerate(ids, start=1):
        sent = " ".join(post.get(f"title_{pk}", "").split())[:TITLE_SHOWN]
        title = titles.get(pk) or sent or f"criterion {number}"
        points = post.get(f"score_{pk}", "").strip()
        comment = post.get(f"comment_{pk}", "")
        if points:
            typed.append((f"Points for {title}", points))
        elif post.get(f"level_{pk}") and besides is not None:
            # Ticked without the page's script (which writes its points): the level went
            # with its criterion, so only the choice can be said (probe 116).
            typed.append((f"Level ticked for {title}", "one of its levels, not saved"))
        if comment.strip():
            typed.append((f"Comment on {title}", comment))
    if besides is not None:
        return typed
    if post.get("overall_feedback", "").strip():
        typed.append(("Overall feedback", post["overall_feedback"]))
    if post.get("text", "").strip():
        where = f"line {post.get('line', '?')} of {post.get('path', '?')}"
        typed.append((f"Comment on {where}", post["text"]))
    return typed


@form_view()
@typed_back_when_refused
def review_detail(request: HttpRequest, pk: int) -> HttpResponse:
    review, can_edit = get_review_for_grader(request, pk)
    assignment = review.group.assignment
    released = review.grades_released
    editable = can_edit and not released
    criteria = selectors.rubric_criteria(assignment.pk)
    scores = selectors.scores_of(review_id=review.pk)
    if request.method == "POST":
        if not editable:  # what was typed is shown back (typed_back_when_refused)
            raise PermissionDenied("You cannot change this review.")
        if not _arrived_whole(request.POST):
            # The marks as saved, as the message says: what arrived may be cut off
            # mid-word, and the page's autosave would save it (probe 114).
            messages.error(request, CUT_SHORT)
            form = RubricForm(
                initial={"overall_feedback": review.overall_feedback},
                criteria=criteria,
                scores=scores,
            )
            return _render_review(request, review, form, criteria, editable, released, status=400)
        form = RubricForm(request.POST, criteria=criteria, scores=scores, keep_unsent=True)
        complete = "complete" in request.POST
        # Given back whether this save goes through or not (probe 116: a refusal lost it).
        if removed := _removed_meanwhile(request.POST, criteria):
            messages.warning(request, removed)
        form, version, taken, clashes, changed_by = _caught_up(request, review, form)
        if clashes:
            # Nothing saved: the form holds the other change where this page left a field
            # as it was, and what was typed here where both changed it.
            button = "Complete review" if complete else "Save draft"
            messages.error(
                request,
                f"Nothing was saved: {changed_by}, and changed "
                f"{form.labels_with_saved(clashes)} too. Below is what you typed there, with "
                "the other "
                f"changes: press “{button}” again to keep it.",
            )
        elif form.is_valid():
            try:
                services.review_save(
                    review=review,
                    by=request.user,
                    scores=form.scores(),
                    overall_feedback=form.cleaned_data["overall_feedback"],
                    complete=complete,
                    version=version,
                    shown_version=_shown_version(request),
                )
            except ValidationError as exc:
                if getattr(exc, "code", None) == services.NEWER_VERSION:
                    # The page comes back on the newer version (the one graded), with
                    # what was typed: sending it again grades that version, knowingly.
                    button = "Complete review" if complete else "Save draft"
                    messages.error(
                        request,
                        f"{exc.messages[0]} Below is that version, with what you typed: "
                        f"check your marks against it, then press “{button}” again.",
                    )
                elif getattr(exc, "code", None) == services.STALE:
                    # The form comes back with what was typed here, and the version now
                    # saved: sending it again keeps this tab's marks, knowingly.
                    button = "Complete review" if complete else "Save draft"
                    messages.error(
                        request,
                        "Nothing was saved: this review was changed in another tab or "
                        f"window {moment_text(review.updated_at)}. Below is "
                        f"what you typed here: press “{button}” again to keep it instead, "
                        "or reload the page to see the other change.",
                    )
                else:
                    for message in exc.messages:
                        messages.error(request, message)
            else:
                saved = "Review completed." if complete else "Draft saved. Nothing is lost."
                if removed:
                    saved = "Review completed." if complete else "Draft saved."
                if taken:
                    saved = "Review completed." if complete else "Draft saved."
                    saved += (
                        f" Meanwhile {changed_by} "
                        f"({form.labels(taken)}): "
                        "that change is kept with yours."
                    )
                messages.success(request, saved)
                return redirect(_review_url(review, request.GET.get("path")))
        else:
            messages.error(
                request, "Nothing was saved: some fields are not valid; see the highlighted fields."
            )
    else:
        # What a session that ended posted, once its grader is back (coursesite/formpages.py).
        kept = kept_fields(request) if editable else {}
        form = RubricForm(
            initial={"overall_feedback": review.overall_feedback, **kept},
            criteria=criteria,
            scores=scores,
            disabled=not editable,
        )
        comment_form = LineCommentForm(initial=kept) if kept else None
        return _render_review(
            request, review, form, criteria, editable, released, comment_form=comment_form
        )
    # Nothing was saved: the page again, with what was typed and why (400, as other forms).
    return _render_review(request, review, form, criteria, editable, released, status=400)


@form_view(page("grading:review", "pk"))
def review_draft(request: HttpRequest, pk: int) -> JsonResponse:
    """Save the review form as a draft, as the page's script does while the grader types.

    Answers JSON for the script: what was saved and when, or why nothing was.
    """
    try:
        review = policy.get_or_refuse(
            request.user, policy.GRADE, selectors.reviews_with_context(), pk=pk
        )
    except Http404:  # deleted, or handed over where only its grader reads it
        return _draft_refused([services.NO_LONGER_GRADES], status=404)
    except PermissionDenied as refused:  # one who may read it, not grade it
        said = isinstance(refused, policy.RefusedInWords)  # their own group's
        return _draft_refused([str(refused) if said else ANOTHER_GRADERS], status=403)
    if request.content_type not in ("application/x-www-form-urlencoded", "multipart/form-data"):
        # Read as an empty form, a JSON or text body answered "saved" and saved nothing.
        errors = ["Nothing was saved: send the draft as the review form does (form fields)."]
        return JsonResponse({"saved": False, "errors": errors}, status=415)
    if not _arrived_whole(request.POST):
        return JsonResponse({"saved": False, "errors": [CUT_SHORT]}, status=400)
    criteria = selectors.rubric_criteria(review.group.assignment_id)
    form = RubricForm(request.POST, criteria=criteria, scores=review.scores.all(), keep_unsent=True)
    form, version, taken, clashes, changed_by = _caught_up(request, review, form)
    if clashes:
        error = (
            f"{changed_by}, and changed {form.labels(clashes)} too. Press “Save draft” to see both."
        )
        return JsonResponse({"saved": False, "errors": [error[0].upper() + error[1:]]}, status=409)
    removed = _removed_meanwhile(request.POST, criteria)
    if not form.is_valid():
        labels = {name: f"{field.label}: " for name, field in form.fields.items()}
        errors = [labels.get(name, "") + " ".join(found) for name, found in form.errors.items()]
        return JsonResponse(
            {"saved": False, "errors": [*errors, *([removed] if removed else [])]},
            status=400,
            encoder=_MarkupSafeJSONEncoder,
        )
    try:
        review = services.review_draft_save(
            review=review,
            by=request.user,
            scores=form.scores(),
            overall_feedback=form.cleaned_data["overall_feedback"],
            version=version,
            shown_version=_shown_version(request),
        )
    except ValidationError as exc:
        codes = {e.code for e in getattr(exc, "error_list", [])}
        if services.NOT_GRADING in codes:
            return _draft_refused(exc.messages, status=409)
        errors = exc.messages
        if services.NEWER_VERSION in codes:
            errors = [*errors, "Press “Save draft” to see the new version with what you typed."]
        return JsonResponse({"saved": False, "errors": errors}, status=409)
    now_saved = RubricForm(criteria=criteria, scores=review.scores.all())
    answer = {
        "saved": True,
        "at": f"{timezone.localtime(review.updated_at):%H:%M}",
        "version": services.draft_version(review),
        "total": f"{review.total:f}",
        # What the page shows as saved from now on (its shown_marks).
        "shown": {**now_saved.saved, "overall_feedback": review.overall_feedback},
    }
    notes = []
    if taken:
        # The other change, for the page to show: its next draft then keeps it.
        answer["merged"] = {name: answer["shown"][name] for name in taken}
        notes.append(
            f"Meanwhile {changed_by} ({form.labels(taken)}): that "
            "change is kept with yours, and shown here."
        )
    if removed:
        notes.append(removed)
    if notes:
        answer["note"] = " ".join(notes)
    # The text as typed goes back to the page: escaped as markup too (a reader of the
    # JSON that wrote it into HTML would run a <script> in it).
    return JsonResponse(answer, encoder=_MarkupSafeJSONEncoder)


class _MarkupSafeJSONEncoder(DjangoJSONEncoder):
    def encode(self, o) -> str:
        text = super().encode(o)
        return text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")


# Paragraphs kept, a run of empty lines as one (a gap in the message otherwise: probe 121).
_BLANK_LINES = re.compile(r"\n\s*\n(?:\s*\n)+")
_PARAGRAPH = "\n\n"


def _removed_meanwhile(post, criteria) -> str:
    """A sentence giving back what POST typed for criteria removed from the rubric while
    the page was open ("" if none): the save ignored it, and said "Nothing is lost"
    (probe 114)."""
    typed = _typed(post, {}, besides={criterion.pk for criterion in criteria})
    if not typed:
        return ""
    # Its paragraphs kept: the page and the autosave note show the text's line breaks.
    said = "; ".join(
        f"{label}: “{_BLANK_LINES.sub(_PARAGRAPH, text.strip())}”" for label, text in typed
    )
    return (
        "A criterion was removed from the rubric while this page was open, so what you "
        f"typed for it was not saved. Here it is, to copy: {said}."
    )


CUT_SHORT = (
    "Nothing was saved: the review form reached us without its fields (a connection cut "
    "short, or a page from elsewhere). Your saved marks are as they were; reload the page "
    "and save again."
)


def _arrived_whole(post) -> bool:
    """Whether POST holds the review form's overall feedback, which a browser always
    sends, last of its fields.

    Every field of the form may be empty, so a body that held none of them (empty, cut
    short, a multipart body that could not be read) was a valid form that cleared every
    mark and said "saved" (probe 112). A criterion's fields that are not sent are kept as
    saved (RubricForm's keep_unsent).
    """
    return "overall_feedback" in post


def _caught_up(request, review, form: RubricForm):
    """FORM, sent from a page older than REVIEW, merged with the change made since
    (RubricForm.caught_up). Return it, the version to save it over, the fields taken
    from the other change, those both changed, and who made the other change when."""
    version = request.POST.get("version", "")
    if not version or version == services.draft_version(review):
        return form, version, [], [], ""
    try:
        shown = json.loads(request.POST.get("shown_marks", ""))
    except ValueError:
        shown = None
    if not isinstance(shown, dict) or not all(isinstance(v, str) for v in shown.values()):
        return form, version, [], [], ""  # a page from before this: refused as stale
    shown.setdefault("overall_feedback", "")
    form.saved["overall_feedback"] = review.overall_feedback
    data, taken, clashes = form.caught_up(form.data, shown)
    merged = RubricForm(data, criteria=form.criteria, scores=())
    merged.saved = form.saved
    return merged, services.draft_version(review), taken, clashes, _changed_by(review, request.user)


def _changed_by(review, user) -> str:
    """Who saved REVIEW last and when, as "Ada Lovelace changed this review at 10:42"."""
    at = moment_text(review.updated_at)
    who = selectors.last_changed_by(review)
    if who is None or who.pk == user.pk:
        return f"you changed this review in another tab or window {at}"
    return f"{who.get_full_name()} changed this review {at}"


def _shown_version(request: HttpRequest) -> int | None:
    """The version of the group's work the grader's page showed, as its forms send it."""
    value = request.POST.get("shown_version", "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 10 else None


def _draft_refused(errors: list[str], *, status: int) -> JsonResponse:
    # "gone": the page's script stops saving and says that what was typed is still there.
    return JsonResponse({"saved": False, "errors": errors, "gone": True}, status=status)


def _review_url(review: Review, path: str | None, line: int | None = None) -> str:
    """The review page showing PATH, at LINE (grading/viewer.py's row ids): a grader who
    commented at line 300 of a file goes on from there (probe 61: from the top)."""
    url = _review_url_for(review.pk, path)
    return f"{url}#L{line}" if path and line else url


def _review_url_for(pk: int, path: str | None) -> str:
    url = reverse("grading:review", kwargs={"pk": pk})
    if path:
        url += "?" + urlencode({"path": path})
    return url


def _render_review(
    request,
    review,
    form,
    criteria,
    editable,
    released,
    status=200,
    *,
    path: str | None = None,
    comment_form: LineCommentForm | None = None,
    comment_error: str = "",
    comment_refused: Collection[str] = (),
    editing: tuple[int, str, str] | None = None,
):
    anonymous = _anonymous(review)
    submission = review.submission
    latest = submission
    if review.latest_version is not None and review.latest_version != submission.version:
        latest = next(iter(selectors.latest_version_of(group_id=review.group_id)), submission)
    if review.status == ReviewStatus.TODO:
        # Until grading starts the latest version is the one that will be graded.
        submission = latest
    # A version that came after grading started is not graded: show what it changed.
    newer = latest if latest.version > submission.version else None
    if path is None:
        path = request.GET.get("path", "")
    comments = selectors.line_comments_of(review_id=review.pk)
    viewer = archive_view(submission, path or None, comments)
    if comment_error in (LINE_TEXT, LINE_AND_COMMENT):
        comment_error = _line_number_error(viewer.file, comment=comment_error == LINE_AND_COMMENT)
    max_total = sum((c.max_points for c in criteria), Decimal(0))
    group = review.group
    assignment = group.assignment
    days = assignment.days_late(submission.submitted_at, group.deadline())
    members = [] if anonymous else [m.student for m in selectors.members_of(group_id=group.pk)]
    context = {
        "review": review,
        "submission": submission,
        "assignment": assignment,
        "label": review.group_label(anonymous=anonymous),
        "anonymous": anonymous,
        "members": members,
        "form": form,
        "criteria": criteria,
        "editable": editable,
        "released": released,
        # Why they may only read it, when it is not merely another grader's.
        "refusal": "" if editable else policy.refusal(request.user, policy.GRADE, review),
        "viewer": viewer,
        "path": path,
        "comment_form": comment_form or LineCommentForm(initial={"path": path}),
        # A line comment names the criterion it explains, if its grader chose one.
        "criterion_titles": {criterion.pk: criterion.title for criterion in criteria},
        "comment_error": comment_error,
        "comment_invalid": _comment_invalid(comment_form, comment_refused) if comment_error else (),
        "draft_version": services.draft_version(review),
        # What the review holds as this page is built: sent back with the form, to tell
        # what its grader changed if the review changes meanwhile (_caught_up).
        "shown_marks": json.dumps({**form.saved, "overall_feedback": review.overall_feedback}),
        "shown_version": submission.version,
        # A line comment whose edit was refused: (its id, the text typed, why).
        "editing": editing,
        "comment_max_length": COMMENT_MAX_LENGTH,
        "max_total": max_total,
        "days_late": days,
        "penalty": assignment.late_penalty_percent(days),
        "grade": group_grade(review, max_total=max_total) if review.is_completed else None,
        "regrades": selectors.regrades_of(review_id=review.pk) if review.has_regrades else [],
        "newer": newer,
        "diff": archive_diff(submission, newer) if newer is not None else None,
        # Once a review is done its grader moves on from here, not from the queue.
        "next_review": selectors.next_to_grade(request.user, review)
        if editable and review.is_completed
        else None,
    }
    if viewer.file is not None and viewer.file.error:
        status = 404
    shown = viewer.file
    if comment_error and (
        not editable or shown is None or shown.error or shown.is_binary or not shown.lines
    ):
        # The comment form is not on this page: say what went wrong above it instead.
        messages.error(request, comment_error)
    return render(request, "grading/review.html", context, status=status)


def _comment_invalid(form: LineCommentForm | None, refused: Collection[str]) -> set[str]:
    """Return the fields of a refused line comment's FORM that its error is about: those
    the form refused, and those the service's error names (REFUSED: its codes, a line
    past the end of the file)."""
    if form is None or not form.is_bound:
        return set()
    fields = ("line", "text", "criterion")
    return {name for name in fields if name in form.errors or name in refused}


# A line comment whose line number is missing or not a number of the file, with its
# text typed (LINE_TEXT) or without (LINE_AND_COMMENT): said with the file's lines.
LINE_TEXT = "line"
LINE_AND_COMMENT = "line and comment"


def _line_number_error(shown, *, comment: bool) -> str:
    """Say which line numbers SHOWN (the file commented on, as the viewer read it) takes."""
    if shown is None or shown.error or shown.is_binary or not shown.lines:
        lines = "Give a line number of this file"
    elif shown.truncated or shown.lines_truncated:
        # Lines past the part shown are taken: the viewer cannot tell where it ends.
        lines = "Give a line number of this file, from 1"
    else:
        lines = f"Give a line number from 1 to {len(shown.lines)} of this file"
    return lines + (", and a comment." if comment else ".")


@form_view(lambda request, pk: _review_url_for(pk, request.POST.get("path")))
@typed_back_when_refused
def line_comment_create(request: HttpRequest, pk: int) -> HttpResponse:
    review, can_edit = get_review_for_grader(request, pk)
    if not can_edit:
        raise PermissionDenied("Only the review's grader comments on it.")
    form = LineCommentForm(request.POST)
    path = request.POST.get("path", "")
    refused: set[str] = set()
    if form.is_valid():
        try:
            services.line_comment_add(
                review=review,
                by=request.user,
                path=form.cleaned_data["path"],
                line=form.cleaned_data["line"],
                text=form.cleaned_data["text"],
                shown_version=_shown_version(request),
                criterion_id=form.cleaned_data["criterion"],
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
            refused = {e.code for e in exc.error_list}  # check_line names the field at fault
            if services.NEWER_VERSION in refused:
                error += " This page now shows it: check the line, then add your comment again."
        else:
            line = form.cleaned_data["line"]
            messages.success(request, f"Comment added on line {line}.")
            return redirect(_review_url(review, path, line))
    elif "criterion" in form.errors and not ({"path", "line", "text"} & set(form.errors)):
        error = " ".join(form.errors["criterion"])  # not a number, or out of range
    elif (typed := request.POST.get("text", "").strip()) and "text" in form.errors:
        error = "Comment: " + " ".join(form.errors["text"])  # too long
    elif "line" in form.errors and "path" not in form.errors:
        # Which lines there are is known once the file is read (_render_review).
        error = LINE_TEXT if typed else LINE_AND_COMMENT
    elif "path" not in form.errors:
        error = "Write a comment before adding it."
    else:  # the file, which the page names itself: missing, over-long, or with a NUL
        error = (
            "This comment names no file of the version: open a file in the tree, then "
            "comment on one of its lines."
        )
    # The page again, with the comment as typed and what is wrong with it.
    return _review_page_refusing(
        request,
        review,
        path=path,
        comment_form=form,
        comment_error=error,
        comment_refused=refused,
    )


def _review_page_refusing(request: HttpRequest, review: Review, **shown) -> HttpResponse:
    """The review page again (400) after a line comment's form was refused, with the
    rubric as saved and what SHOWN holds (_render_review's path and comment forms)."""
    released = review.grades_released
    criteria = selectors.rubric_criteria(review.group.assignment_id)
    rubric_form = RubricForm(
        initial={"overall_feedback": review.overall_feedback},
        criteria=criteria,
        scores=review.scores.all(),
        disabled=released,
    )
    return _render_review(
        request, review, rubric_form, criteria, not released, released, status=400, **shown
    )


@form_view(page("grading:grader_queue"), keep=False)
def line_comment_edit(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        comment = policy.get_or_refuse(
            request.user, policy.VIEW, LineComment.objects, roles=STAFF_ROLES, pk=pk
        )
    except Http404:
        return _edited_comment_gone(request)
    policy.require(request.user, policy.GRADE, comment)
    review, _can_edit = get_review_for_grader(request, comment.review_id)
    form = LineCommentEditForm(request.POST)
    if form.is_valid():
        try:
            services.line_comment_edit(
                comment=comment, by=request.user, text=form.cleaned_data["text"]
            )
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"Comment on line {comment.line} updated.")
            return redirect(_review_url(review, comment.path, comment.line))
    else:
        error = " ".join(form.errors["text"])
    # The page again, the comment's form open with what was typed and why it was refused.
    messages.error(request, f"The comment on line {comment.line} was not changed: {error}")
    editing = (comment.pk, request.POST.get("text", ""), error)
    return _review_page_refusing(request, review, path=comment.path, editing=editing)


def _edited_comment_gone(request: HttpRequest) -> HttpResponse:
    """The review page, the edit of a comment removed meanwhile in its comment form, to
    add again (probe 37: "Page not found", the text lost). Only for the review's grader:
    to anyone else the comment is as absent as any other."""
    review_id = parse_id(request.POST.get("review", ""))
    if review_id is None:
        raise Http404("No such comment.")
    review, can_edit = get_review_for_grader(request, review_id)
    if not can_edit or review.grades_released:
        raise Http404("No such comment.")
    form = LineCommentForm(
        initial={key: request.POST.get(key, "") for key in ("path", "line", "text", "criterion")}
    )
    messages.error(
        request,
        "Your change was not saved: that comment was removed meanwhile. Your text is in the "
        "comment form below: add it again if it still applies.",
    )
    return _review_page_refusing(
        request, review, path=request.POST.get("path", ""), comment_form=form
    )


@form_view(page("grading:grader_queue"), keep=False)
def line_comment_delete(request: HttpRequest, pk: int) -> HttpResponse:
    comment = policy.get_or_refuse(
        request.user, policy.VIEW, LineComment.objects, roles=STAFF_ROLES, pk=pk
    )
    policy.require(request.user, policy.GRADE, comment)
    review = comment.review
    try:
        services.line_comment_delete(comment=comment, by=request.user)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, "Comment removed.")
    return redirect(_review_url(review, comment.path, comment.line))


@require_safe
@login_required
def regrade_list(request: HttpRequest) -> HttpResponse:
    _require_grader(request.user)
    regrades = (
        _regrades_seen_by(request.user)
        .select_related(
            "criterion",
            "review__group__assignment__rubric",
            "review__group__assignment__course",  # named with its term: runs share titles
            "answered_by",
            "review__grader",
        )
        # Who spoke last in its thread: None without messages.
        .annotate(
            # A grader removed from the course, or whose account is deactivated, answers
            # no more: its teachers must (probe 95), as its email tells them (probe 97).
            grader_left=~Exists(
                Enrollment.objects.filter(
                    user=OuterRef("review__grader"),
                    user__is_active=True,
                    course=OuterRef("review__group__assignment__course"),
                    role__in=STAFF_ROLES,
                )
            ),
            last_from_staff=Subquery(
                RegradeMessage.objects.filter(regrade=OuterRef("pk"))
                .order_by("-created_at", "-pk")
                .values("from_staff")[:1]
            ),
        )
        # Open ones first (probe 82: "accepted" sorted above "open").
        .order_by(Case(When(status=RegradeStatus.OPEN, then=0), default=1), "-created_at")
    )
    # ?project=: one project's requests (the instructor's "Waiting for you" links there);
    # another course's id finds none of the requests this person sees.
    project = parse_id(request.GET.get("project", ""))
    if project is not None:
        regrades = regrades.filter(review__group__assignment_id=project)
    rows = [(r, r.review.group_label(anonymous=_anonymous(r.review))) for r in regrades]
    answerable = set(
        _regrades_answerable_by(request.user)
        .filter(pk__in=[r.pk for r, _ in rows if r.status == RegradeStatus.OPEN])
        .values_list("pk", flat=True)
    )
    return render(
        request,
        "grading/regrade_list.html",
        {
            "rows": rows,
            "answerable": answerable,
            "filtered": project is not None,
            # Named even without requests (probe 114), if the person grades in its course.
            "project": rows[0][0].review.group.assignment
            if rows
            else _project_graded_by(request.user, project),
        },
    )


def _project_graded_by(user: User, pk: int | None) -> ProjectAssignment | None:
    if pk is None:
        return None
    projects = ProjectAssignment.objects.select_related("course").filter(pk=pk)
    return policy.scope(user, policy.GRADE, projects, roles=STAFF_ROLES).first()


@form_view()
def regrade_answer(request: HttpRequest, pk: int) -> HttpResponse:
    regrade = policy.get_or_refuse(
        request.user,
        policy.VIEW,
        RegradeRequest.objects.select_related("criterion"),
        roles=STAFF_ROLES,
        pk=pk,
    )
    review, can_edit = get_review_for_grader(request, regrade.review_id)
    # An answer typed as the session ended comes back once its grader has logged in again
    # (only to someone who may still answer, and only while the request is open).
    answerable = can_edit and regrade.status == RegradeStatus.OPEN
    form = RegradeAnswerForm(
        request.POST if request.method == "POST" else None,
        initial=kept_fields(request) if answerable else None,
        max_points=regrade.criterion.max_points,
    )
    if request.method == "POST":
        if not can_edit:
            reason = policy.refusal(request.user, policy.GRADE, review)  # their own group's
            raise policy.RefusedInWords(
                reason or "Only the review's grader or an instructor answers."
            )
        if form.is_valid():
            accept = form.cleaned_data["decision"] == "accept"
            try:
                services.regrade_answer(
                    regrade=regrade,
                    by=request.user,
                    accept=accept,
                    new_points=form.cleaned_data["new_points"],
                    response=form.cleaned_data["response"],
                )
            except ValidationError as exc:
                if getattr(exc, "code", None) == services.ANSWERED_BY_YOU:  # a double click
                    messages.info(request, " ".join(exc.messages))
                    return redirect("grading:regrade_list")
                if hasattr(exc, "error_dict"):  # by the field to change, which is kept
                    form.add_error(None, exc)
                # As the form's own refusals say it: nothing was saved.
                messages.error(request, "Nothing was sent. " + " ".join(exc.messages))
            else:
                label = review.group_label(anonymous=_anonymous(review))
                about = f"the regrade of “{regrade.criterion.title}” for {label}"
                messages.success(
                    request,
                    f"Accepted {about}: the score is updated."
                    if accept
                    else f"Declined {about}: the group reads your reason on their feedback page.",
                )
                return redirect("grading:regrade_list")
        else:
            messages.error(request, f"Nothing was sent. {form.error_text()}")
    score = review.scores.filter(criterion=regrade.criterion).first()
    return render(
        request,
        "grading/regrade_answer.html",
        {
            "regrade": regrade,
            "review": review,
            "label": review.group_label(anonymous=_anonymous(review)),
            "score": score,
            "form": form,
            "can_edit": can_edit and regrade.status == RegradeStatus.OPEN,
            "refusal": "" if can_edit else policy.refusal(request.user, policy.GRADE, review),
            "thread": regrade.messages.select_related("author"),
            "message_form": RegradeMessageForm(to_group=True) if answerable else None,
            "history": review.regrade_requests.select_related("criterion", "answered_by"),
        },
    )


# Each regrade request's messages, with their authors, in one query for a page.
THREADS = Prefetch("messages", RegradeMessage.objects.select_related("author"))


def _regrade_page(request: HttpRequest, pk: int) -> str:
    """The page of regrade PK's thread for its reader: the grader's answer page, or the
    group's feedback page; to anyone else, the request's page, which refuses them."""
    readable = policy.scope(
        request.user, policy.VIEW, RegradeRequest.objects.select_related("review")
    )
    regrade = readable.filter(pk=pk).first()
    if regrade is None:  # its own page, which refuses them as any row outside their courses
        return reverse("grading:regrade_answer", kwargs={"pk": pk})
    # Its graders and teachers, also a grader who may read it only (rubric open to all).
    if policy.can(request.user, policy.VIEW, regrade, roles=STAFF_ROLES):
        return reverse("grading:regrade_answer", kwargs={"pk": pk})
    feedback = reverse("grading:feedback", kwargs={"pk": regrade.review.submission_id})
    return f"{feedback}#regrade-{pk}"


# Not kept across a login: a page may hold several threads' boxes.
@form_view(_regrade_page, keep=False)
def regrade_message(request: HttpRequest, pk: int) -> HttpResponse:
    regrade = policy.get_or_refuse(
        request.user, policy.VIEW, RegradeRequest.objects.select_related("review"), pk=pk
    )
    form = RegradeMessageForm(request.POST)
    if not form.is_valid():
        messages.error(request, f"Nothing was sent. {form.error_text()}")
        return redirect(_regrade_page(request, pk))
    try:
        message = services.regrade_message_add(
            regrade=regrade, by=request.user, text=form.cleaned_data["text"]
        )
    except ValidationError as exc:
        messages.error(request, "Nothing was sent. " + " ".join(exc.messages))
        return redirect(_regrade_page(request, pk))
    if message.from_staff:
        messages.success(request, "Sent to the group. The request stays open for your answer.")
    else:
        # Whoever answers it reads it (the grader, or the instructors if they left).
        messages.success(request, "Sent with your request: it is read before it is answered.")
    return redirect(_regrade_page(request, pk))


# Instructor pages


@require_safe
@login_required
def assignment_overview(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _get_assignment_for_instructor(request, pk)
    rubric = services.rubric_for(assignment)
    shown = _overview_query(request.GET)
    search, state = shown.get("q", ""), shown.get("state", "")
    # A page of groups at a time (probe 50: 1,250 groups and 5,000 override forms made
    # a 5.6 MB page), found by a group's or a member's name.
    matching = (
        selectors.groups_of_project(assignment.pk, search=search, state=state)
        .select_related("review__grader", "review__submission", "extension")
        .prefetch_related(
            Prefetch("memberships", queryset=GroupMembership.objects.select_related("student"))
        )
        .annotate(submission_count=Count("submissions", distinct=True))
    )
    groups_page = Paginator(matching, GROUPS_PAGE_SIZE).get_page(page_number(shown.get("page")))
    groups = list(groups_page.object_list)
    member_ids = [m.student_id for group in groups for m in group.memberships.all()]
    # Deadline passed: students in no group of the project, whose missing work may count
    # as 0, can have their mark overridden here too (probe 32: nowhere could it be).
    # Before it, they may still join one (and a course's whole roster would list).
    loners_page = None
    if timezone.now() > assignment.due_at:
        loners = selectors.students_of_project_in_no_group(assignment, search=search)
        loners_page = Paginator(loners, STUDENTS_PAGE_SIZE).get_page(
            page_number(shown.get("alone"))
        )
    loner_list = list(loners_page.object_list) if loners_page else []
    marks = assignment_marks(
        [assignment.pk], student_ids=member_ids + [student.pk for student in loner_list]
    )
    # Members no longer students of the course stay in their group (their work was the
    # group's), marked as such: the gradebook, feedback and emails leave them out.
    enrolled = set(
        Enrollment.objects.filter(
            course_id=assignment.course_id, role=Role.STUDENT, user_id__in=member_ids
        ).values_list("user_id", flat=True)
    )
    rows = []
    for group in groups:
        members = [
            (
                m.student,
                marks.get(assignment.pk, m.student_id) or StudentMark(m.student_id, 0, None),
                m.student_id not in enrolled,
            )
            for m in group.memberships.all()
        ]
        rows.append((group, getattr(group, "review", None), members))
    # Nobody sets their own group's marks (probe 119: its rows offered the form).
    own_group = {
        student.pk
        for _group, _review, members in rows
        if any(student.pk == request.user.pk for student, _, _ in members)
        for student, _, _ in members
    }
    peer = selectors.peer_raters([group.pk for group in groups]) if rubric.peer_evaluation else {}
    release = GradeRelease.objects.filter(assignment=assignment).first()
    # A refused override comes back in its student's row, as typed.
    kept = kept_fields(request)
    return render(
        request,
        "grading/assignment.html",
        {
            "assignment": assignment,
            "rubric": rubric,
            "rows": rows,
            # Per group: (members whose peer ratings count, members counted), if any.
            "peer": peer,
            "groups_page": groups_page,
            "loners": [
                (student, marks.get(assignment.pk, student.pk) or _no_mark(student.pk))
                for student in loner_list
            ],
            "loners_page": loners_page,
            "search": search,
            "state": state,
            "states": selectors.GROUP_STATES,
            "shown": shown,
            "page_link": lambda **changed: _overview_link(shown, **changed),
            "closing": len(services.groups_closed_by_round_robin(assignment)),
            "release": release,
            "override_form": MarkOverrideForm(),
            "own_group": own_group | {request.user.pk},
            "kept_override": kept if isinstance(kept.get("student"), str) else {},
            "reason_max_length": REASON_MAX_LENGTH,
            "override_state": services.override_state,
        },
    )


# Groups and students in no group per page of a project's grading page.
GROUPS_PAGE_SIZE = 50
STUDENTS_PAGE_SIZE = 100


def _overview_query(source) -> dict[str, str]:
    """Return what the grading page shows from SOURCE (its query string, or an override
    form's copy of it): the search, the groups' state and both page numbers, only those
    set and valid, in a fixed order (the page's address, which kept fields are found by)."""
    search = search_text(source.get("q"))
    state = source.get("state", "")
    shown = {
        "q": search,
        "state": state if state in dict(selectors.GROUP_STATES) else "",
        "page": source.get("page", ""),
        "alone": source.get("alone", ""),
    }
    for number in ("page", "alone"):
        value = shown[number]
        shown[number] = value if is_whole_number(value) and len(value) <= 100 else ""
    return {name: value for name, value in shown.items() if value}


def _overview_link(shown: dict[str, str], **changed) -> str:
    """Return the grading page's query string showing SHOWN with CHANGED (None: unset)."""
    query = {**shown, **changed}
    return "?" + urlencode({name: value for name, value in query.items() if value})


def _overview_url(assignment: ProjectAssignment, shown: dict[str, str]) -> str:
    url = reverse("grading:assignment_grading", kwargs={"pk": assignment.pk})
    return url + _overview_link(shown) if shown else url


def _no_mark(student_id: int) -> StudentMark:
    return StudentMark(student_id=student_id, group_id=0, grade=None)


@form_view(page("grading:assignment_grading", "pk"), keep=False)
def assign_graders(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _get_assignment_for_instructor(request, pk)
    try:
        created = services.graders_assign_round_robin(
            assignment=assignment,
            by=request.user,
            close_hand_in=request.POST.get("close_open_groups") == "1",
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        waiting = services.graders_waiting_note(assignment)
        left = services.groups_left_to_teachers_note(assignment)
        if created:
            said = f"{len(created)} submission(s) assigned to graders.{waiting}{left}"
            messages.success(request, said)
        elif left:
            messages.warning(request, f"Nothing was assigned.{left}")
        else:
            messages.info(request, "Every submission already has a grader.")
    # Back where the button was pressed (probe 82: the hub's sent to another page).
    if request.POST.get("from") == "hub":
        return redirect("grading:assignment_hub", pk=assignment.pk)
    return redirect("grading:assignment_grading", pk=assignment.pk)


@require_safe
@login_required
def assignment_hub(request: HttpRequest, pk: int) -> HttpResponse:
    """One page per assignment for its instructors: every link, count and action."""
    assignments = ProjectAssignment.objects.select_related(
        "course", "rubric", "grade_release__released_by"
    )
    assignment = policy.get_or_refuse(request.user, policy.TEACH, assignments, pk=pk)
    release = getattr(assignment, "grade_release", None)
    counts = hub_counts(assignment, released_at=release.released_at if release else None)
    rubric = getattr(assignment, "rubric", None)
    return render(
        request,
        "grading/hub.html",
        {
            "assignment": assignment,
            "course": assignment.course,
            "rubric": rubric,
            "release": release,
            "counts": counts,
            "graders": grader_loads(assignment),
            "other_reviewers": other_reviewer_loads(assignment),
            "closing": 0 if release else len(services.groups_closed_by_round_robin(assignment)),
            "consistency": grader_consistency(assignment) if rubric else None,
            "drift_points": DRIFT_POINTS,
            "drift_min_reviews": DRIFT_MIN_REVIEWS,
            # Once released every review is completed: nothing left to reassign.
            "stranded": [] if release else stranded_reviews(assignment),
            # A refused choice comes back chosen (probe 82: the form came back empty).
            "reassign_form": GraderReassignForm(
                assignment=assignment,
                initial={
                    name: value
                    for name in ("group", "grader")
                    if (value := parse_id(request.GET.get(name, ""))) is not None
                },
            ),
            "release_form": _release_form(assignment, never_submitted=counts.never_submitted),
            **_peer_warnings(assignment, released=release is not None),
        },
    )


@form_view(page("grading:assignment_hub", "pk"), keep=False)
def hub_reassign(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _get_assignment_for_instructor(request, pk)
    form = GraderReassignForm(request.POST, assignment=assignment)
    if not form.is_valid():
        messages.error(request, form.error_text())
        return redirect("grading:assignment_hub", pk=assignment.pk)
    group, grader = form.cleaned_data["group"], form.cleaned_data["grader"]
    try:
        services.grader_assign(
            group=group,
            grader=grader,
            by=request.user,
            close_hand_in=form.cleaned_data.get("close_hand_in", False),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        hub = reverse("grading:assignment_hub", kwargs={"pk": assignment.pk})
        return redirect(f"{hub}?group={group.pk}&grader={grader.pk}#reassign-form")
    else:
        messages.success(request, f"{group} is now graded by {grader}.")
    return redirect("grading:assignment_hub", pk=assignment.pk)


def _never_submitted(assignment: ProjectAssignment) -> list[str]:
    return list(
        Group.objects.filter(assignment=assignment, submissions__isnull=True)
        .order_by("name")
        .values_list("name", flat=True)
    )


def _release_form(assignment: ProjectAssignment, data=None, *, never_submitted) -> ReleaseForm:
    """The release's form, asking to confirm what it ends: the groups that never
    submitted and, before the deadline, the project itself."""
    if timezone.now() >= assignment.due_at:
        return ReleaseForm(data, never_submitted=never_submitted)
    without_group = (
        Enrollment.objects.filter(course_id=assignment.course_id, role=Role.STUDENT)
        .exclude(user__group_memberships__assignment=assignment)
        .count()
    )
    return ReleaseForm(
        data,
        never_submitted=never_submitted,
        due_later=local_text(assignment.due_at),
        without_group=without_group,
    )


def _peer_warnings(
    assignment: ProjectAssignment, *, released: bool = False
) -> dict[str, list[str]]:
    """What a release would cut short in ASSIGNMENT's peer evaluation, by group name:
    ``peer_not_open``, the groups whose deadline (extended) is later, so their members
    could not rate yet; ``peer_partly_rated``, those past it where not every member
    rated (their factors rest on fewer opinions, scaled up by WebPA, or are all 1)."""
    rubric = getattr(assignment, "rubric", None)  # a reverse one-to-one: may be absent
    if released or rubric is None or not rubric.peer_evaluation:
        return {"peer_not_open": [], "peer_partly_rated": []}
    now = timezone.now()
    groups = Group.objects.filter(assignment=assignment).select_related("extension", "assignment")
    not_open, rating_open = [], {}
    for group in groups:
        if group.deadline() > now:
            not_open.append(group.name)
        else:
            rating_open[group.pk] = group.name
    partly_rated = [
        rating_open[group_id]
        for group_id, (raters, members) in selectors.peer_raters(list(rating_open)).items()
        if len(members) > 1 and len(raters) < len(members)
    ]
    return {"peer_not_open": sorted(not_open), "peer_partly_rated": sorted(partly_rated)}


@form_view(keep=False)
def release_grades(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _get_assignment_for_instructor(request, pk)
    never_submitted = _never_submitted(assignment)
    form = _release_form(assignment, request.POST or None, never_submitted=never_submitted)
    if request.method == "POST" and form.is_valid():
        try:
            services.grades_release(
                assignment=assignment, by=request.user, base_url=_base_url(request)
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, f"Grades of {assignment} released; students are being emailed."
            )
            if request.POST.get("from") == "hub":
                return redirect("grading:assignment_hub", pk=assignment.pk)
            return redirect("grading:assignment_grading", pk=assignment.pk)
    reviews = Review.objects.filter(group__assignment=assignment)
    return render(
        request,
        "grading/release.html",
        {
            "assignment": assignment,
            "form": form,
            "release": GradeRelease.objects.filter(assignment=assignment).first(),
            "completed": reviews.filter(status=ReviewStatus.COMPLETED).count(),
            "pending": services.students_without_review(assignment),
            "never_submitted": never_submitted,
            **_peer_warnings(assignment),
        },
    )


@form_view(page("grading:assignment_grading", "pk"), keep=False)
def override_mark(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = _get_assignment_for_instructor(request, pk)
    clear = "clear" in request.POST
    form = MarkOverrideForm(request.POST, assignment=assignment, clear=clear)
    # Back to the page, search and state the form was sent from.
    overview = _overview_url(assignment, _overview_query(request.POST))
    if not form.is_valid():
        messages.error(request, " ".join(form.error_messages_text()))
        keep_refused(request, overview)
        return redirect(overview)
    student = form.cleaned_data["student"]
    if not form.cleaned_data["seen"]:
        # The page always sends the override it showed: without it, another teacher's
        # mark set meanwhile would be replaced unseen (the API's `replaces` is optional).
        messages.error(
            request,
            "Nothing was saved: this form is out of date. Check the student's mark below, "
            "then send yours again.",
        )
        keep_refused(request, overview)
        return redirect(overview)
    seen = form.cleaned_data["seen"]
    if clear:
        try:
            cleared = services.mark_override_clear(
                assignment=assignment, student=student, by=request.user, seen=seen
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            if cleared:
                messages.success(request, f"{student}'s computed mark applies again.")
            else:  # cleared meanwhile, in another tab, with the same state seen
                messages.info(request, f"{student} has no override: the computed mark applies.")
    else:
        try:
            services.mark_override(
                assignment=assignment,
                student=student,
                mark=form.cleaned_data["mark"],
                reason=form.cleaned_data["reason"],
                by=request.user,
                seen=seen,
            )
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
            if exc.messages != [policy.OWN_GROUP]:  # nothing typed would do: not kept
                keep_refused(request, overview)
        else:
            # Fixed-point: "1e2" typed is 100, not "1E+2", in the message.
            mark = form.cleaned_data["mark"]
            # As the marks table writes it (two decimals): "55.50%", not "55.5%".
            messages.success(request, f"{student}'s mark is now {mark:.2f}%.")
    return redirect(overview)


@require_safe
@login_required
def gradebook(request: HttpRequest, slug: str) -> HttpResponse:
    course = _get_course_for_instructor(request, slug=slug)
    sort = request.GET.get("sort", "name")
    book, page = gradebook_page(
        course, sort=sort, number=request.GET.get("page"), per_page=GRADEBOOK_PAGE_SIZE
    )
    # Clicking a column sorts by it, best marks first; clicking again flips the order.
    columns = [(a, f"p{a.pk}" if sort == f"-p{a.pk}" else f"-p{a.pk}") for a in book.assignments]
    return render(
        request,
        "grading/gradebook.html",
        {"book": book, "page": page, "sort": sort, "course": course, "columns": columns},
    )


@require_safe
@login_required
def gradebook_csv(request: HttpRequest, slug: str) -> HttpResponse:
    course = _get_course_for_instructor(request, slug=slug)
    assignments, books = gradebook_chunks(course, sort=request.GET.get("sort", "name"))
    # Streamed: the rows are read and sent a chunk of students at a time, so the export
    # of a course of 10,000 never holds the whole gradebook (or the whole file) at once.
    return CsvStreamingResponse(
        f"gradebook-{course.slug}.csv", _gradebook_csv_rows(assignments, books)
    )


def _gradebook_csv_rows(assignments, books) -> Iterator[list]:
    # A project not released yet says so in its heading, as the gradebook page's does
    # (probe 47: the file, "ready for the registry", gave no sign of it); so does the
    # total that counts it (probe 125).
    unreleased = any(not a.released for a in assignments)
    yield (
        ["Student", "Username", "Email"]
        # Numbers only; why each is what it is in the state columns (probe 125).
        + [f"{a.title} (%)" if a.released else f"{a.title} (not released, %)" for a in assignments]
        + [
            "Weighted total (%, marks not released included)"
            if unreleased
            else "Weighted total (%)",
            "Lesson progress (%)",
        ]
        + [f"{a.title} (state)" for a in assignments]
        + [f"{a.title} (graded version)" for a in assignments]
        # A mark an instructor set by hand, with why (probe 88: read as computed).
        + [f"{a.title} (set by hand: reason)" for a in assignments]
    )
    for book in books:
        graded = _graded_versions(assignments, [row.student_id for row in book.rows])
        for row in book.rows:
            yield (
                [row.name, row.username, row.email]
                + [cell.number for cell in row.cells]
                + [row.total_text, row.progress_text]
                + [cell.state_text for cell in row.cells]
                + [graded.get((a.pk, row.student_id), "") for a in assignments]
                + [cell.override_reason or "" for cell in row.cells]
            )


def _graded_versions(assignments, student_ids) -> dict[tuple[int, int], int]:
    """Return {(assignment id, student id): version graded} of completed reviews, one query."""
    rows = GroupMembership.objects.filter(
        assignment__in=[a.pk for a in assignments],
        student_id__in=student_ids,
        group__review__status=ReviewStatus.COMPLETED,
    ).values_list("assignment_id", "student_id", "group__review__submission__version")
    return {(assignment_id, student_id): version for assignment_id, student_id, version in rows}


# Student pages


def _get_feedback(request: HttpRequest, pk: int) -> tuple[Review, bool]:
    """Return the completed review of submission PK and whether the reader is a member.

    Members read it once released, the course's instructors at any time; for anyone
    else it does not exist.
    """
    reviews = policy.scope(
        request.user,
        policy.VIEW,
        selectors.reviews_with_context().filter(status=ReviewStatus.COMPLETED),
        roles=MEMBER_OR_TEACHER,
    )
    review = reviews.filter(submission_id=pk).first()
    if review is None:  # a member since made a grader reads their own (probe 124)
        own = selectors.feedback_of(user=request.user)
        review = next((row for row in own if row.submission_id == pk), None)
        if review is None:
            raise Http404("No such feedback.")
    course_id = review.group.assignment.course_id
    return review, policy.role_in(request.user, course_id) == Role.STUDENT


@require_safe
@login_required
def feedback_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    # The user's own groups (superusers may read every feedback, but this is "mine").
    reviews = selectors.feedback_of(user=user)
    open_groups = [
        m.group
        for m in selectors.peer_memberships_of(user=user)
        if services.peer_evaluation_open(m.group)
    ]
    # As on the dashboard's to-do list: a group whose every member the student has rated
    # is done (its ratings may still be changed, from a quieter line).
    unrated = set(
        Group.objects.filter(
            selectors.has_member_unrated_by(user, "pk"), pk__in=[g.pk for g in open_groups]
        ).values_list("pk", flat=True)
        if open_groups
        else ()
    )
    # Each project's mark beside its name, as the feedback page shows it; and the marks
    # with no feedback to read (an instructor's override of a student in no group, or of
    # a group that handed nothing in): they were in the gradebook and the API only.
    reviews = list(reviews)
    reviewed = {review.group.assignment_id for review in reviews}
    marks = assignment_marks(reviewed, student_ids=[user.pk])
    overrides = list(selectors.released_overrides_of(user=user))
    listed = reviewed | {override.assignment_id for override in overrides}
    grades = grades_of(user)
    # Released projects with no work of theirs graded, and no override: said, for they
    # read "No released feedback yet … an email" while the gradebook said "missing"
    # (probe 118). With whether they were in a group of it.
    without_work = [
        (project, in_a_group, cell.state == CellState.PENDING)
        for course in grades
        for project, cell, in_a_group in course.rows
        if cell is not None and cell.mark is None and project.pk not in listed
    ]
    return render(
        request,
        "grading/feedback_list.html",
        {
            "reviews": [(r, marks.get(r.group.assignment_id, user.pk)) for r in reviews],
            "marks_without_feedback": [o for o in overrides if o.assignment_id not in reviewed],
            "released_without_work": without_work,
            "grades": [course for course in grades if course.released_count],
            "peer_open": [g for g in open_groups if g.pk in unrated],
            "peer_rated": [g for g in open_groups if g.pk not in unrated],
        },
    )


@require_safe
@login_required
def feedback(request: HttpRequest, pk: int) -> HttpResponse:
    review, as_member = _get_feedback(request, pk)
    if as_member:  # it leaves the student's to-do list, with the regrade answers read
        feedback_mark_viewed(review=review, student=request.user)
    return _render_feedback(request, review, as_member)


def _render_feedback(
    request: HttpRequest,
    review: Review,
    as_member: bool,
    *,
    regrade_form: RegradeRequestForm | None = None,
    status: int = 200,
) -> HttpResponse:
    """The feedback page of REVIEW; REGRADE_FORM, if given, is a refused regrade request."""
    assignment = review.group.assignment
    criteria = selectors.rubric_criteria(assignment.pk)
    scores = {s.criterion_id: s for s in review.scores.all()}
    # The reader's mark only, not the whole class's (their group is read whole).
    marks = assignment_marks([assignment.pk], student_ids=[request.user.pk])
    mine = marks.get(assignment.pk, request.user.pk) if as_member else None
    path = request.GET.get("path", "")
    line_comments = sorted(review.line_comments.all(), key=lambda c: (c.path, c.line, c.pk))
    viewer = archive_view(review.submission, path or None, line_comments)
    closes = services.regrade_window_closes(assignment)
    can_request = as_member and closes is not None and timezone.now() <= closes
    regradable = _regradable(review) if can_request else None
    all_waiting = can_request and not regradable.exists()
    unsent = ""
    if regrade_form is not None:  # refused: said above too (the form may be gone meanwhile)
        errors = (e for field_errors in regrade_form.errors.values() for e in field_errors)
        messages.error(request, "Nothing was sent. " + " ".join(errors))
        if not can_request or all_waiting:
            # No form to put it back in (closed meanwhile, or every criterion asked by a
            # teammate): the reason typed is shown to copy, not lost.
            unsent = regrade_form.data.get("reason", "")
    elif can_request:
        regrade_form = RegradeRequestForm(initial=kept_fields(request), criteria=regradable)
    max_total = sum((c.max_points for c in criteria), Decimal(0))
    # Whose ratings the reader's factor rests on, as the instructor's marks page says
    # (probe 90: a factor from one member's ratings read as the group's judgement).
    raters = None
    if mine is not None and mine.factor is not None:
        rated, members = selectors.peer_raters([review.group_id]).get(
            review.group_id, (set(), set())
        )
        raters = (len(rated), len(members), request.user.pk in rated)
    latest = review.group.submissions.order_by("-version").values_list("version", flat=True)
    newer_version = next(iter(latest[:1]), None)
    regrades = list(
        review.regrade_requests.select_related("criterion", "requested_by").prefetch_related(
            THREADS
        )
    )
    # A criterion's score changed by an accepted request (the last one) says so beside it:
    # its comment is the grader's from before (probe 118: "36 / 40" beside a comment
    # saying what cost the points, the 28 it was nowhere).
    regraded = {
        r.criterion_id: r
        for r in sorted(regrades, key=lambda r: (r.answered_at or r.created_at, r.pk))
        if r.status == RegradeStatus.ACCEPTED
    }
    return render(
        request,
        "grading/feedback.html",
        {
            "review": review,
            "assignment": assignment,
            # The level chosen is named: "Good: handles the main cases" says what 7 does not.
            "rows": [
                (c, score, c.level_scored(score.points if score else None))
                for c in criteria
                for score in [scores.get(c.pk)]
            ],
            "grade": group_grade(review, max_total=max_total),
            "mine": mine,
            "raters": raters,
            "rubric": marks.rubrics.get(assignment.pk),
            "viewer": viewer,
            "line_comments": line_comments,
            "criterion_titles": {criterion.pk: criterion.title for criterion in criteria},
            "path": path,
            "as_member": as_member,
            "released": closes is not None,
            "regrades": regrades,
            "regraded": regraded,
            "regrade_text_max": REGRADE_TEXT_MAX_LENGTH,
            "regrade_form": regrade_form if can_request else None,
            "regrade_closes": closes,
            "regrades_all_waiting": all_waiting,
            "unsent_reason": unsent,
            "newer_version": newer_version
            if newer_version and newer_version > review.submission.version
            else None,
        },
        status=status,
    )


@form_view(page("grading:feedback", "pk"))
def regrade_request(request: HttpRequest, pk: int) -> HttpResponse:
    review, as_member = _get_feedback(request, pk)
    # Members of the group, still students of the course: not its instructors.
    policy.require(request.user, policy.VIEW, review, roles=policy.STUDENTS)
    waiting = dict(
        review.regrade_requests.filter(status=RegradeStatus.OPEN).values_list(
            "criterion_id", "criterion__title"
        )
    )
    if sent := _regrade_just_sent(review, request):
        # A double click: the first was saved, and "Nothing was sent" said of it (probe 98).
        messages.info(
            request,
            f"Your regrade request of “{sent}” was sent a moment ago: it waits for an answer.",
        )
        return redirect("grading:feedback", pk=pk)
    form = RegradeRequestForm(request.POST, criteria=_regradable(review), waiting=waiting)
    if form.is_valid():
        try:
            services.regrade_request_create(
                review=review,
                criterion=form.cleaned_data["criterion"],
                student=request.user,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            form.add_error(None, " ".join(exc.messages))
        else:
            messages.success(request, "Regrade requested. You will see the answer here.")
            return redirect("grading:feedback", pk=pk)
    # Refused: the page again (400), the form as typed with each error at its field.
    return _render_feedback(request, review, as_member, regrade_form=form, status=400)


def _regrade_just_sent(review: Review, request: HttpRequest) -> str:
    """The criterion's title if REQUEST is the same regrade request as one its sender
    made in the last two minutes, still open (sent again); "" otherwise."""
    criterion_id = parse_id(request.POST.get("criterion", ""))
    reason = request.POST.get("reason", "").strip()
    # Only a text a request could hold is looked for: PostgreSQL refuses a NUL even in a
    # query (the hostile-forms test), and the form says what is wrong with it.
    if criterion_id is None or "\x00" in reason or len(reason) > REGRADE_TEXT_MAX_LENGTH:
        return ""
    same = review.regrade_requests.filter(
        criterion_id=criterion_id,
        requested_by=request.user,
        status=RegradeStatus.OPEN,
        reason=reason,
        created_at__gte=timezone.now() - timedelta(minutes=2),
    )
    return same.values_list("criterion__title", flat=True).first() or ""


def _peer_closed_reason(group: Group) -> str:
    """Say why GROUP's members cannot rate each other now."""
    rubric = getattr(group.assignment, "rubric", None)
    if rubric is None or not rubric.peer_evaluation:
        return "This project has no peer evaluation."
    if services.is_released(group.assignment):
        return "Peer evaluation closed when the grades were released."
    return f"Peer evaluation opens after your group's deadline, {local_text(group.deadline())}."


def _regradable(review: Review):
    """The criteria of REVIEW a regrade may be asked for: not one already waiting."""
    waiting = review.regrade_requests.filter(status=RegradeStatus.OPEN).values("criterion")
    return Criterion.objects.filter(rubric__assignment_id=review.group.assignment_id).exclude(
        pk__in=waiting
    )


@form_view()
def peer_evaluation(request: HttpRequest, pk: int) -> HttpResponse:
    """Let a member rate every member of their group (pk: the group)."""
    groups = policy.scope(request.user, policy.CHANGE, Group.objects)
    group = get_object_or_404(groups.select_related("assignment__rubric", "extension"), pk=pk)
    if not services.peer_evaluation_open(group):
        messages.info(request, _peer_closed_reason(group))
        return redirect("grading:feedback_list")
    # Members removed from the course are not rated (of_students).
    memberships = group.memberships.of_students().select_related("student").order_by("student")
    members = [m.student for m in memberships]
    existing = {r.ratee_id: r for r in PeerRating.objects.filter(group=group, rater=request.user)}
    # Ratings count once they cover every current member (grading/peer.py).
    newcomers = [m for m in members if existing and m.pk not in existing]
    form = PeerRatingForm(
        request.POST or None,
        members=members,
        me=request.user,
        existing=existing,
        initial=kept_fields(request),
    )
    if request.method == "POST" and form.is_valid():
        try:
            services.peer_ratings_submit(group=group, rater=request.user, ratings=form.ratings())
        except ValidationError as exc:
            messages.error(request, " ".join(exc.messages))
        else:
            messages.success(
                request, "Thank you, your ratings are saved. You can change them until release."
            )
            return redirect("grading:feedback_list")
    return render(
        request,
        "grading/peer.html",
        {"group": group, "form": form, "submitted": bool(existing), "newcomers": newcomers},
    )
