from __future__ import annotations

import html
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.messages import get_messages
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from accounts.models import Role
from projects.models import FormationMode, Group, LatePolicy, LateVersionRule, Submission
from projects.services import group_create, group_join, submission_create
from projects.services.groups import ALREADY_SUBMITTED
from projects.tests.factories import ProjectAssignmentFactory, make_zip
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures
from projects.tests.student_fixtures import enroll, media_files, zip_upload

pytestmark = pytest.mark.django_db


def url(name, assignment, **extra):
    return reverse(
        f"projects:{name}", kwargs={"course_slug": assignment.course.slug, "slug": assignment.slug}
    )


def flashed(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def hidden(page: str, name: str) -> str:
    """The value of PAGE's hidden field NAME, as a browser sends it back."""
    found = re.search(rf'<input type="hidden" name="{name}" value="([^"]*)"', page)
    assert found, f"no hidden {name} on the page"
    return html.unescape(found.group(1))


@pytest.fixture
def group(assignment, student):
    return group_create(assignment=assignment, student=student, name="Owls")


def test_the_project_page_shows_the_brief_sanitized_and_the_deadline(client, student, assignment):
    assignment.brief = "# Goal\n\nBuild *this*.<script>alert(1)</script>[x](javascript:alert(2))"
    assignment.save()
    client.force_login(student)
    response = client.get(assignment.get_absolute_url())
    assert response.status_code == 200
    html = response.content.decode()
    assert "<em>this</em>" in html
    assert "<script>alert" not in html and "javascript:" not in html
    assert '<time datetime="' in html and re.search(r"\d\d:\d\d CES?T</time>", html)
    assert "due in 1" in html  # 14 days: "due in 1 week" / "2 weeks"
    assert 'id="create-group-btn"' in html and 'id="join-group-btn"' in html
    assert "js/projects" in html


def test_the_late_work_line_says_none_is_taken_when_versions_lock_at_the_deadline(
    client, student, assignment
):
    assignment.late_policy = LatePolicy.PENALTY
    assignment.save()
    client.force_login(student)
    assert "per started day" in client.get(assignment.get_absolute_url()).content.decode()
    assignment.late_version_rule = LateVersionRule.LOCK_AT_DEADLINE
    assignment.save()
    html = client.get(assignment.get_absolute_url()).content.decode()
    assert "Not accepted: this project takes no versions after the deadline" in html
    assert "per started day" not in html
    # Its deadline passed, the line under it says the same, for a student in a group
    # (probe 93: "late versions are still taken" above "Not accepted").
    group_create(assignment=assignment, student=student, name="Owls")
    assignment.opens_at = timezone.now() - timedelta(days=9)
    assignment.due_at = timezone.now() - timedelta(hours=3)
    assignment.save()
    html = client.get(assignment.get_absolute_url()).content.decode()
    assert "ago: no more versions" in html and "late versions are still taken" not in html


def test_a_group_smaller_than_asked_is_told_what_it_means(client, student, course):
    pairs = ProjectAssignmentFactory(course=course, slug="pairs", min_group_size=2)
    group_create(assignment=pairs, student=student, name="Solo")
    client.force_login(student)
    html = client.get(pairs.get_absolute_url()).content.decode()
    assert "This project asks for groups of at least 2 students" in html
    assert "share the join code below" in html and "still hand in its work" in html


def test_creating_a_group_shows_its_code(client, student, assignment):
    client.force_login(student)
    response = client.post(url("group_create", assignment), {"name": "Owls"}, follow=True)
    group = Group.objects.get()
    assert f"Share its join code {group.join_code}" in flashed(response)[0]
    assert f'id="join-code">{group.join_code}<' in response.content.decode()


def test_a_taken_name_is_shown_next_to_the_field(client, student, classmate, assignment):
    group_create(assignment=assignment, student=classmate, name="Owls")
    client.force_login(student)
    response = client.post(url("group_create", assignment), {"name": "owls"})
    assert response.status_code == 400
    assert "already exists for this project" in response.content.decode()


def test_joining_with_a_code(client, group, classmate, assignment):
    client.force_login(classmate)
    response = client.post(url("group_join", assignment), {"join_code": group.join_code.lower()})
    assert response.status_code == 302
    assert flashed(response) == ["You joined the group “Owls”."]
    assert group.memberships.filter(student=classmate).exists()


def test_joining_a_group_that_handed_in_work_is_asked_first(
    client, group, student, classmate, assignment
):
    """Probe 90: a student who typed a code joined a group that had handed in work, could
    not leave it, and read its versions, with nothing asked."""
    submission_create(group=group, student=student, archive=zip_upload())
    submission_create(group=group, student=student, repository_url="https://x.org/owls")
    client.force_login(classmate)
    response = client.post(url("group_join", assignment), {"join_code": group.join_code})
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert (
        "The group “Owls” has handed in 2 versions. Once you join it, you cannot leave it, "
        "and you read the work it handed in. Tick the box to join it."
    ) in page
    assert 'name="knows_handed_in"' in page and f'value="{group.join_code}"' in page
    assert not group.memberships.filter(student=classmate).exists()
    asked = {"join_code": group.join_code, "asked_code": hidden(page, "asked_code")}

    response = client.post(url("group_join", assignment), {**asked, "knows_handed_in": "on"})
    assert response.status_code == 302
    assert flashed(response) == ["You joined the group “Owls”."]
    assert group.memberships.filter(student=classmate).exists()


def test_the_join_box_holds_for_the_group_it_was_ticked_for(
    client, group, student, classmate, assignment, course
):
    """Probe 93: asked about Owls, a student ticked the box, changed the code to Larks'
    (which had handed in work too) and joined Larks with nothing said about it."""
    larks_student = enroll(course, username="larkspur")
    larks = group_create(assignment=assignment, student=larks_student, name="Larks")
    for team, member in ((group, student), (larks, larks_student)):
        submission_create(group=team, student=member, archive=zip_upload())
    client.force_login(classmate)
    page = client.post(url("group_join", assignment), {"join_code": group.join_code})
    asked_code = hidden(page.content.decode(), "asked_code")
    assert asked_code == group.join_code

    response = client.post(
        url("group_join", assignment),
        {"join_code": larks.join_code, "asked_code": asked_code, "knows_handed_in": "on"},
    )
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "The group “Larks” has handed in 1 version." in page
    assert hidden(page, "asked_code") == larks.join_code
    assert not re.search(r'name="knows_handed_in"[^>]*checked', page)  # asked anew
    assert not larks.memberships.filter(student=classmate).exists()

    # Ticked for Larks (the code typed again in other capitals): joined.
    response = client.post(
        url("group_join", assignment),
        {
            "join_code": larks.join_code.lower(),
            "asked_code": larks.join_code,
            "knows_handed_in": "on",
        },
    )
    assert flashed(response) == ["You joined the group “Larks”."]


def test_guessing_join_codes_is_stopped_on_the_site_and_the_api(
    client, group, classmate, assignment, course, settings
):
    """Probe 35: 300 wrong codes in 3 seconds, none refused; a code opens a group's work."""
    from api.tests.conftest import token_client

    settings.SIGNUP_FAILURE_LIMIT = 3
    client.force_login(classmate)
    join = url("group_join", assignment)
    client.post(join, {"join_code": ""})  # no guess: not counted
    assert client.post(join, {"join_code": group.join_code}).status_code == 302
    group.memberships.filter(student=classmate).delete()  # a right code: not counted either
    for guess in ("AAAA2222", "AAAA2223", "AAAA2224"):
        assert client.post(join, {"join_code": guess}).status_code == 400
    response = client.post(join, {"join_code": group.join_code})  # even the right one now
    assert response.status_code == 429
    assert "Too many wrong join codes: wait 15\u00a0minutes, then try again." in (
        response.content.decode()
    )
    assert not group.memberships.filter(student=classmate).exists()
    # Per account: another student of the course joins; the API counts the same way.
    other = enroll(course)
    api = token_client(other)
    api_join = f"/api/v1/assignments/{assignment.pk}/join/"
    for guess in ("BBBB2222", "BBBB2223", "BBBB2224"):
        assert (
            api.post(api_join, {"join_code": guess}, content_type="application/json").status_code
            == 400
        )
    refused = api.post(api_join, {"join_code": group.join_code}, content_type="application/json")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "900"
    assert "Too many wrong join codes" in refused.json()["detail"]
    newcomer = enroll(course)
    client.force_login(newcomer)
    assert client.post(join, {"join_code": group.join_code}).status_code == 302
    assert group.memberships.filter(student=newcomer).exists()


def test_joining_a_full_group_says_so(client, group, course, assignment):
    assignment.max_group_size = 1
    assignment.save()
    newcomer = enroll(course)
    client.force_login(newcomer)
    response = client.post(url("group_join", assignment), {"join_code": group.join_code})
    assert flashed(response) == ["The group “Owls” is full (1 members maximum)."]


def test_a_group_being_graded_takes_no_new_members(client, group, classmate, assignment):
    Group.objects.filter(pk=group.pk).update(grading_started_at=timezone.now())
    client.force_login(classmate)
    response = client.post(url("group_join", assignment), {"join_code": group.join_code})
    assert flashed(response) == [
        "Grading of the group “Owls” has started: it takes no new members. Ask your "
        "instructor if you belong in it."
    ]
    assert not group.memberships.filter(student=classmate).exists()


def test_a_wrong_code_is_shown_next_to_the_field(client, classmate, assignment):
    client.force_login(classmate)
    response = client.post(url("group_join", assignment), {"join_code": "WRONG123"})
    assert response.status_code == 400
    assert "No group of this project has that join code" in response.content.decode()


def test_a_student_with_a_group_sending_an_old_tabs_forms_is_told_why(
    client, group, student, assignment
):
    """The page hides the create and join forms once the student has a group: a form
    sent from an older tab gets a message, whatever it held, and changes nothing."""
    client.force_login(student)
    for view, data in (
        ("group_join", {"join_code": "ZZZZZZZZ"}),
        ("group_join", {"join_code": group.join_code}),
        ("group_create", {"name": ""}),
        ("group_create", {"name": "Eagles"}),
    ):
        response = client.post(url(view, assignment), data)
        assert response.status_code == 302, (view, data)
        page = client.get(response["Location"]).content.decode()
        assert page.count("You are already in the group “Owls” for this project.") == 1
    assert list(Group.objects.values_list("name", flat=True)) == ["Owls"]


def test_leaving_before_submitting(client, group, student, assignment):
    client.force_login(student)
    response = client.post(url("group_leave", assignment))
    # Its last member: said, as its code now answers like a typo (probe 90).
    assert flashed(response) == [
        "You left the group “Owls”. You were its last member, so the group is deleted and "
        "its join code no longer works."
    ]
    assert not Group.objects.exists()


def test_leaving_after_submitting_is_refused(client, group, student, assignment):
    submission_create(group=group, student=student, repository_url="https://x.org/a")
    client.force_login(student)
    response = client.post(url("group_leave", assignment), follow=True)
    assert "already submitted" in flashed(response)[0]
    assert 'id="leave-group-btn"' not in response.content.decode()


def test_the_group_panel_says_why_a_group_that_submitted_cannot_leave(
    client, group, student, assignment
):
    # "Leave this group" used to vanish without a word: the reason only came back
    # from posting to the leave URL.
    submission_create(group=group, student=student, repository_url="https://x.org/a")
    client.force_login(student)
    html = client.get(assignment.get_absolute_url()).content.decode()
    panel = html[
        html.index('id="group-panel"') : html.index("</section>", html.index('id="group-panel"'))
    ]
    assert 'id="leave-group-btn"' not in panel
    assert ALREADY_SUBMITTED in panel


def test_group_forms_are_hidden_when_the_instructor_assigns(client, student, course):
    assignment = ProjectAssignmentFactory(course=course, formation_mode=FormationMode.INSTRUCTOR)
    client.force_login(student)
    html = client.get(assignment.get_absolute_url()).content.decode()
    assert "Your instructor will put you in a group." in html
    assert "create-group-btn" not in html


def test_group_actions_need_post(client, student, assignment):
    client.force_login(student)
    for name in ("group_create", "group_join", "group_leave", "submit"):
        # A GET goes to the project page, where the form is, instead of a bare 405.
        response = client.get(url(name, assignment))
        assert response.status_code == 302
        assert response["Location"] == assignment.get_absolute_url()


def test_submitting_a_zip_and_seeing_the_version(client, group, student, assignment, settings):
    client.force_login(student)
    response = client.post(
        url("submit", assignment),
        {"archive": zip_upload("owls.zip"), "note": "First try"},
        follow=True,
    )
    assert flashed(response) == ["Version 1 submitted."]
    html = response.content.decode()
    submission = Submission.objects.get()
    assert submission.get_download_url() in html
    assert submission.short_sha in html
    assert "owls.zip" in html and "On time" in html
    assert len(media_files(settings)) == 1


def test_a_refused_submission_asks_for_the_zip_again(client, group, student, assignment):
    """No browser fills a file input again: fixing the field in error and sending again
    made a version without the code, said only afterwards."""
    client.force_login(student)
    response = client.post(
        url("submit", assignment),
        {
            "archive": zip_upload("owls.zip"),
            "repository_url": "http://github.com/owls/app",  # not https: refused
            "note": "Our final version",
        },
    )
    assert response.status_code == 400
    html = response.content.decode()
    assert "Choose your zip (owls.zip) again" in html
    assert "Our final version" in html  # what could be kept, is
    assert not Submission.objects.exists()


def test_submitting_a_url(client, group, student, assignment):
    client.force_login(student)
    response = client.post(
        url("submit", assignment),
        {"repository_url": "https://github.com/owls/app", "commit": "abcdef1"},
    )
    assert response.status_code == 302
    assert Submission.objects.get().commit == "abcdef1"


def test_a_version_without_the_zip_or_with_the_same_zip_is_pointed_out(
    client, group, student, assignment, settings
):
    client.force_login(student)
    submit = url("submit", assignment)
    client.post(submit, {"archive": zip_upload("owls.zip")}, follow=True)
    stored = media_files(settings)
    # Sent again at once (a double click, a resend): the same version, nothing more
    # stored or tested (probe 36: six posts made six identical versions).
    response = client.post(submit, {"archive": zip_upload("owls.zip")}, follow=True)
    assert flashed(response) == [
        "Version 1 already holds this work: you handed it in a moment ago, so nothing new "
        "was submitted."
    ]
    assert Submission.objects.count() == 1 and media_files(settings) == stored
    # The same file again later: said, in case an older one was picked by mistake.
    Submission.objects.update(submitted_at=timezone.now() - timedelta(minutes=3))
    response = client.post(submit, {"archive": zip_upload("owls.zip")}, follow=True)
    assert flashed(response) == [
        "Version 2 submitted.",
        "Version 2 is the same zip as version 1, byte for byte: did you mean to send a newer file?",
    ]
    # A link alone after a zip: the version graded may then have no files at all.
    response = client.post(submit, {"repository_url": "https://github.com/owls/app"}, follow=True)
    assert flashed(response)[0] == "Version 3 submitted."
    assert "has a repository link and no zip, unlike version 2" in flashed(response)[1]
    # A new zip after it: nothing to point out.
    newer = make_zip({"app.py": "print('v4')\n"})
    response = client.post(submit, {"archive": SimpleUploadedFile("owls.zip", newer)}, follow=True)
    assert flashed(response) == ["Version 4 submitted."]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"hello", "This file is not a zip archive"),
        (make_zip({"../evil.py": "x"}), "unsafe"),
    ],
)
def test_refused_uploads_show_a_message_and_leave_nothing(
    client, group, student, assignment, settings, content, message
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(student)
    response = client.post(
        url("submit", assignment), {"archive": SimpleUploadedFile("p.zip", content)}
    )
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not Submission.objects.exists()
    assert media_files(settings) == []


def test_a_broken_zip_is_said_with_the_other_fields_errors_at_once(
    client, group, student, assignment, settings
):
    """Probe 87: with a commit and no address, the page said only "choose your zip again";
    that the file was no zip came after choosing it again."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.force_login(student)
    response = client.post(
        url("submit", assignment),
        {"archive": SimpleUploadedFile("bad.zip", b"hello"), "commit": "abc1234"},
    )
    page = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "This file is not a zip archive" in page
    assert "Give the repository URL the commit belongs to." in page
    assert "again: this page cannot keep a chosen file" not in page
    assert not Submission.objects.exists() and media_files(settings) == []


def test_an_oversized_upload_is_refused_with_the_limit(client, group, student, assignment):
    from django.core.files.uploadedfile import SimpleUploadedFile

    assignment.max_upload_mb = 1
    assignment.save()
    client.force_login(student)
    response = client.post(
        url("submit", assignment), {"archive": SimpleUploadedFile("p.zip", b"x" * 2 * 1024**2)}
    )
    assert "This file is 2 MB; the limit for this project is 1 MB." in response.content.decode()


def test_http_urls_are_refused(client, group, student, assignment):
    client.force_login(student)
    response = client.post(url("submit", assignment), {"repository_url": "http://x.org/a"})
    assert response.status_code == 400
    assert "https://" in response.content.decode()


def test_submitting_without_a_group_says_what_to_do(client, student, assignment):
    client.force_login(student)
    response = client.post(url("submit", assignment), {"repository_url": "https://x.org/a"})
    assert flashed(response) == ["Join or create a group before submitting."]


def test_late_submissions_are_flagged_with_what_lateness_costs(client, group, student, assignment):
    """ "It is marked late" did not say the cost, which the grader's queue showed."""
    assignment.opens_at = timezone.now() - timedelta(days=9)
    assignment.due_at = timezone.now() - timedelta(days=1, hours=2)  # two days late
    assignment.late_policy = LatePolicy.PENALTY
    assignment.late_penalty_per_day = Decimal("7.5")
    assignment.late_penalty_cap = Decimal("50")
    assignment.save()
    client.force_login(student)
    response = client.post(
        url("submit", assignment), {"repository_url": "https://x.org/a"}, follow=True
    )
    assert flashed(response)[0] == (
        # The time and the started days the policy counts (probe 99: "late by 2 days"
        # beside "passed 1 day, 2 hours ago").
        "Version 1 submitted. It is 1\xa0day, 2\xa0hours late (2 started days): if it is "
        "the version graded, the late policy takes 15% off its mark."
    )
    assert ">Late<" in response.content.decode()
    # Sent again at once (a retry after a timeout hid the answer): still said (probe 65).
    response = client.post(
        url("submit", assignment), {"repository_url": "https://x.org/a"}, follow=True
    )
    assert flashed(response)[0] == (
        "Version 1 already holds this work: you handed it in a moment ago, so nothing new "
        "was submitted. It is 1\xa0day, 2\xa0hours late (2 started days): if it is the "
        "version graded, the late policy takes 15% off its mark."
    )

    assignment.late_policy = LatePolicy.NO_PENALTY
    assignment.save()
    response = client.post(
        url("submit", assignment), {"repository_url": "https://x.org/b"}, follow=True
    )
    assert flashed(response)[0] == (
        "Version 2 submitted. It is 1\xa0day, 2\xa0hours late (2 started days); this project "
        "takes late work without a penalty."
    )


def test_a_hand_in_seconds_after_the_deadline_shows_its_seconds(client, group, student, assignment):
    """Times were shown to the minute while lateness counts seconds (probe 64): a hand-in
    at 23:59:30 for a 23:59 deadline read as on time next to "1 day late"."""
    local_deadline = timezone.localtime(timezone.now() - timedelta(days=1)).replace(
        second=0, microsecond=0
    )
    assignment.opens_at = local_deadline - timedelta(days=9)
    assignment.due_at = local_deadline
    assignment.late_policy = LatePolicy.PENALTY
    assignment.late_penalty_per_day = Decimal("10")
    assignment.save()
    version = submission_create(group=group, student=student, archive=zip_upload())
    Submission.objects.filter(pk=version.pk).update(
        submitted_at=local_deadline + timedelta(seconds=30), is_late=True
    )
    client.force_login(student)
    html = client.get(url("detail", assignment)).content.decode()
    deadline_text = f"{local_deadline:%H:%M} {local_deadline.tzname()}"
    handed_in_text = f"{local_deadline:%H:%M}:30 {local_deadline.tzname()}"
    # The deadline, on a whole minute, keeps its short form; the hand-in shows its seconds.
    assert re.search(r'id="deadline">\s*<time[^>]*>[^<]*' + re.escape(deadline_text), html)
    assert handed_in_text in html
    assert html.count(f"{local_deadline:%H:%M}:") == 1  # the hand-in only


def test_a_late_version_after_one_on_time_is_asked_before_it_replaces_it(
    client, group, student, assignment, course, settings
):
    """Probe 90: a teammate's late version became the one graded, 20 % off the group's
    mark, with nothing asked; the on-time version would have had full marks."""
    assignment.opens_at = timezone.now() - timedelta(days=9)
    assignment.due_at = timezone.now() - timedelta(days=1, hours=2)
    assignment.late_policy = LatePolicy.PENALTY
    assignment.late_penalty_per_day = Decimal("10")
    assignment.save()
    on_time = submission_create(group=group, student=student, archive=zip_upload())
    Submission.objects.filter(pk=on_time.pk).update(submitted_at=timezone.now() - timedelta(days=2))
    client.force_login(student)
    asked = (
        "I understand that version 1, handed in on time, will no longer be the one graded: "
        "this version is late, and the late policy takes 20% off its mark."
    )
    page = html.unescape(client.get(assignment.get_absolute_url()).content.decode())
    assert asked in page
    assert "passed 1\xa0day, 2\xa0hours ago: late versions are still taken" in page
    # And in the lists (probe 93: they said a bare "passed … ago"), per group: under "lock
    # when grading starts", not once its grading started (probe 97).
    lists = (reverse("projects:mine"), reverse("projects:course", args=[course.slug]))
    for listing in lists:
        listed = html.unescape(client.get(listing).content.decode())
        assert "passed 1\xa0day, 2\xa0hours ago: late versions are still taken" in listed
    assert assignment.late_version_rule == LateVersionRule.LOCK_WHEN_GRADING
    Group.objects.filter(pk=group.pk).update(grading_started_at=timezone.now())
    page = html.unescape(client.get(assignment.get_absolute_url()).content.decode())
    assert "passed 1\xa0day, 2\xa0hours ago: no more versions" in page
    for listing in lists:
        listed = html.unescape(client.get(listing).content.decode())
        assert "passed 1\xa0day, 2\xa0hours ago: no more versions" in listed
    Group.objects.filter(pk=group.pk).update(grading_started_at=None)

    newer = make_zip({"app.py": "print('v2')\n"})
    response = client.post(
        url("submit", assignment), {"archive": SimpleUploadedFile("v2.zip", newer)}
    )
    assert response.status_code == 400
    assert "Nothing was submitted: tick this box to hand in a late version" in html.unescape(
        response.content.decode()
    )
    assert Submission.objects.filter(group=group).count() == 1
    assert media_files(settings) and len(media_files(settings)) == 1

    # Ticked on a page that said 10 %, sent once the second late day costs 20 % (probe
    # 93: handed in at 20 % with that box ticked): refused, asked again as it is now.
    said_before = asked.replace("20%", "10%")
    response = client.post(
        url("submit", assignment),
        {
            "archive": SimpleUploadedFile("v2.zip", newer),
            "confirm_late": "on",
            "late_asked": said_before,
        },
    )
    again = html.unescape(response.content.decode())
    assert response.status_code == 400
    assert "what handing in late costs has changed since the page was opened" in again
    assert hidden(again, "late_asked") == asked and asked in again
    assert not re.search(r'name="confirm_late"[^>]*checked', again)
    assert Submission.objects.filter(group=group).count() == 1

    response = client.post(
        url("submit", assignment),
        {
            "archive": SimpleUploadedFile("v2.zip", newer),
            "confirm_late": "on",
            "late_asked": hidden(again, "late_asked"),
        },
        follow=True,
    )
    assert flashed(response)[0].startswith("Version 2 submitted. It is 1\xa0day")
    assert "late (2 started days)" in flashed(response)[0]
    # Version 1 is replaced already: a third version is not asked about it (probe 93).
    page = html.unescape(client.get(assignment.get_absolute_url()).content.decode())
    assert "will no longer be the one graded" not in page
    # Without an on-time version (or without a penalty), nothing is asked.
    Submission.objects.filter(group=group).update(submitted_at=timezone.now())
    assert asked.split(":")[0] not in client.get(assignment.get_absolute_url()).content.decode()


def test_the_lists_say_no_more_versions_before_the_deadline_once_grading_started(
    client, group, student, assignment, course
):
    """Probe 102: the project page said "due in 20 days: no more versions" while the
    dashboard and the lists counted down to a hand-in that was closed."""
    submission = submission_create(group=group, student=student, archive=zip_upload())
    Group.objects.filter(pk=group.pk).update(
        grading_started_at=timezone.now(), graded_submission=submission
    )
    client.force_login(student)
    pages = (
        assignment.get_absolute_url(),
        reverse("projects:mine"),
        reverse("projects:course", args=[course.slug]),
    )
    for address in pages:
        shown = html.unescape(client.get(address).content.decode()).replace("\xa0", " ")
        assert re.search(r"due in [^<:]*: no more versions", shown), address


def test_the_form_is_replaced_by_a_message_when_no_late_work(
    client, group, student, assignment, course
):
    assignment.opens_at = timezone.now() - timedelta(days=9)
    assignment.due_at = timezone.now() - timedelta(days=1)
    assignment.late_policy = LatePolicy.NO_LATE_WORK
    assignment.save()
    client.force_login(student)
    html = client.get(assignment.get_absolute_url()).content.decode()
    assert "does not accept late work" in html
    assert 'id="submission-form"' not in html
    assert "passed 1\xa0day ago: no more versions" in html
    for listing in (reverse("projects:mine"), reverse("projects:course", args=[course.slug])):
        assert "passed 1\xa0day ago: no more versions" in client.get(listing).content.decode()
    assert "Nothing was submitted" not in html
    # Sent from a page opened before the deadline: refused, and said so (probe 36: the
    # page came back with the plain sentence, no word that the file was refused).
    response = client.post(url("submit", assignment), {"archive": zip_upload()})
    assert response.status_code == 400
    assert (
        '<p class="alert alert-danger" role="alert" id="submissions-closed">Nothing was '
        "submitted. The deadline has passed"
    ) in response.content.decode()
    assert not Submission.objects.filter(group=group).exists()


def test_downloading_a_version(client, group, student, classmate, assignment):
    group_join(assignment=assignment, student=classmate, join_code=group.join_code)
    submission = submission_create(
        group=group, student=student, archive=zip_upload("Owls Final!.zip")
    )
    client.force_login(classmate)
    response = client.get(submission.get_download_url())
    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert response["Content-Disposition"] == 'attachment; filename="Owls-Final-v1.zip"'
    assert response["Cache-Control"] == "private, no-store"
    assert b"".join(response.streaming_content) == make_zip()


def test_a_version_page(client, group, student, assignment):
    submission = submission_create(
        group=group, student=student, repository_url="https://x.org/a", note="Hello <b>"
    )
    client.force_login(student)
    response = client.get(submission.get_absolute_url())
    assert response.status_code == 200
    assert "Hello &lt;b&gt;" in response.content.decode()
    # A version without a file has nothing to download.
    assert client.get(submission.get_download_url()).status_code == 404


def test_the_course_list_and_my_projects(client, group, student, assignment, course):
    ProjectAssignmentFactory(course=course, title="Draft one", is_published=False)
    client.force_login(student)
    for page in (reverse("projects:course", args=[course.slug]), reverse("projects:mine")):
        html = client.get(page).content.decode()
        assert "Web app" in html and "Owls" in html and "Not submitted yet" in html
        assert "Draft one" not in html


def test_instructors_see_back_office_links(client, teacher, assignment):
    assignment.is_published = False
    assignment.save()
    client.force_login(teacher)
    html = client.get(assignment.get_absolute_url()).content.decode()
    assert "Draft: hidden from students" in html
    assert reverse("admin:projects_group_changelist") in html
    assert "create-group-btn" not in html


def test_graders_of_the_course_see_the_project_but_cannot_form_groups(
    client, grace, course, assignment
):
    enroll(course, grace, role=Role.GRADER)
    client.force_login(grace)
    assert client.get(assignment.get_absolute_url()).status_code == 200
    response = client.post(url("group_create", assignment), {"name": "Graders"})
    assert response.status_code == 403
    assert not assignment.groups.exists()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("Owls\u202eslwo", "invisible text-direction characters"),
        ("\u2067Team\u2069", "invisible text-direction characters"),
        ("\u200b\u200b", "at least one visible letter"),
        ("\ufeff \u2060", "at least one visible letter"),
        ("\u3164", "at least one visible letter"),
        ("ok\r\nBcc: x@y.z", "Keep the name on one line"),
    ],
)
def test_a_group_name_reads_as_typed(client, classmate, assignment, name, message):
    """A name graders and instructors read beside the members: no text-direction
    characters, nothing invisible-only; on the site and through the API."""
    from api.tests.conftest import token_client

    client.force_login(classmate)
    response = client.post(url("group_create", assignment), {"name": name})
    assert response.status_code == 400
    assert message in response.content.decode()
    response = token_client(classmate).post(
        f"/api/v1/assignments/{assignment.pk}/groups/",
        {"name": name},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert not Group.objects.exists()
    response = client.post(url("group_create", assignment), {"name": "Équipe 7 — 東京"})
    assert response.status_code == 302
    assert Group.objects.get().name == "Équipe 7 — 東京"


def test_a_group_hands_in_at_most_thirty_versions_a_day(
    client, group, student, assignment, settings
):
    """No bound on versions: one student's loop of 5 MB zips filled the disk at 50 MB/s
    (probe 63). The thirty-first of a day is refused, said with when to try again, and its
    file is not stored."""
    from projects.services.submissions import VERSIONS_PER_DAY

    now = timezone.now()
    Submission.objects.create(group=group, version=1, submitted_at=now - timedelta(days=2))
    for number in range(2, VERSIONS_PER_DAY + 2):
        Submission.objects.create(
            group=group, version=number, submitted_at=now - timedelta(hours=23, minutes=number)
        )
    client.force_login(student)
    stored = media_files(settings)
    response = client.post(url("submit", assignment), {"archive": zip_upload("more.zip")})
    assert response.status_code == 400
    page = response.content.decode()
    assert f"Your group has handed in {VERSIONS_PER_DAY} versions in the last 24 hours" in page
    assert "Hand in again after" in page
    assert Submission.objects.filter(group=group).count() == VERSIONS_PER_DAY + 1
    assert media_files(settings) == stored
    # The service the API calls refuses as well.
    with pytest.raises(ValidationError, match="in the last 24 hours"):
        submission_create(group=group, student=student, repository_url="https://x.org/a")
    # Once the oldest of the day is a day old, one more.
    Submission.objects.filter(group=group, version=2).update(
        submitted_at=now - timedelta(days=1, minutes=1)
    )
    response = client.post(url("submit", assignment), {"repository_url": "https://x.org/b"})
    assert response.status_code == 302
