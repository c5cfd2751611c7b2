#!/usr/bin/env python
"""Benchmark every page a user hits against the framework's own floor.

One run on one machine: build the scale data (PostgreSQL when one answers on
127.0.0.1:5432, SQLite otherwise), start a throw-away Redis as production would run
(sessions, page and user cache; ``--no-redis`` to leave it out), start gunicorn with
production settings on loopback, log in as a student, a grader and an instructor,
drive each page with wrk at fixed concurrency for a fixed time, and print requests/s,
p50, p99, SQL queries (built from scratch, and served again), the in-process build
time of the page from scratch, gzip size and the ratio to the floor endpoint (a
minimal view behind the same middleware that renders a template of a lesson page's
size with no database work). Results go to bench/results.json. This script prints
figures; it never passes or fails on them.

    make bench                       # N = 1,000 then N = 10,000 students
    .venv/bin/python bench/run.py --students 1000 --duration 5
    .venv/bin/python bench/run.py --quick    # N = 1,000 only, 2 s per page
    .venv/bin/python bench/run.py --quick --no-redis

The bench database is emptied first (``flush``), then grown scale by scale, so each
run measures exactly the N it names.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PYTHON = sys.executable
PORT = 8765
REDIS_PORT = 6391
BASE = f"http://127.0.0.1:{PORT}"


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def database() -> tuple[str, str]:
    answers = subprocess.run(["pg_isready", "-q", "-h", "127.0.0.1", "-p", "5432"]).returncode == 0
    if answers:
        env = {**os.environ, "PG_TEST_DB": "coursesite_bench"}
        url = subprocess.check_output(["bash", "scripts/postgres.sh"], cwd=ROOT, env=env, text=True)
        return url.strip(), "PostgreSQL"
    return f"sqlite:///{ROOT / 'bench' / 'bench.sqlite3'}", "SQLite"


def start_redis() -> tuple[subprocess.Popen, str]:
    """Start a throw-away Redis (no persistence) for the run; install Debian's if missing."""
    if shutil.which("redis-server") is None:
        log("== installing redis-server (Debian package)")
        subprocess.run(["apt-get", "install", "-y", "-qq", "redis-server"], check=True)
    workdir = Path(tempfile.mkdtemp(prefix="bench-redis-"))
    process = subprocess.Popen(
        [
            "redis-server",
            "--bind",
            "127.0.0.1",
            "--port",
            str(REDIS_PORT),
            "--dir",
            str(workdir),
            "--save",
            "",
            "--appendonly",
            "no",
            "--maxmemory",
            "512mb",
            "--maxmemory-policy",
            "allkeys-lru",
        ],
        stdout=subprocess.DEVNULL,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            with socket.create_connection(("127.0.0.1", REDIS_PORT), timeout=1) as conn:
                conn.sendall(b"PING\r\n")
                if conn.recv(16).startswith(b"+PONG"):
                    return process, f"redis://127.0.0.1:{REDIS_PORT}/0"
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("redis-server did not answer")


def production_env(database_url: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env.update(
        {
            "DATABASE_URL": database_url,
            "DJANGO_DEBUG": "0",
            "DJANGO_SECRET_KEY": "bench-only-secret-key-" + "x" * 40,
            "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
            # Plain HTTP on loopback: no HTTPS redirect, cookies without the Secure flag.
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "DJANGO_SECURE_COOKIES": "0",
            "AXES_ENABLED": "0",
            "BENCH_FLOOR": "1",
            "GUNICORN_ACCESS_LOG": "",
            "GUNICORN_LOG_LEVEL": "warning",
            "GUNICORN_BIND": f"127.0.0.1:{PORT}",
        }
    )
    return env


def manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args],
        cwd=ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return result.stdout or ""


def start_gunicorn(env: dict[str, str]) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            str(Path(PYTHON).with_name("gunicorn")),
            "coursesite.wsgi",
            "--config",
            "gunicorn.conf.py",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    for _ in range(100):
        try:
            with urllib.request.urlopen(f"{BASE}/healthz", timeout=2) as response:
                if response.status == 200:
                    return process
        except OSError:
            time.sleep(0.1)
    process.kill()
    raise SystemExit("gunicorn did not answer /healthz")


def worker_peak_rss_kib(master: subprocess.Popen) -> int:
    """Return the largest peak resident memory (VmHWM) among gunicorn's workers."""
    peak = 0
    children = Path(f"/proc/{master.pid}/task/{master.pid}/children").read_text().split()
    for pid in children:
        status = Path(f"/proc/{pid}/status").read_text()
        match = re.search(r"VmHWM:\s+(\d+) kB", status)
        if match:
            peak = max(peak, int(match.group(1)))
    return peak


def stop(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=20)


def login(username: str, password: str) -> str:
    """Log in through the real form and return the Cookie header for wrk."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{BASE}/accounts/login/").read()
    csrf = next(c.value for c in jar if c.name == "csrftoken")
    data = urllib.parse.urlencode(
        {"username": username, "password": password, "csrfmiddlewaretoken": csrf}
    ).encode()
    request = urllib.request.Request(
        f"{BASE}/accounts/login/", data=data, headers={"Referer": f"{BASE}/accounts/login/"}
    )
    opener.open(request).read()
    cookies = {c.name: c.value for c in jar}
    if "sessionid" not in cookies:
        raise SystemExit(f"could not log in as {username}")
    return "; ".join(f"{k}={v}" for k, v in cookies.items())


def to_ms(value: str) -> float:
    number, unit = re.match(r"([\d.]+)(us|ms|s)", value).groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def wrk(url: str, cookie: str | None, duration: int, connections: int) -> dict[str, float]:
    # A long timeout: the exports take seconds at N = 10,000 and must still be counted.
    command = ["wrk", "-t2", f"-c{connections}", f"-d{duration}s", "--latency", "--timeout", "30s"]
    command += ["-H", "Accept-Encoding: gzip"]
    if cookie:
        command += ["-H", f"Cookie: {cookie}"]
    output = subprocess.run(command + [url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = to_ms(re.search(r"50%\s+([\d.]+\w+)", output).group(1))
    p99 = to_ms(re.search(r"99%\s+([\d.]+\w+)", output).group(1))
    non_2xx = re.search(r"Non-2xx or 3xx responses:\s+(\d+)", output)
    return {
        "rps": rps,
        "p50_ms": p50,
        "p99_ms": p99,
        "errors": int(non_2xx.group(1)) if non_2xx else 0,
    }


def drain() -> None:
    """Wait until the workers have answered the requests wrk left queued.

    When wrk stops, requests it sent are still in gunicorn's backlog; a slow page
    (an export) would otherwise eat into the next page's measurement.
    """
    for _ in range(600):
        started = time.monotonic()
        try:
            with urllib.request.urlopen(f"{BASE}/healthz", timeout=30) as response:
                response.read()
        except OSError:
            pass
        if time.monotonic() - started < 0.02:
            return
        time.sleep(0.1)


def run_once(env: dict[str, str], students: int, duration: int, connections: int) -> dict:
    log(f"== building scale data for {students:,} students")
    started = time.monotonic()
    manage(env, "seed_scale", "--students", str(students))
    seed_seconds = time.monotonic() - started
    log(f"   built in {seed_seconds:.1f} s")
    # Pages, their users and their SQL query counts and gzip sizes, measured in-process.
    pages = json.loads(manage(env, "bench_pages", capture=True))
    server = start_gunicorn(env)
    try:
        cookies = {user: login(user, pages["password"]) for user in pages["users"]}
        rows = []
        # The floor first, then every page in turn, each after the server went idle.
        ordered = sorted(pages["pages"], key=lambda page: page["name"] != "floor")
        for page in ordered:
            drain()
            cookie = cookies.get(page["user"]) if page["user"] else None
            figures = wrk(BASE + page["url"], cookie, duration, connections)
            rows.append({**page, **figures})
            log(f"   {page['name']:<28} {figures['rps']:>8.0f} req/s")
        peak = worker_peak_rss_kib(server)
    finally:
        stop(server)
    floor = next(r["rps"] for r in rows if r["name"] == "floor")
    for row in rows:
        row["ratio_to_floor"] = row["rps"] / floor if floor else 0.0
    return {
        "students": students,
        "seed_seconds": seed_seconds,
        "peak_worker_rss_kib": peak,
        "pages": rows,
    }


def print_table(result: dict) -> None:
    print(
        f"\nN = {result['students']:,} students (scale data built in "
        f"{result['seed_seconds']:.1f} s; peak gunicorn worker RSS "
        f"{result['peak_worker_rss_kib'] / 1024:.0f} MiB)"
    )
    header = (
        f"{'page':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'SQL':>4} {'hit':>4} "
        f"{'build ms':>9} {'gzip KB':>8} {'floor':>6} {'p99/p50':>8}"
    )
    print(header)
    print("-" * len(header))
    for row in result["pages"]:
        print(
            f"{row['name']:<28} {row['rps']:>8.0f} {row['p50_ms']:>8.2f} {row['p99_ms']:>8.2f} "
            f"{row['queries']:>4} {row['cached_queries']:>4} {row['build_ms']:>9.1f} "
            f"{row['gzip_bytes'] / 1024:>8.1f} {row['ratio_to_floor']:>5.0%}"
            f" {row['p99_ms'] / row['p50_ms'] if row['p50_ms'] else 0:>8.1f}"
            + ("  (non-2xx!)" if row["errors"] else "")
        )
    statics = [r for r in result["pages"] if r["name"].startswith("static: ")]
    lesson = next((r for r in result["pages"] if r["name"] == "lesson"), None)
    if lesson and statics:
        weight = lesson["gzip_bytes"] + sum(r["gzip_bytes"] for r in statics)
        print(
            f"Lesson page weight, gzip: HTML {lesson['gzip_bytes'] / 1024:.1f} KB + CSS/JS "
            f"{(weight - lesson['gzip_bytes']) / 1024:.1f} KB = {weight / 1024:.1f} KB"
        )
        headers = sorted({r["cache_control"] for r in statics})
        print(f"Static files' Cache-Control: {' | '.join(headers)}")


def measure_all(env: dict[str, str], scales: list[int], args) -> list[dict]:
    manage(env, "migrate", "--noinput", "-v", "0")
    # Start empty: the scale data of an earlier, larger run would skew the smaller N.
    # (The Redis of the run starts empty too, so no cached page or user outlives it.)
    manage(env, "flush", "--noinput", "-v", "0")
    manage(env, "collectstatic", "--noinput", "-v", "0")
    return [run_once(env, n, args.duration, args.connections) for n in scales]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--students", type=int, action="append", help="scale(s) to measure; default 1000 and 10000"
    )
    parser.add_argument("--duration", type=int, default=5, help="seconds of wrk per page")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument(
        "--quick", action="store_true", help="N = 1,000 only, 2 s per page (a smoke run)"
    )
    parser.add_argument(
        "--no-redis",
        action="store_true",
        help="run without Redis: database sessions, no page or user cache",
    )
    args = parser.parse_args()
    if args.quick:
        args.students = args.students or [1000]
        args.duration = 2
    scales = sorted(args.students or [1000, 10000])

    if shutil.which("wrk") is None:
        log("== installing wrk (Debian package)")
        subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    database_url, vendor = database()
    env = production_env(database_url)
    redis = None
    if not args.no_redis:
        redis, env["REDIS_URL"] = start_redis()
    cache_note = "no Redis" if redis is None else "Redis (sessions, page and user cache)"
    log(f"== database: {vendor}; {cache_note}")
    try:
        results = measure_all(env, scales, args)
    finally:
        if redis is not None:
            os.killpg(redis.pid, signal.SIGTERM)
    print(
        f"\nDatabase: {vendor}; {cache_note}; wrk -t2 -c{args.connections} -d{args.duration}s "
        f"on {os.cpu_count()} cores, gunicorn and wrk sharing them."
    )
    for result in results:
        print_table(result)
    if len(results) > 1:
        small, large = results[0], results[-1]
        print(
            f"\nGrowth from N = {small['students']:,} to N = {large['students']:,} "
            "(requests/s small / large; 1.0 = no slowdown)"
        )
        large_rows = {r["name"]: r for r in large["pages"]}
        for row in small["pages"]:
            other = large_rows.get(row["name"])
            if other and other["rps"]:
                print(f"  {row['name']:<28} {row['rps'] / other['rps']:.2f}x")
    out = ROOT / "bench" / "results.json"
    out.write_text(json.dumps({"database": vendor, "cache": cache_note, "runs": results}, indent=2))
    print(f"\nWritten to {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
