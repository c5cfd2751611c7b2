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


def test_a_mark_set_for_a_student_in_no_group_is_released_to_them(alice, bob, grace):
    """An override of a student in no group was in the gradebook and the API only: the
    student found no line on their feedback list and got no email (probe 64)."""
    from accounts.tests.factories import UserFactory

    from .factories import complete_review, enroll

    world = grading_world(alice=alice, bob=bob, grace=grace)
    complete_review(world, correctness="9", style="5")
    latecomer = enroll(UserFactory(username="erin", email="erin@example.org"), world.course)
    services.mark_override(
        assignment=world.assignment,
        student=latecomer,
        mark=Decimal("70"),
        reason="Joined the course after the groups closed; oral exam instead.",
        by=alice,
    )
    client = Client()
    client.force_login(latecomer)
    before = client.get(reverse("grading:feedback_list")).content.decode()
    assert "70.00" not in before and "No released feedback yet" in before

    services.grades_release(assignment=world.assignment, by=alice)
    call_command("db_worker", batch=True, startup_delay=False, reload=False, verbosity=0)

    to_erin = [m for m in mail.outbox if m.to == ["erin@example.org"]]
    assert len(to_erin) == 1
    assert "Your instructor set your mark for it" in to_erin[0].body
    assert "/grading/feedback/\n" in to_erin[0].body
    assert len(mail.outbox) == 3  # bob and dave, as before, and erin
    page = client.get(reverse("grading:feedback_list")).content.decode()
    assert "Your mark: 70.00%" in page and "set by your instructor" in page
    assert "No released feedback yet" not in page
    # bob's list shows his group's feedback and mark, not erin's.
    client.force_login(bob)
    page = client.get(reverse("grading:feedback_list")).content.decode()
    assert page.count("Your mark: ") == 1 and "70.00" not in page
    # Removed from the course, erin sees it no more and is told nothing more of it.
    from grading.tasks import send_grades_released_email, send_mark_changed_email
    from lessons.models import Enrollment

    Enrollment.objects.filter(user=latecomer, course=world.course).delete()
    client.force_login(latecomer)
    assert "70.00" not in client.get(reverse("grading:feedback_list")).content.decode()
    ids = {"user_id": latecomer.pk, "assignment_id": world.assignment.pk}
    assert send_grades_released_email.call(**ids) == 0
    assert send_mark_changed_email.call(**ids) == 0
    # Nor does a student enrolled in another course only.
    from lessons.tests.factories import CourseFactory

    elsewhere = enroll(UserFactory(username="otto"), CourseFactory())
    client.force_login(elsewhere)
    assert "Your mark" not in client.get(reverse("grading:feedback_list")).content.decode()
    assert (
        send_mark_changed_email.call(user_id=elsewhere.pk, assignment_id=world.assignment.pk) == 0
    )
