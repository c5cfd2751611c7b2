"""The API's list filters that are more than a field lookup."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.base import ContentFile

from access.tests.tenants import build_tenant
from accounts.models import Role
from api import filters
from api.pagination import PAGE_SIZE_INVALID
from lessons.tests.factories import EnrollmentFactory
from projects.models import Submission

from .conftest import token_client

pytestmark = pytest.mark.django_db


def test_submissions_filter_on_each_groups_latest_version(world):
    """``?latest=true`` was a 500 (a subquery of many rows), other spellings were ignored."""
    a, _b, _root = world
    first = a.submission_o
    second = Submission.objects.create(
        group=first.group,
        version=2,
        submitted_by=first.submitted_by,
        submitted_at=first.submitted_at + timedelta(hours=1),
        archive=ContentFile(b"PK\x05\x06" + b"\0" * 18, name="project.zip"),
    )
    teacher = token_client(a.instructor)

    def versions(latest: str) -> set[int]:
        url = f"/api/v1/submissions/?group={first.group_id}&latest={latest}"
        response = teacher.get(url)
        assert response.status_code == 200, response.content
        return {row["version"] for row in response.json()["results"]}

    assert versions("true") == {second.version}
    assert versions("false") == {first.version}
    everyone = teacher.get("/api/v1/submissions/?latest=true&page_size=200").json()["results"]
    groups = [row["group"] for row in everyone]
    assert len(groups) == len(set(groups))  # one version a group
    assert first.pk not in {row["id"] for row in everyone}


def test_pages_page_sizes_and_booleans_that_are_not_valid_are_refused(db):
    """The gradebook answered another page for page=0, abc or 99 (the lists answer 404),
    and page_size=abc or ?is_published=maybe were ignored where the schema says 400."""
    apple = build_tenant("Apple")
    teacher = token_client(apple.instructor)
    gradebook = f"/api/v1/courses/{apple.course.pk}/gradebook/"
    for url in (gradebook, "/api/v1/courses/"):
        for page in ("0", "abc", "99", "-1"):
            response = teacher.get(url, {"page": page})
            assert response.status_code == 404, (url, page)
            assert response.json()["detail"] == (
                f"There is no page “{page}”: pages are numbered from 1, and page=last is the "
                "last one."
            )
        for page in ("1", "last"):
            assert teacher.get(url, {"page": page}).status_code == 200
        for size in ("abc", "-5", "0"):
            response = teacher.get(url, {"page_size": size})
            assert response.status_code == 400, (url, size)
            assert response.json()["errors"]["page_size"] == [PAGE_SIZE_INVALID]
        assert teacher.get(url, {"page_size": "100000"}).status_code == 200  # 200 rows
    response = teacher.get("/api/v1/courses/", {"is_published": "maybe"})
    assert response.status_code == 400
    assert response.json()["errors"]["is_published"] == ["Give true or false."]
    for value, found in (("true", 1), ("True", 1), ("0", 0)):
        response = teacher.get("/api/v1/courses/", {"is_published": value})
        assert response.json()["count"] == found, value
    # Empty, it filtered nothing and listed every row: refused (test below).
    assert teacher.get("/api/v1/courses/", {"is_published": ""}).status_code == 400


def test_a_misspelled_filter_is_refused_not_ignored(world):
    """``?emial=`` listed every enrollment: a script deleting "the" row found removed
    the wrong person."""
    a, _b, _root = world
    teacher = token_client(a.instructor)
    student = a.student
    found = teacher.get(f"/api/v1/enrollments/?email={student.email}").json()["results"]
    assert [row["user"]["id"] for row in found] == [student.pk]
    response = teacher.get(f"/api/v1/enrollments/?emial={student.email}&page_size=5")
    assert response.status_code == 400
    [message] = response.json()["errors"]["emial"]
    assert message.startswith("This list has no such filter; it takes ")
    assert "email" in message and "page_size" in message
    # An empty value is no filter: refused too, not a list of every row.
    response = teacher.get("/api/v1/enrollments/?email=&course=")
    assert response.status_code == 400
    assert response.json()["errors"] == {
        "course": ["Give a value, or leave this filter out."],
        "email": ["Give a value, or leave this filter out."],
    }
    # Paging and a record's own address are not filters to refuse.
    assert teacher.get("/api/v1/enrollments/?page=1&page_size=5").status_code == 200
    assert teacher.get(f"/api/v1/enrollments/{found[0]['id']}/").status_code == 200


def test_pages_that_are_no_plain_list_refuse_what_they_do_not_take(db):
    apple = build_tenant("Apple")
    teacher = token_client(apple.instructor)
    gradebook = f"/api/v1/courses/{apple.course.pk}/gradebook/"
    project = f"p{apple.grading.pk}"
    for url in (gradebook, f"{gradebook}csv/"):
        assert teacher.get(url, {"sort": f"-{project}"}).status_code == 200
        response = teacher.get(url, {"sort": "bogus"})
        assert response.status_code == 400
        assert response.json()["errors"]["sort"][0].startswith(
            "Sort by name, progress, total or p<project id>"
        )
        response = teacher.get(url, {"sortt": "name"})
        assert response.status_code == 400 and "sortt" in response.json()["errors"]
    for url in (
        "/api/v1/me/",
        "/api/v1/me/progress/",
        f"/api/v1/courses/{apple.course.pk}/progress/",
    ):
        assert teacher.get(url, {"page_size": "5"} if "progress" in url else {}).status_code == 200
        assert teacher.get(url, {"pagesize": "5"}).status_code == 400, url


def test_an_empty_page_or_page_size_is_refused_not_read_as_the_default(world):
    a, _b, _root = world
    teacher = token_client(a.instructor)
    assert teacher.get("/api/v1/courses/", {"page": ""}).status_code == 404
    assert teacher.get("/api/v1/courses/", {"page_size": ""}).status_code == 400
    assert teacher.get(f"/api/v1/courses/{a.course.pk}/gradebook/", {"page": ""}).status_code == 404
    assert teacher.get("/api/v1/courses/", {"page": "last", "page_size": "500"}).status_code == 200


def test_a_query_parameter_named_with_another_script_s_digit_is_a_400(world):
    a, _b, _root = world
    response = token_client(a.instructor).get("/api/v1/regrades/", {"²": ""})
    assert response.status_code == 400
    assert "²" in response.json()["errors"]


def test_a_parameter_named_with_a_big_number_is_refused_by_its_name(world):
    """Probe 62: "?10000000=1" made a list of ten million items of the 400's errors
    (30 MB, 730 MB in the worker); a read-only token was enough."""
    a, _b, _root = world
    reader = token_client(a.student)
    for url in ("/api/v1/me/", "/api/v1/courses/", f"/api/v1/courses/{a.course.pk}/"):
        response = reader.get(url, {"10000000": "1"})
        assert response.status_code == 400, url
        assert len(response.content) < 2000, url
        assert "10000000" in response.json()["errors"], url
    response = token_client(a.instructor).patch(
        f"/api/v1/courses/{a.course.pk}/",
        {"title": {"99999999": "x"}},
        content_type="application/json",
    )
    assert response.status_code == 400 and len(response.content) < 2000


def test_a_boolean_field_of_a_body_takes_json_booleans_only(world):
    """The schema says boolean: 0, 1 or "no" were read as one (`"is_published": "no"`)."""
    a, _b, _root = world
    teacher = token_client(a.instructor)
    url = f"/api/v1/modules/{a.module.pk}/"
    for value in (0, 1, "no", "true"):
        response = teacher.patch(url, {"is_published": value}, content_type="application/json")
        assert response.status_code == 400, value
        assert response.json()["errors"]["is_published"] == [
            "Send true or false, as a JSON boolean."
        ]
    response = teacher.patch(url, {"is_published": False}, content_type="application/json")
    assert response.status_code == 200
    assert response.json()["is_published"] is False


def test_the_grader_filter_tells_students_nothing_of_who_graded_them(world):
    """A student's ``?grader=<id>`` counted 1 for their grader and 0 for anyone else,
    although a review's ``grader`` is hidden from its students."""
    a, b, _root = world
    student = token_client(a.student)
    for grader in (a.grader, a.instructor):
        response = student.get("/api/v1/reviews/", {"grader": grader.pk})
        assert response.status_code == 400, response.content
        assert response.json()["errors"] == {"grader": [filters.GRADER_HIDDEN]}
    # Their graders still filter by it.
    mine = token_client(a.grader).get("/api/v1/reviews/", {"grader": a.grader.pk}).json()
    assert mine["count"] > 0
    # Someone who teaches one course and studies in another: the filter reads the course
    # they teach only, never their own feedback's.
    EnrollmentFactory(user=b.student, course=a.course, role=Role.INSTRUCTOR)
    both = token_client(b.student)
    assert b.review_r.pk in {r["id"] for r in both.get("/api/v1/reviews/").json()["results"]}
    found = both.get("/api/v1/reviews/", {"grader": b.grader.pk})
    assert found.status_code == 200
    assert found.json()["count"] == 0
    found = both.get("/api/v1/reviews/", {"grader": a.grader.pk}).json()
    assert found["count"] > 0
    assert all(r["grader"] == a.grader.pk for r in found["results"])


def test_numbers_are_ascii_digits_and_each_parameter_comes_once(world):
    """``?course=１２``, ``?course=%201``, ``?page_size=٥`` and ``?page=+1`` were read as
    numbers (int() reads them), where "1.5" and "0x10" are refused; of ``?course=1&course=2``
    the last was read, unsaid; and ``/courses/2/?x=1`` ignored x."""
    a, _b, _root = world
    teacher = token_client(a.instructor)
    course = str(a.course.pk)
    fullwidth = course.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    for value in (fullwidth, f" {course}", f"+{course}", f"{course} ", "٥"):
        response = teacher.get("/api/v1/assignments/", {"course": value})
        assert response.status_code == 400, value
        assert "course" in response.json()["errors"]
    for size in ("٥", " 5", "+5", "5 "):
        response = teacher.get("/api/v1/courses/", {"page_size": size})
        assert response.status_code == 400, size
        assert response.json()["errors"] == {"page_size": [PAGE_SIZE_INVALID]}
    gradebook = f"/api/v1/courses/{course}/gradebook/"
    for url in ("/api/v1/courses/", gradebook):
        for page in ("+1", " 1", "١"):
            assert teacher.get(url, {"page": page}).status_code == 404, (url, page)
        assert teacher.get(url, {"page": "1"}).status_code == 200
    assert teacher.get("/api/v1/assignments/", {"course": course}).status_code == 200
    # A parameter given twice is refused, not read as its last value.
    for url, query in (
        ("/api/v1/assignments/", f"course={course}&course=999"),
        ("/api/v1/courses/", "page_size=5&page_size=500"),
        (gradebook, "sort=name&sort=total"),
        ("/api/v1/me/progress/", "page=1&page=2"),
    ):
        response = teacher.get(f"{url}?{query}")
        assert response.status_code == 400, (url, query)
        name = query.split("=")[0]
        assert response.json()["errors"] == {
            name: ["Give this parameter once: it takes one value."]
        }
    # One object's GET takes no parameter: a typo is told, as on the lists.
    for url in (
        f"/api/v1/courses/{course}/",
        f"/api/v1/reviews/{a.review_o.pk}/",
        f"/api/v1/submissions/{a.submission_o.pk}/download/",
        f"/api/v1/assignments/{a.grading.pk}/release/",
    ):
        response = teacher.get(url, {"x": "1"})
        assert response.status_code == 400, url
        assert "x" in response.json()["errors"]
        assert teacher.get(url).status_code == 200, url
