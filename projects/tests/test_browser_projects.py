from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.browser import log_in
from lessons.tests.factories import CourseFactory
from projects.models import Submission
from projects.tests.factories import ProjectAssignmentFactory, make_zip
from projects.tests.student_fixtures import enroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_create_join_submit_and_see_the_version(
    live_server, page: Page, browser, bob, password, artifacts_dir
):
    course = CourseFactory(slug="pyweb", title="Python for Web Development")
    assignment = ProjectAssignmentFactory(
        course=course, slug="webapp", title="Web app", brief="Build a **small** app."
    )
    enroll(course, bob)
    dana = enroll(course, username="dana", display_name="Dana Classmate")
    project_url = f"{live_server.url}{assignment.get_absolute_url()}"

    # Student A creates a group and reads its join code.
    log_in(page, live_server.url, "bob", password)
    page.goto(project_url)
    # The deadline is in the site's time zone, named, as on every page (not the browser's).
    expect(page.locator("#deadline time")).to_have_text(re.compile(r"\d\d:\d\d CES?T$"))
    page.get_by_label("Group name").fill("Owls")
    page.click("#create-group-btn")
    expect(page.locator("#messages")).to_contain_text("Group “Owls” created")
    code = page.locator("#join-code").inner_text().strip()
    assert len(code) == 8

    # Student B joins with the code and submits a zip.
    other = browser.new_context()
    page_b = other.new_page()
    log_in(page_b, live_server.url, dana.username, password)
    page_b.goto(project_url)
    page_b.get_by_label("Join code").fill(code.lower())
    page_b.click("#join-group-btn")
    expect(page_b.locator("#messages")).to_contain_text("You joined the group “Owls”.")
    # A file over the limit: the field says so and keeps the focus; nothing is sent, and
    # Submit stays in the tab order (probe 39: it was disabled without a word).
    limit = int(page_b.locator("#id_archive").get_attribute("data-max-bytes"))
    page_b.set_input_files(
        "#id_archive",
        files=[{"name": "big.zip", "mimeType": "application/zip", "buffer": b"0" * (limit + 1)}],
    )
    expect(page_b.locator("#id_archive")).to_have_attribute("aria-invalid", "true")
    expect(page_b.locator("#upload-size")).to_contain_text("This file is too large")
    expect(page_b.locator("#submit-btn")).to_be_enabled()
    page_b.click("#submit-btn")
    expect(page_b.locator("#id_archive")).to_be_focused()
    assert not Submission.objects.exists()
    page_b.set_input_files(
        "#id_archive",
        files=[{"name": "owls.zip", "mimeType": "application/zip", "buffer": make_zip()}],
    )
    expect(page_b.locator("#upload-size")).to_contain_text("owls.zip")
    expect(page_b.locator("#id_archive")).not_to_have_attribute("aria-invalid", "true")
    page_b.get_by_label("Note for the graders").fill("Our first version")
    page_b.click("#submit-btn")
    expect(page_b.locator("#messages")).to_contain_text("Version 1 submitted.")
    other.close()

    # Student A sees the version B submitted, and can download it.
    page.goto(project_url)
    row = page.locator("#versions-table tbody tr").first
    expect(row).to_contain_text("v1")
    expect(row).to_contain_text("Dana Classmate")
    expect(row).to_contain_text("owls.zip")
    expect(row).to_contain_text("On time")
    page.screenshot(path=artifacts_dir / "project-versions.png", full_page=True)
    with page.expect_download() as download_info:
        row.get_by_role("link", name="Download").click()
    assert download_info.value.suggested_filename == "owls-v1.zip"
    assert Submission.objects.get().submitted_by == dana


def open_a_project_in_a_new_group(page: Page, live_server, student, password):
    """STUDENT, enrolled in a new course, on its project's page in the group "Owls"."""
    course = CourseFactory(slug="pyweb", title="Python for Web Development")
    assignment = ProjectAssignmentFactory(course=course, slug="webapp", title="Web app")
    enroll(course, student)
    log_in(page, live_server.url, student.username, password)
    page.goto(f"{live_server.url}{assignment.get_absolute_url()}")
    page.get_by_label("Group name").fill("Owls")
    page.click("#create-group-btn")
    return assignment


def test_a_second_click_on_submit_sends_nothing_more(live_server, page: Page, bob, password):
    # Each send was a version of its own: v1 and v2 of the same zip.
    assignment = open_a_project_in_a_new_group(page, live_server, bob, password)
    page.set_input_files(
        "#id_archive",
        files=[{"name": "owls.zip", "mimeType": "application/zip", "buffer": make_zip()}],
    )
    # Two sends of the form, as a second click while the upload is on its way: the page's
    # script lets the first through (the browser then sends it) and stops the second.
    sends = page.evaluate(
        """() => {
            const form = document.forms["submission-form"];
            const sent = [1, 2].map(() => {
                const event = new Event("submit", {cancelable: true});
                form.dispatchEvent(event);
                return !event.defaultPrevented;
            });
            return [sent, form.querySelector("#submit-btn").textContent, form.ariaBusy];
        }"""
    )
    # (With a file chosen, projects.js says what is going on: the upload.)
    assert sends == [[True, False], "Uploading…", "true"]
    # The real click, after Back would have reset the form: one version.
    page.evaluate("window.dispatchEvent(new PageTransitionEvent('pageshow'))")
    page.click("#submit-btn")
    expect(page.locator("#messages")).to_contain_text("Version 1 submitted.")
    expect(page.locator("#submit-btn")).to_have_text("Submit")  # a new page, ready again
    assert Submission.objects.filter(group__assignment=assignment).count() == 1


def test_a_refused_zip_gives_the_focus_to_the_file_field(live_server, page: Page, bob, password):
    """The server's refusal marked crispy's wrapper of the file input invalid, and the
    focus went to that div: choosing another file took a Tab first (probe 61)."""
    open_a_project_in_a_new_group(page, live_server, bob, password)
    page.set_input_files(
        "#id_archive",
        files=[{"name": "owls.zip", "mimeType": "application/zip", "buffer": b"not a zip"}],
    )
    page.click("#submit-btn")
    expect(page.locator("#id_archive")).to_be_focused()
    expect(page.locator("#id_archive")).to_have_attribute("aria-invalid", "true")
    assert not Submission.objects.exists()
