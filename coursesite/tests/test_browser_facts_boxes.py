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
