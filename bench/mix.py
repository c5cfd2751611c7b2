#!/usr/bin/env python
"""The many-students scenario in one process: CPU per request, pages against the floor.

``bench/run.py`` measures requests/s under wrk with gunicorn; this replays the same
traffic (each request a random page of a random student's own course, weighted as
``many_users.lua`` weights them) through Django's whole middleware stack in-process,
alternating with the logged-in floor, and prints the thread CPU time of each. Its ratio
floor / pages matches the wrk run's (both ~0.4 on SQLite), so the gap is Python work in
the pages, not the server or the network: profile here (``--profile``), compare there.

    export DATABASE_URL=sqlite:////tmp/perf16.sqlite3    # seed_scale --students 1000
    .venv/bin/python bench/mix.py                       # 2,000 pages
    .venv/bin/python bench/mix.py --requests 500 --profile
    BENCH_SORT=cumulative BENCH_LINES=90 .venv/bin/python bench/mix.py --profile
    BENCH_CALLERS='markupsafe.*escape' .venv/bin/python bench/mix.py --profile  # who calls
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import random
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
from django.test import Client  # noqa: E402
from django.urls import reverse  # noqa: E402

from accounts.models import User  # noqa: E402
from grading.management.commands.bench_sessions import create_sessions, student_pages  # noqa: E402


def kind_of(url: str) -> str:
    if url.startswith("/courses/"):
        return "course" if url.count("/") == 3 else "lesson"
    return url.strip("/").split("/")[0] or "home"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=2000)
    parser.add_argument("--students", type=int, default=300, help="distinct students")
    parser.add_argument("--profile", action="store_true", help="then profile 500 pages")
    args = parser.parse_args()
    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["*"]
    rng = random.Random(1)

    users = list(
        User.objects.filter(username__startswith="scale-student-").order_by("username")[
            : args.students
        ]
    )
    if not users:
        sys.exit("No scale students: run manage.py seed_scale on this DATABASE_URL first.")
    pages = student_pages(users)
    clients = []
    for user, key in zip(users, create_sessions(users), strict=True):
        if user.pk in pages:
            client = Client(SERVER_NAME="127.0.0.1")
            client.cookies[settings.SESSION_COOKIE_NAME] = key
            weights, urls = zip(*pages[user.pk], strict=True)
            client.get(urls[0])  # each client builds its handler once, as a worker does
            clients.append((client, weights, urls))
    floor = reverse("bench_floor_logged_in")

    def pick():
        client, weights, urls = rng.choice(clients)
        return client, rng.choices(urls, weights)[0]

    for _ in range(300):  # warm the process's caches, as a worker serving for a while
        client, url = pick()
        assert client.get(url).status_code == 200, url
        client.get(floor)

    by_kind: dict[str, list[float]] = {}
    floors = []
    for _ in range(args.requests):
        client, url = pick()
        start = time.thread_time()
        client.get(url)
        by_kind.setdefault(kind_of(url), []).append(time.thread_time() - start)
        start = time.thread_time()
        client.get(floor)
        floors.append(time.thread_time() - start)
    every = [t for times in by_kind.values() for t in times]
    floor_ms, pages_ms = statistics.mean(floors) * 1e3, statistics.mean(every) * 1e3
    print(
        f"{len(clients)} students, {args.requests} pages: floor {floor_ms:.2f} ms, pages "
        f"{pages_ms:.2f} ms of CPU a request; floor / pages {floor_ms / pages_ms:.2f}"
    )
    for kind, times in sorted(by_kind.items()):
        print(
            f"  {kind:10} x{len(times):5}  mean {statistics.mean(times) * 1e3:.2f}"
            f"  median {statistics.median(times) * 1e3:.2f} ms"
        )
    if args.profile:
        profile = cProfile.Profile()
        profile.enable()
        for _ in range(500):
            client, url = pick()
            client.get(url)
        profile.disable()
        pstats.Stats(profile).sort_stats(os.environ.get("BENCH_SORT", "tottime")).print_stats(
            int(os.environ.get("BENCH_LINES", "40"))
        )
        if os.environ.get("BENCH_CALLERS"):  # who calls the functions matching it
            pstats.Stats(profile).sort_stats("tottime").print_callers(os.environ["BENCH_CALLERS"])


if __name__ == "__main__":
    main()
