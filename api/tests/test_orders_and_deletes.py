"""What a script's writes leave for the next person (probe 86): a new module or lesson
goes after its siblings, an order at the column's largest leaves the back office able to
add more, a malformed `replaces` is the client's mistake, and a DELETE takes no typo."""

from __future__ import annotations

import pytest
from django.urls import reverse

from access.tests.tenants import build_tenant
from grading.models import MarkOverride
from lessons.models import Lesson, Module

from .conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def apple():
    return build_tenant("Apple")


def post_json(client, url, body):
    return client.post(url, body, content_type="application/json")


def test_a_module_or_lesson_added_by_a_script_comes_after_the_others(apple):
    client = token_client(apple.instructor)
    course, module = apple.course, apple.module
    added = post_json(client, f"/api/v1/courses/{course.pk}/modules/", {"title": "Later"})
    assert added.status_code == 201, added.content
    listed = client.get(f"/api/v1/modules/?course={course.pk}").json()["results"]
    assert [row["title"] for row in listed] == [module.title, "Later"]

    added = post_json(
        client, f"/api/v1/modules/{module.pk}/lessons/", {"title": "Next", "slug": "next"}
    )
    assert added.status_code == 201, added.content
    assert Lesson.objects.get(pk=added.json()["id"]).order > apple.lesson.order
    # An order given is kept.
    first = post_json(
        client, f"/api/v1/modules/{module.pk}/lessons/", {"title": "Z", "slug": "z", "order": 0}
    )
    assert Lesson.objects.get(pk=first.json()["id"]).order == 3  # 0: "last", as documented
    placed = post_json(
        client, f"/api/v1/modules/{module.pk}/lessons/", {"title": "Y", "slug": "y", "order": 2}
    )
    assert placed.json()["order"] == 2


def test_an_order_at_the_columns_largest_leaves_the_back_office_adding(apple, client):
    """Probe 86: the API took order 9223372036854775807; the back office's next add asked
    for one more, which overflowed the column: a 500 on every add in the course."""
    api = token_client(apple.instructor)
    schema = api.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()
    largest = schema["components"]["schemas"]["Module"]["properties"]["order"]["maximum"]
    huge = post_json(
        api, f"/api/v1/courses/{apple.course.pk}/modules/", {"title": "Huge", "order": largest}
    )
    assert huge.status_code == 201, huge.content
    refused = post_json(
        api, f"/api/v1/courses/{apple.course.pk}/modules/", {"title": "More", "order": largest + 1}
    )
    assert refused.status_code == 400 and "order" in refused.json()["errors"]

    client.force_login(apple.instructor)
    response = client.post(
        reverse("admin:lessons_module_add"),
        {
            "course": apple.course.pk,
            "title": "Added in the back office",
            "slug": "added",
            "order": 0,
            "summary": "",
            "is_published": "on",
            "lessons-TOTAL_FORMS": 0,
            "lessons-INITIAL_FORMS": 0,
        },
        follow=True,
    )
    assert response.status_code == 200
    assert Module.objects.get(slug="added").order == largest


def test_a_replaces_that_is_no_state_is_the_clients_mistake_and_changes_nothing(apple):
    client = token_client(apple.instructor)
    url = f"/api/v1/assignments/{apple.released.pk}/overrides/"
    before = MarkOverride.objects.get(pk=apple.override.pk).mark
    for replaces in ("bogus", "3:garbage", f"{apple.override.pk}:1.5", "NONE ", "٣:1.000000"):
        response = post_json(
            client,
            url,
            {"student": apple.student.pk, "mark": "90", "reason": "x", "replaces": replaces},
        )
        assert response.status_code == 400, (replaces, response.content)
        assert "as /overrides/ gives it" in response.json()["errors"]["replaces"][0]
    assert MarkOverride.objects.get(pk=apple.override.pk).mark == before


def test_a_delete_with_a_parameter_it_does_not_take_or_a_body_deletes_nothing(apple):
    client = token_client(apple.instructor)
    override = f"/api/v1/overrides/{apple.override.pk}/"
    typo = client.delete(override + "?x=1")
    assert typo.status_code == 400 and "no such parameter" in typo.json()["detail"] + str(
        typo.json().get("errors")
    )
    body = client.delete(override, {"reason": "x"}, content_type="application/json")
    assert body.status_code == 400
    assert MarkOverride.objects.filter(pk=apple.override.pk).exists()
    # A lesson's DELETE takes drop_work, spelt right.
    lesson = f"/api/v1/lessons/{apple.lesson.pk}/"
    assert client.delete(lesson + "?drop_wrok=true").status_code == 400
    assert client.delete(lesson, {}, content_type="application/json").status_code == 400
    assert Lesson.objects.filter(pk=apple.lesson.pk).exists()
    assert client.delete(lesson + "?drop_work=true").status_code == 204
    assert client.delete(override).status_code == 204


def test_the_schema_lists_the_400_of_reads_and_deletes_and_the_regrade_says_its_choices(apple):
    client = token_client(apple.instructor)
    paths = client.get("/api/v1/schema/", HTTP_ACCEPT="application/json").json()["paths"]
    assert "400" in paths["/api/v1/courses/{id}/"]["get"]["responses"]
    assert "400" in paths["/api/v1/me/"]["get"]["responses"]
    assert "400" in paths["/api/v1/overrides/{id}/"]["delete"]["responses"]
    assert client.get(f"/api/v1/courses/{apple.course.pk}/?x=1").status_code == 400
    # The regrade's status reads "accepted"; the answer takes "accept" and says so.
    answer = post_json(
        client, f"/api/v1/regrades/{apple.regrade.pk}/answer/", {"decision": "accepted"}
    )
    assert answer.status_code == 400
    assert answer.json()["errors"]["decision"] == ["Give accept or decline (not “accepted”)."]


def test_a_modules_slug_taken_is_said_on_the_slug(apple):
    """Probe 86: it came as the whole body's error (non_field_errors), a lesson's on slug."""
    client = token_client(apple.instructor)
    taken = post_json(
        client,
        f"/api/v1/courses/{apple.course.pk}/modules/",
        {"title": "Again", "slug": apple.module.slug},
    )
    assert taken.status_code == 400
    assert taken.json()["errors"] == {
        "slug": ["Another module of this course already has this slug: pick another."]
    }
    assert Module.objects.filter(course=apple.course).count() == 1
