"""An instructor emails a message to people of their course from the back office (probe
101: there was no way to reach a student or a group but one's own mail client)."""

from __future__ import annotations

import re
from html import unescape

import pytest
from django.contrib.admin import helpers
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import UserFactory
from lessons.models import Enrollment
from lessons.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
CHANGELIST = reverse("admin:lessons_enrollment_changelist")


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    settings.TASKS = IMMEDIATE
    settings.SITE_URL = "https://courses.example.edu"


def post(client, ids, capture=None, **fields):
    data = {"action": "email_people", helpers.ACTION_CHECKBOX_NAME: [str(pk) for pk in ids]}
    data.update(fields)
    if capture is None:
        return client.post(CHANGELIST, data)
    with capture(execute=True):
        return client.post(CHANGELIST, data)


def test_a_message_reaches_each_selected_person_with_answers_to_the_instructor(
    client, pyweb, alice, bob, grace, mailoutbox, django_capture_on_commit_callbacks
):
    pyweb.course.code = "PY-WEB"
    pyweb.course.save()
    rows = Enrollment.objects.filter(course=pyweb.course, user__in=[bob, grace])
    ids = list(rows.values_list("pk", flat=True))
    client.force_login(alice)

    form = post(client, ids)
    assert form.status_code == 200
    page = unescape(form.content.decode())
    assert "To 2 people of" in page and f"answers come to your address, {alice.email}" in page
    assert "Bob Student (student," in page and "Grace Grader (grader," in page

    # Nothing typed: said on the form, nothing sent.
    refused = post(client, ids, post="yes", subject="  ", message="Room change")
    assert refused.status_code == 200
    assert "Give the message a subject." in refused.content.decode()
    assert "Room change" in refused.content.decode()  # kept
    assert mailoutbox == []

    sent = post(
        client,
        ids,
        django_capture_on_commit_callbacks,
        post="yes",
        subject="Room change\r\nBcc: everyone@example.org",
        message="Thursday's lab is in room 204.\n<script>alert(1)</script>",
    )
    assert sent.status_code == 302
    said = [str(m) for m in get_messages(sent.wsgi_request)]
    assert "“Room change Bcc: everyone@example.org” is being emailed to 2 people." in said
    assert sorted(message.to[0] for message in mailoutbox) == sorted([bob.email, grace.email])
    email = mailoutbox[0]
    assert email.subject == "[PY-WEB] Room change Bcc: everyone@example.org"  # one line
    assert email.reply_to == [alice.email]
    assert email.bcc == [] and len(email.to) == 1
    assert "Thursday's lab is in room 204." in email.body
    assert "Alice Instructor, about" in email.body
    html = email.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_people_without_an_address_or_an_active_account_are_left_out_and_said(
    client, pyweb, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    gone = UserFactory(username="gone", is_active=False)
    EnrollmentFactory(user=gone, course=pyweb.course, role=Role.STUDENT)
    ids = Enrollment.objects.filter(user__in=[bob, gone]).values_list("pk", flat=True)
    client.force_login(alice)
    page = unescape(post(client, ids).content.decode())
    assert "Left out, without an active account with an address:" in page
    sent = post(
        client, ids, django_capture_on_commit_callbacks, post="yes", subject="Hi", message="Hi"
    )
    said = [str(m) for m in get_messages(sent.wsgi_request)]
    assert said == [
        "“Hi” is being emailed to 1 person. 1 selected person has no active account with an "
        "address, and was left out."
    ]
    assert [message.to for message in mailoutbox] == [[bob.email]]


def test_another_course_s_people_cannot_be_messaged(
    client, pyweb, other_course, alice, charlie, mailoutbox, django_capture_on_commit_callbacks
):
    """The instructor of course A posts the enrollment ids of course B: nothing is sent."""
    theirs = Enrollment.objects.get(user=charlie, course=other_course.course)
    client.force_login(alice)
    response = post(
        client,
        [theirs.pk],
        django_capture_on_commit_callbacks,
        post="yes",
        subject="Hello",
        message="Hello",
    )
    assert response.status_code == 302
    assert mailoutbox == []
    # A student or a grader of course A has no back office at all.
    for user in (charlie,):
        client.force_login(user)
        assert post(client, [theirs.pk]).status_code == 302  # to the login page
        assert mailoutbox == []


def test_an_instructor_sending_too_many_is_refused_and_keeps_the_message(
    client, pyweb, alice, bob, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.COURSE_MESSAGE_LIMIT = 1
    ids = Enrollment.objects.filter(user=bob).values_list("pk", flat=True)
    client.force_login(alice)
    first = post(
        client, ids, django_capture_on_commit_callbacks, post="yes", subject="One", message="1"
    )
    assert first.status_code == 302
    second = post(
        client, ids, django_capture_on_commit_callbacks, post="yes", subject="Two", message="2nd"
    )
    assert second.status_code == 200
    page = unescape(second.content.decode())
    assert "You have sent 1 messages in the last 1\xa0hour: this one is kept here" in page
    assert 'value="Two"' in page and "2nd" in page
    assert len(mailoutbox) == 1


def test_a_group_s_members_are_messaged_from_the_groups_list(
    client, pyweb, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    from projects.services import group_create
    from projects.tests.factories import ProjectAssignmentFactory

    assignment = ProjectAssignmentFactory(course=pyweb.course, max_group_size=3)
    owls = group_create(assignment=assignment, student=bob, name="Owls")
    dana = UserFactory(username="dana")
    EnrollmentFactory(user=dana, course=pyweb.course, role=Role.STUDENT)
    group_create(assignment=assignment, student=dana, name="Larks")  # not selected
    client.force_login(alice)
    page = client.post(
        reverse("admin:projects_group_changelist"),
        {"action": "email_members", helpers.ACTION_CHECKBOX_NAME: [str(owls.pk)]},
    )
    assert page.status_code == 200
    html = unescape(page.content.decode())
    assert "To 1 person of" in html and "Bob Student (student," in html and "dana" not in html
    assert f'action="{CHANGELIST}"' in html
    ids = re.findall(r'name="_selected_action" value="(\d+)"', html)
    sent = post(
        client, ids, django_capture_on_commit_callbacks, post="yes", subject="Demo", message="At 3"
    )
    assert sent.status_code == 302
    assert [message.to for message in mailoutbox] == [[bob.email]]
