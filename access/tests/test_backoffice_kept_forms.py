"""Nothing typed in the back office is lost: a change form sent after its session ended,
or from a tab whose session was replaced in another one, comes back filled in after
login, unsaved, for its author only (probe 28: a lesson's text was dropped)."""

from __future__ import annotations

import html
import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts.tests.factories import PASSWORD
from coursesite import formpages
from lessons.models import Lesson, Module

from .matrix import form_data
from .tenants import build_tenant

pytestmark = pytest.mark.django_db

TOKEN_RE = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
TYPED = "A long paragraph the instructor typed after the session ended."
SITE = "http://testserver"


@pytest.fixture
def world(db):
    return build_tenant("Apple"), build_tenant("Banana")


def _log_in(client: Client, user) -> None:
    """Log in through the back office's own form, as a person does."""
    login = client.get(reverse("admin:login"))
    token = TOKEN_RE.search(login.content.decode()).group(1)
    response = client.post(
        reverse("admin:login"),
        {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": token},
    )
    assert response.status_code == 302, response.content.decode()[:2000]


def _log_out(client: Client, page: str) -> None:
    token = TOKEN_RE.search(client.get(page).content.decode()).group(1)
    client.post(reverse("admin:logout"), {"csrfmiddlewaretoken": token})


def _shown(client: Client, page: str) -> str:
    return html.unescape(client.get(page).content.decode())


def _lesson_form(client: Client, page: str) -> dict[str, list[str]]:
    data = form_data(client.get(page).content.decode(), "lesson_form")
    data["body"] = [data["body"][0] + "\n\n" + TYPED]
    data["_save"] = ["Save"]
    return data


def test_a_lesson_edit_sent_after_the_session_ended_comes_back_after_login(world):
    apple, _ = world
    client = Client(enforce_csrf_checks=True)
    _log_in(client, apple.instructor)
    page = reverse("admin:lessons_lesson_change", args=[apple.lesson.pk])
    data = _lesson_form(client, page)
    body_before = Lesson.objects.get(pk=apple.lesson.pk).body
    _log_out(client, page)  # in another tab

    response = client.post(page, data)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login") + "?next=")
    login_page = _shown(client, response["Location"])
    assert formpages.SIGNED_OUT in login_page
    _log_in(client, apple.instructor)
    shown = _shown(client, page)
    assert formpages.KEPT in shown
    assert TYPED in shown
    assert Lesson.objects.get(pk=apple.lesson.pk).body == body_before  # shown, not saved
    assert TYPED not in _shown(client, page)  # given back once

    # Sent again, it is saved.
    data["csrfmiddlewaretoken"] = [TOKEN_RE.search(client.get(page).content.decode()).group(1)]
    assert client.post(page, data).status_code == 302
    assert TYPED in Lesson.objects.get(pk=apple.lesson.pk).body


def test_a_back_office_form_from_a_replaced_session_comes_back_filled_in(world):
    apple, _ = world
    client = Client(enforce_csrf_checks=True)
    _log_in(client, apple.instructor)
    page = reverse("admin:lessons_module_change", args=[apple.module.pk])
    shown = client.get(page).content.decode()
    assert 'name="form_owner"' in shown
    data = form_data(shown, "module_form")
    data["title"] = ["Apple module, retitled in the old tab"]
    data["_save"] = ["Save"]
    _log_out(client, page)
    _log_in(client, apple.instructor)  # in another tab: a new CSRF secret

    response = client.post(page, data, HTTP_ORIGIN=SITE)

    assert response.status_code == 302
    assert response["Location"] == page
    shown = _shown(client, page)
    assert formpages.STALE_TAB in shown
    assert 'value="Apple module, retitled in the old tab"' in shown
    assert Module.objects.get(pk=apple.module.pk).title == apple.module.title


def test_what_one_instructor_typed_is_never_shown_to_the_next_on_the_browser(world):
    apple, banana = world
    client = Client(enforce_csrf_checks=True)
    _log_in(client, apple.instructor)
    page = reverse("admin:lessons_lesson_change", args=[apple.lesson.pk])
    data = _lesson_form(client, page)
    _log_out(client, page)
    assert client.post(page, data).status_code == 302

    # Course B's instructor logs in on the same browser: course A's lesson is absent to
    # them, and nothing typed shows on it or anywhere they may go.
    _log_in(client, banana.instructor)
    refused = client.get(page)
    assert refused.status_code == 404
    assert TYPED not in refused.content.decode()
    own = reverse("admin:lessons_lesson_change", args=[banana.lesson.pk])
    assert TYPED not in _shown(client, own)
    assert Lesson.objects.filter(body__contains=TYPED).count() == 0


def test_a_post_from_another_site_to_the_back_office_keeps_nothing(world):
    apple, _ = world
    client = Client(enforce_csrf_checks=True)
    _log_in(client, apple.instructor)
    page = reverse("admin:lessons_lesson_change", args=[apple.lesson.pk])
    data = _lesson_form(client, page)
    data["csrfmiddlewaretoken"] = ["forged" * 8]

    response = client.post(page, data, HTTP_ORIGIN="https://evil.example")

    assert response.status_code == 403
    assert TYPED not in _shown(client, page)
    assert Lesson.objects.filter(body__contains=TYPED).count() == 0


def test_a_stale_action_of_a_list_says_the_page_is_out_of_date_not_foreign(world):
    apple, _ = world
    client = Client(enforce_csrf_checks=True)
    _log_in(client, apple.instructor)
    page = reverse("admin:lessons_lesson_changelist")
    stale = TOKEN_RE.search(client.get(page).content.decode()).group(1)
    _log_out(client, page)
    _log_in(client, apple.instructor)
    data = {
        "csrfmiddlewaretoken": stale,
        "action": "delete_selected",
        "_selected_action": [str(apple.lesson.pk)],
    }

    response = client.post(page, data, HTTP_REFERER=SITE + page)

    assert response.status_code == 403
    text = html.unescape(response.content.decode())
    assert "since this page was opened, so its form is out of date" in text
    assert "only accepted from this site's own pages" not in text
    assert Lesson.objects.filter(pk=apple.lesson.pk).exists()


def test_an_instructor_who_steps_down_is_told_so_not_refused(world):
    """Probe 28: "changed successfully… edit it again below" beside "not authorized"."""
    from accounts.models import Role
    from lessons.models import Enrollment
    from lessons.tests.factories import EnrollmentFactory

    apple, banana = world
    EnrollmentFactory(course=apple.course, role=Role.INSTRUCTOR)  # not the last one
    own = Enrollment.objects.get(user=apple.instructor, course=apple.course)
    client = Client()
    _log_in(client, apple.instructor)
    page = reverse("admin:lessons_enrollment_change", args=[own.pk])
    data = form_data(client.get(page).content.decode(), "enrollment_form")
    data["role"] = [Role.STUDENT]
    data["_continue"] = ["Save and continue editing"]

    response = client.post(page, data, follow=True)

    own.refresh_from_db()
    assert own.role == Role.STUDENT
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == reverse("lessons:dashboard")
    text = html.unescape(response.content.decode())
    assert "You no longer teach its course, so it is not shown to you." in text
    assert "edit it again below" not in text
    assert "not authorized" not in text
    # Course B's instructor still cannot touch course A's enrollments.
    other = Client()
    _log_in(other, banana.instructor)
    assert other.post(page, data).status_code == 404
