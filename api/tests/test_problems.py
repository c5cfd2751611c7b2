"""What the API answers when the database refuses a write made at the same moment."""

from __future__ import annotations

import psycopg
from django.db import IntegrityError, OperationalError
from rest_framework.test import APIRequestFactory

from access.tests.tenants import build_tenant
from api.problems import PROBLEM_JSON, problem_handler

from .conftest import token_client


def answer(exc):
    request = APIRequestFactory().post("/api/v1/reviews/7/")
    return problem_handler(exc, {"request": request})


def raised_from(cause: Exception) -> OperationalError:
    try:
        try:
            raise cause
        except psycopg.Error as error:
            raise OperationalError(str(error)) from error
    except OperationalError as wrapped:  # as Django's database wrapper raises it
        return wrapped


def test_a_deadlock_or_serialization_failure_is_a_conflict_to_retry():
    for cause in (
        psycopg.errors.DeadlockDetected("deadlock detected"),
        psycopg.errors.SerializationFailure("could not serialize access"),
    ):
        response = answer(raised_from(cause))
        assert response.status_code == 409
        assert response.content_type == PROBLEM_JSON
        assert (
            response.data["detail"] == "Someone changed this at the same moment. Please try again."
        )
    assert answer(IntegrityError("duplicate key")).status_code == 409


def test_other_database_failures_stay_server_errors():
    """A lost connection is no conflict: Django's 500 handler answers (a problem document)."""
    assert answer(raised_from(psycopg.OperationalError("server closed the connection"))) is None


def test_half_a_surrogate_pair_in_a_json_body_is_a_bad_request_that_says_so(db):
    """The "not a valid choice" message repeated the value, which no response can encode:
    a 500 on the enrollment, role and regrade answers. A pair that makes a character
    (an emoji) is text like any other."""
    from access.tests.tenants import build_tenant

    from .conftest import token_client

    apple = build_tenant("Apple")
    teacher = token_client(apple.instructor)
    url = f"/api/v1/courses/{apple.course.pk}/enrollments/"
    for body in (
        '{"email": "new@example.org", "role": "\\ud800"}',
        '{"email": "new\\udfff@example.org", "role": "student"}',
    ):
        response = teacher.post(url, body, content_type="application/json")
        assert response.status_code == 400, response.content
        assert response["Content-Type"] == PROBLEM_JSON
        assert "half of a UTF-16 surrogate pair" in response.json()["detail"]
    emoji = teacher.post(
        url,
        '{"email": "new@example.org", "role": "\\ud83d\\ude00"}',
        content_type="application/json",
    )
    assert emoji.status_code == 400
    assert "is not a valid choice" in emoji.content.decode("utf-8")


def test_a_json_body_is_read_as_utf_8_whatever_charset_its_type_names(db):
    """Probe 110: "café" sent as UTF-8 with "charset=latin-1" was saved "cafÃ©"; JSON is
    UTF-8 (RFC 8259). Bytes that are not UTF-8 are a 400, and nothing is saved."""
    from lessons.models import Lesson

    apple = build_tenant("Apple")
    teacher = token_client(apple.instructor)
    url = f"/api/v1/lessons/{apple.lesson.pk}/"
    body = '{"title": "Café and naïve"}'.encode()  # UTF-8
    for charset in ("latin-1", "bogus-xx", "utf-8"):
        response = teacher.patch(url, body, content_type=f"application/json; charset={charset}")
        assert response.status_code == 200, response.content
        assert Lesson.objects.get(pk=apple.lesson.pk).title == "Café and naïve"
    refused = teacher.patch(url, b'{"title": "Caf\xe9"}', content_type="application/json")
    assert refused.status_code == 400, refused.content
    assert refused["Content-Type"] == PROBLEM_JSON
    # In words, not Python's "'utf-8' codec can't decode byte 0xe9" (probe 113).
    assert refused.json()["detail"] == (
        "JSON parse error - the body is not UTF-8 text (byte 0xe9 at position 14): send "
        "JSON in UTF-8, whatever charset the Content-Type names."
    )
    assert Lesson.objects.get(pk=apple.lesson.pk).title == "Café and naïve"
    # A byte-order mark before the JSON is allowed; a bad byte's position counts it.
    bom = teacher.patch(url, b"\xef\xbb\xbf" + body, content_type="application/json")
    assert bom.status_code == 200, bom.content
    after_bom = teacher.patch(
        url, b'\xef\xbb\xbf{"title": "Caf\xe9"}', content_type="application/json"
    )
    assert "(byte 0xe9 at position 17)" in after_bom.json()["detail"]
    # A character cut off at the end is refused too (it was dropped, and the rest saved).
    cut = teacher.patch(url, body + b"\xc3", content_type="application/json")
    assert cut.status_code == 400, cut.content
    assert "(byte 0xc3 at position" in cut.json()["detail"]
    assert Lesson.objects.get(pk=apple.lesson.pk).title == "Café and naïve"


def test_a_body_past_the_upload_limit_is_refused_before_it_is_read_whole(db, settings):
    """DRF's parsers read the stream themselves, past Django's DATA_UPLOAD_MAX_MEMORY_SIZE:
    a roster of 12 MB (or any JSON) was read into memory whole before anything said no."""
    from django.test.client import FakePayload

    from access.tests.tenants import build_tenant

    from .conftest import token_client

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    apple = build_tenant("Apple")
    teacher = token_client(apple.instructor)
    course = f"/api/v1/courses/{apple.course.pk}"
    for url, content_type, body in (
        (f"{course}/roster/", "text/csv", b"email,name,role\n" + b"x" * 3 * 1024 * 1024),
        (f"{course}/roster/", "application/json", b'{"rows": "' + b"a" * 3 * 1024 * 1024),
    ):
        payload = FakePayload(body)
        response = teacher.generic("POST", url, body, content_type, **{"wsgi.input": payload})
        assert response.status_code == 413, response.content
        assert response["Content-Type"] == PROBLEM_JSON
        assert "larger than 1 MB, the most the API reads" in response.json()["detail"]
        assert len(body) - len(payload) <= 1024 * 1024 + 1  # read no further than the limit
    # Within the limit, the roster is read as before.
    roster = b"email,name,role\nnew@example.org,New,student\n"
    small = teacher.post(f"{course}/roster/", roster, content_type="text/csv")
    assert small.status_code == 200, small.content


def test_an_address_that_takes_a_few_fields_reads_a_megabyte_of_json_at_most(db):
    """A student's 10 MB of "[{},{},…]" to join a group took 250 MB of the worker's memory
    a request, kept until a garbage collection (one worker reached 2.2 GB, probe 63):
    past a megabyte it is refused unparsed."""
    from access.tests.tenants import build_tenant

    from .conftest import token_client

    apple = build_tenant("Apple")
    student = token_client(apple.student)
    body = b"[" + b",".join([b"{}"] * 600_000) + b"]"  # 1.8 MB
    url = f"/api/v1/assignments/{apple.grading.pk}/join/"
    response = student.generic("POST", url, body, "application/json")
    assert response.status_code == 413, response.content
    assert response.json()["detail"] == (
        "The request body is larger than 1,024 KB, the most this address reads. "
        "Send less at a time."
    )
    # A lesson's body of 200,000 characters, escaped, is more: its address reads more.
    teacher = token_client(apple.instructor)
    escaped = "\\u00e9" * 200_000  # 1.2 MB of JSON for 200,000 characters
    response = teacher.patch(
        f"/api/v1/lessons/{apple.lesson.pk}/",
        '{"drop_work": true, "body": "' + escaped + '"}',
        content_type="application/json",
    )
    assert response.status_code == 200, response.content[:300]
    apple.lesson.refresh_from_db()
    assert apple.lesson.body == "é" * 200_000


def test_what_concerns_the_whole_request_is_always_under_non_field_errors(db):
    """A second module with the same slug was refused under Django's "__all__", where
    every other refusal says non_field_errors."""
    apple = build_tenant("Apple")
    teacher = token_client(apple.instructor)
    url = f"/api/v1/courses/{apple.course.pk}/modules/"
    body = {"order": 5, "title": "Twice", "slug": "twice"}
    assert teacher.post(url, body, content_type="application/json").status_code == 201
    response = teacher.post(url, body, content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "__all__" not in errors
    # Now said on its field (probe 86); what a form's clean() or a model's constraint
    # says of the whole object is still named as every other refusal names it.
    assert list(errors) == ["slug"]
    from api.problems import _items_as_lists

    assert _items_as_lists({"__all__": ["Whole"], "title": ["Part"]}) == {
        "non_field_errors": ["Whole"],
        "title": ["Part"],
    }


def test_a_method_or_type_refused_says_what_the_address_takes(db):
    """Probe 110: DRF's "Method "PUT" not allowed." and "Could not satisfy the request
    Accept header." named nothing that would work."""
    apple = build_tenant("Apple")
    teacher = token_client(apple.instructor)
    url = f"/api/v1/courses/{apple.course.pk}/"
    put = teacher.put(url, {"title": "New"}, content_type="application/json")
    assert put.status_code == 405
    assert put["Content-Type"] == PROBLEM_JSON
    assert put.json()["detail"] == "This address does not take PUT: it takes GET, PATCH."
    html = teacher.get(url, HTTP_ACCEPT="text/html")
    assert html.status_code == 406
    detail = html.json()["detail"]
    assert detail.startswith("This address answers in application/json")
    assert detail.endswith("which the request's Accept header does not name.")
    # A message of our own is kept (a file's address says which type it answers with).
    csv = teacher.get(
        f"/api/v1/courses/{apple.course.pk}/gradebook/csv/", HTTP_ACCEPT="application/json"
    )
    assert csv.status_code == 406
    assert "accept it, or */*" in csv.json()["detail"]


def test_an_accept_header_with_no_value_is_read_as_any_type(db):
    """Probe 112: "Accept:" empty (some HTTP libraries send it) was a 406 everywhere."""
    apple = build_tenant("Apple")
    teacher = token_client(apple.instructor)
    url = f"/api/v1/courses/{apple.course.pk}/"
    for accept in ("", "  "):
        response = teacher.get(url, HTTP_ACCEPT=accept)
        assert response.status_code == 200, (accept, response.content)
        assert response.json()["id"] == apple.course.pk
    assert teacher.get(url, HTTP_ACCEPT="text/html").status_code == 406
