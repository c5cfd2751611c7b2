"""The background task worker (emails, autograding runs): django_tasks_db's ``db_worker``,
which outlives a database restart and refuses what the site refuses.

django_tasks_db's worker ended for good when the database went away for a moment (a
restart, a failover): gunicorn reconnected by itself, the worker did not, and every
invitation, reset link and autograding run waited in the queue with nothing said
(probe 89). This one waits for the database and goes on, with ``--reload`` (``make
run``) as without it (probe 93): the waiting is the worker's own loop, so a shutdown
asked meanwhile and ``--max-tasks`` hold across the outage. A task it was running when
the database went is put back in the queue once the database is back (its end could
not be written; every task is safe to run again: coursesite/lost_tasks.py).

It also checks what the web server checks when it starts: the emailed links are signed
here, so a worker with the public development key sent links that never worked.

It lives in autograding, the app that may import all the others; INSTALLED_APPS lists
django_tasks_db after it, so ``manage.py db_worker`` is this command.
"""

from __future__ import annotations

import logging
import os
import time

from django.core import checks
from django.core.management.base import SystemCheckError
from django.db import InterfaceError, OperationalError, connections
from django.tasks import TaskResultStatus
from django.utils.autoreload import DJANGO_AUTORELOAD_ENV
from django_tasks_db.management.commands import db_worker
from django_tasks_db.models import DBTaskResult

from coursesite.checks import log_serving_risks
from coursesite.logfilters import database_unavailable
from coursesite.settings import require_secret_key

logger = logging.getLogger(__name__)

# Seconds between tries while the database cannot be reached: doubling, up to the last.
RETRY_DELAYS = (1, 2, 4, 8, 15, 30)
# A worker that ran this long since its last try was working: its next outage starts
# the delays over.
SETTLED_AFTER = 60


class WaitingWorker(db_worker.Worker):
    """django_tasks_db's worker, whose loop waits for the database instead of ending."""

    def run(self) -> None:
        tries = 0
        checked = False
        while self.running:
            started = time.monotonic()
            try:
                if not checked:
                    # The system checks, which ask the database (SQLite's JSON support),
                    # here where a database not there yet is waited for.
                    _check_the_system()
                    checked = True
                self._put_back_interrupted()
                super().run()
                return
            except (OperationalError, InterfaceError) as exc:
                if not database_unavailable(exc):
                    raise  # a bug of ours, not an outage: said as any error is
                if time.monotonic() - started > SETTLED_AFTER:
                    tries = 0
                delay = RETRY_DELAYS[min(tries, len(RETRY_DELAYS) - 1)]
                tries += 1
                words = str(exc).strip().splitlines()
                # One line, not a traceback each time: an outage of an hour is 120 lines.
                logger.warning(
                    "The database cannot be reached (%s): queued tasks wait. Trying again in %d s.",
                    words[0] if words else type(exc).__name__,
                    delay,
                )
                connections.close_all()
                self.running_task = False
                for _ in range(delay * 10):  # a shutdown asked meanwhile ends it at once
                    if not self.running:
                        return
                    time.sleep(0.1)

    def _put_back_interrupted(self) -> None:
        """Queue again the task this worker was running when the database went: its end
        could not be written, and ``ready()`` never takes a task left "running"."""
        # A few rows at most; the last worker that took each is read here (a JSON list:
        # SQLite has no lookup into it).
        running = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING)
        for task in running.only("pk", "worker_ids"):
            if task.worker_ids and task.worker_ids[-1] == self.worker_id:
                DBTaskResult.objects.filter(pk=task.pk, status=TaskResultStatus.RUNNING).update(
                    status=TaskResultStatus.READY, started_at=None
                )
                logger.warning("Task %s, interrupted by the outage, is queued again.", task.pk)


class Command(db_worker.Command):
    help = (
        "Run the background tasks (emails, autograding runs) as they are queued. Waits "
        "for the database when it cannot be reached, and goes on when it is back."
    )
    # Run by the worker, where a database not there yet is waited for.
    requires_system_checks = []

    def handle(self, **options) -> None:
        require_secret_key()
        if os.environ.get(DJANGO_AUTORELOAD_ENV) != "true":  # once, not in the reloader's child
            log_serving_risks()
        # django_tasks_db's handle builds its module's Worker (with or without the
        # reloader): this command's is the waiting one.
        db_worker.Worker = WaitingWorker
        super().handle(**options)


def _check_the_system() -> None:
    """Run the system checks as a command does, refusing to start on a serious one."""
    serious = [
        found
        for found in checks.run_checks(databases=["default"])
        if found.is_serious() and not found.is_silenced()
    ]
    if serious:
        raise SystemCheckError("\n".join(str(found) for found in serious))
