#!/usr/bin/env python
"""Thread CPU time to build the benchmark's pages in one process, median of many builds.

``manage.py bench_pages`` times 5 builds by the wall clock, which this 2-core machine's
other work moves by half; this builds each page N times and reports the median of the
thread's CPU time (and, with --profile, where it goes):

    export DATABASE_URL=sqlite:////tmp/perf-ans.sqlite3 BENCH_FLOOR=1   # seed_scale first
    .venv/bin/python bench/page_cpu.py "floor, logged in" lesson search "submission (student)"
    .venv/bin/python bench/page_cpu.py search --builds 200 --profile
"""

from __future__ import annotations

import argparse
import cProfile
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
from django.test import Client  # noqa: E402
from django.test.utils import override_settings  # noqa: E402

from accounts.models import User  # noqa: E402
from grading.management.commands.bench_pages import page_list  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pages", nargs="+", help="names as bench_pages gives them")
    parser.add_argument("--builds", type=int, default=300)
    parser.add_argument("--profile", action="store_true", help="then profile as many builds")
    args = parser.parse_args()
    settings.SECURE_SSL_REDIRECT = False
    settings.ALLOWED_HOSTS = ["*"]
    with override_settings(AUTH_USER_CACHE_SECONDS=0):
        pages = {name: (url, user) for name, url, user in page_list()}
        for name in args.pages:
            url, username = pages[name]
            client = Client(SERVER_NAME="127.0.0.1")
            if username:
                client.force_login(User.objects.get(username=username))
            for _ in range(30):  # warm the process's caches
                assert client.get(url).status_code == 200, url
            times = []
            for _ in range(args.builds):
                started = time.thread_time()
                client.get(url)
                times.append(time.thread_time() - started)
            print(
                f"{name:24} median {statistics.median(times) * 1e3:.2f} ms"
                f"  min {min(times) * 1e3:.2f} ms"
            )
            if args.profile:
                profile = cProfile.Profile()
                profile.enable()
                for _ in range(args.builds):
                    client.get(url)
                profile.disable()
                pstats.Stats(profile).sort_stats("cumulative").print_stats(40)


if __name__ == "__main__":
    main()
