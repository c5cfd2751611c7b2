"""End to end in Chromium: a grader reviews, an instructor releases, a student reads."""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

from accounts.tests.browser import log_in

from .factories import grading_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_grader_reviews_instructor_releases_student_reads(
    live_server, page: Page, alice, bob, grace, password, artifacts_dir
):
    world = grading_world(alice=alice, bob=bob, grace=grace)

    # The grader works through the queue.
    log_in(page, live_server.url, "grace", password)
    page.click("#nav-grading")
    expect(page.locator("#queue")).to_contain_text("Team Rocket")
    page.get_by_role("link", name="Team Rocket").click()
    page.locator("#file-tree").get_by_role("link", name="app.py").click()
    expect(page.locator("#viewer-path")).to_have_text("app.py")
    expect(page.locator("#code .k").first).to_have_text("def")  # highlighted by Pygments

    page.locator("#L3 td.ln a").click()  # fills the line number of the comment form
    expect(page.locator("#id_line")).to_have_value("3")
    page.locator("#id_text").fill("Prefer str.format here? No: f-strings are fine.")
    page.click("#add-comment")
    expect(page.locator("#messages")).to_contain_text("Comment added on line 3")
    expect(page.locator("#code")).to_contain_text("f-strings are fine")

    page.locator("label", has_text="Good (7)").click()  # a radio button of the level
    expect(page.locator(f"#id_score_{world.correctness.pk}")).to_have_value("7")
    page.locator(f"#id_score_{world.style.pk}").fill("4")
    page.locator(f"#id_comment_{world.style.pk}").fill("Readable names.")
    page.get_by_label("Overall feedback").fill("A **solid** first version.")
    page.screenshot(path=artifacts_dir / "grading-review.png", full_page=True)
    page.click("#complete-review")
    expect(page.locator("#messages")).to_contain_text("Review completed")
    expect(page.locator("#total")).to_contain_text("11")

    # The instructor releases.
    log_in(page, live_server.url, "alice", password)
    page.goto(f"{live_server.url}/grading/assignments/{world.assignment.pk}/")
    page.click("#release-link")
    page.get_by_label("I understand").check()
    page.click("#release-btn")
    expect(page.locator("#messages")).to_contain_text("released; students are being emailed")

    # The student reads the feedback.
    log_in(page, live_server.url, "bob", password)
    page.goto(f"{live_server.url}/grading/feedback/")
    page.get_by_role("link", name="Blog engine").click()
    expect(page.locator("#score")).to_contain_text("11 / 15")
    expect(page.locator("#final-mark")).to_have_text("73.33%")
    expect(page.locator("#overall-feedback strong")).to_have_text("solid")
    expect(page.locator("#criteria")).to_contain_text("Readable names.")
    page.locator("#file-tree").get_by_role("link", name="app.py").click()
    expect(page.locator("#code")).to_contain_text("f-strings are fine")
    page.screenshot(path=artifacts_dir / "grading-student-feedback.png", full_page=True)


def test_a_deep_folder_keeps_its_file_names_on_one_line(
    live_server, page: Page, alice, bob, grace, password
):
    """Uploads take paths 20 levels deep: the tree's indent stops before names wrap."""
    from django.core.files.base import ContentFile

    from projects.tests.factories import make_zip

    world = grading_world(alice=alice, bob=bob, grace=grace)
    deep = "/".join(f"d{level}" for level in range(18)) + "/deep.py"
    world.submission.archive.save("deep.zip", ContentFile(make_zip({deep: "x = 1\n"})))
    page.set_viewport_size({"width": 1280, "height": 800})
    log_in(page, live_server.url, "grace", password)
    page.goto(f"{live_server.url}/grading/reviews/{world.review.pk}/")
    link = page.locator("#file-tree").get_by_role("link", name="deep.py")
    expect(link).to_be_visible()
    line = float(link.evaluate("a => parseFloat(getComputedStyle(a).lineHeight)"))
    assert link.bounding_box()["height"] < 1.5 * line  # one line, not "de / ep. / py"
    folder = page.locator("#file-tree li", has_text="d17/").last
    assert folder.bounding_box()["height"] < 1.5 * line
