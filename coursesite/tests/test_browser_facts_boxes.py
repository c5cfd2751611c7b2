"""The facts boxes (a <dl class="row">) stay inside their column on a phone: Bootstrap's
row margins had them stick out 12 px on each side and touch the screen's edges."""

from __future__ import annotations

import pytest
from django.urls import reverse
from playwright.sync_api import Page

from accounts.tests.browser import log_in
from grading.tests.factories import grading_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

INSIDE_JS = """(box) => {
  const outer = box.parentElement.getBoundingClientRect();
  const style = getComputedStyle(box.parentElement);
  const left = outer.left + parseFloat(style.paddingLeft);
  const right = outer.right - parseFloat(style.paddingRight);
  const r = box.getBoundingClientRect();
  return {left: r.left - left, right: right - r.right};
}"""


def assert_inside(page: Page, url: str, selector: str) -> None:
    page.goto(url)
    gaps = page.locator(selector).evaluate(INSIDE_JS)
    assert gaps["left"] >= 0 and gaps["right"] >= 0, f"{url} {selector}: {gaps}"


def test_facts_boxes_stay_inside_their_column_on_a_phone(
    live_server, page: Page, alice, bob, grace, password
):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    page.set_viewport_size({"width": 375, "height": 800})
    log_in(page, live_server.url, "bob", password)
    assert_inside(page, live_server.url + world.assignment.get_absolute_url(), "#project-facts")
    submission = reverse("projects:submission", args=[world.submission.pk])
    assert_inside(page, live_server.url + submission, "main dl.row")
    log_in(page, live_server.url, "alice", password)
    assert_inside(page, live_server.url + reverse("autograding:queue"), "#queue-counts")


def test_a_table_wider_than_the_phone_says_it_scrolls(
    live_server, page: Page, alice, bob, grace, password
):
    """The versions table is 930 px at 375: its last columns were off-screen, unsaid."""
    world = grading_world(alice=alice, bob=bob, grace=grace)
    log_in(page, live_server.url, "bob", password)
    hint = page.locator(".scroll-hint").first
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server.url + world.assignment.get_absolute_url())
    assert page.locator("#versions-table").evaluate(
        "table => table.parentElement.scrollWidth > table.parentElement.clientWidth"
    )
    assert hint.is_visible() and "swipe the table sideways" in hint.inner_text()
    page.set_viewport_size({"width": 1280, "height": 800})
    assert not hint.is_visible()  # where the table fits, nothing to say


def test_a_deadlines_countdown_sits_under_its_title_on_a_phone(
    live_server, page: Page, alice, bob, grace, password
):
    """Wrapped under the title, the countdown and status stayed right-aligned: the
    narrower one looked indented."""
    from projects.tests.factories import ProjectAssignmentFactory

    world = grading_world(alice=alice, bob=bob, grace=grace)
    ProjectAssignmentFactory(course=world.course, title="Blog API")
    log_in(page, live_server.url, "bob", password)
    item = page.locator(".upcoming-deadlines li").first
    for width, aligned in ((375, True), (1280, False)):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(live_server.url + reverse("lessons:dashboard"))
        title = item.locator("a").first.bounding_box()
        countdown = item.locator(".deadline-said").first.bounding_box()
        badge = item.locator(".badge").first.bounding_box()
        # Wrapped under the title on a phone, both start where it does; beside it on a
        # wide screen, both end at the right.
        lined_up = abs(countdown["x"] - title["x"]) < 2 and abs(badge["x"] - title["x"]) < 2
        assert lined_up is aligned, (width, title, countdown, badge)


def test_the_projects_list_says_it_scrolls_on_a_phone(
    live_server, page: Page, alice, bob, grace, password
):
    """At 375 px its Status column was off-screen with nothing said."""
    grading_world(alice=alice, bob=bob, grace=grace)
    log_in(page, live_server.url, "bob", password)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(live_server.url + reverse("projects:mine"))
    hint = page.locator(".scroll-hint").first
    assert hint.is_visible() and "swipe the table sideways" in hint.inner_text()
