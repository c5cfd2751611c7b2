"""Emails written as three templates: emails/<name>-subject.txt, -body.txt and -body.html."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from datetime import timedelta
from smtplib import SMTPException
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.utils import timezone

logger = logging.getLogger(__name__)


def send_templated_email(name: str, context: dict[str, Any], to: str, *, reply_to: str = "") -> int:
    """Send the email NAME, rendered with CONTEXT, to the address TO (answers going to
    REPLY_TO, if given); return 1 if sent.

    Every email names the site and links to it: ``site_name`` and ``site_url`` are in
    each context, unless CONTEXT gives its own.
    """
    context = {"site_name": settings.SITE_NAME, "site_url": settings.SITE_URL, **context}
    # A template's line breaks must not reach the header; the HTML part has it as its title.
    subject = " ".join(render_to_string(f"emails/{name}-subject.txt", context).split())
    context["email_subject"] = subject
    message = EmailMultiAlternatives(
        subject=subject,
        body=render_to_string(f"emails/{name}-body.txt", context),
        to=[to],
        reply_to=[reply_to] if reply_to else None,
    )
    message.attach_alternative(render_to_string(f"emails/{name}-body.html", context), "text/html")
    return message.send()


def send_each(rows: Iterable[Any], send: Callable[[Any], int], *, what: str) -> tuple[int, list]:
    """Call SEND (one email, returns 1 if sent) for each of ROWS; return how many were
    sent and the ids of the rows whose email the mail server refused or could not be
    reached for (logged as WHAT and the id): one refusal does not stop the others."""
    sent, failed = 0, []
    for row in rows:
        try:
            sent += send(row)
        except (SMTPException, OSError):
            logger.exception("%s %s was not sent", what, row.pk)
            failed.append(row.pk)
    return sent, failed


# Emails per task when a task sends many (a roster's invitations or enrollment notices):
# each may wait for the mail server's timeout, and a task must end well within the hour
# after which coursesite.lost_tasks takes it for lost.
EMAILS_PER_TASK = 100


def in_chunks(ids: list[int], size: int = EMAILS_PER_TASK) -> list[list[int]]:
    return [ids[start : start + size] for start in range(0, len(ids), size)]


# An email the mail server refused, or could not be reached for, is tried again after
# these waits (minutes); after the last, its task fails, and the tasks' list says so.
RETRY_MINUTES = (1, 5, 15, 60)


class EmailNotSent(Exception):
    """An email task's last try failed: raised so that the task is recorded as failed."""


def retry_or_fail(task, *, attempt: int, what: str, **kwargs) -> None:
    """Queue TASK again with KWARGS (and the next ATTEMPT) after its wait, or raise
    EmailNotSent once the tries are spent. WHAT names the email in the log."""
    if attempt > len(RETRY_MINUTES):
        raise EmailNotSent(f"{what}: not sent after {attempt} tries; see the log for why.")
    wait = RETRY_MINUTES[attempt - 1]
    later = task
    if task.get_backend().supports_defer:  # not the immediate backend of development
        later = task.using(run_after=timezone.now() + timedelta(minutes=wait))
    logger.warning("%s: not sent (try %s), trying again in %s min.", what, attempt, wait)
    later.enqueue(attempt=attempt + 1, **kwargs)


def send_each_or_retry(
    task,
    rows: Iterable[Any],
    send: Callable[[Any], int],
    *,
    what: str,
    attempt: int,
    retry_ids: str,
    **kwargs,
) -> int:
    """SEND an email for each of ROWS (``send_each``), then queue TASK again for the rows
    the mail server refused: their ids as the argument RETRY_IDS, with KWARGS
    (``retry_or_fail``). Return how many went. WHAT names the email in the log."""
    sent, failed = send_each(rows, send, what=what)
    if failed:
        retry_or_fail(
            task, attempt=attempt, what=f"{what} {failed}", **{retry_ids: failed}, **kwargs
        )
    return sent


def send_or_retry(task, send: Callable[[], int], *, attempt: int, what: str, **kwargs) -> int:
    """Return SEND() (one email: 1 if sent); if the mail server refused it or could not be
    reached, queue TASK again with KWARGS (``retry_or_fail``) and return 0.

    For the tasks that send one email (probe 55: a release, a password-changed or an
    address-changed notice was lost for good when the mail server was down)."""
    try:
        return send()
    except (SMTPException, OSError):
        logger.exception("%s was not sent", what)
        retry_or_fail(task, attempt=attempt, what=what, **kwargs)
        return 0
