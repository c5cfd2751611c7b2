"""In a browser: an instructor imports a roster, a student follows the emailed link."""

from __future__ import annotations

import re

import pytest
from django.core import mail
from playwright.sync_api import Page, expect

from accounts.models import Role
from accounts.tests.browser import log_in
from lessons.tests.factories import CourseFactory, EnrollmentFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_instructor_imports_a_roster_and_the_student_sets_a_password_from_the_email(
    live_server, page: Page, alice, password, settings, tmp_path, artifacts_dir
):
    settings.SITE_URL = live_server.url
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    course = CourseFactory(title="Web Apps", slug="web-apps")
    EnrollmentFactory(user=alice, course=course, role=Role.INSTRUCTOR)
    roster = tmp_path / "roster.csv"
    roster.write_text("email,name,role\nnina@example.org,Nina Newcomer,student\n")

    log_in(page, live_server.url, "alice", password)
    page.goto(f"{live_server.url}/admin/lessons/enrollment/import-roster/")
    page.select_option("#id_course", label=str(course))
    page.set_input_files("#id_file", str(roster))
    page.click("#roster-submit")
    expect(page.locator("#roster-invited")).to_contain_text("Nina Newcomer <nina@example.org>")
    expect(page.locator("#roster-results")).to_contain_text("invitation emailed")

    assert [m.to for m in mail.outbox] == [["nina@example.org"]]
    link = re.search(r"^(http\S+/accounts/welcome/\S+)$", mail.outbox[0].body, re.M).group(1)

    page.context.clear_cookies()  # the student, on their own computer
    page.goto(link)
    expect(page.get_by_role("heading")).to_contain_text("Welcome to")
    page.fill("#id_new_password1", "plum-orbit-lantern-42")
    page.fill("#id_new_password2", "plum-orbit-lantern-42")
    page.click("#invitation-btn")
    expect(page).to_have_url(f"{live_server.url}/dashboard/")
    welcome = "Welcome, Nina Newcomer! Your password is set"
    expect(page.locator("#messages")).to_contain_text(welcome)
    expect(page.locator("#who")).to_have_text("nina")
    page.screenshot(path=artifacts_dir / "invited-student-dashboard.png", full_page=True)
