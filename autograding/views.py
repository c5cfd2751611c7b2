"""Autograding pages: the run queue and re-running tests (instructors), and the results
block of a group's project page as JSON, which the page polls while its tests run.

Access: the policy's TEACH on the course (VIEW of the group for the results); outsiders
get 404, members without the role 403.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_safe

from access import policy
from coursesite.formpages import form_view, page
from projects.models import Group, ProjectAssignment, Submission

from . import results, services
from .models import Run, RunStatus, TestSuite

QUEUE_ROWS = 100


def _back(request: HttpRequest, default: str) -> str:
    """Return the page the form came from (its ``next``), if it is a path of this site,
    else the URL of the view named DEFAULT. Never a view name of the poster's choosing."""
    target = request.POST.get("next", "")
    if (
        target.startswith("/")
        and "\x00" not in target
        and url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        )
    ):
        return target
    return reverse(default)


@require_safe
@login_required
def queue(request: HttpRequest) -> HttpResponse:
    if not policy.uses_back_office(request.user):
        raise PermissionDenied("Only instructors see the test queue.")
    runs = policy.scope(request.user, policy.TEACH, Run.objects)
    rows = list(
        runs.select_related("submission__group__assignment__course", "suite").order_by(
            "-queued_at", "-pk"
        )[:QUEUE_ROWS]
    )
    suites = list(
        policy.scope(request.user, policy.TEACH, TestSuite.objects)
        .select_related("assignment__course")
        .order_by("assignment__course__title", "assignment__due_at")
    )
    context = {"counts": services.queue_counts(runs), "rows": rows, "suites": suites}
    return render(request, "autograding/queue.html", context)


@form_view(page("autograding:queue"), keep=False)
def rerun_submission(request: HttpRequest, pk: int) -> HttpResponse:
    submission = policy.get_or_refuse(
        request.user, policy.GRADE, Submission.objects.select_related("group"), pk=pk
    )
    run = services.run_request(submission=submission, by=request.user)
    if run is None:
        messages.error(request, "This version cannot be tested: no test suite, or no zip archive.")
    else:
        messages.success(request, f"Version {submission.version} is queued for testing.")
    return redirect(_back(request, "autograding:queue"))


@form_view(page("autograding:queue"), keep=False)
def rerun_assignment(request: HttpRequest, pk: int) -> HttpResponse:
    assignment = policy.get_or_refuse(request.user, policy.TEACH, ProjectAssignment.objects, pk=pk)
    scope = request.POST.get("scope", "")
    final_only = {"final": True, "every": False}.get(scope)
    try:
        runs = services.runs_request_for_assignment(
            assignment=assignment, by=request.user, final_only=final_only
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"{len(runs)} version{'s' * (len(runs) != 1)} queued.")
    return redirect(_back(request, "autograding:queue"))


@require_safe
@login_required
def group_results(request: HttpRequest, pk: int) -> JsonResponse:
    """The automated tests block of GROUP's project page, and whether its tests still run.

    static/js/autograde.js asks for it every few seconds while the shown run is queued
    or running, and swaps the block in once the status changes: no reload.
    """
    group = policy.get_or_refuse(
        request.user, policy.VIEW, Group.objects.select_related("assignment__course"), pk=pk
    )
    autograde = results.for_student(group, request.user)
    run = autograde.shown.run if autograde and autograde.shown else None
    html = ""
    if autograde is not None:
        context = {"autograde": autograde}
        html = render_to_string("autograding/_student_results.html", context, request=request)
    return JsonResponse(
        {
            "status": run.status if run else "",
            "pending": run is not None and run.status in (RunStatus.QUEUED, RunStatus.RUNNING),
            "html": html,
        },
        headers={"Cache-Control": "no-store"},
    )
