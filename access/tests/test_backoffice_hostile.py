"""What an outside probe did to the back office: posted ids of another course, values no
form offers, dates no zone reaches, grades changed behind a release. Each is refused
with a message, and nothing of the other course moves."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.urls import reverse

from grading.models import REGRADE_WINDOW_MAX_DAYS, Rubric
from lessons.models import Lesson, Module
from projects.models import GroupMembership

from .matrix import client_for, form_data
from .tenants import build_tenant

pytestmark = pytest.mark.django_db


@pytest.fixture
def world(db):
    return build_tenant("Apple"), build_tenant("Banana")


def changelist_save(client, model: str, rows: list[dict]) -> object:
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "form-MIN_NUM_FORMS": "0",
        "form-MAX_NUM_FORMS": "1000",
        "_save": "Save",
    }
    for index, row in enumerate(rows):
        data.update({f"form-{index}-{name}": value for name, value in row.items()})
    return client.post(reverse(f"admin:lessons_{model}_changelist"), data)


def test_the_order_column_never_touches_another_course(world):
    a, b = world
    client = client_for(a.instructor)
    Lesson.objects.filter(pk=b.lesson.pk).update(order=7)  # renumbering would make it 1
    Module.objects.filter(pk=b.module.pk).update(order=7)
    for model, other in (("lesson", b.lesson.pk), ("module", b.module.pk)):
        for posted in (str(other), "99999", "²"):
            response = changelist_save(client, model, [{"id": posted, "order": "5"}])
            assert response.status_code in (200, 302), (model, posted)
    assert Lesson.objects.get(pk=b.lesson.pk).order == 7
    assert Module.objects.get(pk=b.module.pk).order == 7
    # Their own rows still save and renumber.
    response = changelist_save(
        client, "lesson", [{"id": str(a.lesson.pk), "order": "5", "is_published": "on"}]
    )
    assert response.status_code == 302
    assert Lesson.objects.get(pk=a.lesson.pk).order == 1


def test_history_pages_of_another_course_and_odd_versions_are_404(world):
    a, b = world
    client = client_for(a.instructor)
    own = reverse("admin:grading_review_history", args=[a.review_r.pk])
    assert client.get(own).status_code == 200
    other = reverse("admin:grading_review_history", args=[b.review_r.pk])
    missing = reverse("admin:grading_review_history", args=[999999])
    assert client.get(other).status_code == client.get(missing).status_code == 404
    version = a.review_r.history.latest().history_id
    page = reverse("admin:grading_review_simple_history", args=[a.review_r.pk, version])
    assert client.get(page).status_code == 200
    for odd in ("abc", "1e3", "0x1"):
        url = reverse("admin:grading_review_simple_history", args=[a.review_r.pk, 1])
        assert client.get(url.replace("/1/", f"/{odd}/")).status_code == 404
    theirs = b.review_r.history.latest().history_id
    url = reverse("admin:grading_review_simple_history", args=[b.review_r.pk, theirs])
    assert client.get(url).status_code == 404


@pytest.mark.parametrize("value", ["bogus", "a\x00b", "NaN", " ", "2" * 30])
def test_an_autocomplete_field_with_a_value_no_id_can_be_is_a_form_error(world, value):
    a, _b = world
    client = client_for(a.instructor)
    url = reverse("admin:lessons_enrollment_change", args=[a.enrollment.pk])
    data = form_data(client.get(url).content.decode(), "enrollment_form")
    response = client.post(url, {**data, "user": value})
    assert response.status_code == 200
    assert "errornote" in response.content.decode()


def test_dates_no_course_can_have_are_refused_in_forms_and_filters(world):
    a, _b = world
    client = client_for(a.instructor)
    url = reverse("admin:projects_projectassignment_change", args=[a.grading.pk])
    data = form_data(client.get(url).content.decode(), "projectassignment_form")
    before = a.grading.opens_at
    response = client.post(url, {**data, "opens_at_0": "0001-01-01", "opens_at_1": "00:00:00"})
    assert response.status_code == 200
    assert "Enter a date between the years 1900 and 2999" in response.content.decode()
    a.grading.refresh_from_db()
    assert a.grading.opens_at == before
    listing = reverse("admin:projects_submission_changelist")
    response = client.get(listing, {"submitted_at__gte": "0001-01-01"}, follow=True)
    assert response.status_code == 200
    if connection.vendor == "sqlite":
        # Python converts the date to UTC for SQLite and overflows: the list resets.
        # PostgreSQL takes the date as it is (its dates reach 4713 BC) and filters.
        assert "out of range" in response.content.decode()


def test_a_regrade_window_is_at_most_a_year_and_older_data_cannot_break_feedback(world):
    a, _b = world
    rubric = Rubric.objects.get(assignment=a.released)
    rubric.regrade_window_days = REGRADE_WINDOW_MAX_DAYS + 1
    with pytest.raises(ValidationError, match="365"):
        rubric.full_clean()
    # Saved before the limit (or around the forms): the students' page still opens.
    # SQLite stores any integer in the column (3,000,000 days is past year 9999);
    # PostgreSQL's smallint stops at 32,767.
    too_long = 3_000_000 if connection.vendor == "sqlite" else 32767
    Rubric.objects.filter(pk=rubric.pk).update(regrade_window_days=too_long)
    response = client_for(a.student).get(
        reverse("grading:feedback", args=[a.review_r.submission_id])
    )
    assert response.status_code == 200


def test_a_released_group_keeps_its_members_in_the_back_office(world):
    a, b = world
    client = client_for(a.instructor)
    group = a.group_r  # its project's grades are released
    url = reverse("admin:projects_group_change", args=[group.pk])
    page = client.get(url, follow=True).content.decode()
    assert "no longer change" in page
    data = form_data(page, "group_form")
    members = set(GroupMembership.objects.filter(group=group).values_list("student", flat=True))
    # Ticking "delete" on a member and adding someone: neither goes through.
    for name in list(data):
        if name.startswith("memberships-0-"):
            data["memberships-0-DELETE"] = ["on"]
    response = client.post(url, {**data, "memberships-2-0-student": str(a.classmate.pk)})
    assert response.status_code in (200, 302)
    assert (
        set(GroupMembership.objects.filter(group=group).values_list("student", flat=True))
        == members
    )
    # A group still being graded changes as before (course A's instructor, their group).
    open_group = a.group_o
    url = reverse("admin:projects_group_change", args=[open_group.pk])
    assert "no longer change" not in client.get(url).content.decode()
