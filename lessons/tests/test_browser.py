"""The student journey in Chromium: sign up with a key, follow lessons, progress, resume, search."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from accounts.tests.browser import log_in
from lessons.services import course_import

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

DEMO = Path(settings.BASE_DIR) / "courses" / "python-web-development"


def bar(page: Page, key: str):
    return page.locator(f'[data-progress="{key}"] [role="progressbar"]').first


def test_a_student_signs_up_follows_lessons_marks_one_complete_resumes_and_searches(
    live_server, page: Page, artifacts_dir
):
    course = course_import(path=DEMO).course
    failed: list = []
    page.on("response", lambda r: "/static/" in r.url and r.status != 200 and failed.append(r.url))

    # Sign up with the key: account and enrollment in one step.
    page.goto(f"{live_server.url}/signup/")
    page.get_by_label("Enrollment key").fill(course.enrollment_key)
    page.get_by_label("Username").fill("dora")
    page.get_by_label("Email").fill("dora@example.org")
    page.get_by_label("Your name").fill("Dora Student")
    page.locator("#id_password1").fill("a-long-passphrase-42")
    page.locator("#id_password2").fill("a-long-passphrase-42")
    page.click("#signup-btn")
    expect(page.locator("#messages")).to_contain_text("Your account is ready")
    expect(page.locator("h1")).to_contain_text("Python for Web Development")
    expect(bar(page, "course")).to_have_attribute("aria-valuenow", "0")

    # Follow the lessons in order.
    page.locator(".continue-btn").click()
    expect(page.locator("h1")).to_contain_text("What Is a Web Application?")
    page.click("#next-lesson")
    expect(page.locator("h1")).to_contain_text("The Client-Server Model")
    expect(page.locator(".toc-card")).to_be_visible()

    # Mark it complete: the page is not reloaded, the bars move.
    page.evaluate("window.__sameDocument = true")
    page.click("#complete-btn")
    expect(page.locator("#complete-btn")).to_contain_text("Completed")
    expect(bar(page, "course")).to_have_attribute("aria-valuenow", "3")  # 1 of 33
    module_bar = page.locator('[data-progress^="module-"] [role="progressbar"]')
    expect(module_bar).to_have_attribute("aria-valuenow", "10")  # 1 of 10
    assert page.evaluate("window.__sameDocument") is True
    assert not failed, failed  # CSS and JS all loaded
    expect(page.locator(".lesson-body pre .copy-code").first).to_be_attached()
    page.screenshot(path=artifacts_dir / "lesson-page.png", full_page=True)

    # Go on to the next lesson, then come back later through "Continue".
    page.click("#next-lesson")
    expect(page.locator("h1")).to_contain_text("HTTP and HTTPS")
    page.click("#nav-dashboard")
    expect(bar(page, "course")).to_have_attribute("aria-valuenow", "3")
    page.get_by_role("link", name="Continue where you left off").click()
    expect(page.locator("h1")).to_contain_text("HTTP and HTTPS")

    # The course page shows the tick and the module bar.
    page.get_by_role("navigation", name="breadcrumb").get_by_role(
        "link", name="Python for Web Development"
    ).click()
    expect(page.locator(".tick")).to_have_count(1)
    page.screenshot(path=artifacts_dir / "course-page.png", full_page=True)

    # Search across the course.
    page.click("#nav-search")
    page.get_by_label("Search lessons").fill("cookie")
    page.click("#search-btn")
    expect(page.locator(".search-result").first).to_be_visible()
    expect(page.locator(".search-result mark").first).to_be_visible()
    page.locator(".search-result a").first.click()
    expect(page.locator(".lesson-body")).to_contain_text("ookie")


def test_mark_as_complete_keeps_keyboard_focus_so_enter_again_undoes(
    live_server, page: Page, pyweb, password
):
    log_in(page, live_server.url, "bob", password)
    page.goto(live_server.url + pyweb.lessons[0].get_absolute_url())
    button = page.locator("#complete-btn")
    button.focus()
    page.keyboard.press("Enter")
    expect(button).to_contain_text("Completed")
    expect(button).to_be_focused()
    page.keyboard.press("Enter")
    expect(button).to_have_text("Mark as complete")
    expect(button).to_be_focused()
