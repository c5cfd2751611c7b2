"""How long the site keeps what it logs of people (probe 72: nothing was ever pruned).

The login logs (axes: who logged in, from where, with which browser; and what was typed
as a username at a failed login, sometimes a password by mistake) and the finished
background tasks (their arguments hold email addresses, typed by anyone at the password
reset) are deleted once older than ``LOGIN_LOG_DAYS`` and ``TASK_RESULT_DAYS``: now and
then, as people log in (accounts.sessions), so no scheduled job is needed.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

# What axes logs of logins: successes, failures, and the lockout counters.
LOGIN_LOGS = (AccessLog, AccessFailureLog, AccessAttempt)


def tasks_not_running():
    """Background tasks that ran, or wait to run (READY): not one a worker holds now."""
    return DBTaskResult.objects.exclude(status=TaskResultStatus.RUNNING)


def finished_tasks():
    """Background tasks that ran (one waiting to run still needs its arguments)."""
    return DBTaskResult.objects.filter(
        status__in=[TaskResultStatus.SUCCESSFUL, TaskResultStatus.FAILED]
    )


def logs_past_retention_delete(now: datetime | None = None) -> int:
    """Delete the login logs and finished tasks older than their retention; return how
    many rows went."""
    now = now or timezone.now()
    logins_before = now - timedelta(days=settings.LOGIN_LOG_DAYS)
    deleted = 0
    for model in LOGIN_LOGS:
        deleted += model.objects.filter(attempt_time__lt=logins_before).delete()[0]
    tasks_before = now - timedelta(days=settings.TASK_RESULT_DAYS)
    deleted += finished_tasks().filter(finished_at__lt=tasks_before).delete()[0]
    return deleted
