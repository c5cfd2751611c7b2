"""Grade-release emails go through the real database task queue and its worker."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_tasks_db.models import DBTaskResult

from grading import services

from .factories import grading_world

pytestmark = pytest.mark.django_db(transaction=True)


def test_release_emails_are_sent_by_the_worker_not_the_request(alice, bob, grace, settings):
    settings.SITE_NAME = "Pyweb Academy"
    settings.SITE_URL = "https://courses.example.edu"
    world = grading_world(alice=alice, bob=bob, grace=grace)
    services.review_save(
        review=world.review,
        by=grace,
        scores={world.correctness.pk: (Decimal(9), ""), world.style.pk: (Decimal(5), "")},
        overall_feedback="",
        complete=True,
    )
    client = Client()
    client.force_login(alice)
    url = reverse("grading:release_grades", kwargs={"pk": world.assignment.pk})
    response = client.post(url, {"confirm": "on"})
    assert response.status_code == 302

    # The request only enqueued: two tasks wait in the database, no email left yet.
    assert mail.outbox == []
    assert DBTaskResult.objects.filter(status="READY").count() == 2

    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    assert DBTaskResult.objects.filter(status="SUCCESSFUL").count() == 2
    assert sorted(m.to[0] for m in mail.outbox) == ["bob@example.org", "dave@example.org"]
    message = mail.outbox[0]
    assert message.subject == "Feedback released: Blog engine"
    # Links start with SITE_URL, whatever host the instructor's request came in on.
    feedback = f"https://courses.example.edu/grading/feedback/{world.submission.pk}/"
    assert feedback in message.body
    assert feedback in message.alternatives[0].content
    assert "testserver" not in message.body
    assert "Pyweb Academy" in message.body and "Pyweb Academy" in message.alternatives[0].content
