"""What a screen-reader or phone student hears and reaches after an action (probe 87):
the confirmation a redirect brings is read out, politely; a warning is an alert; a field's
focus is seen; required fields are not named with a star; small links are tappable."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from accounts.tests.browser import log_in
from lessons.tests.factories import CourseFactory, ModuleFactory
from projects.models import Submission
from projects.tests.factories import ProjectAssignmentFactory, make_zip
from projects.tests.student_fixtures import enroll

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_confirmation_after_an_action_is_read_out_and_a_warning_is_an_alert(
    live_server, page: Page, bob, password
):
    course = CourseFactory(slug="pyweb", title="Python for Web Development")
    assignment = ProjectAssignmentFactory(course=course, slug="webapp", title="Web app")
    enroll(course, bob)
    log_in(page, live_server.url, "bob", password)
    page.goto(f"{live_server.url}{assignment.get_absolute_url()}")
    # Required fields are named without the star a screen reader read out.
    expect(page.get_by_role("textbox", name="Group name", exact=True)).to_be_visible()
    page.get_by_label("Group name").fill("Owls")
    page.get_by_label("Group name").press("Enter")

    # The new page's message has the focus, so it is read out; it is a status, not an
    # alert ("Welcome back" and "Group created" are no emergencies).
    messages = page.locator("#messages")
    expect(messages).to_be_focused()
    expect(messages.get_by_role("status")).to_contain_text("Group “Owls” created")
    expect(messages.get_by_role("alert")).to_have_count(0)

    zipped = {"name": "owls.zip", "mimeType": "application/zip", "buffer": make_zip()}
    page.set_input_files("#id_archive", files=[zipped])
    page.click("#submit-btn")
    # Taken to the versions (#versions), the view stays there: the words are said in a
    # live region instead of taking the focus.
    expect(page.locator("#messages-said")).to_have_text(re.compile("Version 1 submitted."))
    expect(page.locator("#messages-said")).to_have_attribute("role", "status")
    assert page.url.endswith("#versions")
    expect(messages).not_to_be_focused()

    # The same zip again, later: the warning is an alert, beside the status.
    Submission.objects.update(submitted_at=timezone.now() - timedelta(minutes=10))
    page.set_input_files("#id_archive", files=[zipped])
    page.click("#submit-btn")
    expect(messages.get_by_role("status")).to_contain_text("Version 2 submitted.")
    expect(messages.get_by_role("alert")).to_contain_text("the same zip as version 1")
    expect(page.locator("#messages-said")).to_contain_text("the same zip as version 1")

    # A field's focus is a solid outline, not the pale glow (at least 3:1 on white).
    field = page.get_by_label("Note for the graders")
    field.focus()
    outline = field.evaluate(
        "el => getComputedStyle(el).outlineStyle + ' ' + getComputedStyle(el).outlineColor"
    )
    assert outline == "solid rgb(10, 88, 202)"


def test_small_links_on_a_phone_are_big_enough_to_tap(live_server, page: Page, bob, password):
    course = CourseFactory(slug="pyweb", title="Python for Web Development")
    ModuleFactory(course=course, summary="What this module covers.")
    assignment = ProjectAssignmentFactory(course=course, slug="webapp", title="Web app")
    enroll(course, bob)
    page.set_viewport_size({"width": 375, "height": 740})
    log_in(page, live_server.url, "bob", password)
    page.goto(f"{live_server.url}{course.get_absolute_url()}")
    about = page.get_by_text("About this module")
    assert about.bounding_box()["height"] >= 24
    # ...and still looks like a disclosure: its marker kept (a list-item summary).
    assert about.evaluate("el => getComputedStyle(el).display") == "list-item"
    page.goto(f"{live_server.url}{assignment.get_absolute_url()}")
    page.get_by_label("Group name").fill("Owls")
    page.click("#create-group-btn")
    assert page.get_by_text("Rename the group").bounding_box()["height"] >= 24
    page.set_input_files(
        "#id_archive",
        files=[{"name": "owls.zip", "mimeType": "application/zip", "buffer": make_zip()}],
    )
    page.click("#submit-btn")
    version = page.locator("#versions-table").get_by_role("link", name="v1")
    box = version.bounding_box()
    assert box["height"] >= 24 and box["width"] >= 24
