"""Every save of a course, module, lesson or project is kept: an instructor who pasted
over a lesson reads, and copies back, the text it had (probe 73: it was lost for good,
the history saying only "Changed Body"). The history is read-only and course-scoped."""

from __future__ import annotations

import html

import pytest
from django.urls import reverse

from access.tests.matrix import form_data
from accounts.models import Role
from accounts.tests.factories import InstructorFactory
from lessons.models import Lesson
from lessons.tests.conftest import build_course
from lessons.tests.factories import EnrollmentFactory

pytestmark = pytest.mark.django_db

FIRST = "The first text, written with care.\n\nIt explains *routing*."
PASTED = "Oops: a paragraph meant for another lesson."


def save_body(client, lesson: Lesson, body: str) -> None:
    url = reverse("admin:lessons_lesson_change", args=[lesson.pk])
    data = form_data(client.get(url).content.decode(), "lesson_form")
    data["body"] = [body]
    response = client.post(url, data)
    assert response.status_code == 302, response.content.decode()[:2000]


def test_a_lesson_pasted_over_keeps_its_earlier_text_to_read_and_copy(client, pyweb, alice):
    lesson = pyweb.lessons[0]
    client.force_login(alice)
    save_body(client, lesson, FIRST)
    save_body(client, lesson, PASTED)
    lesson.refresh_from_db()
    assert lesson.body == PASTED

    page = client.get(reverse("admin:lessons_lesson_history", args=[lesson.pk]))
    assert page.status_code == 200
    versions = list(lesson.history.order_by("history_date", "history_id"))
    assert [v.body for v in versions[-2:]] == [FIRST, PASTED]
    assert versions[-1].history_user_id == alice.pk
    earlier = versions[-2]
    url = reverse("admin:lessons_lesson_simple_history", args=[lesson.pk, earlier.history_id])
    assert f'href="{url}"' in page.content.decode()
    shown = client.get(url)
    assert shown.status_code == 200
    assert html.escape(FIRST).replace("&#x27;", "'") in shown.content.decode().replace(
        "&#x27;", "'"
    )
    # Read-only: the current version is where changes are made (and checked).
    assert client.post(url, {"body": FIRST}).status_code == 403
    lesson.refresh_from_db()
    assert lesson.body == PASTED


def test_another_courses_instructor_reads_none_of_it(client, pyweb, alice):
    lesson = pyweb.lessons[0]
    client.force_login(alice)
    save_body(client, lesson, FIRST)
    other = build_course(slug="databases")
    dora = InstructorFactory(username="dora")
    EnrollmentFactory(user=dora, course=other.course, role=Role.INSTRUCTOR)
    client.force_login(dora)
    version = lesson.history.latest("history_date")
    for url in (
        reverse("admin:lessons_lesson_history", args=[lesson.pk]),
        reverse("admin:lessons_lesson_simple_history", args=[lesson.pk, version.history_id]),
        reverse("admin:lessons_course_history", args=[pyweb.course.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert FIRST not in response.content.decode()


def test_a_projects_dates_are_kept_with_who_changed_them(client, pyweb, alice):
    from projects.tests.factories import ProjectAssignmentFactory

    project = ProjectAssignmentFactory(course=pyweb.course, slug="blog")
    client.force_login(alice)
    url = reverse("admin:projects_projectassignment_change", args=[project.pk])
    data = form_data(client.get(url).content.decode(), "projectassignment_form")
    data["late_penalty_per_day"] = ["20"]
    assert client.post(url, data).status_code == 302
    latest = project.history.latest("history_date")
    assert (latest.late_penalty_per_day, latest.history_user_id) == (20, alice.pk)
    assert latest.prev_record.late_penalty_per_day == 10
    page = client.get(reverse("admin:projects_projectassignment_history", args=[project.pk]))
    assert page.status_code == 200
