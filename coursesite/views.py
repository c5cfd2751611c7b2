from __future__ import annotations

import logging
import sys

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError, connection
from django.db.migrations.executor import MigrationExecutor
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import is_valid_path
from django.utils.http import escape_leading_slashes
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from access import policy
from api.parsers import body_too_large_detail

from .formpages import script_refusal, wants_json
from .logfilters import database_unavailable
from .middleware import ExplainedBadRequest

logger = logging.getLogger(__name__)

SAFE_METHODS = ("GET", "HEAD", "OPTIONS", "TRACE")


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    """The page after logging in (LOGIN_REDIRECT_URL): graders' queue, everyone else's dashboard."""
    if request.user.is_authenticated:
        if policy.grades_only(request.user):
            return redirect("grading:grader_queue")
        return redirect("lessons:dashboard")
    return render(request, "home.html")


@require_safe
@never_cache
def healthz(request: HttpRequest) -> JsonResponse:
    """Report whether the database answers and holds our tables (Docker and load balancers ask)."""
    try:
        # A table of ours, not SELECT 1: a database never migrated answers that too,
        # while every page fails. One indexed row at most, every 30 s.
        get_user_model().objects.exists()
        pending = _migrations_pending()
    except DatabaseError as error:
        logger.warning("Health check failed: %s", error)
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    if pending:
        logger.warning("Health check failed: %d migration(s) not applied", pending)
        return JsonResponse({"status": "error", "database": "not migrated"}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


_migrated = False  # once so, for the life of the process: its code's migrations are all


def _migrations_pending() -> int:
    """Return how many of this code's migrations the database lacks (the new code's
    tables are missing until ``migrate`` runs: its pages would fail)."""
    global _migrated
    if _migrated:
        return 0
    executor = MigrationExecutor(connection)
    pending = len(executor.migration_plan(executor.loader.graph.leaf_nodes()))
    _migrated = not pending
    return pending


# Error pages render our own templates and say nothing about internals; the API's are
# problem details (api/problems.py), which its clients read; the pages' scripts, which
# ask for JSON, get the reason as their views' own refusals give it (probe 112: a page
# of HTML, which the scripts read as "you may be signed out").
def _api_problem(request: HttpRequest, status: int, title: str, detail: str) -> JsonResponse | None:
    if not request.path.startswith("/api/"):
        if wants_json(request):
            return script_refusal(detail, status=status)
        return None
    problem = {
        "type": "about:blank",
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.path,
    }
    return JsonResponse(problem, status=status, content_type="application/problem+json")


def bad_request(request: HttpRequest, exception=None) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        # Django's own limit, when something reads ``request.body`` (DRF does for JSON).
        detail = body_too_large_detail()
        if problem := _api_problem(request, 413, "Content Too Large", detail):
            return problem
    # Our own refusals say what was wrong; Django's may repeat what was sent (a host).
    explained = isinstance(exception, ExplainedBadRequest)
    detail = str(exception) if explained else "The request is not valid."
    if isinstance(exception, (TooManyFieldsSent, TooManyFilesSent)):
        explained, detail = True, _too_many_parts(exception)
    if problem := _api_problem(request, 400, "Bad Request", detail):
        return problem
    return render(request, "errors/400.html", {"reason": detail if explained else ""}, status=400)


def _too_many_parts(exception) -> str:
    """Say which of Django's form limits a request passed (no form of ours comes near)."""
    if isinstance(exception, TooManyFilesSent):
        what, limit = "files", settings.DATA_UPLOAD_MAX_NUMBER_FILES
    else:
        what, limit = "fields", settings.DATA_UPLOAD_MAX_NUMBER_FIELDS
    return (
        f"The form sent more than {limit:,} {what}, more than any form of this site has, "
        "so nothing was saved. Open the page again and send its form from there."
    )


def permission_denied(request: HttpRequest, exception=None) -> HttpResponse:
    said = str(exception) if isinstance(exception, policy.RefusedInWords) else ""
    detail = said or "You do not have permission to do this."
    if problem := _api_problem(request, 403, "Forbidden", detail):
        return problem
    return render(request, "errors/403.html", {"said": said}, status=403)


def page_not_found(request: HttpRequest, exception=None) -> HttpResponse:
    if request.path.startswith("/api/") and request.method not in SAFE_METHODS:
        if slashed := _with_slash(request):
            # CommonMiddleware would answer 301, and clients send a 301's write again
            # as a GET (Django's DEBUG error says the same): 308 keeps the method and
            # the body. It leaves our 308 alone (it redirects 404s only).
            detail = f"The address ends with a slash: {slashed}"
            response = _api_problem(request, 308, "Permanent Redirect", detail)
            response["Location"] = slashed
            return response
    detail = "Nothing is at this address. The API's addresses are in its schema, /api/v1/schema/."
    if not request.path.startswith("/api/"):
        detail = "Nothing is at this address, or it is not yours to see."
    if problem := _api_problem(request, 404, "Not Found", detail):
        return problem
    return render(request, "errors/404.html", status=404)


def _with_slash(request: HttpRequest) -> str | None:
    """Return REQUEST's address with the slash it lacks, if that one exists (APPEND_SLASH)."""
    if not settings.APPEND_SLASH or request.path_info.endswith("/"):
        return None
    if not is_valid_path(f"{request.path_info}/", getattr(request, "urlconf", None)):
        return None
    return escape_leading_slashes(request.get_full_path(force_append_slash=True))


def server_error(request: HttpRequest) -> HttpResponse:
    # No context processors: the database may be what failed.
    from django.template import loader

    if database_unavailable(sys.exc_info()[1]):
        # Out of reach for a moment (a restart, a failover): a 503 a proxy or a monitor
        # can act on, saying to come back, not that something broke (probe 89).
        if request.path == "/healthz":  # asked with a session's cookie, read before the view
            return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
        detail = "The site cannot reach its database for a moment. Try again in a minute."
        response = _api_problem(request, 503, "Service Unavailable", detail) or HttpResponse(
            loader.get_template("errors/503.html").render(), status=503
        )
        response["Retry-After"] = "60"
        return response
    detail = "Something went wrong on our side; it has been logged. Try again later."
    if problem := _api_problem(request, 500, "Internal Server Error", detail):
        return problem
    return HttpResponse(loader.get_template("errors/500.html").render(), status=500)


# Filler the size of a rendered lesson body, so the floor page weighs what a lesson page does.
_FLOOR_PARAGRAPH = (
    "<p>A web application runs on a server and is used through a browser; the server "
    "answers each HTTP request with HTML, JSON or a file.</p>\n"
)


@require_safe
def bench_floor(request: HttpRequest) -> HttpResponse:
    """Render a lesson-sized template with no database work: the benchmark's floor."""
    from django.template import loader

    if not settings.BENCH_FLOOR:
        raise Http404("Not found.")

    html = loader.get_template("bench_floor.html").render({"body": _FLOOR_PARAGRAPH * 120})
    return HttpResponse(html)


@require_safe
@login_required
def bench_floor_logged_in(request: HttpRequest) -> HttpResponse:
    """The floor behind authentication: what any personal page pays before its own work."""
    return bench_floor(request)


@require_safe
@login_required
def bench_floor_enrolled(request: HttpRequest) -> HttpResponse:
    """The logged-in floor plus the one read every course page makes before its own: the
    viewer's enrollments, through the access policy (read with the session's user, or a
    query of their own when the user comes from the cache, as with Redis)."""
    if not settings.BENCH_FLOOR:
        raise Http404("Not found.")
    policy.enrollments(request.user)
    return bench_floor(request)
