"""The task worker outlives a database that goes away for a moment, and refuses to send
links signed with the public development key (probe 89: it ended for good on a database
restart, and a worker started without the key mailed reset links that never worked)."""

from __future__ import annotations

import os
import queue
import signal
import sqlite3
import subprocess
import sys
import threading
import time

import pytest
from django.tasks import TaskResultStatus
from django_tasks_db.models import DBTaskResult

from autograding.management.commands.db_worker import WaitingWorker
from coursesite.logfilters import database_unavailable
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


@pytest.mark.parametrize("reload", ["--no-reload", "--reload"])  # make run: --reload
def test_the_worker_waits_for_the_database_and_runs_the_queue_once_it_is_back(tmp_path, reload):
    folder = tmp_path / "gone"  # not there: SQLite cannot open the database
    database = folder / "tasks.sqlite3"
    env = clean_env(**PRODUCTION_ENV, DATABASE_URL=f"sqlite:///{database}")
    lines: queue.Queue[str] = queue.Queue()
    worker = subprocess.Popen(  # noqa: S603 - our own interpreter and manage.py
        [*MANAGE, "db_worker", "--interval", "0.2", "--no-startup-delay", reload],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,  # the reloader's child goes with it
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
        # Made beside it and moved in at once: the worker meets no half-migrated one.
        ready = tmp_path / "ready"
        ready.mkdir()
        beside = {**env, "DATABASE_URL": f"sqlite:///{ready / 'tasks.sqlite3'}"}
        for app in ("django_tasks_database", "accounts"):
            assert run(["migrate", app, "--noinput", "-v0"], beside).returncode == 0
        enqueue = (
            "from grading.tasks import send_mark_changed_email;"
            "print(send_mark_changed_email.enqueue(user_id=10**9, assignment_id=1).id)"
        )
        queued = run(["shell", "--no-imports", "-c", enqueue], beside)
        task_id = queued.stdout.split()[-1].replace("-", "")  # SQLite stores UUIDs so
        ready.rename(folder)

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
        os.killpg(worker.pid, signal.SIGTERM)
        worker.wait(timeout=30)


@pytest.mark.django_db
def test_the_task_a_worker_was_running_when_the_database_went_is_queued_again():
    """Probe 93: its end could not be written, and a task left "running" is never taken
    again: an email lost for good. Another worker's task stays as it is."""
    from grading.tasks import send_mark_changed_email

    mine, theirs = (
        DBTaskResult.objects.get(pk=send_mark_changed_email.enqueue(user_id=1, assignment_id=1).id)
        for _ in range(2)
    )
    DBTaskResult.objects.filter(pk=mine.pk).update(status="RUNNING", worker_ids=["me"])
    DBTaskResult.objects.filter(pk=theirs.pk).update(status="RUNNING", worker_ids=["other"])
    worker = WaitingWorker(
        queue_names=["default"],
        interval=1,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id="me",
        excluded_queue_names=[],
    )
    worker._put_back_interrupted()
    assert DBTaskResult.objects.get(pk=mine.pk).status == TaskResultStatus.READY
    assert DBTaskResult.objects.get(pk=theirs.pk).status == TaskResultStatus.RUNNING


def test_only_a_database_out_of_reach_is_taken_for_an_outage():
    """Probe 93: a missing column, a statement timeout and a KeyError raised while
    handling a lock error were answered 503 'the database is restarting', untraced."""
    from django.db import InterfaceError, OperationalError

    refused = 'connection failed: connection to server at "10.0.0.5", port 5432 failed: refused'
    for outage in (
        OperationalError(refused),
        OperationalError("terminating connection due to administrator command"),
        OperationalError("unable to open database file"),
        InterfaceError("the connection is closed"),
    ):
        assert database_unavailable(outage) is outage
    for bug in (
        OperationalError("no such column: projects_projectassignment.brief_html"),
        OperationalError("too many SQL variables"),
        OperationalError("canceling statement due to statement timeout"),
    ):
        assert database_unavailable(bug) is None
    try:
        try:
            raise OperationalError("database is locked")
        except OperationalError:
            {}["typo"]  # noqa: B018 - the bug raised while handling it
    except KeyError as handled:
        assert database_unavailable(handled) is None
    wrapped = RuntimeError("while reading")
    wrapped.__cause__ = OperationalError(refused)
    assert database_unavailable(wrapped) is wrapped.__cause__
