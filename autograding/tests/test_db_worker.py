"""The task worker outlives a database that goes away for a moment, and refuses to send
links signed with the public development key (probe 89: it ended for good on a database
restart, and a worker started without the key mailed reset links that never worked)."""

from __future__ import annotations

import queue
import sqlite3
import subprocess
import sys
import threading
import time

from coursesite.tests.test_site import BASE_DIR, PRODUCTION_ENV, clean_env

MANAGE = [sys.executable, "manage.py"]


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    return subprocess.run(  # noqa: S603 - our own interpreter and manage.py
        MANAGE + args, cwd=BASE_DIR, env=env, capture_output=True, text=True, timeout=120
    )


def test_a_worker_without_the_secret_key_refuses_to_start():
    env = clean_env(**{**PRODUCTION_ENV, "DJANGO_SECRET_KEY": "", "DJANGO_SECRET_KEY_FILE": ""})
    result = run(["db_worker", "--batch"], env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY (or DJANGO_SECRET_KEY_FILE) is not set" in result.stderr


def test_the_worker_waits_for_the_database_and_runs_the_queue_once_it_is_back(tmp_path):
    folder = tmp_path / "gone"  # not there: SQLite cannot open the database
    database = folder / "tasks.sqlite3"
    env = clean_env(**PRODUCTION_ENV, DATABASE_URL=f"sqlite:///{database}")
    lines: queue.Queue[str] = queue.Queue()
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [*MANAGE, "db_worker", "--interval", "0.2", "--no-startup-delay"],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    reader = threading.Thread(target=lambda: [lines.put(line) for line in worker.stdout])
    reader.daemon = True
    reader.start()

    def said(words: str, within: float) -> list[str]:
        seen, ends = [], time.monotonic() + within
        while time.monotonic() < ends:
            try:
                seen.append(lines.get(timeout=0.5))
            except queue.Empty:
                continue
            if words in seen[-1]:
                return seen
        raise AssertionError(f"{words!r} not said within {within} s: {seen}")

    try:
        # One line a try, not a traceback; the worker is still there.
        said("The database cannot be reached (unable to open database file)", within=60)
        assert worker.poll() is None

        # The database comes back, with a task in its queue.
        folder.mkdir()
        for app in ("django_tasks_database", "accounts"):
            assert run(["migrate", app, "--noinput", "-v0"], env).returncode == 0
        enqueue = (
            "from grading.tasks import send_mark_changed_email;"
            "print(send_mark_changed_email.enqueue(user_id=10**9, assignment_id=1).id)"
        )
        queued = run(["shell", "--no-imports", "-c", enqueue], env)
        task_id = queued.stdout.split()[-1].replace("-", "")  # SQLite stores UUIDs so

        ends = time.monotonic() + 60
        status = None
        while time.monotonic() < ends and status != "SUCCESSFUL":
            time.sleep(0.5)
            with sqlite3.connect(database) as connection:
                row = connection.execute(
                    "SELECT status FROM django_tasks_database_dbtaskresult WHERE id = ?",
                    (task_id,),
                ).fetchone()
            status = row[0] if row else None
        assert status == "SUCCESSFUL", list(lines.queue)
        assert worker.poll() is None
    finally:
        worker.terminate()
        worker.wait(timeout=30)
