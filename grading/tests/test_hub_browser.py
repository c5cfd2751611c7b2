"""End to end in Chromium: the instructor releases from the hub after the warning."""

from __future__ import annotations

from decimal import Decimal

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.browser import log_in
from grading import services
from grading.models import GradeRelease
from projects.tests.factories import GroupFactory

from .factories import grading_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_instructor_releases_from_the_hub_after_confirming_the_warning(
    live_server, page: Page, alice, bob, grace, password
):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    GroupFactory(assignment=world.assignment, name="Sleepers")
    services.review_save(
        review=world.review,
        by=grace,
        scores={world.correctness.pk: (Decimal(8), ""), world.style.pk: (Decimal(4), "")},
        overall_feedback="Good.",
        complete=True,
    )
    log_in(page, live_server.url, "alice", password)
    page.goto(f"{live_server.url}/courses/{world.course.slug}/")
    page.get_by_role("link", name="Assignment hub").first.click()
    expect(page.locator("#progress-label")).to_contain_text("1 of 1 submitted group graded")
    expect(page.locator("#never-submitted")).to_contain_text("Sleepers")

    page.get_by_label("I understand that students").check()
    page.get_by_label("never submitted will get no grade").check()
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("#hub-release-btn")
    expect(page.locator("#messages")).to_contain_text("released; students are being emailed")
    expect(page.locator("#released")).to_be_visible()
    assert GradeRelease.objects.filter(assignment=world.assignment).exists()
