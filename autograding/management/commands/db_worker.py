"""The background task worker (emails, autograding runs): django_tasks_db's ``db_worker``,
which outlives a database restart and refuses what the site refuses.

django_tasks_db's worker ended for good when the database went away for a moment (a
restart, a failover): gunicorn reconnected by itself, the worker did not, and every
invitation, reset link and autograding run waited in the queue with nothing said
(probe 89). This one waits for the database and goes on. It also checks what the web
server checks when it starts: the emailed links are signed here, so a worker with the
public development key sent links that never worked.

It lives in autograding, the app that may import all the others; INSTALLED_APPS lists
django_tasks_db after it, so ``manage.py db_worker`` is this command.
"""

from __future__ import annotations

import logging
import time

from django.db import InterfaceError, OperationalError, connections
from django_tasks_db.management.commands import db_worker

from coursesite.checks import log_serving_risks
from coursesite.settings import require_secret_key

logger = logging.getLogger(__name__)

# Seconds between tries while the database cannot be reached: doubling, up to the last.
RETRY_DELAYS = (1, 2, 4, 8, 15, 30)
# A worker that ran this long since its last start was working: its next outage starts
# the delays over.
SETTLED_AFTER = 60


class Command(db_worker.Command):
    help = (
        "Run the background tasks (emails, autograding runs) as they are queued. Waits "
        "for the database when it cannot be reached, and goes on when it is back."
    )
    # Run in handle, where a database not there yet is waited for: some checks ask it
    # (SQLite's JSON support), and a worker started before it ended at once.
    requires_system_checks = []

    def handle(self, **options) -> None:
        require_secret_key()
        log_serving_risks()
        checked = False
        tries = 0
        while True:
            started = time.monotonic()
            try:
                if not checked:
                    self.check()
                    checked = True
                return super().handle(**options)
            except (OperationalError, InterfaceError) as exc:
                if time.monotonic() - started > SETTLED_AFTER:
                    tries = 0
                delay = RETRY_DELAYS[min(tries, len(RETRY_DELAYS) - 1)]
                tries += 1
                # One line, not a traceback each time: an outage of an hour is 120 lines.
                reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc)
                logger.warning(
                    "The database cannot be reached (%s): tasks wait in the queue. "
                    "Trying again in %d s.",
                    reason,
                    delay,
                )
                connections.close_all()
                time.sleep(delay)
