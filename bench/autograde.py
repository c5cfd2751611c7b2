#!/usr/bin/env python
"""Benchmark of autograding: sandbox overhead, runs per minute, the worker's memory.

    .venv/bin/python bench/autograde.py [--runs 8] [--repeat 7] [--json FILE]

It works on a throw-away SQLite database and media folder of its own, with the test
environment under AUTOGRADING_ROOT (var/autograding by default; the first run builds it
with pip, about 30 s). Measured, on the Flask and the Django samples of
bench/autograde_samples/ (and a one-test suite for the bare cost):

* the sandbox's start-up overhead: the same tests run by ``sandbox.run`` (bwrap,
  limits, unpacking the zip inside) and directly by the environment's pytest;
* runs per minute with 1 and with 2 ``manage.py db_worker`` processes, each run going
  through the real queue, claim, sandbox and result writing;
* the peak resident memory (VmHWM) of a worker process while it runs them.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

BASE = Path(__file__).resolve().parent.parent
SAMPLES = BASE / "bench" / "autograde_samples"
WORKDIR = Path(tempfile.mkdtemp(prefix="autograde-bench-"))
ENV = {
    **os.environ,
    "DJANGO_SETTINGS_MODULE": "coursesite.settings",
    "DATABASE_URL": f"sqlite:///{WORKDIR / 'bench.sqlite3'}",
    "DJANGO_MEDIA_ROOT": str(WORKDIR / "media"),
    "DJANGO_LOG_LEVEL": "WARNING",
}
os.environ.update(ENV)
sys.path.insert(0, str(BASE))

import django  # noqa: E402

django.setup()

from django.core.files.base import ContentFile  # noqa: E402
from django.core.management import call_command  # noqa: E402

PROJECTS = {
    "one test": ({"test_ok.py": "def test_ok():\n    assert True\n"}, {"app.py": ""}),
    "flask": (SAMPLES / "flask_notes" / "tests", SAMPLES / "flask_notes" / "project"),
    "django": (SAMPLES / "django_blog" / "tests", SAMPLES / "django_blog" / "project"),
}


def zipped(source) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        if isinstance(source, dict):
            for name, content in source.items():
                archive.writestr(name, content)
        else:
            for path in sorted(source.rglob("*")):
                if path.is_file() and "__pycache__" not in path.parts:
                    archive.write(path, Path("project") / path.relative_to(source))
    return buffer.getvalue()


def setup_world():
    from accounts.models import Role, User
    from lessons.models import Course, Enrollment
    from projects.models import Group, GroupMembership, ProjectAssignment

    call_command("migrate", verbosity=0)
    course = Course.objects.create(title="Bench", slug="bench", code="BEN", is_published=True)
    student = User.objects.create(username="bench-student", email="s@example.org")
    Enrollment.objects.create(user=student, course=course, role=Role.STUDENT)
    from django.utils import timezone

    now = timezone.now()
    worlds = {}
    for index, name in enumerate(PROJECTS):
        assignment = ProjectAssignment.objects.create(
            course=course, title=name, slug=f"p{index}", opens_at=now - timezone.timedelta(days=1),
            due_at=now + timezone.timedelta(days=7), is_published=True, max_group_size=50,
        )  # fmt: skip
        group = Group.objects.create(assignment=assignment, name=f"group {name}")
        GroupMembership.objects.create(group=group, assignment=assignment, student=student)
        worlds[name] = (assignment, group, student)
    return worlds


def make_suite(assignment, tests):
    from autograding import services
    from autograding.models import TestGroup, TestSuite

    upload = ContentFile(zipped(tests), name="tests.zip")
    sha256, _ = services.suite_check_archive(upload)
    suite = TestSuite.objects.create(assignment=assignment, archive=upload, sha256=sha256)
    TestGroup.objects.create(suite=suite, name="All", patterns="*")
    services.suite_prepare(suite)
    started = time.monotonic()
    suite = services.suite_build(suite.pk)
    assert suite.build_status == "ready", suite.build_log
    return suite, time.monotonic() - started


def submit(group, student, project, count: int):
    from projects.models import Submission

    data = zipped(project)
    base = group.submissions.count()
    return [
        Submission.objects.create(
            group=group,
            version=base + n + 1,
            submitted_by=student,
            archive=ContentFile(data, name="p.zip"),
            archive_name="p.zip",
            archive_size=len(data),
        )  # fmt: skip
        for n in range(count)
    ]


def time_direct(suite, project) -> float:
    """Run the same tests with the environment's pytest, no sandbox: the baseline."""
    from autograding import environments, services

    environment = environments.ready(suite.env_key)
    folder = Path(tempfile.mkdtemp(dir=WORKDIR))
    # A copy outside the repository: pytest would read our own pyproject.toml above it.
    tests = folder / "suite"
    shutil.copytree(services.suite_files(suite), tests)
    with zipfile.ZipFile(io.BytesIO(zipped(project))) as archive:
        archive.extractall(folder)  # noqa: S202 - our own sample
    root = folder / "project" if (folder / "project").is_dir() else folder
    env = {"PATH": f"{environment.path}/bin:/usr/bin:/bin", "PYTHONPATH": str(root),
           "PYTHONDONTWRITEBYTECODE": "1", "HOME": str(folder)}  # fmt: skip
    if (root / "manage.py").exists():
        env["DJANGO_SETTINGS_MODULE"] = "mysite.settings"
    started = time.monotonic()
    result = subprocess.run(
        [str(environment.python), "-m", "pytest", "-p", "no:cacheprovider", "-q",
         f"--rootdir={tests}", str(tests)],
        cwd=root, env=env, capture_output=True, text=True,
    )  # fmt: skip
    elapsed = time.monotonic() - started
    shutil.rmtree(folder, ignore_errors=True)
    assert result.returncode == 0, (result.stdout + result.stderr)[-2000:]
    return elapsed


def time_python_start(suite) -> float:
    """How long the environment's Python takes to start and exit: the direct baseline."""
    from autograding import environments

    environment = environments.ready(suite.env_key)
    started = time.monotonic()
    subprocess.run([str(environment.python), "-I", "-c", "pass"], check=True)
    return time.monotonic() - started


def time_sandboxed(suite, project, starts: list | None = None) -> float:
    from autograding import environments, sandbox, services

    environment = environments.ready(suite.env_key)
    archive = WORKDIR / "sub.zip"
    archive.write_bytes(zipped(project))
    started = time.monotonic()
    outcome = sandbox.run(
        environment=environment.path,
        base_prefix=environment.base_prefix,
        suite_dir=services.suite_files(suite),
        archive_bytes_path=archive,
        limits=services.limits_for(suite),
        uid=2_999_999,
        scratch_root=WORKDIR / "scratch",
    )
    elapsed = time.monotonic() - started
    end = outcome.first("end")
    assert end and end["exitstatus"] == 0, outcome.output[-2000:]
    if starts is not None:
        starts.append(outcome.ready_after)
    return elapsed


def run_workers(group, student, project, runs: int, workers: int) -> dict:
    """Queue RUNS runs, start WORKERS db_worker processes, time them to the last result."""
    from autograding import services
    from autograding.models import Run

    submissions = submit(group, student, project, runs)
    queued = [services.run_request(submission=s) for s in submissions]
    processes = [
        subprocess.Popen(
            [
                sys.executable,
                str(BASE / "manage.py"),
                "db_worker",
                "--batch",
                "--no-startup-delay",
                "--no-reload",
                "--interval",
                "0.2",
                "--verbosity",
                "0",
                "--worker-id",
                f"bench-{n}",
            ],
            env=ENV,
            cwd=BASE,
        )  # fmt: skip
        for n in range(workers)
    ]
    started = time.monotonic()
    peak_kb = 0
    while any(p.poll() is None for p in processes):
        for process in processes:
            try:
                for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
                    if line.startswith("VmHWM:"):
                        peak_kb = max(peak_kb, int(line.split()[1]))
            except OSError:
                pass
        time.sleep(0.05)
    elapsed = time.monotonic() - started
    statuses = list(
        Run.objects.filter(pk__in=[r.pk for r in queued]).values_list("status", flat=True)
    )
    assert statuses == ["passed"] * runs, statuses
    durations = list(
        Run.objects.filter(pk__in=[r.pk for r in queued]).values_list("duration", flat=True)
    )
    return {
        "runs": runs,
        "workers": workers,
        "seconds": round(elapsed, 2),
        "runs_per_minute": round(runs / elapsed * 60, 1),
        "median_run_seconds": round(statistics.median(durations), 2),
        "worker_peak_rss_mb": round(peak_kb / 1024, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=8, help="runs per throughput measure")
    parser.add_argument("--repeat", type=int, default=7, help="timings per overhead measure")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()

    worlds = setup_world()
    report = {"python": sys.version.split()[0], "cpus": os.cpu_count(), "overhead": {},
              "throughput": [], "load_before": os.getloadavg()}  # fmt: skip
    for name, (tests, project) in PROJECTS.items():
        assignment, group, student = worlds[name]
        suite, build_seconds = make_suite(assignment, tests)
        time_sandboxed(suite, project)  # warm the page cache
        direct, boxed, starts = [], [], []
        for _ in range(args.repeat):
            # Interleaved: on a shared machine the load changes from minute to minute,
            # and timing all direct runs before all sandboxed ones charged the change to
            # the sandbox (+2 s on the Django sample once, +0.0 s interleaved).
            direct.append(time_direct(suite, project))
            boxed.append(time_sandboxed(suite, project, starts))
        if name == "one test":
            # Start-up alone: from launching bwrap to the launcher running inside, with
            # limits set and root dropped, against Python starting and exiting directly.
            python = statistics.median(time_python_start(suite) for _ in range(args.repeat))
            ready = statistics.median(starts)
            report["startup"] = {
                "python_start_s": round(python, 3),
                "sandbox_ready_s": round(ready, 3),
                "overhead_s": round(ready - python, 3),
            }
            print(f"start-up  python {python:.3f} s, sandbox ready {ready:.3f} s: "
                  f"overhead {ready - python:+.3f} s", flush=True)  # fmt: skip
        overhead = statistics.median(boxed) - statistics.median(direct)
        report["overhead"][name] = {
            "direct_median_s": round(statistics.median(direct), 3),
            "sandbox_median_s": round(statistics.median(boxed), 3),
            "overhead_s": round(overhead, 3),
        }
        direct_s, boxed_s = statistics.median(direct), statistics.median(boxed)
        print(f"{name:9} direct {direct_s:.3f} s, sandboxed {boxed_s:.3f} s: "
              f"overhead {overhead:+.3f} s", flush=True)  # fmt: skip
        if name == "one test":
            continue
        for workers in (1, 2):
            figures = run_workers(group, student, project, args.runs, workers)
            report["throughput"].append({"project": name, **figures})
            print(f"{name:9} {workers} worker(s): {figures['runs_per_minute']} runs/min, "
                  f"median run {figures['median_run_seconds']} s, worker peak RSS "
                  f"{figures['worker_peak_rss_mb']} MB", flush=True)  # fmt: skip
    report["load_after"] = os.getloadavg()
    print(f"load average (1, 5, 15 min): before {report['load_before']}, "
          f"after {report['load_after']}", flush=True)  # fmt: skip
    if args.json:
        args.json.write_text(json.dumps(report, indent=2))
    shutil.rmtree(WORKDIR, ignore_errors=True)


if __name__ == "__main__":
    main()
