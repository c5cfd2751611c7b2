"""Print, as JSON, the pages the benchmark drives, with their SQL queries and gzip size.

Reads the data ``seed_scale`` built. Each page is requested in-process through the
whole middleware stack (Django's test client, logged in with ``force_login``), with
the cached session user off: once to warm process-wide caches (templates, content
types, URLs), once while counting its SQL queries, and five times to time it
(``build_ms``, the median: what building the page from scratch costs, with no server,
network or load around it). The size is the body compressed with gzip, as a proxy
would send it (WhiteNoise serves the static files pre-compressed, and that is the size
given for them). Output::

    {"password": ..., "users": [...], "pages": [{"name", "url", "user", "queries",
     "build_ms", "gzip_bytes", "status", "cache_control"}, ...]}

Used by bench/run.py; any page that does not answer 200 stops the command.
"""

from __future__ import annotations

import gzip
import json
import re
import statistics
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from accounts.models import User
from grading.models import Review, ReviewStatus
from lessons.models import Lesson
from projects.models import ProjectAssignment, Submission

from .seed_scale import ASSIGNMENT_SLUG, BENCH_PASSWORD, COURSE_SLUG

USERS = ["bench-student", "bench-grader", "bench-instructor"]
SEARCH_QUERY = "flask+routes"
REVIEW_FILE = "app/module_0.py"
BUILD_TIMINGS = 5


def page_list() -> list[tuple[str, str, str | None]]:
    """Return (name, url, username) for every page of the benchmark."""
    student = User.objects.get(username="bench-student")
    grader = User.objects.get(username="bench-grader")
    assignment = ProjectAssignment.objects.select_related("course").get(
        course__slug=COURSE_SLUG, slug=ASSIGNMENT_SLUG
    )
    # The longest lesson: the heaviest page a student reads.
    lessons = Lesson.objects.published().filter(module__course=assignment.course)
    lesson = max(lessons.select_related("module__course"), key=lambda item: len(item.body_html))
    submission = Submission.objects.filter(group__memberships__student=student).first()
    # A review the grader is still working on, so the page shows the editable form.
    review = (
        Review.objects.filter(grader=grader)
        .exclude(status=ReviewStatus.COMPLETED)
        .order_by("pk")
        .first()
    ) or Review.objects.filter(grader=grader).order_by("pk").first()
    slug = assignment.course.slug
    pages = [
        ("home", reverse("home"), None),
        ("dashboard", reverse("lessons:dashboard"), "bench-student"),
        ("course", assignment.course.get_absolute_url(), "bench-student"),
        ("lesson", lesson.get_absolute_url(), "bench-student"),
        (
            "search",
            f"{reverse('lessons:search')}?q={SEARCH_QUERY}",
            "bench-student",
        ),
        ("project", assignment.get_absolute_url(), "bench-student"),
        ("my projects", reverse("projects:mine"), "bench-student"),
        ("feedback list", reverse("grading:feedback_list"), "bench-student"),
        ("submission (student)", submission.get_absolute_url(), "bench-student"),
        ("grader queue", reverse("grading:grader_queue"), "bench-grader"),
        (
            "review",
            f"{reverse('grading:review', args=[review.pk])}?path={REVIEW_FILE}",
            "bench-grader",
        ),
        ("gradebook", reverse("grading:gradebook", args=[slug]), "bench-instructor"),
        ("gradebook CSV", reverse("grading:gradebook_csv", args=[slug]), "bench-instructor"),
    ]
    # The API's lists, with the session (as Swagger UI calls them): a page of 50 rows.
    pages += [
        (
            "API: submissions",
            f"/api/v1/submissions/?assignment={assignment.pk}",
            "bench-instructor",
        ),
        ("API: reviews", f"/api/v1/reviews/?assignment={assignment.pk}", "bench-grader"),
        (
            "API: gradebook",
            f"/api/v1/courses/{assignment.course.pk}/gradebook/",
            "bench-instructor",
        ),
    ]
    for label, name in [
        ("courses", "lessons_course"),
        ("lessons", "lessons_lesson"),
        ("enrollments", "lessons_enrollment"),
        ("groups", "projects_group"),
        ("submissions", "projects_submission"),
    ]:
        pages.append((f"admin: {label}", reverse(f"admin:{name}_changelist"), "bench-instructor"))
    if not settings.BENCH_FLOOR:
        raise CommandError("Set BENCH_FLOOR=1 so that /bench/floor answers.")
    pages.append(("floor", reverse("bench_floor"), None))
    # Not a target: shows what authenticating the session costs every personal page.
    pages.append(("floor, logged in", reverse("bench_floor_logged_in"), "bench-student"))
    return pages


class Command(BaseCommand):
    help = "Print the benchmark's pages as JSON, with SQL query counts and gzip sizes."

    def handle(self, *args, **options) -> None:
        users = {u.username: u for u in User.objects.filter(username__in=USERS)}
        missing = set(USERS) - set(users)
        if missing:
            raise CommandError(f"Run seed_scale first (missing {', '.join(sorted(missing))}).")
        clients = {None: Client(SERVER_NAME="127.0.0.1")}
        for name, user in users.items():
            clients[name] = Client(SERVER_NAME="127.0.0.1")
            clients[name].force_login(user)
        results = []
        lesson_html = ""
        for name, url, username in page_list():
            result, body = measure(clients[username], url)
            results.append({"name": name, "url": url, "user": username, **result})
            if name == "lesson":
                lesson_html = body.decode()
        for url in static_urls(lesson_html):
            result, _ = measure(clients[None], url, static=True)
            label = "static: " + re.sub(r"\.[0-9a-f]{12}\.", ".", url.rsplit("/", 1)[-1])
            results.append({"name": label, "url": url, "user": None, **result})
        self.stdout.write(
            json.dumps({"password": BENCH_PASSWORD, "users": USERS, "pages": results}, indent=1)
        )


def measure(client: Client, url: str, *, static: bool = False) -> tuple[dict, bytes]:
    """Return URL's queries, its build time from scratch and its size."""
    headers = {"HTTP_ACCEPT_ENCODING": "gzip"} if static else {}
    with override_settings(AUTH_USER_CACHE_SECONDS=0):
        client.get(url, **headers)  # warm process caches: templates, content types, URLs
        with CaptureQueriesContext(connection) as queries:
            response = client.get(url, **headers)
        # Count now: the next request's request_started signal empties the query log.
        built_queries = len(queries)
        timings = []
        for _ in range(BUILD_TIMINGS):
            started = time.perf_counter()
            client.get(url, **headers)
            timings.append(time.perf_counter() - started)
    if response.status_code != 200:
        raise CommandError(f"{url} answered {response.status_code}")
    body = b"".join(response.streaming_content) if response.streaming else response.content
    if response.get("Content-Encoding") == "gzip":
        size = len(body)
        body = gzip.decompress(body)
    else:
        size = len(gzip.compress(body))
    return (
        {
            "queries": built_queries,
            "build_ms": statistics.median(timings) * 1000,
            "gzip_bytes": size,
            "status": response.status_code,
            "cache_control": response.get("Cache-Control", ""),
        },
        body,
    )


def static_urls(html: str) -> list[str]:
    """Return the stylesheets and scripts a page loads, in order."""
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', html) + re.findall(
        r'<script src="([^"]+)"', html
    )
