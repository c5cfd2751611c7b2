"""Student pages: project lists, a project with its group, submitting and downloading."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt, csrf_protect
from django.views.decorators.http import require_safe

from access import policy
from accounts.models import Role
from accounts.throttle import join_throttle, subject_of_user
from coursesite.dates import duration_text
from coursesite.formpages import form_view, kept_fields, page
from lessons.models import Course

from .. import selectors, services
from ..forms import GroupCreateForm, GroupJoinForm, GroupRenameForm, SubmissionForm
from ..models import ProjectAssignment, Submission
from ..uploads import read_upload


def get_assignment_for_user(
    request: HttpRequest, course_slug: str, slug: str, action: str = policy.VIEW
) -> tuple[ProjectAssignment, bool]:
    """Return the assignment and whether the user manages it, if they may ACTION it.

    Outsiders get 404; members of the course without the right (a grader trying to
    form a group) get 403.
    """
    found = selectors.assignment_by_slugs(course_slug=course_slug, slug=slug)
    assignment = policy.first_or_refuse(request.user, action, found)
    return assignment, policy.can(request.user, policy.TEACH, assignment)


def version_or_404(found: list[Submission]) -> Submission:
    """Return the version a prepared lookup found (projects.selectors.version_for_*).

    Anyone the policy refuses gets a 404, the same answer as for an id that does not
    exist.
    """
    if not found:
        raise Http404("No such version.")
    return found[0]


def _error_text(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@require_safe
@login_required
def my_projects(request: HttpRequest) -> HttpResponse:
    rows = selectors.projects_for_dashboard(request.user)
    return render(request, "projects/my_projects.html", {"rows": rows})


@require_safe
@login_required
def course_projects(request: HttpRequest, course_slug: str) -> HttpResponse:
    course = policy.get_or_refuse(request.user, policy.VIEW, Course.objects, slug=course_slug)
    rows = selectors.course_projects_for(request.user, course)
    return render(request, "projects/course_projects.html", {"course": course, "rows": rows})


def _render_detail(
    request: HttpRequest,
    assignment: ProjectAssignment,
    can_manage: bool,
    *,
    submission_form: SubmissionForm | None = None,
    create_form: GroupCreateForm | None = None,
    join_form: GroupJoinForm | None = None,
    rename_form: GroupRenameForm | None = None,
    status: int = 200,
) -> HttpResponse:
    mine = selectors.student_group(assignment, request.user)
    group = mine.group if mine else None
    deadline = group.deadline() if group else assignment.due_at
    versions = mine.versions if mine else []
    members = mine.members if mine else []
    # Someone removed from the course stays listed (their work was the group's), not counted.
    member_count = sum(1 for m in members if m.is_student)
    graded = next((v for v in versions if group and v.pk == group.graded_submission_id), None)
    # Groups are for the course's students: graders and instructors are offered no form
    # to create or join one (the policy would refuse it) and read no student advice.
    is_student = policy.role_in(request.user, assignment.course_id) == Role.STUDENT
    context = {
        "assignment": assignment,
        "course": assignment.course,
        "can_manage": can_manage,
        "is_student": is_student,
        "group": group,
        "deadline": deadline,
        "deadline_passed": timezone.now() > deadline,
        "submissions_closed": not assignment.accepts_late_work and timezone.now() > deadline,
        "versions": versions,
        "graded": graded,
        "submission_locked": (services.submission_locked_reason(group) if group else None) or "",
        "members": members,
        "member_count": member_count,
        "groups_closed": "",
        "grades_released": assignment.grades_released_at is not None,
    }
    # Only when the page would offer to create, join or leave a group, or tell a group
    # too small to find teammates: the release is a query, which a group that has handed
    # in work does not need.
    too_small = group is not None and member_count < assignment.min_group_size
    # Past the deadline the answer needs no query: the join code no longer works, so
    # a group that handed in work does not see it either.
    closing = not versions or too_small or not assignment.groups_are_open()
    if assignment.students_form_groups and (group or is_student) and closing:
        context["groups_closed"] = services.student_groups_closed_reason(assignment) or ""
    # Only the forms the page shows: a group's members submit, students without one
    # create or join one.
    if group:
        context["submission_form"] = submission_form or SubmissionForm(
            assignment=assignment,
            late_confirmation=_late_confirmation(assignment, group, versions=versions),
        )
        renames = assignment.students_form_groups and group.grading_started_at is None
        context["rename_form"] = (
            rename_form or GroupRenameForm(initial={"name": group.name}) if renames else None
        )
    elif is_student:
        context["create_form"] = create_form or GroupCreateForm()
        context["join_form"] = join_form or GroupJoinForm()
    return render(request, "projects/detail.html", context, status=status)


@require_safe
@login_required
def detail(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    assignment, can_manage = get_assignment_for_user(request, course_slug, slug)
    # What a session that ended posted to one of this page's forms (coursesite/formpages.py).
    kept = kept_fields(request)
    if not kept:
        return _render_detail(request, assignment, can_manage)
    return _render_detail(
        request,
        assignment,
        can_manage,
        submission_form=SubmissionForm(initial=kept, assignment=assignment),
        create_form=GroupCreateForm(initial=kept),
        join_form=GroupJoinForm(initial=kept),
    )


def _already_in_a_group(request: HttpRequest, assignment: ProjectAssignment):
    """Refuse a create or join form sent by a student who has a group (an old tab): its
    page no longer shows those forms, so their errors would show nowhere."""
    group = selectors.group_for_student(assignment, request.user)
    if group is None:
        return None
    messages.error(request, f"You are already in the group “{group.name}” for this project.")
    return redirect(assignment)


def _refusal_said(request, form, exc: ValidationError, assignment) -> HttpResponse | None:
    """A service's refusal of FORM: a field's error goes on the form (None: the page is
    shown again with it); any other is a message on the project's page (its redirect)."""
    if hasattr(exc, "error_dict"):
        form.add_error(None, exc)
        return None
    messages.error(request, _error_text(exc))
    return redirect(assignment)


@form_view(page("projects:detail", "course_slug", "slug"))
def group_create(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    assignment, can_manage = get_assignment_for_user(request, course_slug, slug, policy.CHANGE)
    if refused := _already_in_a_group(request, assignment):
        return refused
    form = GroupCreateForm(request.POST)
    if form.is_valid():
        try:
            group = services.group_create(
                assignment=assignment, student=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            if refused := _refusal_said(request, form, exc, assignment):
                return refused
        else:
            messages.success(
                request,
                f"Group “{group.name}” created. Share its join code {group.join_code} "
                "with your teammates.",
            )
            return redirect(assignment)
    return _render_detail(request, assignment, can_manage, create_form=form, status=400)


@form_view(page("projects:detail", "course_slug", "slug"))
def group_rename(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    assignment, can_manage = get_assignment_for_user(request, course_slug, slug, policy.CHANGE)
    form = GroupRenameForm(request.POST)
    if form.is_valid():
        try:
            group = services.group_rename(
                assignment=assignment, student=request.user, name=form.cleaned_data["name"]
            )
        except ValidationError as exc:
            if refused := _refusal_said(request, form, exc, assignment):
                return refused
        else:
            messages.success(request, f"Your group is now called “{group.name}”.")
            return redirect(assignment)
    return _render_detail(request, assignment, can_manage, rename_form=form, status=400)


@form_view(page("projects:detail", "course_slug", "slug"))
def group_join(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    assignment, can_manage = get_assignment_for_user(request, course_slug, slug, policy.CHANGE)
    if refused := _already_in_a_group(request, assignment):
        return refused
    form = GroupJoinForm(request.POST)
    guesser = subject_of_user(request.user)
    # Counted before the code is checked, forgiven unless it was a wrong one (as keys).
    if not join_throttle.allows(guesser):
        messages.error(
            request, f"Too many wrong join codes: wait {join_throttle.wait}, then try again."
        )
        return _render_detail(request, assignment, can_manage, join_form=form, status=429)
    if not form.is_valid():
        join_throttle.forgive(guesser)
    else:
        try:
            group = services.group_join(
                assignment=assignment,
                student=request.user,
                join_code=form.cleaned_data["join_code"],
                knows_handed_in=form.knows_handed_in(),
            )
        except ValidationError as exc:
            if not services.is_unknown_join_code(exc):
                join_throttle.forgive(guesser)
            if getattr(exc, "code", None) == "handed_in":
                form = GroupJoinForm(request.POST, ask_handed_in=True)
                form.is_valid()
                form.add_error("knows_handed_in", exc.messages[0])
            elif refused := _refusal_said(request, form, exc, assignment):
                return refused
        else:
            join_throttle.forgive(guesser)
            messages.success(request, f"You joined the group “{group.name}”.")
            return redirect(assignment)
    return _render_detail(request, assignment, can_manage, join_form=form, status=400)


@form_view(page("projects:detail", "course_slug", "slug"), keep=False)
def group_leave(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    assignment, _ = get_assignment_for_user(request, course_slug, slug, policy.CHANGE)
    try:
        group = services.group_leave(assignment=assignment, student=request.user)
    except ValidationError as exc:
        messages.error(request, _error_text(exc))
    else:
        if group.pk is None:  # its last member: deleted with its code (probe 90)
            messages.success(
                request,
                f"You left the group “{group.name}”. You were its last member, so the group "
                "is deleted and its join code no longer works.",
            )
        else:
            messages.success(request, f"You left the group “{group.name}”.")
    return redirect(assignment)


# The upload limit must be in place before anything reads the body, CsrfViewMiddleware
# included, so CSRF is checked by _submit (Django's "Modifying upload handlers on the fly").
@csrf_exempt
@form_view(page("projects:detail", "course_slug", "slug"))
def submit(request: HttpRequest, course_slug: str, slug: str) -> HttpResponse:
    assignment, can_manage = get_assignment_for_user(request, course_slug, slug, policy.CHANGE)
    refused = read_upload(request, max_bytes=assignment.max_upload_bytes)
    if refused is not None:
        # Nothing was kept and nothing is written: the refusal needs no CSRF check.
        form = SubmissionForm.refused(refused, assignment=assignment)
        return _render_detail(request, assignment, can_manage, submission_form=form, status=400)
    return _submit(request, assignment, can_manage)


def _late_confirmation(assignment: ProjectAssignment, group, versions=None) -> str:
    """What GROUP is asked before a version handed in now, late and costing a penalty,
    replaces the one it handed in on time as the version graded ("" if nothing is).
    VERSIONS: the group's versions newest first, if the page read them."""
    if group.grading_started_at is not None:
        return ""  # graded already: a new version is kept, not graded
    # The latest version is the one graded: asked only while that one is on time (after
    # a late one, the on-time version is replaced already; probe 93).
    replaced = selectors.on_time_version_replaced(
        group, assignment, at=timezone.now(), versions=versions
    )
    if replaced is None:
        return ""
    on_time, penalty = replaced
    return (
        f"I understand that version {on_time}, handed in on time, will no longer be the one "
        f"graded: this version is late, and the late policy takes {penalty.normalize():f}% "
        "off its mark."
    )


def _late_words(assignment: ProjectAssignment, group, submission) -> str:
    """What handing in late costs, said when it happens (the grader's queue said it)."""
    deadline = group.deadline()
    days = assignment.days_late(submission.submitted_at, deadline)
    penalty = assignment.late_penalty_percent(days)
    # Both: the policy counts started days, and "late by 2 days" beside "passed 1 day, 6
    # hours ago" read as a contradiction (probe 99).
    late = (
        f" It is {duration_text(submission.submitted_at - deadline)} late "
        f"({days} started day{'s' * (days != 1)})"
    )
    if penalty:
        return (
            f"{late}: if it is the version graded, the late policy takes "
            f"{penalty.normalize():f}% off its mark."
        )
    return f"{late}; this project takes late work without a penalty."


@csrf_protect
def _submit(request: HttpRequest, assignment: ProjectAssignment, can_manage: bool) -> HttpResponse:
    group = selectors.group_for_student(assignment, request.user)
    if group is None:
        messages.error(request, "Join or create a group before submitting.")
        return redirect(assignment)
    form = SubmissionForm(
        request.POST,
        request.FILES,
        assignment=assignment,
        late_confirmation=_late_confirmation(assignment, group),
    )
    if form.is_valid():
        data = form.cleaned_data
        try:
            submission = services.submission_create(
                group=group,
                student=request.user,
                archive=data.get("archive") or None,
                repository_url=data.get("repository_url", ""),
                commit=data.get("commit", ""),
                note=data.get("note", ""),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            late = _late_words(assignment, group, submission) if submission.is_late else ""
            if submission.sent_again:
                # A retry, often after a timeout that hid the first answer: what that
                # answer said too (late, kept but not graded).
                messages.info(request, f"{selectors.sent_again_notice(submission)}{late}")
            else:
                messages.success(request, f"Version {submission.version} submitted.{late}")
            for note in selectors.version_notices(submission, assignment):
                messages.warning(request, note)
            return redirect(f"{assignment.get_absolute_url()}#versions")
    chosen = request.FILES.get("archive")
    if chosen is not None and "archive" in form.fields and not form.has_error("archive"):
        # No browser fills a file input again: fixing the field in error and sending
        # again made a version without the code.
        form.add_error(
            "archive",
            ValidationError(
                f"Choose your zip ({chosen.name}) again: this page cannot keep a chosen "
                "file when it comes back with an error.",
                code="choose_again",
            ),
        )
    return _render_detail(request, assignment, can_manage, submission_form=form, status=400)


@require_safe
@login_required
def submission_detail(request: HttpRequest, pk: int) -> HttpResponse:
    submission = version_or_404(selectors.version_for_page(user=request.user, pk=pk))
    assignment = submission.group.assignment
    return render(
        request,
        "projects/submission_detail.html",
        {"submission": submission, "assignment": assignment, "course": assignment.course},
    )


@require_safe
@login_required
def submission_download(request: HttpRequest, pk: int) -> FileResponse:
    found = selectors.version_for_download(user=request.user, pk=pk)
    return archive_download(version_or_404(found), user=request.user)


def archive_download(submission: Submission, *, user) -> FileResponse:
    """Return SUBMISSION's zip as a private download (404 without one): the site and the API.

    A grader gets it named by its number: the name a student gave the file may name the
    group's members, which anonymous grading keeps from graders.
    """
    if not submission.archive:
        raise Http404("This version has no archive.")
    try:
        handle = submission.archive.open("rb")
    except FileNotFoundError as exc:
        raise Http404("The archive of this version is missing.") from exc
    response = FileResponse(
        handle,
        as_attachment=True,
        filename=(
            f"submission-{submission.pk}-v{submission.version}.zip"
            if policy.role_in(user, submission.group.assignment.course_id) == Role.GRADER
            else submission.download_filename()
        ),
        content_type="application/zip",
    )
    response["Cache-Control"] = "private, no-store"
    return response
