"""A person downloads what the site keeps on them (their profile's "Download your data"):
their own account, progress, answers, groups, versions, released marks and feedback,
regrades, the ratings they gave and their tokens; nothing of anyone else, nothing not
yet released, no secret."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import Role
from accounts.tests.factories import InstructorFactory, UserFactory
from api.tokens import token_create
from grading import services as grading
from grading.models import MarkOverride, PeerRating, RegradeRequest, Review
from grading.tests.factories import (
    add_group,
    complete_review,
    enroll,
    grading_world,
    past_assignment,
)
from lessons.models import Course
from lessons.services import lesson_set_completed
from practice.services import exercise_attempt_create, question_answer
from practice.tests.conftest import build_quiz
from projects.tests.factories import make_zip

pytestmark = pytest.mark.django_db

URL = reverse("accounts:personal_data")


@pytest.fixture
def term(alice, bob, grace):
    """bob, at the end of a term: a graded, released project; a quiz answered; a lesson
    done; a project graded but not released; his teammate dave and grace wrote things
    bob may not read."""
    world = grading_world(alice=alice, bob=bob, grace=grace)
    grading.grader_assign(group=world.group, grader=grace, by=alice)
    world.review.refresh_from_db()
    grading.line_comment_add(
        review=world.review, by=grace, path="app.py", line=1, text="Name this *better*."
    )
    complete_review(world)
    grading.grades_release(assignment=world.assignment, by=alice)
    dave = world.dave
    PeerRating.objects.create(group=world.group, rater=bob, ratee=dave, score=4, comment="Solid")
    PeerRating.objects.create(
        group=world.group, rater=dave, ratee=bob, score=1, comment="Dave's opinion of bob"
    )
    RegradeRequest.objects.create(
        review=world.review,
        criterion=world.style,
        requested_by=bob,
        reason="Style was fine, I think.",
    )
    MarkOverride.objects.create(
        assignment=world.assignment,
        student=dave,
        mark=Decimal("55"),
        reason="Dave's private circumstances",
        by=alice,
    )
    # Graded, not released: bob may not read it yet, nor its mark.
    hidden = past_assignment(world.course, title="Hidden project", slug="hidden")
    group, version = add_group(hidden, [bob], name="Solo")
    Review.objects.create(
        group=group,
        submission=version,
        grader=grace,
        status="completed",
        total=Decimal(3),
        overall_feedback="Draft words nobody released",
    )
    quiz = build_quiz()
    enroll(bob, quiz.course)
    question_answer(user=bob, question=quiz.q["run-flask"], text="flask  run")
    question_answer(
        user=bob,
        question=quiz.q["idempotent-methods"],
        choice_ids=[str(quiz.q["idempotent-methods"].choices.get(correct=True).pk)],
    )
    question_answer(user=dave, question=quiz.q["answer"], text="41")
    exercise_attempt_create(user=bob, exercise=quiz.exercise, code="print('hello')")
    lesson_set_completed(user=bob, lesson=quiz.lesson, completed=True)
    world.quiz = quiz
    return world


def download(client, user) -> dict:
    client.force_login(user)
    response = client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert response["Content-Disposition"].startswith(
        f'attachment; filename="coursesite-data-{user.username}-'
    )
    assert "no-store" in response["Cache-Control"]  # no shared cache keeps a copy
    return json.loads(response.content)


def test_a_student_downloads_everything_the_site_keeps_on_them(client, term, bob, password):
    _token, secret = token_create(user=bob, name="my laptop", scope="read")
    data = download(client, bob)

    assert data["account"]["username"] == "bob"
    assert data["account"]["email"] == bob.email
    assert data["account"]["display_name"] == "Bob Student"
    assert sorted(e["course"] for e in data["enrollments"]) == sorted(
        ["Python for Web", term.quiz.course.title]
    )
    assert [c["lesson"] for c in data["lessons_completed"]] == [term.quiz.lesson.title]

    answers = {a["question"]: a for a in data["question_answers"]}
    assert set(answers) == {"run-flask", "idempotent-methods"}  # not dave's
    assert answers["run-flask"]["answer"] == "flask  run"  # as typed
    assert answers["run-flask"]["correct"] is True
    assert answers["idempotent-methods"]["choices"] == ["`GET`"]
    assert [t["code"] for t in data["exercise_tries"]] == ["print('hello')"]

    [group] = [g for g in data["project_groups"] if g["project"] == "Blog engine"]
    assert group["group"] == "Team Rocket"
    assert any(v["project"] == "Blog engine" for v in data["versions_handed_in"])

    [mark] = data["marks"]  # the released project only
    assert mark["project"] == "Blog engine"
    assert Decimal(mark["mark"]) == Decimal("80.00")  # 12 of 15, as his feedback page says
    assert mark["set_by_an_instructor"] is False
    [feedback] = data["feedback"]  # not the hidden project's, graded but not released
    assert feedback["overall_feedback"] == "Well done **team**."
    assert [(c["criterion"], Decimal(c["points"])) for c in feedback["criteria"]] == [
        ("Correctness", Decimal(8)),
        ("Style", Decimal(4)),
    ]
    assert feedback["line_comments"] == [
        {"file": "app.py", "line": 1, "comment": "Name this *better*.", "criterion": None}
    ]
    [regrade] = data["regrade_requests"]
    assert (regrade["criterion"], regrade["status"]) == ("Style", "Open")
    assert [(r["teammate"], r["contribution"]) for r in data["peer_ratings_given"]] == [
        ("Dave Student", 4)
    ]
    [token] = data["api_tokens"]
    assert token["name"] == "my laptop"

    text = json.dumps(data)
    # Nothing of anyone else, nothing unreleased, no secret.
    for never in (
        term.dave.email,
        "Dave's opinion of bob",  # a rating of bob by a teammate is never shown to bob
        "Dave's private circumstances",  # another student's override: dave's to read
        "Draft words nobody released",
        "Grace",  # who graded is not shown on the feedback page
        secret,
        secret[-20:],
        password,
    ):
        assert never not in text


def test_an_instructors_override_comes_with_its_reason_to_its_student(client, term):
    """Probe 115: the reason an instructor gave for a student's mark (a medical one) is
    held about that student, so it is theirs to read; bob's download has none of it."""
    [mark] = download(client, term.dave)["marks"]
    assert mark["set_by_an_instructor"] is True
    assert mark["instructors_reason"] == "Dave's private circumstances"


def test_the_profile_offers_the_download_and_only_its_owner_gets_it(client, term, bob, grace):
    client.force_login(bob)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert f'href="{URL}"' in page
    assert "Download your data" in page

    # Everyone gets their own file: one URL, no id to change.
    theirs = download(client, grace)
    assert theirs["account"]["username"] == "grace"
    assert theirs["marks"] == [] and theirs["question_answers"] == []
    assert "bob" not in json.dumps(theirs["account"])


def test_the_download_needs_a_login_and_is_read_only(client, term, bob):
    response = client.get(URL)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("accounts:login"))

    client.force_login(bob)
    assert client.post(URL).status_code == 405


def test_the_download_reads_a_constant_number_of_queries(client, term, bob):
    client.force_login(bob)
    client.get(URL)  # the first request of a session reads what later ones keep
    with CaptureQueriesContext(connection) as few:
        client.get(URL)
    quiz = term.quiz
    for n in range(5):
        question_answer(user=bob, question=quiz.q["answer"], text=str(40 + n))
        exercise_attempt_create(user=bob, exercise=quiz.exercise, code=f"print({n})")
    other = past_assignment(term.course, title="Second project", slug="second")
    add_group(other, [bob, UserFactory()], files={"main.py": make_zip()})
    with CaptureQueriesContext(connection) as many:
        response = client.get(URL)
    assert len(json.loads(response.content)["question_answers"]) == 7
    assert len(many) == len(few)


def select(client, *people):
    return client.post(
        reverse("admin:accounts_user_changelist"),
        {"action": "download_personal_data", "_selected_action": [p.pk for p in people]},
    )


def test_a_superuser_downloads_one_persons_data_from_the_back_office(admin_client, term, bob):
    response = select(admin_client, bob)
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith('attachment; filename="coursesite-data-bob-')
    data = json.loads(response.content)
    assert data["account"]["username"] == "bob"
    assert [m["project"] for m in data["marks"]] == ["Blog engine"]

    # Two people are two files: the action asks for one.
    response = select(admin_client, bob, term.dave)
    assert response.status_code == 302
    [message] = list(response.wsgi_request._messages)
    assert str(message) == "Tick one person: their data is one file."


def test_an_instructor_cannot_download_a_students_whole_record(client, term, alice, bob):
    """A person's record spans every course they are in: the course's own instructor
    (nor another course's) may take it whole from the back office."""
    other = Course.objects.create(title="Databases", slug="databases")
    dora = enroll(InstructorFactory(username="dora"), other, Role.INSTRUCTOR)
    for instructor in (alice, dora):
        client.force_login(instructor)
        changelist = client.get(reverse("admin:accounts_user_changelist"))
        assert changelist.status_code == 200
        assert b"download_personal_data" not in changelist.content
        response = select(client, bob)
        assert response.get("Content-Disposition") is None
        assert b'"username"' not in response.content


def test_a_student_removed_from_the_course_still_gets_their_marks_and_feedback(client, term, bob):
    """Probe 76: the people who ask after leaving are often those removed, and their
    file lost the marks and feedback the site still holds on them."""
    from lessons.models import Enrollment

    Enrollment.objects.filter(user=bob, course=term.course).delete()
    data = download(client, bob)
    assert [m["project"] for m in data["marks"]] == ["Blog engine"]
    assert Decimal(data["marks"][0]["mark"]) == Decimal("80.00")
    assert [f["project"] for f in data["feedback"]] == ["Blog engine"]
    assert "Draft words nobody released" not in json.dumps(data)


def test_the_download_is_limited_to_a_few_a_day(client, bob, settings):
    """Probe 77: a heavy record takes seconds of a worker; a loop of downloads had none."""
    settings.PERSONAL_DATA_LIMIT = 2
    download(client, bob)
    download(client, bob)
    refused = client.get(URL)
    assert refused.status_code == 429
    assert "You downloaded your data 2 times today" in refused.content.decode()
    assert "Content-Disposition" not in refused


def test_the_profile_says_whom_to_ask_to_close_ones_account(client, bob, settings):
    """Probe 115: the profile page did not say whom to ask to close one's account."""
    client.force_login(bob)
    page = client.get(reverse("accounts:profile")).content.decode()
    assert 'id="close-account"' in page and "the site's administrators." in page
    settings.SUPPORT_EMAIL = "privacy@uni.example"
    page = client.get(reverse("accounts:profile")).content.decode()
    assert '<a href="mailto:privacy@uni.example">privacy@uni.example</a>' in page
