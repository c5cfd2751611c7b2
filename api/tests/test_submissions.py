"""Submitting through the API: the body is read for authenticated callers only, and
a body that cannot be read is named as such."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.test.client import BOUNDARY, MULTIPART_CONTENT, FakePayload, encode_multipart
from django.utils import timezone

from access.tests.tenants import build_tenant
from api.problems import NOT_FOUND
from projects.tests.factories import make_zip

from .conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def apple():
    return build_tenant("Apple")


def archive_body(content: bytes) -> bytes:
    """Return a multipart body holding CONTENT as the ``archive`` file."""
    head = (
        f"--{BOUNDARY}\r\n"
        'Content-Disposition: form-data; name="archive"; filename="project.zip"\r\n'
        "Content-Type: application/zip\r\n\r\n"
    )
    return head.encode() + content + f"\r\n--{BOUNDARY}--\r\n".encode()


def post(client: Client, url: str, body: bytes, content_type: str = MULTIPART_CONTENT):
    """POST BODY to URL; return the response and how many bytes of it were read."""
    payload = FakePayload(body)
    response = client.generic("POST", url, body, content_type, **{"wsgi.input": payload})
    return response, len(body) - len(payload)


def test_an_upload_without_valid_credentials_is_refused_unread(apple):
    """The body (20 MB allowed) was parsed before authentication: anyone could make the
    server read it, and the time taken told which assignments exist."""
    body = archive_body(b"x" * 256 * 1024)
    answers = set()
    for client in (Client(), Client(headers={"Authorization": "Bearer cpt_made-up"})):
        for pk in (apple.grading.pk, 999_999):
            response, read = post(client, f"/api/v1/assignments/{pk}/submissions/", body)
            assert response.status_code == 401
            assert response["Content-Type"] == "application/problem+json"
            assert read == 0
            answers.add((response.json()["title"], response.json()["detail"]))
        assert len(answers) == 1  # the same for an assignment that exists and one that does not
        answers.clear()


def test_a_session_s_upload_is_still_limited_before_its_csrf_check(apple):
    """The CSRF check of a session reads the body: the assignment's limit comes first."""
    apple.grading.max_upload_mb = 1
    apple.grading.save()
    client = Client(enforce_csrf_checks=True)
    client.force_login(apple.student)
    client.cookies["csrftoken"] = "a" * 32
    client.defaults["HTTP_X_CSRFTOKEN"] = "a" * 32
    body = archive_body(b"x" * 3 * 1024 * 1024)
    response, read = post(client, f"/api/v1/assignments/{apple.grading.pk}/submissions/", body)
    assert response.status_code == 400, response.content
    assert "limit for this project is 1" in response.json()["errors"]["archive"][0]
    assert read == 0  # its declared length was enough


def test_a_body_that_cannot_be_read_is_named_not_blamed_on_the_archive(apple, settings):
    """Every parse failure was "Your upload could not be read. If the file name is very
    long...", under ``archive``, even when no file was sent."""
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    student = token_client(apple.student)
    url = f"/api/v1/assignments/{apple.grading.pk}/submissions/"
    fields = {f"field{n}": "x" for n in range(10)}
    cases = [
        (encode_multipart(BOUNDARY, fields), MULTIPART_CONTENT, "too many parts"),
        (b"--nothing--", "multipart/form-data", "not a readable multipart/form-data"),
    ]
    for body, content_type, message in cases:
        response, _ = post(student, url, body, content_type)
        assert response.status_code == 400, response.content
        errors = response.json()["errors"]
        assert list(errors) == ["non_field_errors"], errors
        assert message in errors["non_field_errors"][0]
    # A real archive still goes through.
    body = archive_body(make_zip())
    assert post(student, url, body)[0].status_code == 201


def test_a_misspelled_field_of_a_hand_in_is_refused_and_nothing_handed_in(apple):
    """Probe 18: "comit" for "commit" answered 201 and saved the version without it."""
    from projects.models import Submission

    student = token_client(apple.student)
    url = f"/api/v1/assignments/{apple.grading.pk}/submissions/"
    before = Submission.objects.count()
    body = encode_multipart(
        BOUNDARY, {"repository_url": "https://git.example.edu/apple.git", "comit": "a" * 40}
    )
    response, _ = post(student, url, body)
    assert response.status_code == 400, response.content
    assert "comit" in response.json()["errors"]
    assert "it takes archive, repository_url, commit" in response.json()["errors"]["comit"][0]
    assert Submission.objects.count() == before


def test_an_archive_sent_as_text_is_told_to_be_a_file(apple):
    """Probe 26: it was told "Upload a zip archive of your project, give a repository
    URL, or both." although an archive was sent."""
    from projects.models import Submission

    student = token_client(apple.student)
    url = f"/api/v1/assignments/{apple.grading.pk}/submissions/"
    before = Submission.objects.count()
    response, _ = post(student, url, encode_multipart(BOUNDARY, {"archive": "PK\x03\x04"}))
    assert response.status_code == 400, response.content
    assert response.json()["errors"]["archive"] == [
        "Send the archive as a file (a part with a filename), not as text."
    ]
    assert Submission.objects.count() == before


def test_a_hand_in_sent_as_json_is_told_what_the_address_takes(apple):
    """Probe 26: a bare 415 'Unsupported media type "application/json"' did not say that
    a hand-in is multipart (its archive is a file)."""
    from projects.models import Submission

    student = token_client(apple.student)
    url = f"/api/v1/assignments/{apple.grading.pk}/submissions/"
    before = Submission.objects.count()
    response = student.post(
        url,
        {"repository_url": "https://git.example.edu/apple.git"},
        content_type="application/json",
    )
    assert response.status_code == 415
    assert response.json()["detail"] == (
        "This address does not take “application/json”: send multipart/form-data or "
        "application/x-www-form-urlencoded."
    )
    assert Submission.objects.count() == before


def test_an_action_that_takes_no_body_refuses_one_and_does_nothing(apple):
    """Probe 18: {"released": false} to the release released the grades (and mailed
    the students): the body was ignored, as if heard."""
    from grading.models import GradeRelease

    teacher = token_client(apple.instructor)
    url = f"/api/v1/assignments/{apple.grading.pk}/release/"
    response = teacher.post(url, {"released": False}, content_type="application/json")
    assert response.status_code == 400
    assert "released" in response.json()["errors"]
    # An empty object or null is a body too: {} released the grades (probe).
    for body in ("[1]", "{}", "null", "  {} "):
        response = teacher.post(url, body, content_type="application/json")
        assert response.status_code == 400, body
        assert response.json()["errors"]["non_field_errors"] == ["This request takes no body."]
    for action in ("assign-graders", "leave"):
        response = token_client(apple.student if action == "leave" else apple.instructor).post(
            f"/api/v1/assignments/{apple.grading.pk}/{action}/", "{}", "application/json"
        )
        assert response.status_code == 400, action
    assert not GradeRelease.objects.filter(assignment=apple.grading).exists()
    # Without a body, the release itself answers (here: reviews are still missing).
    answer = teacher.generic("POST", url).json()  # the client's post() sends "{}"
    assert "have no completed review yet" in answer["errors"]["non_field_errors"][0]


def test_a_refusal_names_a_few_unknown_fields_not_all_of_them(apple):
    """Probe 18: 50,000 unknown keys drew a 5.6 MB answer, each with the field list."""
    teacher = token_client(apple.instructor)
    body = {f"k{n}": 1 for n in range(5000)}
    response = teacher.patch(
        f"/api/v1/courses/{apple.course.pk}/", body, content_type="application/json"
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert len(errors) == 21
    assert errors["non_field_errors"] == [
        "4980 more fields that this request does not take were sent."
    ]
    assert len(response.content) < 20_000


def test_a_version_the_list_hides_from_a_grader_is_not_found_as_a_group_is_not(apple):
    """Probe: a grader's GET of a version of a group they grade answered 403 (the id
    exists) where the list hides it and /groups/{id}/ answers 404."""
    grader = token_client(apple.grader)
    listed = grader.get("/api/v1/submissions/").json()["results"]
    assert apple.submission_o.pk not in {row["id"] for row in listed}
    for url in (
        f"/api/v1/submissions/{apple.submission_o.pk}/",
        f"/api/v1/submissions/{apple.review_p.submission_id}/",
        f"/api/v1/groups/{apple.group_o.pk}/",
    ):
        response = grader.get(url)
        assert response.status_code == 404, (url, response.status_code)
        assert response.json()["detail"] == NOT_FOUND
    missing = grader.get("/api/v1/submissions/999999/")
    assert missing.json() == {**response.json(), "instance": "/api/v1/submissions/999999/"}
    # The archive of the version they grade is still theirs to download.
    download = grader.get(f"/api/v1/submissions/{apple.submission_o.pk}/download/")
    assert download.status_code == 200


def test_a_file_is_refused_to_a_client_that_accepts_only_json(world):
    """Probe 45: the zip and the gradebook's CSV came (200) to `Accept: application/json`,
    where docs/api.md promises a 406 when the Accept header names no type the address
    answers in."""
    apple, _, _ = world
    teacher = token_client(apple.instructor)
    files = (
        (f"/api/v1/submissions/{apple.submission_o.pk}/download/", "application/zip"),
        (f"/api/v1/courses/{apple.course.pk}/gradebook/csv/", "text/csv"),
    )
    for url, media_type in files:
        refused = teacher.get(url, headers={"Accept": "application/json"})
        assert refused.status_code == 406, url
        assert refused["Content-Type"] == "application/problem+json"
        assert media_type in refused.json()["detail"]
        for accept in (media_type, "*/*", f"{media_type.split('/')[0]}/*, application/json"):
            response = teacher.get(url, headers={"Accept": accept})
            assert response.status_code == 200, (url, accept)
            assert response["Content-Type"].startswith(media_type), (url, accept)


def test_the_same_work_sent_again_at_once_makes_no_version_and_says_so(apple):
    """A script retrying after a timeout got a 201 and "Version 1" again, as if made anew
    (probe 61 for the site's message)."""
    from projects.models import Submission

    student = token_client(apple.student)
    url = f"/api/v1/assignments/{apple.grading.pk}/submissions/"
    before = Submission.objects.count()
    body = archive_body(make_zip())
    first, _ = post(student, url, body)
    assert first.status_code == 201, first.content
    again, _ = post(student, url, body)
    assert again.status_code == 200, again.content
    assert again.json()["version"] == first.json()["version"]
    # Late after the tenant's on-time version 1: said, the site asking first (probe 93).
    assert first.json()["notices"] == [
        f"Version {first.json()['version']} is late and replaces version 1, handed in on "
        "time, as the one graded: the late policy takes 20% off its mark."
    ]
    assert again.json()["notices"] == [
        f"Version {first.json()['version']} already holds this work: you handed it in a "
        "moment ago, so nothing new was submitted.",
        *first.json()["notices"],
    ]
    assert Submission.objects.count() == before + 1
    # What the first answer said is said again with it: the retry may be all the client
    # got (probe 65). Three minutes later the same zip is a new version, told so...
    Submission.objects.filter(pk=first.json()["id"]).update(
        submitted_at=timezone.now() - timedelta(minutes=3)
    )
    later, _ = post(student, url, body)
    assert later.status_code == 201
    assert later.json()["notices"] == [
        f"Version {later.json()['version']} is the same zip as version "
        f"{first.json()['version']}, byte for byte: did you mean to send a newer file?"
    ]
    # ... and so is its retry.
    retried, _ = post(student, url, body)
    assert retried.status_code == 200
    assert retried.json()["notices"][1:] == later.json()["notices"]
    # Another zip is a new version, created.
    other, _ = post(student, url, archive_body(make_zip({"app.py": "print(2)\n"})))
    assert other.status_code == 201 and other.json()["version"] == first.json()["version"] + 2


def test_a_group_reads_its_own_deadline_with_its_extension(apple):
    """The API gave the project's due_at only: a version hours after it came back
    ``is_late: false`` with nothing to say why (probe 66)."""
    from projects.models import Extension

    student = token_client(apple.student)
    url = f"/api/v1/groups/{apple.group_o.pk}/"
    due_at = apple.group_o.assignment.due_at
    row = student.get(url).json()
    assert (row["deadline"], row["extended"]) == (serializer_time(due_at), False)
    Extension.objects.create(group=apple.group_o, due_at=due_at + timedelta(hours=3))
    row = student.get(url).json()
    assert (row["deadline"], row["extended"]) == (
        serializer_time(due_at + timedelta(hours=3)),
        True,
    )
    listed = student.get("/api/v1/groups/").json()["results"]
    assert {r["id"]: r["extended"] for r in listed}[apple.group_o.pk] is True


def serializer_time(value) -> str:
    return timezone.localtime(value).isoformat()
