#!/usr/bin/env python
"""Measure the uncached in-process build of the hot pages: Python calls and CPU ms per request.

Reads the data ``seed_scale`` built (run it first on the DATABASE_URL given). Each page
is requested through the whole middleware stack with Django's test client, logged in
(``force_login``) as its benchmark user, with the cached session user off
(``AUTH_USER_CACHE_SECONDS = 0``), production settings otherwise (``DEBUG`` off unless
``DJANGO_DEBUG`` says so). For each page it prints:

* ``calls``: Python function calls per request, counted by cProfile over ``--profiled``
  requests. Deterministic: the same code and data give the same figure on a busy or a
  quiet machine, so it is the figure to compare between revisions here.
* ``cpu ms``: the median (and least) CPU time of the thread per request over
  ``--repeat`` requests without the profiler. Noisy on a shared machine: read medians
  of many builds, and only differences of more than ~15 %.
* ``queries``: SQL queries of one request.

    export DATABASE_URL=sqlite:////tmp/perf16.sqlite3
    .venv/bin/python manage.py migrate && .venv/bin/python manage.py seed_demo
    .venv/bin/python manage.py seed_scale --students 1000
    .venv/bin/python bench/calls.py                      # every hot page
    .venv/bin/python bench/calls.py lesson dashboard     # some of them
    .venv/bin/python bench/calls.py lesson --profile     # + cProfile, by cumulative time
    .venv/bin/python bench/calls.py lesson --profile --sort tottime --top 40
"""

from __future__ import annotations

import argparse
import cProfile
import json
import os
import pstats
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "coursesite.settings")
os.environ.setdefault("BENCH_FLOOR", "1")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from accounts.models import User  # noqa: E402
from grading.management.commands.bench_pages import page_list  # noqa: E402

# The pages of the issue's targets (bench_pages' names), and their budget in ms.
HOT = {
    "floor, logged in": None,
    "dashboard": 3,
    "course": 3,
    "lesson": 3,
    "project": 3,
    "feedback list": 3,
    "grader queue": 6,
    "review": 6,
    "gradebook": 6,
}
SHORT = {
    "floor": "floor, logged in",
    "feedback": "feedback list",
    "queue": "grader queue",
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="*", help=f"pages (default: all): {', '.join(HOT)}")
    parser.add_argument("--repeat", type=int, default=100, help="timed requests per page")
    parser.add_argument("--profiled", type=int, default=20, help="profiled requests per page")
    parser.add_argument("--profile", action="store_true", help="print the cProfile table")
    parser.add_argument("--sort", default="cumulative", help="cProfile sort key")
    parser.add_argument("--top", type=int, default=45, help="rows of the cProfile table")
    parser.add_argument("--json", action="store_true", help="print JSON")
    args = parser.parse_args()

    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["*"]
    settings.AUTH_USER_CACHE_SECONDS = 0
    names = [SHORT.get(name, name) for name in args.pages] or list(HOT)
    urls = {name: (url, username) for name, url, username in page_list()}
    unknown = [name for name in names if name not in urls]
    if unknown:
        parser.error(f"unknown pages: {', '.join(unknown)}")
    clients: dict[str, Client] = {}
    results = {}
    for name in names:
        url, username = urls[name]
        if username not in clients:
            clients[username] = Client(SERVER_NAME="127.0.0.1")
            clients[username].force_login(User.objects.get(username=username))
        results[name] = measure(clients[username], url, args)
    if args.json:
        print(json.dumps({"database": connection.vendor, "pages": results}, indent=1))
        return
    print(
        f"{connection.vendor}, DEBUG={settings.DEBUG}: calls per request over {args.profiled}"
        f" profiled requests; thread CPU ms per request over {args.repeat} (median, least)"
    )
    for name, row in results.items():
        budget = HOT.get(name)
        print(
            f"{name:17} {row['calls']:7.0f} calls  {row['cpu_median_ms']:6.2f} ms"
            f" (least {row['cpu_min_ms']:5.2f}){'' if budget is None else f' / {budget} ms'}"
            f"  {row['queries']:2} queries"
        )


def measure(client: Client, url: str, args) -> dict:
    for _ in range(5):  # warm the process: templates, URL resolvers, content types
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    count = len(queries)
    cpu = []
    for _ in range(args.repeat):
        started = time.thread_time()
        client.get(url)
        cpu.append((time.thread_time() - started) * 1000)
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(args.profiled):
        client.get(url)
    profile.disable()
    stats = pstats.Stats(profile)
    if args.profile:
        print(f"=== {url}")
        stats.sort_stats(args.sort).print_stats(args.top)
    return {
        "url": url,
        "calls": stats.total_calls / args.profiled,
        "cpu_median_ms": round(statistics.median(cpu), 3),
        "cpu_min_ms": round(min(cpu), 3),
        "queries": count,
    }


if __name__ == "__main__":
    main()
