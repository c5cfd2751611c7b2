"""Versions a group submits after grading started: each rule, and the graded version shown."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.tests.factories import UserFactory
from api.tests.conftest import token_client
from grading import services
from grading.models import Review
from projects.models import LateVersionRule, Submission
from projects.services import submission_create
from projects.tests.factories import GroupFactory, GroupMembershipFactory, make_zip

from .factories import complete_review as complete
from .factories import enroll

pytestmark = pytest.mark.django_db

IMMEDIATE = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


def upload(files=None) -> SimpleUploadedFile:
    return SimpleUploadedFile("work.zip", make_zip(files), content_type="application/zip")


@pytest.fixture
def graded(world, alice, grace):
    """The world with its review assigned through the services (as the pages do)."""
    world.review.delete()
    world.review = services.grader_assign(group=world.group, grader=grace, by=alice)
    return world


def set_rule(world, rule):
    world.assignment.late_version_rule = rule
    world.assignment.save(update_fields=["late_version_rule"])
    world.group.assignment.late_version_rule = rule


def finish(world, alice, stage):
    complete(world)
    if stage == "released":
        services.grades_release(assignment=world.assignment, by=alice)


@pytest.mark.parametrize("stage", ["completed", "released"])
def test_lock_at_deadline_refuses_a_version_after_the_deadline(graded, alice, bob, stage):
    set_rule(graded, LateVersionRule.LOCK_AT_DEADLINE)
    finish(graded, alice, stage)
    with pytest.raises(ValidationError, match="has passed: this project takes no new versions"):
        submission_create(group=graded.group, student=bob, archive=upload())
    assert graded.group.submissions.count() == 1
    # The deadline as every page writes it, zone named ("Sat 24 Oct 2026, 23:59 CEST").
    with pytest.raises(ValidationError, match=r"\(\w{3} \d+ \w{3} \d{4}, \d\d:\d\d CES?T\)"):
        submission_create(group=graded.group, student=bob, archive=upload())


@pytest.mark.parametrize("stage", ["completed", "released"])
def test_lock_when_grading_starts_refuses_with_the_graded_version(graded, alice, bob, stage):
    set_rule(graded, LateVersionRule.LOCK_WHEN_GRADING)
    finish(graded, alice, stage)
    said = "version 1 has started" if stage == "completed" else "version 1 was graded and the"
    with pytest.raises(ValidationError, match=said):
        submission_create(group=graded.group, student=bob, archive=upload())
    assert graded.group.submissions.count() == 1


def test_lock_when_grading_starts_allows_late_work_before_a_grader_is_assigned(world, bob):
    """Nobody grades the group yet (its review was made by hand): late work still goes in."""
    set_rule(world, LateVersionRule.LOCK_WHEN_GRADING)
    submission = submission_create(group=world.group, student=bob, archive=upload())
    assert (submission.version, submission.is_late) == (2, True)


def test_release_locks_groups_that_never_submitted(graded, alice):
    set_rule(graded, LateVersionRule.LOCK_WHEN_GRADING)
    late = enroll(UserFactory(username="late"), graded.course)
    group = GroupFactory(assignment=graded.assignment, name="Sleepers")
    GroupMembershipFactory(group=group, student=late)
    complete(graded)
    services.grades_release(assignment=graded.assignment, by=alice)
    group.refresh_from_db()
    with pytest.raises(ValidationError, match="grades of this project are released"):
        submission_create(group=group, student=late, archive=upload())


@pytest.mark.parametrize("stage", ["completed", "released"])
def test_accept_and_notify_emails_the_grader_and_flags_the_queue(
    graded,
    alice,
    bob,
    grace,
    client,
    stage,
    settings,
    mailoutbox,
    django_capture_on_commit_callbacks,
):
    settings.TASKS = IMMEDIATE
    settings.SITE_URL = "https://courses.example.edu"
    set_rule(graded, LateVersionRule.ACCEPT_AND_NOTIFY)
    finish(graded, alice, stage)
    with django_capture_on_commit_callbacks(execute=True):
        newer = submission_create(group=graded.group, student=bob, archive=upload())
    assert newer.version == 2
    # After the release only instructors can still change the mark: they are told too.
    told = [grace.email] if stage == "completed" else [alice.email, grace.email]
    staff = [m for m in mailoutbox if " handed in" not in m.subject]  # receipts aside
    assert sorted(m.to[0] for m in staff) == sorted(told)
    message = next(m for m in staff if m.to == [grace.email])
    assert "version 2" in message.subject or "Submitted after release" in message.subject
    assert "not graded" in message.body
    # The link is absolute, from SITE_URL: the worker sending it has no request.
    review_url = "https://courses.example.edu" + reverse("grading:review", args=[graded.review.pk])
    assert review_url in message.body
    review = Review.objects.get(pk=graded.review.pk)
    assert review.submission_id == graded.submission.pk  # the graded version stays

    client.force_login(grace)
    page = client.get(reverse("grading:grader_queue")).content.decode()
    assert "new version 2 since grading" in page
    assert "graded version 1" in page


def test_accept_and_notify_is_silent_while_the_review_is_still_to_do(
    graded, bob, settings, mailoutbox, django_capture_on_commit_callbacks
):
    """A review not started grades the latest version anyway: nothing to tell the grader."""
    settings.TASKS = IMMEDIATE
    set_rule(graded, LateVersionRule.ACCEPT_AND_NOTIFY)
    with django_capture_on_commit_callbacks(execute=True):
        submission_create(group=graded.group, student=bob, archive=upload())
    assert [m for m in mailoutbox if " handed in" not in m.subject] == []  # receipts aside


def test_the_api_submission_refuses_too(graded, alice, bob):
    set_rule(graded, LateVersionRule.LOCK_WHEN_GRADING)
    complete(graded)
    response = token_client(bob).post(
        f"/api/v1/assignments/{graded.assignment.pk}/submissions/",
        {"archive": upload()},
    )
    assert response.status_code == 400
    assert "Grading of your group's version 1 has started" in response.content.decode()
    assert graded.group.submissions.count() == 1
    # Once released, said as released (probe 99: still "has started").
    services.grades_release(assignment=graded.assignment, by=alice)
    response = token_client(bob).post(
        f"/api/v1/assignments/{graded.assignment.pk}/submissions/",
        {"archive": upload()},
    )
    assert response.status_code == 400
    assert (
        "Your group's version 1 was graded and the grades are released: this project takes "
        "no new versions."
    ) in response.content.decode()


def test_the_graded_version_is_shown_in_five_places(graded, alice, bob, grace, client):
    set_rule(graded, LateVersionRule.ACCEPT_AND_NOTIFY)
    complete(graded)
    submission_create(group=graded.group, student=bob, archive=upload({"app.py": "print('v2')\n"}))
    services.grades_release(assignment=graded.assignment, by=alice)

    client.force_login(bob)
    project = client.get(graded.assignment.get_absolute_url()).content.decode()
    assert "Graded version 1." in project
    assert "Newer version 2 is not graded" in project
    feedback = client.get(reverse("grading:feedback", args=[graded.submission.pk]))
    assert "graded version 1" in feedback.content.decode()
    assert "Newer version 2 was not graded" in feedback.content.decode()

    client.force_login(grace)
    queue = client.get(reverse("grading:grader_queue")).content.decode()
    assert "graded version 1" in queue and "new version 2 since grading" in queue
    review = client.get(reverse("grading:review", args=[graded.review.pk])).content.decode()
    assert "graded version 1" in review
    assert "Newer version 2" in review and "is not graded" in review

    client.force_login(alice)
    response = client.get(reverse("grading:gradebook_csv", args=[graded.course.slug]))
    rows = list(csv.reader(io.StringIO(response.getvalue().decode("utf-8-sig"))))
    column = rows[0].index("Blog engine (graded version)")
    by_user = {row[1]: row[column] for row in rows[1:]}
    assert by_user["bob"] == "1"


# Committed as on a server: the receivers of a new version run before the page is built.
@pytest.mark.django_db(transaction=True)
def test_the_message_after_a_version_says_when_it_will_not_be_graded(graded, bob, client):
    set_rule(graded, LateVersionRule.ACCEPT_AND_NOTIFY)
    url = reverse(
        "projects:submit",
        args=[graded.assignment.course.slug, graded.assignment.slug],
    )
    client.force_login(bob)
    # Late, after an on-time version 1: confirmed, as the page asks (probe 90).
    late = {"confirm_late": "on"}
    # The review not started yet: the new version is the one graded, nothing to add.
    page = client.post(url, {"archive": upload({"app.py": "print(2)\n"}), **late}, follow=True)
    html = page.content.decode()
    assert "Version 2 submitted." in html and "is kept but not graded" not in html
    # ...and the page says so too (the version graded follows the latest until started).
    assert "Graded version 2." in html and "Newer version" not in html
    complete(graded)
    # Grading started: a new version is not graded, so nothing is asked.
    page = client.post(url, {"archive": upload({"app.py": "print(3)\n"})}, follow=True)
    html = page.content.decode()
    assert "Version 3 submitted." in html
    assert (
        "Grading had already started on version 2: version 3 is kept but not graded; your "
        "grader has been told it exists."
    ) in html


def hidden(page: str, name: str) -> str:
    return page.split(f'name="{name}" value="')[1].split('"')[0]


@pytest.mark.parametrize("action", ["complete", "save", "draft", "comment"])
def test_a_version_that_arrives_while_the_review_is_open_is_not_graded_unseen(
    graded, bob, grace, client, action
):
    """A review still to do grades the latest version; marks and comments written on the
    page of version 1 must not land on a version 2 that came meanwhile, unread."""
    set_rule(graded, LateVersionRule.ACCEPT_AND_NOTIFY)
    page_url = reverse("grading:review", args=[graded.review.pk]) + "?path=app.py"
    client.force_login(grace)
    opened = client.get(page_url).content.decode()
    assert hidden(opened, "shown_version") == "1"
    shown = {"version": hidden(opened, "version"), "shown_version": "1"}
    submission_create(group=graded.group, student=bob, archive=upload({"app.py": "print(2)\n"}))
    typed = {
        f"score_{graded.correctness.pk}": "9",
        f"score_{graded.style.pk}": "5",
        "overall_feedback": "Read version one.",
    }
    if action == "draft":
        response = client.post(
            reverse("grading:review_draft", args=[graded.review.pk]), {**typed, **shown}
        )
        assert response.status_code == 409
        errors = " ".join(response.json()["errors"])
        assert "Version 2 arrived at" in errors and "showed version 1" in errors
        assert "Press “Save draft” to see the new version" in errors
    elif action == "comment":
        response = client.post(
            reverse("grading:line_comment_create", args=[graded.review.pk]),
            {"path": "app.py", "line": "5", "text": "Printing at import time.", **shown},
        )
        page = response.content.decode()
        assert "Version 2 arrived at" in page and "This page now shows it" in page
        assert "Printing at import time." in page  # kept, to send again
        assert hidden(page, "shown_version") == "2"
        # The new code, on which the line is checked again (its one line, here).
        assert "version 2 (the latest: it is the one graded)" in page
    else:
        response = client.post(page_url, {**typed, **shown, action: "1"}, follow=True)
        page = response.content.decode()
        button = "Complete review" if action == "complete" else "Save draft"
        assert "Version 2 arrived at" in page
        assert f"check your marks against it, then press “{button}” again" in page
        assert "Read version one." in page  # what was typed, shown back
        assert hidden(page, "shown_version") == "2"
        # Sent again from that page, knowingly: version 2 is graded.
        client.post(
            page_url,
            {**typed, "version": hidden(page, "version"), "shown_version": "2", action: "1"},
        )
        assert Review.objects.get(pk=graded.review.pk).submission.version == 2
        return
    review = Review.objects.get(pk=graded.review.pk)
    assert (review.status, review.overall_feedback, review.submission.version) == ("todo", "", 1)
    assert not review.line_comments.exists() and not review.scores.exists()


def test_the_version_shown_is_graded_when_nothing_came_since(graded, bob, grace, client):
    set_rule(graded, LateVersionRule.ACCEPT_AND_NOTIFY)
    submission_create(group=graded.group, student=bob, archive=upload({"app.py": "print(2)\n"}))
    client.force_login(grace)
    page_url = reverse("grading:review", args=[graded.review.pk])
    opened = client.get(page_url).content.decode()
    assert hidden(opened, "shown_version") == "2"  # the latest, shown before grading starts
    response = client.post(
        reverse("grading:review_draft", args=[graded.review.pk]),
        {f"score_{graded.correctness.pk}": "9", "overall_feedback": "", "shown_version": "2"},
    )
    assert response.json()["saved"] is True
    assert Review.objects.get(pk=graded.review.pk).submission.version == 2


def test_a_script_naming_the_version_it_graded_is_refused_when_a_newer_came(graded, bob, grace):
    """The API's review update and line comment graded the latest version, whatever the
    script had downloaded: a version arriving meanwhile took marks written about another."""
    set_rule(graded, LateVersionRule.ACCEPT_AND_NOTIFY)
    api = token_client(grace)
    review_url = f"/api/v1/reviews/{graded.review.pk}/"
    downloaded = api.get(review_url).json()["submission"]
    assert downloaded == graded.submission.pk
    newer = submission_create(group=graded.group, student=bob, archive=upload({"app.py": "2\n"}))
    scores = {"scores": [{"criterion": graded.correctness.pk, "points": "9"}]}
    response = api.patch(
        review_url, {**scores, "submission": downloaded}, content_type="application/json"
    )
    assert response.status_code == 409, response.content
    assert "Version 2 arrived at" in response.json()["detail"]
    response = api.post(
        f"{review_url}comments/",
        {"path": "app.py", "line": 1, "text": "Import-time print.", "submission": downloaded},
        content_type="application/json",
    )
    assert response.status_code == 409, response.content
    review = Review.objects.get(pk=graded.review.pk)
    assert (review.status, review.submission.version) == ("todo", 1)
    assert not review.scores.exists() and not review.line_comments.exists()
    # Read again, the review names the version it will grade, which its grader downloads
    # (it named the version of the assignment, and every save was refused).
    assert api.get(review_url).json()["submission"] == newer.pk
    assert api.get(f"/api/v1/submissions/{newer.pk}/download/").status_code == 200
    response = api.patch(
        review_url, {**scores, "submission": newer.pk}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["submission"] == newer.pk


def test_a_started_review_takes_no_work_about_another_version(graded, bob, grace):
    set_rule(graded, LateVersionRule.ACCEPT_AND_NOTIFY)
    api = token_client(grace)
    review_url = f"/api/v1/reviews/{graded.review.pk}/"
    scores = {"scores": [{"criterion": graded.correctness.pk, "points": "9"}]}
    assert api.patch(review_url, scores, content_type="application/json").status_code == 200
    newer = submission_create(group=graded.group, student=bob, archive=upload({"app.py": "2\n"}))
    for sent in (
        api.patch(review_url, {**scores, "submission": newer.pk}, content_type="application/json"),
        api.post(
            f"{review_url}comments/",
            {"path": "app.py", "line": 1, "text": "New code.", "submission": newer.pk},
            content_type="application/json",
        ),
    ):
        assert sent.status_code == 409, sent.content
        assert sent.json()["detail"] == (
            "This review grades version 1, not version 2. Nothing was saved."
        )
    assert not Review.objects.get(pk=graded.review.pk).line_comments.exists()
    # The version it grades is taken; the site's page sends it too (the service's check).
    named = {**scores, "submission": graded.submission.pk}
    assert api.patch(review_url, named, content_type="application/json").status_code == 200
    with pytest.raises(ValidationError, match="grades version 1, not version 2"):
        services.review_save(
            review=graded.review,
            by=grace,
            scores={},
            overall_feedback="",
            shown_version=2,
        )


def test_a_version_of_another_group_is_not_taken_as_the_one_graded(graded, grace, alice):
    other = GroupFactory(assignment=graded.assignment, name="Owls")
    member = enroll(UserFactory(username="olga"), graded.course)
    GroupMembershipFactory(group=other, student=member)
    theirs = submission_create(group=other, student=member, archive=upload())
    for user in (grace, alice):
        response = token_client(user).patch(
            f"/api/v1/reviews/{graded.review.pk}/",
            {"overall_feedback": "x", "submission": theirs.pk},
            content_type="application/json",
        )
        assert response.status_code == 400
        assert response.json()["errors"] == {
            "submission": [f"Submission {theirs.pk} is not a version of this review's group."]
        }
    assert Review.objects.get(pk=graded.review.pk).overall_feedback == ""


def test_a_script_is_told_what_the_site_says_after_submitting(graded, bob):
    """The site warns that a version after grading started is kept but not graded; the
    API answered a plain 201."""
    set_rule(graded, LateVersionRule.ACCEPT_AND_NOTIFY)
    complete(graded)
    api = token_client(bob)
    url = f"/api/v1/assignments/{graded.assignment.pk}/submissions/"
    first = api.post(url, {"archive": upload({"app.py": "print(2)\n"})})
    assert first.status_code == 201, first.content
    assert first.json()["notices"] == [
        "Grading had already started on version 1: version 2 is kept but not graded; "
        "your grader has been told it exists."
    ]
    again = api.post(url, {"archive": upload({"app.py": "print(2)\n"})}).json()
    assert again["version"] == 2  # sent again at once: the same version
    Submission.objects.filter(version=2).update(submitted_at=timezone.now() - timedelta(hours=1))
    again = api.post(url, {"archive": upload({"app.py": "print(2)\n"})}).json()
    assert again["version"] == 3
    assert again["notices"][1] == (
        "Version 3 is the same zip as version 2, byte for byte: did you mean to send a newer file?"
    )


def test_a_scripts_line_comment_is_refused_at_the_field_at_fault(graded, grace):
    api = token_client(grace)
    url = f"/api/v1/reviews/{graded.review.pk}/comments/"

    def errors(path: str, line: int) -> dict:
        response = api.post(
            url, {"path": path, "line": line, "text": "Here."}, content_type="application/json"
        )
        assert response.status_code == 400, response.content
        return response.json()["errors"]

    assert errors("nowhere.py", 1) == {"path": ["“nowhere.py” is not in the submitted archive."]}
    [message] = errors("app.py", 99)["line"]
    assert "there is no line 99" in message
