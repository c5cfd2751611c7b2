"""A mark override through the API: one another instructor set meanwhile is not replaced
unseen, when the script says which one it read (the site's form does the same)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from access.tests.tenants import build_tenant
from grading.models import MarkOverride

from .conftest import token_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def apple():
    return build_tenant("Apple")


def url(tenant) -> str:
    return f"/api/v1/assignments/{tenant.released.pk}/overrides/"


def post(client, tenant, **fields):
    body = {"student": tenant.student.pk, "reason": "Late penalty waived", **fields}
    return client.post(url(tenant), body, content_type="application/json")


def test_an_override_changed_since_it_was_read_is_not_replaced(apple):
    client = token_client(apple.instructor)
    read = client.get(f"/api/v1/overrides/{apple.override.pk}/").json()
    assert read["state"]
    # Another instructor changes the mark after the script read it.
    other = token_client(apple.instructor)
    assert post(other, apple, mark="55").status_code == 200
    response = post(client, apple, mark="90", replaces=read["state"])
    assert response.status_code == 409, response.content
    assert "changed since you read it" in response.json()["detail"]
    assert MarkOverride.objects.get(pk=apple.override.pk).mark == Decimal("55")
    # Read again, the script replaces what it now knows of.
    state = client.get(f"/api/v1/overrides/{apple.override.pk}/").json()["state"]
    response = post(client, apple, mark="90", replaces=state)
    assert response.status_code == 200
    assert response.json()["state"] != state  # the next write names this one
    assert MarkOverride.objects.get(pk=apple.override.pk).mark == Decimal("90")


def test_none_says_the_student_had_no_override(apple):
    client = token_client(apple.instructor)
    response = post(client, apple, mark="70", replaces="none")
    assert response.status_code == 409  # the tenant's student has one
    assert MarkOverride.objects.get(pk=apple.override.pk).mark == apple.override.mark
    apple.override.delete()
    response = post(client, apple, mark="70", replaces="none")
    assert response.status_code == 200
    assert MarkOverride.objects.get(student=apple.student, assignment=apple.released).mark == 70


def test_without_replaces_the_mark_is_set_as_before(apple):
    response = post(token_client(apple.instructor), apple, mark="61.5")
    assert response.status_code == 200
    assert MarkOverride.objects.get(pk=apple.override.pk).mark == Decimal("61.5")


def test_another_courses_instructor_learns_nothing_from_replaces(apple):
    banana = build_tenant("Banana")
    response = post(token_client(banana.instructor), apple, mark="1", replaces="none")
    assert response.status_code in (403, 404)
    assert MarkOverride.objects.get(pk=apple.override.pk).mark == apple.override.mark


def test_a_mark_string_is_plain_digits_as_the_schema_says(apple):
    """ "+5", "8.5 " and "1e1" were saved as marks though the schema's pattern refuses
    them: a client following it and one ignoring it were told different things."""
    client = token_client(apple.instructor)
    for mark in ("+5", "8.5 ", " 8.5", "1e1", "-0", "٥"):
        response = post(client, apple, mark=mark)
        assert response.status_code == 400, mark
        assert response.json()["errors"]["mark"] == [
            "Give a value of at least 0." if mark == "-0" else "Give a number, such as 7 or 7.5."
        ]
    assert MarkOverride.objects.get(pk=apple.override.pk).mark == apple.override.mark
    for mark, saved in (
        ("8.5", "8.5"),
        (".5", "0.5"),
        ("5.", "5"),
        ("100", "100"),
        ("26.670", "26.67"),  # zeros ending the decimals say nothing (probe 64)
        ("100.000", "100"),
        (42, "42"),
        (1e1, "10"),
    ):
        response = post(client, apple, mark=mark)
        assert response.status_code == 200, (mark, response.content)
        assert MarkOverride.objects.get(pk=apple.override.pk).mark == Decimal(saved)
