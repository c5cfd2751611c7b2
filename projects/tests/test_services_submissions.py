from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import datetime, timedelta
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import DatabaseError
from django.utils import timezone

from projects.models import Extension, LatePolicy, ProjectAssignment, Submission, SubmissionKinds
from projects.services import group_create, submission_create
from projects.tests.factories import make_zip
from projects.tests.student_fixtures import *  # noqa: F403 - fixtures
from projects.tests.student_fixtures import enroll, media_files, zip_upload

pytestmark = pytest.mark.django_db


@pytest.fixture
def group(assignment, student):
    return group_create(assignment=assignment, student=student, name="Owls")


def errors_of(excinfo) -> str:
    return " ".join(excinfo.value.messages)


def test_it_stores_a_zip_with_its_hash_under_an_unguessable_name(group, student, settings):
    upload = zip_upload("Our Project.zip")
    content = make_zip()
    submission = submission_create(group=group, student=student, archive=upload, note=" hi ")
    assert submission.version == 1
    assert submission.submitted_by == student
    assert submission.archive_name == "Our Project.zip"
    assert submission.archive_size == len(content)
    assert submission.sha256 == hashlib.sha256(content).hexdigest()
    assert submission.note == "hi"
    assert not submission.is_late
    stored = submission.archive.name
    assert stored.startswith(f"submissions/{group.assignment_id}/")
    assert "Our" not in stored and len(stored.rsplit("/", 1)[1]) == len("0" * 32 + ".zip")
    with submission.archive.open("rb") as handle:
        assert handle.read() == content
    assert len(media_files(settings)) == 1


def test_versions_are_numbered_per_group(group, student, classmate, assignment):
    from projects.services import group_join

    group_join(assignment=assignment, student=classmate, join_code=group.join_code)
    first = submission_create(group=group, student=student, archive=zip_upload())
    second = submission_create(
        group=group, student=classmate, repository_url="https://github.com/owls/app"
    )
    assert (first.version, second.version) == (1, 2)
    other = group_create(assignment=assignment, student=enroll(group.assignment.course), name="B")
    third = submission_create(
        group=other, student=other.memberships.get().student, archive=zip_upload()
    )
    assert third.version == 1


def test_it_accepts_a_repository_url_and_commit(group, student, settings):
    submission = submission_create(
        group=group,
        student=student,
        repository_url=" https://gitlab.com/owls/app ",
        commit="3F2C9AB",
    )
    assert submission.repository_url == "https://gitlab.com/owls/app"
    assert submission.commit == "3f2c9ab"
    assert not submission.archive
    assert media_files(settings) == []


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("http://github.com/owls/app", "https://"),
        ("ftp://github.com/owls/app", "https://"),
        ("javascript:alert(1)", "https://"),
        ("github.com/owls/app", "https://"),
        ("https://owl:ghp_secret@github.com/owls/app", "never share credentials"),
        ("https://git\u200bhub.com/owls/app", "invisible characters"),  # reads github.com
        ("https://github.com/owls/app\u202e", "invisible characters"),
        ("https://localhost/owls/app", "public address"),
        ("https://localhost:8443/owls/app", "public address"),
        ("https://gitea.localhost/owls/app", "public address"),
        ("https://127.0.0.1/owls/app", "public address"),
        ("https://10.0.0.7/owls/app", "public address"),
        ("https://192.168.1.20:3000/owls/app", "public address"),
        ("https://169.254.169.254/latest/meta-data", "public address"),
        ("https://[::1]/owls/app", "public address"),
        ("https://[fd00::1]/owls/app", "public address"),
        ("https://0.0.0.0/owls/app", "public address"),
        ("https://" + "é" * 63 + ".org/owls/app", "public address"),  # no IDNA encoding
    ],
)
def test_it_refuses_urls_that_are_not_plain_https(group, student, url, message):
    with pytest.raises(ValidationError) as excinfo:
        submission_create(group=group, student=student, repository_url=url)
    assert message in errors_of(excinfo)
    assert excinfo.value.error_dict.keys() == {"repository_url"}


@pytest.mark.parametrize(
    "url",
    [
        "https://intranet.local/x",
        "https://git.internal/team/repo",
        "https://router.home.arpa/x",
        "https://nas.lan/x",
        "https://gitlab.corp/x",
        "https://git.localdomain/x",
        "https://git.intranet/x",
        "https://git.test/x",
        "https://git.example/x",
        "https://git.invalid/x",
        "https://owlsgit3xample.onion/x",
        "https://git.alt/x",
        "https://7.0.0.10.in-addr.arpa/x",  # a reverse-lookup zone
        "https://GIT.Internal./team/repo",  # spelt loud, with the root's dot
    ],
)
def test_it_refuses_special_use_and_intranet_names(group, student, url):
    # These were taken as public: a grader following one reaches their own network.
    with pytest.raises(ValidationError) as excinfo:
        submission_create(group=group, student=student, repository_url=url)
    assert "private network" in errors_of(excinfo)
    assert excinfo.value.error_dict.keys() == {"repository_url"}


@pytest.mark.parametrize(
    "url",
    [
        "https://github.com/owls/app",
        "https://github.com/org/repo",
        "https://gitlab.example.ac.uk/owls/app.git",
        "https://git.local.example.org/owls/app",  # special words inside a public name
        "https://140.82.112.3/owls/app",  # a public address written as numbers
        "https://GitHub.com./owls/app",
    ],
)
def test_it_accepts_public_repository_addresses(group, student, url):
    submission = submission_create(group=group, student=student, repository_url=url)
    assert submission.repository_url == url


@pytest.mark.parametrize("commit", ["abc12", "g" * 7, "a" * 41, "3f2c9ab!"])
def test_it_refuses_malformed_commits(group, student, commit):
    with pytest.raises(ValidationError, match="7 to 40 hexadecimal"):
        submission_create(
            group=group, student=student, repository_url="https://x.org/a", commit=commit
        )


def test_a_commit_needs_a_url(group, student):
    with pytest.raises(ValidationError, match="repository URL the commit belongs to"):
        submission_create(group=group, student=student, commit="3f2c9ab")


@pytest.mark.parametrize(
    ("kinds", "message"),
    [
        (SubmissionKinds.ZIP, "Choose the zip archive"),
        (SubmissionKinds.URL, "Give the URL"),
        (SubmissionKinds.BOTH, "Upload a zip archive of your project, give a repository URL"),
    ],
)
def test_it_needs_something_to_submit(group, student, kinds, message):
    group.assignment.submission_kinds = kinds
    group.assignment.save()
    with pytest.raises(ValidationError, match=message):
        submission_create(group=group, student=student)


def test_it_refuses_kinds_the_project_does_not_accept(group, student, settings):
    group.assignment.submission_kinds = SubmissionKinds.URL
    group.assignment.save()
    with pytest.raises(ValidationError, match="does not accept zip"):
        submission_create(group=group, student=student, archive=zip_upload())
    group.assignment.submission_kinds = SubmissionKinds.ZIP
    group.assignment.save()
    with pytest.raises(ValidationError, match="does not accept repository URLs"):
        submission_create(group=group, student=student, repository_url="https://x.org/a")
    assert media_files(settings) == []


def bomb() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("big.txt", b"\0" * (50 * 1024 * 1024))
    return buffer.getvalue()


def many_entries() -> bytes:
    return make_zip({f"f{i}.txt": "x" for i in range(2001)})


@pytest.mark.parametrize(
    ("content", "code", "msg"),
    [
        (b"%PDF-1.4 not a zip", "not_zip", "not a zip archive"),
        (b"", "empty", "This file is empty"),
        (make_zip({"../../etc/passwd": "x"}), "unsafe_path", ""),
        (make_zip({"/abs/path.py": "x"}), "unsafe_path", ""),
        (bomb(), "suspicious_ratio", ""),
        (many_entries(), "too_many_entries", ""),
    ],
    ids=["not-zip", "empty", "traversal", "absolute", "bomb", "entries"],
)
def test_it_refuses_bad_archives_and_leaves_no_file(group, student, settings, content, code, msg):
    upload = SimpleUploadedFile("project.zip", content, content_type="application/zip")
    with pytest.raises(ValidationError) as excinfo:
        submission_create(group=group, student=student, archive=upload)
    [error] = excinfo.value.error_dict["archive"]
    assert error.code == code
    assert msg in errors_of(excinfo)
    assert Submission.objects.count() == 0
    assert media_files(settings) == []


def test_it_refuses_oversized_files_before_reading_them(group, student, settings):
    group.assignment.max_upload_mb = 1
    group.assignment.save()
    upload = SimpleUploadedFile("big.zip", b"PK\x03\x04" + b"x" * (1024 * 1024))
    # The bytes are a broken zip: had the archive been read, the message would say so.
    with pytest.raises(ValidationError) as excinfo:
        submission_create(group=group, student=student, archive=upload)
    assert errors_of(excinfo) == (
        "This file is 1,048,580 bytes; the limit for this project is 1,048,576 bytes."
    )
    upload = SimpleUploadedFile("big.zip", b"x" * (3 * 1024 * 1024 // 2))
    with pytest.raises(
        ValidationError, match="This file is 1.5 MB; the limit for this project is 1 MB"
    ):
        submission_create(group=group, student=student, archive=upload)
    assert media_files(settings) == []


def test_a_database_failure_deletes_the_stored_file(group, student, settings, database_refuses):
    database_refuses("projects_submission")
    with pytest.raises(DatabaseError):
        submission_create(group=group, student=student, archive=zip_upload())
    assert Submission.objects.count() == 0
    assert media_files(settings) == []


def test_it_refuses_non_members_and_outsiders(group, classmate, charlie, settings):
    for user in (classmate, charlie):
        with pytest.raises(ValidationError, match="Only members of this group"):
            submission_create(group=group, student=user, archive=zip_upload())
    assert media_files(settings) == []


def test_it_refuses_before_the_project_opens(group, student):
    group.assignment.opens_at = timezone.now() + timedelta(days=1)
    group.assignment.due_at = timezone.now() + timedelta(days=5)
    group.assignment.save()
    with pytest.raises(ValidationError, match="Submissions open on"):
        submission_create(group=group, student=student, repository_url="https://x.org/a")


def past_due(group, policy):
    assignment = group.assignment
    assignment.opens_at = timezone.now() - timedelta(days=10)
    assignment.due_at = timezone.now() - timedelta(hours=1)
    assignment.late_policy = policy
    assignment.save()


def test_late_work_is_flagged(group, student):
    past_due(group, LatePolicy.PENALTY)
    submission = submission_create(group=group, student=student, archive=zip_upload())
    assert submission.is_late
    assert group.assignment.days_late(submission.submitted_at) == 1


@pytest.mark.parametrize(
    ("deadline", "submitted", "days"),
    [
        ("2026-10-24 23:59", "2026-10-24 23:59", 0),
        ("2026-10-24 23:59", "2026-10-25 00:00", 1),
        # The clocks go back that night: 23 h 31 min on the clock, 24 h 31 min passed.
        ("2026-10-24 23:59", "2026-10-25 23:30", 1),
        ("2026-10-24 23:59", "2026-10-26 00:30", 2),
        # They go forward: 24 h 31 min on the clock, 23 h 31 min passed.
        ("2026-03-28 23:59", "2026-03-30 00:30", 2),
        ("2026-03-28 23:59", "2026-03-29 23:58", 1),
    ],
)
def test_days_late_are_counted_as_the_calendar_counts_them(deadline, submitted, days):
    brussels = ZoneInfo("Europe/Brussels")
    at = lambda text: datetime.strptime(text, "%Y-%m-%d %H:%M").replace(tzinfo=brussels)  # noqa: E731
    assignment = ProjectAssignment(due_at=at(deadline))
    with timezone.override(brussels):
        assert assignment.days_late(at(submitted)) == days


def test_no_late_work_is_refused_with_a_clear_message(group, student, settings):
    past_due(group, LatePolicy.NO_LATE_WORK)
    with pytest.raises(ValidationError) as excinfo:
        submission_create(group=group, student=student, archive=zip_upload())
    assert "has passed and this project does not accept late work" in errors_of(excinfo)
    assert media_files(settings) == []


def test_an_extension_keeps_work_on_time(group, student, alice):
    past_due(group, LatePolicy.NO_LATE_WORK)
    Extension.objects.create(group=group, due_at=timezone.now() + timedelta(days=1))
    group.refresh_from_db()
    submission = submission_create(group=group, student=student, archive=zip_upload())
    assert not submission.is_late


def test_the_deadline_is_checked_again_under_the_lock(group, student, settings):
    """A deadline that passes between the first check and numbering still counts."""
    group.assignment.late_policy = LatePolicy.NO_LATE_WORK
    group.assignment.save()
    later = timezone.now() + timedelta(days=30)
    target = "projects.services.submissions.timezone.now"
    with mock.patch(target, side_effect=[timezone.now(), later]):
        with pytest.raises(ValidationError, match="does not accept late work"):
            submission_create(group=group, student=student, archive=zip_upload())
    assert media_files(settings) == []


def test_a_note_that_shows_nothing_is_refused_and_nothing_is_stored(group, student, settings):
    """A note of zero-width characters reached graders as "Note:" and nothing after it."""
    with pytest.raises(ValidationError) as excinfo:
        submission_create(
            group=group, student=student, archive=zip_upload("p.zip"), note="\u200b\u2060"
        )
    assert excinfo.value.message_dict["note"] == [
        "This note shows nothing (only invisible characters): write it in words, or leave it empty."
    ]
    assert not Submission.objects.exists() and media_files(settings) == []
