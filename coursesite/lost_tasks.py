"""Background tasks whose worker died while running them: put back in the queue.

django_tasks_db marks a task "running" when a worker takes it and "successful" or
"failed" when the worker ends it. A worker killed in between (out of memory, a reboot,
``docker stop`` cutting a long build short) leaves the task "running" forever: a
password-reset email or a batch of invitations was never sent, and nothing said so
(probe 52). Autograding runs have their own recovery (``recover_stale_runs``); their
tasks, put back too, find their run taken and end.

Every task here is safe to run again (an email sent twice beats one never sent; the
others check what is left to do). A task still running after ``lost_after()`` is taken
for lost: twice as long as any task may take (an environment build's time limit; a
task of EMAILS_PER_TASK emails each waiting the mail server's timeout). Workers have no
heartbeat, so a task past that is taken for lost even if its worker lives: the bound
is what keeps it from being run twice (probe 56: a roster's 5,000 notices in one task).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from coursesite.emails import EMAILS_PER_TASK

logger = logging.getLogger(__name__)

# A task taken this many times by workers that died is not put back again: it is what
# kills them (it fails, with the reason).
MAX_TAKES = 3
# How often one worker process looks (each time it starts a task, at most this often).
SWEEP_EVERY_SECONDS = 300
_last_sweep = 0.0


class WorkerLost(Exception):
    """A task's worker stopped while running it, too many times."""


def lost_after() -> timedelta:
    mail_timeout = settings.MAILERS["default"].get("OPTIONS", {}).get("timeout") or 10
    longest = max(settings.AUTOGRADING_BUILD_TIMEOUT, EMAILS_PER_TASK * mail_timeout)
    return max(timedelta(hours=1), timedelta(seconds=2 * longest))


def requeue_lost_tasks(now=None) -> int:
    """Put the tasks whose worker died back in the queue (or end them, after MAX_TAKES
    takes); return how many were found."""
    now = now or timezone.now()
    lost = DBTaskResult.objects.running().filter(started_at__lt=now - lost_after())
    found = 0
    for task in lost.only("pk", "status", "started_at", "worker_ids", "task_path"):
        # Only as it was read: a worker that ended it meanwhile has the last word.
        same = DBTaskResult.objects.filter(
            pk=task.pk, status=task.status, started_at=task.started_at
        )
        with transaction.atomic():
            if len(task.worker_ids) < MAX_TAKES:
                changed = same.update(status=TaskResultStatus.READY, started_at=None)
                action = "queued again"
            else:
                error = WorkerLost(f"Its worker stopped while running it {MAX_TAKES} times.")
                changed = same.update(
                    status=TaskResultStatus.FAILED,
                    finished_at=now,
                    exception_class_path=f"{__name__}.WorkerLost",
                    traceback=str(error),
                )
                action = "ended"
        if changed:
            found += 1
            logger.warning(
                "Task %s (%s) was left running by a worker that stopped: %s.",
                task.pk,
                task.task_path,
                action,
            )
    return found


def sweep_when_a_task_starts(sender, **kwargs) -> None:
    """``task_started`` receiver: look for lost tasks, at most every SWEEP_EVERY_SECONDS
    in a process (a worker starts tasks while there are any; a lost one waits for the
    next, at most ``lost_after()`` later)."""
    global _last_sweep
    if time.monotonic() - _last_sweep < SWEEP_EVERY_SECONDS:
        return
    _last_sweep = time.monotonic()
    requeue_lost_tasks()
