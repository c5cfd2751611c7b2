"""A regrade request is a thread until it is answered: the grader asks the group for
details, the group answers, then the grader decides (probe 79: a grader could only
accept or decline, and students re-asked in new requests, the exchange lost)."""

from __future__ import annotations

import json
from decimal import Decimal
from html import unescape

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from access.tests.tenants import build_tenant
from accounts.models import Role
from accounts.tests.factories import UserFactory
from api.tests.conftest import token_client
from grading import services
from grading.forms import REGRADE_TEXT_MAX_LENGTH
from grading.models import RegradeMessage, RegradeRequest, RegradeStatus
from lessons.models import Enrollment

pytestmark = pytest.mark.django_db


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _page(client: Client, url: str) -> str:
    return unescape(client.get(url).content.decode())


def test_the_grader_asks_the_group_answers_and_the_grader_decides():
    a = build_tenant("Apple")
    grader, student, teammate = _client(a.grader), _client(a.student), a.removed_student
    regrade_page = reverse("grading:regrade_answer", kwargs={"pk": a.regrade.pk})
    message_url = reverse("grading:regrade_message", kwargs={"pk": a.regrade.pk})
    feedback_page = reverse("grading:feedback", kwargs={"pk": a.submission_r.pk})

    asked = grader.post(message_url, {"text": "Which file holds the tests?"}, follow=True)
    assert "Sent to the group. The request stays open for your answer." in unescape(
        asked.content.decode()
    )
    assert RegradeRequest.objects.get(pk=a.regrade.pk).status == RegradeStatus.OPEN
    assert "Waiting for the group's reply" in _page(grader, reverse("grading:regrade_list"))

    # The student is told on their dashboard and reads it without the grader's name.
    assert "Your grader asks" in _page(student, reverse("lessons:dashboard"))
    feedback = _page(student, feedback_page)
    assert "Your grader asked something: answer below." in feedback
    assert "Your grader" in feedback and "Which file holds the tests?" in feedback
    assert str(a.grader) not in feedback

    replied = student.post(message_url, {"text": "tests/test_app.py, 12 tests."}, follow=True)
    assert "Sent with your request: it is read before it is answered." in unescape(
        replied.content.decode()
    )
    assert replied.redirect_chain[-1][0].endswith(f"{feedback_page}#regrade-{a.regrade.pk}")
    assert "Your grader asks" not in _page(student, reverse("lessons:dashboard"))
    assert "The group wrote last" in _page(grader, reverse("grading:regrade_list"))
    # The grader reads "The group", not who wrote (the review may be anonymous).
    thread = _page(grader, regrade_page)
    assert "The group" in thread and "tests/test_app.py, 12 tests." in thread
    assert str(a.student) not in thread

    # Each form is headed, its box says where the question goes, the score its range.
    assert '<h2 class="h5" id="ask-heading">' in thread and 'id="decide-heading"' in thread
    assert 'aria-describedby="id_text_helptext"' in thread
    assert "They read it under their request on their feedback page" in thread
    criterion = a.regrade.criterion
    assert f"New score (0 to {criterion.max_points:g})" in thread
    assert f"<title>Regrade of {criterion.title} · " in thread

    decided = grader.post(
        regrade_page, {"decision": "accept", "new_points": "9", "response": "Found."}, follow=True
    )
    assert f"Accepted the regrade of “{criterion.title}” for " in unescape(decided.content.decode())
    said = [(m.from_staff, m.text) for m in RegradeMessage.objects.filter(regrade=a.regrade)]
    assert said == [
        (True, "Which file holds the tests?"),
        (False, "tests/test_app.py, 12 tests."),
    ]
    # Answered: the thread is closed to both sides, in words.
    for side in (grader, student):
        closed = side.post(message_url, {"text": "One more thing"}, follow=True)
        assert "its thread is closed: ask for a new regrade" in unescape(closed.content.decode())
    assert RegradeMessage.objects.filter(regrade=a.regrade).count() == 2
    assert teammate  # removed from the course: see the next test
    # The criterion's row says its score moved, and from what (probe 118).
    before = RegradeRequest.objects.get(pk=a.regrade.pk).old_points
    row = _page(student, feedback_page)
    assert (
        f"Regraded from {before.normalize():f} to 9" in row
        and f'href="#regrade-{a.regrade.pk}"' in row
    )


def test_only_the_group_and_those_who_grade_it_write_in_the_thread():
    a, b = build_tenant("Apple"), build_tenant("Banana")
    url = reverse("grading:regrade_message", kwargs={"pk": a.regrade.pk})
    for outsider in (b.instructor, b.grader, b.student, a.classmate, a.removed_grader):
        response = _client(outsider).post(url, {"text": "Intruder"})
        assert response.status_code in (403, 404), (outsider, response.status_code)
    # A member removed from the course since reads nothing more and writes nothing.
    removed = _client(a.removed_student).post(url, {"text": "Still here?"})
    assert removed.status_code in (403, 404)
    assert not RegradeMessage.objects.exists()
    # The course's instructor writes, as the grading side.
    _client(a.instructor).post(url, {"text": "I will look at this myself."})
    assert RegradeMessage.objects.get().from_staff is True


@pytest.mark.parametrize(
    "text, said",
    [
        ("", "Write the message first."),
        ("   \u200b\u2060  ", "Write the message first."),
        ("x" * (REGRADE_TEXT_MAX_LENGTH + 1), f"{REGRADE_TEXT_MAX_LENGTH} characters"),
    ],
)
def test_an_empty_or_endless_message_is_refused_in_words(text, said):
    a = build_tenant("Apple")
    url = reverse("grading:regrade_message", kwargs={"pk": a.regrade.pk})
    response = _client(a.student).post(url, {"text": text}, follow=True)
    assert said in unescape(response.content.decode())
    assert not RegradeMessage.objects.exists()


def test_a_message_is_shown_as_text_never_as_markup():
    a = build_tenant("Apple")
    url = reverse("grading:regrade_message", kwargs={"pk": a.regrade.pk})
    _client(a.student).post(url, {"text": "<script>alert(1)</script> **bold**"})
    page = _client(a.grader).get(reverse("grading:regrade_answer", kwargs={"pk": a.regrade.pk}))
    html = page.content.decode()
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html and "<script>alert(1)" not in html


def test_the_api_reads_and_writes_the_thread():
    a, b = build_tenant("Apple"), build_tenant("Banana")
    url = f"/api/v1/regrades/{a.regrade.pk}/messages/"
    asked = token_client(a.grader).post(
        url, {"text": "Which commit?"}, content_type="application/json"
    )
    assert asked.status_code == 201, asked.content
    assert asked.json()["messages"] == [
        {
            "from_staff": True,
            "text": "Which commit?",
            "created_at": asked.json()["messages"][0]["created_at"],
        }
    ]
    answered = token_client(a.student).post(
        url, {"text": "abc123"}, content_type="application/json"
    )
    assert [m["from_staff"] for m in answered.json()["messages"]] == [True, False]
    read = token_client(a.student).get(f"/api/v1/regrades/{a.regrade.pk}/").json()
    assert [m["text"] for m in read["messages"]] == ["Which commit?", "abc123"]
    assert "author" not in read["messages"][0]

    refused = token_client(b.instructor).post(url, {"text": "x"}, content_type="application/json")
    assert refused.status_code == 404
    services.regrade_answer(regrade=a.regrade, by=a.grader, accept=False, response="No.")
    closed = token_client(a.student).post(url, {"text": "But"}, content_type="application/json")
    assert closed.status_code == 400 and "thread is closed" in closed.content.decode()
    assert RegradeMessage.objects.count() == 2


def test_the_feedback_page_reads_every_thread_in_constant_queries():
    a = build_tenant("Apple")
    student = _client(a.student)
    feedback_page = reverse("grading:feedback", kwargs={"pk": a.submission_r.pk})

    def queries() -> int:
        student.get(feedback_page)  # warm: the policy's reads of the session
        with CaptureQueriesContext(connection) as captured:
            assert student.get(feedback_page).status_code == 200
        return len(captured)

    other = RegradeRequest.objects.create(
        review=a.review_r,
        criterion=a.other_criterion,
        requested_by=a.student,
        reason="Style too",
        old_points=Decimal(3),
    )
    services.regrade_message_add(regrade=a.regrade, by=a.grader, text="First?")
    one = queries()
    for index in range(5):
        services.regrade_message_add(regrade=a.regrade, by=a.student, text=f"Answer {index}")
        services.regrade_message_add(regrade=other, by=a.grader, text=f"Which part {index}?")
    assert queries() == one


def test_a_students_data_download_holds_what_they_wrote_in_threads():
    a = build_tenant("Apple")
    services.regrade_message_add(regrade=a.regrade, by=a.grader, text="Which file?")
    services.regrade_message_add(regrade=a.regrade, by=a.student, text="app.py, line 3")
    data = _client(a.student).get(reverse("accounts:personal_data")).json()
    written = [m["message"] for m in data["regrade_messages_written"]]
    assert written == ["app.py, line 3"]
    # The thread's other messages, as the feedback page shows them: not who wrote them
    # (probe 115: only their own were there).
    [asked] = data["regrade_messages_to_them"]
    assert (asked["message"], asked["from"]) == ("Which file?", "the grading side")
    assert str(a.grader) not in json.dumps(data, default=str)
    # Another course's student: none of it.
    other = build_tenant("Banana")
    theirs = _client(other.student).get(reverse("accounts:personal_data")).json()
    assert theirs["regrade_messages_to_them"] == []
    assert theirs["regrade_requests_of_their_group"] == []
    # A teammate gets the group's request with its reason, as the feedback page shows it
    # (probe 116: only its messages came); the one who asked has it as their own.
    mate = _client(a.removed_student).get(reverse("accounts:personal_data")).json()
    [request] = mate["regrade_requests_of_their_group"]
    assert (request["reason"], request["criterion"]) == (a.regrade.reason, a.criterion.title)
    assert data["regrade_requests_of_their_group"] == []


def test_the_thread_as_a_teacher_a_reading_grader_and_a_double_click_meet_it():
    """Probe 81: a teacher read "Your grader asked something: answer below" with no box;
    a grader who may only read it was sent to a feedback page they cannot open; the API
    said 400 to them where /answer/ says 403; a double click stored two messages; the
    dashboard item went once read, unanswered; every box had the same label."""
    a = build_tenant("Apple")
    message_url = reverse("grading:regrade_message", kwargs={"pk": a.regrade.pk})
    feedback_page = reverse("grading:feedback", kwargs={"pk": a.submission_r.pk})
    grader = _client(a.grader)
    for _ in range(2):
        grader.post(message_url, {"text": "Which file?"})
    assert RegradeMessage.objects.count() == 1

    teacher_view = _page(_client(a.instructor), feedback_page)
    assert "answer below" not in teacher_view and "Waiting for the group's reply." in teacher_view

    student = _client(a.student)
    page = _page(student, feedback_page)
    assert f"Add to your request about “{a.criterion.title}”" in page
    assert "Your grader asks" in _page(student, reverse("lessons:dashboard"))  # still there
    student.post(message_url, {"text": "app.py"})
    assert "Your grader asks" not in _page(student, reverse("lessons:dashboard"))

    # A grader of the course who may read the request (a rubric open to every grader)
    # but not answer it: refused, and sent back to the request, not a 404.
    reader = UserFactory(username="reader")
    Enrollment.objects.create(user=reader, course=a.course, role=Role.GRADER)
    a.rubric.graders_see_all = True
    a.rubric.save()
    refused = _client(reader).post(message_url, {"text": "Me too"}, follow=True)
    assert refused.status_code == 200
    assert refused.redirect_chain[-1][0].endswith(
        reverse("grading:regrade_answer", kwargs={"pk": a.regrade.pk})
    )
    api = token_client(reader).post(
        f"/api/v1/regrades/{a.regrade.pk}/messages/", {"text": "x"}, content_type="application/json"
    )
    assert api.status_code == 403
    assert RegradeMessage.objects.count() == 2


def test_each_side_is_emailed_a_link_when_the_other_writes(
    settings, mailoutbox, django_capture_on_commit_callbacks
):
    """Probe 118: a grader's question and the group's reply were told to nobody, and a
    request waited unseen until its window closed."""
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.SITE_URL = "https://courses.example.edu"
    a = build_tenant("Apple")
    message_url = reverse("grading:regrade_message", kwargs={"pk": a.regrade.pk})
    answer_page = settings.SITE_URL + reverse("grading:regrade_answer", kwargs={"pk": a.regrade.pk})
    feedback_page = settings.SITE_URL + reverse(
        "grading:feedback", kwargs={"pk": a.submission_r.pk}
    )

    with django_capture_on_commit_callbacks(execute=True):
        _client(a.grader).post(message_url, {"text": "Which <b>file</b> holds the tests?"})
    # The group's member who is still a student, not the one removed from the course.
    assert [m.to for m in mailoutbox] == [[a.student.email]]
    asked = mailoutbox[0]
    assert asked.subject.startswith("A question about your regrade request: ")
    assert feedback_page in asked.body and "holds the tests" not in asked.body
    assert str(a.grader) not in asked.body and str(a.grader) not in asked.alternatives[0][0]

    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _client(a.student).post(message_url, {"text": "tests/test_app.py."})
    assert [m.to for m in mailoutbox] == [[a.grader.email]]
    assert answer_page in mailoutbox[0].body and "test_app" not in mailoutbox[0].body

    # The grader has left the course: the group's next message goes to its instructors.
    Enrollment.objects.filter(user=a.grader, course=a.course).delete()
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        _client(a.student).post(message_url, {"text": "Also tests/test_views.py."})
    assert [m.to for m in mailoutbox] == [[a.instructor.email]]


def test_the_review_page_dates_its_regrade_requests_as_every_page_does():
    """Probe 121: the review's "Regrade requests" panel wrote "2026-12-07" where every
    other page writes the moment in the site's zone, named."""
    a = build_tenant("Apple")
    page = _page(_client(a.grader), reverse("grading:review", kwargs={"pk": a.regrade.review_id}))
    link = reverse("grading:regrade_answer", kwargs={"pk": a.regrade.pk})
    assert link in page
    item = page.split(link, 1)[1].split("</li>", 1)[0]
    assert " · asked <time" in item and "</a> · Open · 20" not in item
