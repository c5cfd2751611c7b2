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
from lessons.tests.factories import CourseFactory, EnrollmentFactory

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
CHANGELIST = reverse("admin:lessons_enrollment_changelist")
SEND = reverse("admin:lessons_enrollment_message")


@pytest.fixture(autouse=True)
def tasks_run_at_once(settings):
    settings.TASKS = IMMEDIATE
    settings.SITE_URL = "https://courses.example.edu"


def open_page(client, ids, path=CHANGELIST, action="email_people"):
    """The action on IDS of the list at PATH: the message page (or where it sends one)."""
    return client.post(path, {"action": action, helpers.ACTION_CHECKBOX_NAME: list(map(str, ids))})


def people_on(page) -> str:
    return re.search(r'name="people" value="([^"]*)"', page.content.decode()).group(1)


def send(client, people: str, capture, *, back=CHANGELIST, **fields):
    with capture(execute=True):
        return client.post(SEND, {"people": people, "back": back, **fields})


def said(response) -> list[str]:
    return [str(message) for message in get_messages(response.wsgi_request)]


def test_a_message_reaches_each_selected_person_with_answers_to_the_instructor(
    client, pyweb, alice, bob, grace, mailoutbox, django_capture_on_commit_callbacks
):
    pyweb.course.code = "PY-WEB"
    pyweb.course.save()
    ids = Enrollment.objects.filter(course=pyweb.course, user__in=[bob, grace]).values_list(
        "pk", flat=True
    )
    client.force_login(alice)

    form = open_page(client, ids)
    assert form.status_code == 200
    page = unescape(form.content.decode())
    assert "To 2 people of" in page and f"answers come to your address, {alice.email}" in page
    assert "Bob Student (student," in page and "Grace Grader (grader," in page
    people = people_on(form)

    # Nothing typed: said on the form, the rest kept, nothing sent.
    refused = send(client, people, django_capture_on_commit_callbacks, subject=" ", message="Room")
    assert refused.status_code == 200
    assert "Give the message a subject." in refused.content.decode()
    assert "Room</textarea>" in refused.content.decode()
    assert mailoutbox == []

    sent = send(
        client,
        people,
        django_capture_on_commit_callbacks,
        subject="Room change\r\nBcc: everyone@example.org",
        message="Thursday's lab is in room 204.\n<script>alert(1)</script>",
    )
    assert sent.status_code == 302 and sent["Location"] == CHANGELIST
    assert "“Room change Bcc: everyone@example.org” is being emailed to 2 people." in said(sent)
    assert sorted(message.to[0] for message in mailoutbox) == sorted([bob.email, grace.email])
    email = mailoutbox[0]
    assert email.subject == "[PY-WEB] Room change Bcc: everyone@example.org"  # one line
    assert email.reply_to == [alice.email]
    assert email.bcc == [] and len(email.to) == 1
    assert "Thursday's lab is in room 204." in email.body
    assert "Alice Instructor, about" in email.body
    html = email.alternatives[0][0]
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_one_email_per_person_and_none_to_oneself_or_to_whom_it_cannot_reach(
    client, pyweb, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    """Probe 107: someone selected in two courses was emailed twice; "select all" emailed
    the instructor once a course; a page of nobody reachable sent to "0 people"."""
    second = CourseFactory(slug="second", title="Second")
    EnrollmentFactory(user=alice, course=second, role=Role.INSTRUCTOR)
    EnrollmentFactory(user=bob, course=second, role=Role.STUDENT)
    gone = UserFactory(username="gone", is_active=False)
    EnrollmentFactory(user=gone, course=pyweb.course, role=Role.STUDENT)
    client.force_login(alice)
    everyone = Enrollment.objects.filter(user__in=[alice, bob, gone]).values_list("pk", flat=True)
    form = open_page(client, everyone)
    page = unescape(form.content.decode())
    assert "To 1 person of" in page  # bob once; gone left out; alice is the sender
    assert f"Left out, without an active account with an address: {gone}." in page
    assert "You are among those selected: you are not emailed your own message." in page
    who = page.split('id="message-people"')[1].split("</details>")[0]
    assert str(bob) in who and str(gone) not in who and str(alice) not in who
    sent = send(
        client, people_on(form), django_capture_on_commit_callbacks, subject="Hi", message="Hi"
    )
    assert said(sent) == [
        "“Hi” is being emailed to 1 person. 1 selected person has no active account with an "
        "address, and was left out."
    ]
    assert [message.to for message in mailoutbox] == [[bob.email]]

    # Only people who cannot be emailed: back to the list, told why.
    nobody = open_page(client, Enrollment.objects.filter(user=gone).values_list("pk", flat=True))
    assert nobody.status_code == 302
    assert "Nobody among those selected can be emailed" in said(nobody)[-1]


def test_a_thousand_people_are_one_field_not_a_thousand(
    client, pyweb, alice, mailoutbox, django_capture_on_commit_callbacks, settings
):
    """Probe 107: "select all" of 1,007 people made a page posting 1,007 fields, past
    Django's 1,000: the send was a 400 and the message typed was lost."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 20  # the same limit, met with fewer people
    for number in range(25):
        EnrollmentFactory(user=UserFactory(username=f"s{number}"), course=pyweb.course)
    client.force_login(alice)
    one = Enrollment.objects.filter(course=pyweb.course, role=Role.STUDENT).first()
    form = client.post(
        f"{CHANGELIST}?course__id__exact={pyweb.course.pk}&role__exact=student",
        {
            "action": "email_people",
            "select_across": "1",
            "index": "0",
            helpers.ACTION_CHECKBOX_NAME: [str(one.pk)],
        },
    )
    assert "To 26 people of" in unescape(form.content.decode())  # the 25, and bob
    sent = send(
        client, people_on(form), django_capture_on_commit_callbacks, subject="S", message="M"
    )
    assert sent.status_code == 302
    assert len(mailoutbox) == 26


def test_another_course_s_people_cannot_be_messaged(
    client, pyweb, other_course, alice, bob, charlie, mailoutbox, django_capture_on_commit_callbacks
):
    """The instructor of course A posts the enrollment ids of course B, to the action or
    to the sending page: nothing reaches B's people."""
    theirs = Enrollment.objects.get(user=charlie, course=other_course.course)
    mine = Enrollment.objects.get(user=bob, course=pyweb.course)
    client.force_login(alice)
    assert open_page(client, [theirs.pk]).status_code == 302  # refused: not in the list
    sent = send(
        client,
        f"{theirs.pk},{mine.pk}",
        django_capture_on_commit_callbacks,
        subject="S",
        message="M",
    )
    assert sent.status_code == 302
    assert [message.to for message in mailoutbox] == [[bob.email]]
    # Sent back only within the back office.
    away = send(
        client,
        str(mine.pk),
        django_capture_on_commit_callbacks,
        back="https://evil.example/",
        subject="S",
        message="M",
    )
    assert away["Location"] == CHANGELIST
    # A student or a grader of course A has no back office at all.
    for user in (bob, charlie):
        client.force_login(user)
        response = send(
            client, str(mine.pk), django_capture_on_commit_callbacks, subject="S", message="M"
        )
        assert response.status_code == 302 and "/login/" in response["Location"]
    assert len(mailoutbox) == 2


def test_a_sender_without_an_address_or_sending_too_many_is_refused_and_keeps_the_message(
    client, pyweb, alice, bob, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.COURSE_MESSAGE_LIMIT = 1
    people = str(Enrollment.objects.get(user=bob).pk)
    client.force_login(alice)
    first = send(client, people, django_capture_on_commit_callbacks, subject="One", message="1")
    assert first.status_code == 302
    second = send(client, people, django_capture_on_commit_callbacks, subject="Two", message="2nd")
    assert second.status_code == 200
    page = unescape(second.content.decode())
    assert "You have sent 1 messages in the last 1\xa0hour: this one is kept here" in page
    assert 'value="Two"' in page and "2nd" in page
    assert len(mailoutbox) == 1

    # Probe 107: an instructor without an address could send "answer this email" to
    # people whose answers went nowhere.
    settings.COURSE_MESSAGE_LIMIT = 20
    alice.email = ""
    alice.save()
    refused = send(client, people, django_capture_on_commit_callbacks, subject="Three", message="3")
    assert refused.status_code == 200
    assert "Your account has no email address" in unescape(refused.content.decode())
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
    groups = reverse("admin:projects_group_changelist")
    client.force_login(alice)
    page = open_page(client, [owls.pk], path=groups, action="email_members")
    assert page.status_code == 200
    html = unescape(page.content.decode())
    assert "To 1 person of" in html and "Bob Student (student," in html and "dana" not in html
    # Back to the groups, where it was opened (probe 107: Cancel led to the enrollments).
    assert f'<a href="{groups}" class="button cancel-link">Cancel</a>' in html
    sent = send(
        client,
        people_on(page),
        django_capture_on_commit_callbacks,
        back=groups,
        subject="Demo",
        message="At 3",
    )
    assert sent.status_code == 302 and sent["Location"] == groups
    assert [message.to for message in mailoutbox] == [[bob.email]]
    # A group with no one left to email: said on the groups' list, no empty page.
    owls.memberships.all().delete()
    empty = open_page(client, [owls.pk], path=groups, action="email_members")
    assert empty.status_code == 302
    assert "Nobody among those selected can be emailed" in said(empty)[-1]


def test_people_removed_between_the_page_and_the_send_are_said_and_the_message_kept(
    client, pyweb, alice, bob, grace, mailoutbox, django_capture_on_commit_callbacks, monkeypatch
):
    """Probe 108: everyone removed meanwhile lost the message with a false reason ("each
    needs an active account"); some removed went unsaid; past the most one message takes,
    the rest were cut unsaid."""
    from lessons import admin as lessons_admin

    ids = Enrollment.objects.filter(user__in=[bob, grace]).values_list("pk", flat=True)
    client.force_login(alice)
    form = open_page(client, ids)
    people = people_on(form)
    Enrollment.objects.filter(user=grace).delete()
    sent = send(client, people, django_capture_on_commit_callbacks, subject="S", message="M")
    assert said(sent)[-1] == (
        "“S” is being emailed to 1 person. 1 person of the page is no longer in your courses, "
        "and was left out."
    )
    Enrollment.objects.filter(user=bob).delete()
    kept = send(client, people, django_capture_on_commit_callbacks, subject="S2", message="Kept")
    assert kept.status_code == 200
    page = unescape(kept.content.decode())
    assert "None of the people this message was for can be emailed now" in page
    assert "Kept</textarea>" in page
    assert len(mailoutbox) == 1

    monkeypatch.setattr(lessons_admin, "MESSAGE_MAX_PEOPLE", 2)
    for number in range(3):
        EnrollmentFactory(user=UserFactory(username=f"s{number}"), course=pyweb.course)
    page = unescape(
        open_page(
            client, Enrollment.objects.filter(role=Role.STUDENT).values_list("pk", flat=True)
        ).content.decode()
    )
    assert "To 2 people of" in page
    assert "1 more person is selected: one message goes to at most 2 people." in page


def test_a_double_click_on_send_emails_the_message_once(
    client, pyweb, alice, bob, mailoutbox, django_capture_on_commit_callbacks
):
    """Probe 123: both clicks of a double click on "Send the message" were sent, and every
    person got the message twice. The page's one-time token lets the first one through;
    the next page opened sends again."""
    ids = Enrollment.objects.filter(course=pyweb.course, user=bob).values_list("pk", flat=True)
    client.force_login(alice)
    form = open_page(client, ids)
    sending = re.search(r'name="sending" value="([^"]+)"', form.content.decode()).group(1)
    fields = {"subject": "Lab moved", "message": "Room 204.", "sending": sending}
    first = send(client, people_on(form), django_capture_on_commit_callbacks, **fields)
    assert "“Lab moved” is being emailed to 1 person." in said(first)
    again = send(client, people_on(form), django_capture_on_commit_callbacks, **fields)
    assert again.status_code == 302
    assert said(again)[-1] == (
        "“Lab moved” was sent already, by the first click on Send: it went once, and not again."
    )
    assert [message.to for message in mailoutbox] == [[bob.email]]
    # Another message written on the same page (Back, then corrected) is another one.
    corrected = {**fields, "subject": "Lab moved (corrected)"}
    fixed = send(client, people_on(form), django_capture_on_commit_callbacks, **corrected)
    assert "“Lab moved (corrected)” is being emailed to 1 person." in said(fixed)
    assert [message.to for message in mailoutbox] == [[bob.email], [bob.email]]
    mailoutbox.clear()
    # Another instructor's send of the same page and words is theirs (probe 128: refused).
    colleague = UserFactory(username="carla", email="carla@example.org")
    EnrollmentFactory(user=colleague, course=pyweb.course, role=Role.INSTRUCTOR)
    client.force_login(colleague)
    theirs = send(client, people_on(form), django_capture_on_commit_callbacks, **fields)
    assert "“Lab moved” is being emailed to 1 person." in said(theirs)
    mailoutbox.clear()
    client.force_login(alice)
    # A message written again on a new page is another one.
    other = open_page(client, ids)
    token = re.search(r'name="sending" value="([^"]+)"', other.content.decode()).group(1)
    assert token != sending
    send(
        client, people_on(other), django_capture_on_commit_callbacks, **{**fields, "sending": token}
    )
    assert len(mailoutbox) == 1
