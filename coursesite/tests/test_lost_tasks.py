"""Tasks left "running" by a worker that died are found by the workers still running
(probe 52: a worker killed while sending a password reset left its task running
forever, and the email was never sent)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.tasks import TaskResultStatus
from django.utils import timezone
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

from accounts.tasks import send_invitation_emails, send_password_reset_email
from accounts.tests.factories import UserFactory
from coursesite import lost_tasks

pytestmark = pytest.mark.django_db(transaction=True)


def taken_by_a_worker_that_died(result, *, ago: timedelta, takes: int = 1) -> DBTaskResult:
    row = DBTaskResult.objects.get(pk=result.id)
    for n in range(takes):
        row.claim(f"worker-{n}")
    DBTaskResult.objects.filter(pk=row.pk).update(started_at=timezone.now() - ago)
    row.refresh_from_db()
    return row


def run_a_worker() -> None:
    Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=None, worker_id="alive", excluded_queue_names=[],
    ).run()  # fmt: skip


def test_a_task_whose_worker_died_is_run_again_by_another_worker(mailoutbox, monkeypatch):
    monkeypatch.setattr(lost_tasks, "_last_sweep", 0.0)  # no sweep yet in this process
    ada, bo, cy = (UserFactory(email=f"{n}@example.org", is_active=True) for n in "abc")
    long_ago = lost_tasks.lost_after() + timedelta(minutes=1)
    lost = taken_by_a_worker_that_died(
        send_password_reset_email.enqueue(email=ada.email), ago=long_ago
    )
    # Started a moment ago: a live worker may be running it still.
    running = taken_by_a_worker_that_died(
        send_password_reset_email.enqueue(email=bo.email), ago=timedelta(minutes=5)
    )
    # Taken three times by workers that died: it is what kills them.
    fatal = taken_by_a_worker_that_died(
        send_password_reset_email.enqueue(email=cy.email),
        ago=long_ago,
        takes=lost_tasks.MAX_TAKES,
    )
    send_invitation_emails.enqueue(user_ids=[])  # anything a worker starts

    run_a_worker()

    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.SUCCESSFUL
    assert [message.to for message in mailoutbox if "a@example.org" in message.to] == [
        ["a@example.org"]
    ]
    running.refresh_from_db()
    assert running.status == TaskResultStatus.RUNNING
    fatal.refresh_from_db()
    assert fatal.status == TaskResultStatus.FAILED
    assert fatal.exception_class_path == "coursesite.lost_tasks.WorkerLost"
    assert not any("c@example.org" in message.to for message in mailoutbox)


def test_workers_look_for_lost_tasks_now_and_then_not_at_every_task(monkeypatch):
    monkeypatch.setattr(lost_tasks, "_last_sweep", 0.0)
    user = UserFactory(email="d@example.org")
    long_ago = lost_tasks.lost_after() + timedelta(minutes=1)
    send_invitation_emails.enqueue(user_ids=[])
    run_a_worker()  # it looked when it started that task
    lost = taken_by_a_worker_that_died(
        send_password_reset_email.enqueue(email=user.email), ago=long_ago
    )
    send_invitation_emails.enqueue(user_ids=[])
    run_a_worker()  # within SWEEP_EVERY_SECONDS: not again
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.RUNNING
    assert lost_tasks.requeue_lost_tasks() == 1  # what the next look finds
    lost.refresh_from_db()
    assert lost.status == TaskResultStatus.READY and lost.started_at is None


def test_emails_go_before_the_autograders_slow_tasks(mailoutbox):
    """Probe 52: a password reset waited 26 s behind an environment build."""
    from autograding.tasks import build_environment, run_tests

    user = UserFactory(email="e@example.org")
    slow = [build_environment.enqueue(suite_id=0), run_tests.enqueue(run_id=0)]
    reset = send_password_reset_email.enqueue(email=user.email)  # queued last
    Worker(
        queue_names=["default"], interval=0, batch=True, backend_name="default",
        startup_delay=False, max_tasks=1, worker_id="alive", excluded_queue_names=[],
    ).run()  # fmt: skip
    assert DBTaskResult.objects.get(pk=reset.id).status == TaskResultStatus.SUCCESSFUL
    assert [message.to for message in mailoutbox] == [["e@example.org"]]
    for result in slow:
        assert DBTaskResult.objects.get(pk=result.id).status == TaskResultStatus.READY
