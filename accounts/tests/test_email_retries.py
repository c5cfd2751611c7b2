"""Emails the mail server refuses, or cannot be reached for, are tried again later; after
the last try their task fails, so that the failure shows in the tasks' list. The server
here is real: Django's SMTP backend pointed at a port nobody listens on."""

from __future__ import annotations

import socket
from datetime import timedelta

import pytest
from django.tasks import default_task_backend
from django.utils import timezone

from accounts.tasks import send_invitation_emails, send_password_reset_email
from accounts.tests.factories import UserFactory
from coursesite.emails import RETRY_MINUTES, EmailNotSent

pytestmark = pytest.mark.django_db


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture
def unreachable_mail_server(settings):
    settings.MAILERS = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": closed_port(), "timeout": 2},
        }
    }
    # Queued tasks are kept, not run: the test reads what was queued, and when for.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.results.clear()


def test_an_invitation_not_sent_is_queued_again_then_fails_its_task(unreachable_mail_server):
    invited = UserFactory(email="new@example.org")
    invited.set_unusable_password()
    invited.save()
    before = timezone.now()
    assert send_invitation_emails.call(user_ids=[invited.pk]) == 0
    [retry] = default_task_backend.results
    assert retry.task.name == send_invitation_emails.name
    assert retry.kwargs == {"user_ids": [invited.pk], "attempt": 2}
    assert retry.task.run_after >= before + timedelta(minutes=RETRY_MINUTES[0])
    # The last try fails the task: the tasks' list shows it, with why.
    last = len(RETRY_MINUTES) + 1
    with pytest.raises(EmailNotSent, match=f"not sent after {last} tries"):
        send_invitation_emails.call(user_ids=[invited.pk], attempt=last)


def test_a_password_reset_not_sent_is_queued_again(unreachable_mail_server):
    UserFactory(email="sam@example.org")
    send_password_reset_email.call(email="sam@example.org")
    [retry] = default_task_backend.results
    assert retry.kwargs == {"email": "sam@example.org", "attempt": 2}
    # An address with no account sends nothing, so nothing fails or is queued.
    default_task_backend.results.clear()
    send_password_reset_email.call(email="nobody@example.org")
    assert default_task_backend.results == []


def test_a_sent_email_is_not_queued_again(settings, mailoutbox):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.dummy.DummyBackend"}}
    default_task_backend.results.clear()
    UserFactory(email="sam@example.org")
    send_password_reset_email.call(email="sam@example.org")
    assert [m.to for m in mailoutbox] == [["sam@example.org"]]
    assert default_task_backend.results == []


def test_every_email_is_tried_again_when_the_mail_server_cannot_be_reached(
    unreachable_mail_server, alice, bob, grace
):
    """Probe 55: only invitations, enrollment notices and resets were tried again; a
    release, a new version, an after-release, a password-changed, an address-changed or a
    confirmation email was lost for good when the mail server was down."""
    from accounts.tasks import (
        send_confirmation_email,
        send_email_changed_email,
        send_password_changed_email,
    )
    from grading import services
    from grading.tasks import (
        send_after_release_email,
        send_grades_released_email,
        send_mark_changed_email,
        send_new_version_email,
        send_regrade_message_email,
    )
    from grading.tests.factories import complete_review, grading_world

    world = grading_world(alice=alice, bob=bob, grace=grace)
    complete_review(world)
    services.mark_override(
        assignment=world.assignment, student=world.dave, mark=70, reason="Oral.", by=alice
    )
    services.grades_release(assignment=world.assignment, by=alice)
    assignment = world.assignment.pk
    regrade = services.regrade_request_create(
        review=world.review, criterion=world.style, student=bob, reason="Tidy."
    )
    question = services.regrade_message_add(regrade=regrade, by=grace, text="Which file?")
    unconfirmed = UserFactory(email="new@example.org", email_confirmed=False)
    now = timezone.now().isoformat()
    calls = [
        (send_grades_released_email, {"user_id": bob.pk, "review_id": world.review.pk}),
        (send_grades_released_email, {"user_id": world.dave.pk, "assignment_id": assignment}),
        (
            send_mark_changed_email,
            {
                "user_id": world.dave.pk,
                "assignment_id": assignment,
                "why": "regrade",
                "regrade_id": regrade.pk,
            },
        ),
        (
            send_new_version_email,
            {"review_id": world.review.pk, "submission_id": world.submission.pk},
        ),
        (send_after_release_email, {"submission_id": world.submission.pk}),
        (send_regrade_message_email, {"message_id": question.pk}),
        (
            send_password_changed_email,
            {"user_id": bob.pk, "email": bob.email, "how": "changed", "changed_at": now},
        ),
        (
            send_email_changed_email,
            {
                "user_id": bob.pk,
                "old_email": "old@example.org",
                "new_email": bob.email,
                "changed_at": now,
                "by_administrator": True,
            },
        ),  # fmt: skip
        (send_confirmation_email, {"user_id": unconfirmed.pk, "email": unconfirmed.email}),
    ]
    for task, kwargs in calls:
        default_task_backend.results.clear()
        assert task.call(**kwargs) == 0, task.name
        [retry] = default_task_backend.results
        assert retry.task.name == task.name
        expected = dict(kwargs)
        if task is send_after_release_email:  # only those it was not sent to: all here
            expected["user_ids"] = [alice.pk, grace.pk]
        if task is send_regrade_message_email:  # the group's members
            expected["user_ids"] = [bob.pk, world.dave.pk]
        assert retry.kwargs == {**expected, "attempt": 2}, task.name
        last = len(RETRY_MINUTES) + 1
        with pytest.raises(EmailNotSent):
            task.call(**retry.kwargs | {"attempt": last})


def test_an_invitation_tried_again_is_not_counted_again(unreachable_mail_server, settings):
    """Probe 56: three tries in an outage spent the address's three invitations of the
    hour, and the fourth try was dropped as over the limit, the task recorded a success."""
    settings.PASSWORD_RESET_EMAIL_LIMIT = 3
    invited = UserFactory(email="late@example.org")
    invited.set_unusable_password()
    invited.save()
    kwargs = {"user_ids": [invited.pk]}
    for attempt in range(1, len(RETRY_MINUTES) + 1):
        default_task_backend.results.clear()
        assert send_invitation_emails.call(**kwargs, attempt=attempt) == 0
        [retry] = default_task_backend.results  # queued again each time, never dropped
        assert retry.kwargs == {**kwargs, "attempt": attempt + 1}
    with pytest.raises(EmailNotSent):
        send_invitation_emails.call(**kwargs, attempt=len(RETRY_MINUTES) + 1)
