#!/usr/bin/env python
"""Time the template rendering of the heaviest pages, in-process, whatever the engine.

Reads the data ``seed_scale`` built (run it first on the DATABASE_URL given). Each page
is requested once through Django's test client, logged in as its benchmark user, to
capture the context its view built; then its template is rendered again from that
context, with the request (so the context processors run, as for a real page), and
the median of the timings is printed: wall-clock time, and the CPU time of the thread
(steadier on a busy machine). Only the rendering is timed: the view's queries are not,
but what the template itself runs is (the context processors, a project widget's
query, a related manager's ``.all``). The CPU time is split into the context
processors, the widget's data and the rest: the template engine's own work. On a busy
machine the least CPU times are the steadier figures.

    export DATABASE_URL=sqlite:////tmp/bench.sqlite3 BENCH_FLOOR=1  # bench_pages wants it
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py seed_scale --students 1000
    .venv/bin/python bench/render.py
    .venv/bin/python bench/render.py --repeat 500 --json

Run it on a checkout with Django templates and on one with Jinja2 to compare engines.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.template import loader  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.signals import template_rendered  # noqa: E402
from django.test.utils import (  # noqa: E402
    CaptureQueriesContext,
    override_settings,
    setup_test_environment,
    teardown_test_environment,
)
from django.utils.module_loading import import_string  # noqa: E402

from accounts.models import User  # noqa: E402
from grading.management.commands.bench_pages import page_list  # noqa: E402
from projects.templatetags.projects_tags import course_projects, upcoming_deadlines  # noqa: E402

# The project widgets' data functions, as the pages call them (the same on both engines).
WIDGETS = {
    "course": lambda context, request: course_projects({"request": request}, context["course"]),
    "dashboard": lambda context, request: upcoming_deadlines({"request": request}),
}
PAGES = {
    "lesson": "lessons/lesson_detail.html",
    "course": "lessons/course_detail.html",
    "dashboard": "lessons/dashboard.html",
}


def capture(client: Client, url: str, template_name: str):
    """Return the context the view rendered TEMPLATE_NAME with, and the request."""
    seen = []

    def receiver(sender, template, context, **kwargs):
        if template.name == template_name and not seen:
            seen.append(context)

    template_rendered.connect(receiver)
    try:
        response = client.get(url)
    finally:
        template_rendered.disconnect(receiver)
    assert response.status_code == 200, (url, response.status_code)
    assert seen, f"{template_name} was not rendered by {url}"
    context = seen[0]
    flat = context.flatten() if hasattr(context, "flatten") else dict(context)
    return flat, response.wsgi_request


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=200, help="renders per page")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()

    urls = {name: (url, user) for name, url, user in page_list()}
    clients = {}
    setup_test_environment()  # makes Django templates send template_rendered
    captured = {}
    try:
        with override_settings(
            AUTH_USER_CACHE_SECONDS=0, ALLOWED_HOSTS=["*"], SECURE_SSL_REDIRECT=False
        ):
            for name, template_name in PAGES.items():
                url, username = urls[name]
                if username not in clients:
                    clients[username] = Client()
                    clients[username].force_login(User.objects.get(username=username))
                captured[name] = capture(clients[username], url, template_name)
    finally:
        teardown_test_environment()  # time without the test instrumentation

    engine = type(loader.get_template(PAGES["lesson"])).__module__
    processors = [
        import_string(path) for path in settings.TEMPLATES[0]["OPTIONS"]["context_processors"]
    ]
    results = {}
    for name, template_name in PAGES.items():
        context, request = captured[name]
        template = loader.get_template(template_name)
        template.render(dict(context), request)  # warm: compile, caches
        with CaptureQueriesContext(connection) as queries:
            html = template.render(dict(context), request)
        render = timed(args.repeat, render_page, template, context, request)
        # What the page pays whatever the engine: the context processors, and the data
        # of the project widget (its query), so that render - both = the engine's work.
        processing = timed(args.repeat, run_processors, processors, request)
        widget = WIDGETS.get(name)
        data = timed(args.repeat, widget, context, request) if widget else (0.0, 0.0, 0.0)
        results[name] = {
            "template": template_name,
            "median_ms": render[0],
            "cpu_median_ms": render[1],
            "cpu_min_ms": render[2],
            "context_processors_ms": processing[1],
            "widget_data_ms": data[1],
            "widget_data_min_ms": data[2],
            "engine_cpu_ms": round(render[1] - processing[1] - data[1], 3),
            "queries": len(queries),
            "bytes": len(html.encode()),
        }
    if args.json:
        print(json.dumps({"engine": engine, "pages": results}, indent=1))
        return
    print(f"engine: {engine}, {args.repeat} renders per page, medians in ms")
    for name, row in results.items():
        print(
            f"{name:10} {row['template']:28} wall {row['median_ms']:7.3f}"
            f"  CPU {row['cpu_median_ms']:7.3f} = context processors"
            f" {row['context_processors_ms']:6.3f} + widget data {row['widget_data_ms']:6.3f}"
            f" + engine {row['engine_cpu_ms']:7.3f}"
            f"  (CPU least {row['cpu_min_ms']:.3f}, widget least {row['widget_data_min_ms']:.3f};"
            f" {row['queries']} queries, {row['bytes']} bytes)"
        )


def render_page(template, context: dict, request) -> str:
    return template.render(dict(context), request)  # a fresh dict: renders may add to it


def run_processors(processors, request) -> list[dict]:
    return [processor(request) for processor in processors]


def timed(repeat: int, work, *args) -> tuple[float, float, float]:
    """Return the median wall-clock, median and least thread CPU milliseconds of WORK(*ARGS)."""
    wall, cpu = [], []
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.thread_time()
        work(*args)
        cpu.append((time.thread_time() - start_cpu) * 1000)
        wall.append((time.perf_counter() - start) * 1000)
    return (
        round(statistics.median(wall), 3),
        round(statistics.median(cpu), 3),
        round(min(cpu), 3),
    )


if __name__ == "__main__":
    main()
