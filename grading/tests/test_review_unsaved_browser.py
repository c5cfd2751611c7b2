"""The review page in Chromium with a score the server refuses, and a line comment
holding long code (probe 95: the feedback typed since the last draft lost on
leaving, a total adding invalid points, a comment cut off with its buttons)."""

from __future__ import annotations

import time

import pytest
from playwright.sync_api import Dialog, Page, expect
from playwright.sync_api import Error as PlaywrightError

from accounts.tests.browser import log_in
from grading.models import Review

from .factories import grading_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


class Dialogs:
    """Record the type of every dialog PAGE opens, and answer it: stay, or leave."""

    def __init__(self, page: Page, *, leave: bool = False) -> None:
        self.asked: list[str] = []
        self.leave = leave
        page.on("dialog", self.answer)

    def answer(self, dialog: Dialog) -> None:
        self.asked.append(dialog.type)
        if self.leave:
            dialog.accept()
        else:
            dialog.dismiss()


def _open_review(page: Page, live_server, world, password: str, query: str = "") -> str:
    log_in(page, live_server.url, "grace", password)
    url = f"{live_server.url}/grading/reviews/{world.review.pk}/{query}"
    page.goto(url)
    return url


def test_leaving_with_a_refused_draft_asks_first_and_not_once_it_is_saved(
    live_server, page: Page, alice, bob, grace, password
):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    url = _open_review(page, live_server, world, password, "?path=app.py")
    # Clicked first: the browser asks before leaving only a page its user interacted with.
    score = page.locator(f"#id_score_{world.correctness.pk}")
    score.click()
    score.fill("30")  # of 10: the server refuses the draft
    feedback = page.get_by_label("Overall feedback")
    feedback.click()
    feedback.fill("Three paragraphs of careful feedback.")
    status = page.locator("#draft-status")
    expect(status).to_contain_text("Draft not saved", timeout=10_000)

    # A file of the tree clicked: held back while the draft is tried again, refused again.
    dialogs = Dialogs(page)
    readme = page.locator("#file-tree").get_by_role("link", name="README.md")
    readme.click()
    expect(status).to_contain_text("Draft not saved", timeout=10_000)
    # Clicked again, another address, the tab closed: each asks first; staying keeps
    # what was typed. (Chromium asks again only after the grader's next action.)
    with page.expect_event("dialog", timeout=5_000):
        readme.click()
    feedback.click()
    with pytest.raises(PlaywrightError, match="ERR_ABORTED"):
        page.goto(f"{live_server.url}/grading/")
    feedback.click()
    with page.expect_event("dialog", timeout=5_000):
        page.close(run_before_unload=True)
    expect(feedback).to_have_value("Three paragraphs of careful feedback.")
    assert dialogs.asked == ["beforeunload"] * 3
    assert page.url == url

    # The score fixed, the draft saved: leaving is free again (clicked: Chromium would
    # not ask, anyway, before another action of the grader's).
    score.click()
    score.fill("8")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved", timeout=10_000)
    page.goto(f"{live_server.url}/grading/")
    assert dialogs.asked == ["beforeunload"] * 3
    assert page.url == f"{live_server.url}/grading/"
    review = Review.objects.get(pk=world.review.pk)
    assert review.overall_feedback == "Three paragraphs of careful feedback."


def test_closing_the_tab_right_after_typing_asks_then_saves_the_draft_on_the_way_out(
    live_server, page: Page, alice, bob, grace, password
):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    _open_review(page, live_server, world, password)
    feedback = page.get_by_label("Overall feedback")
    feedback.click()
    feedback.fill("Typed a moment ago.")
    dialogs = Dialogs(page, leave=True)
    other = page.context.new_page()  # runs Playwright's events once this page is gone
    page.close(run_before_unload=True)  # within the two seconds before the autosave
    review = Review.objects.get(pk=world.review.pk)
    deadline = time.monotonic() + 10
    while not review.overall_feedback and time.monotonic() < deadline:
        other.wait_for_timeout(100)
        review.refresh_from_db()
    assert dialogs.asked == ["beforeunload"]
    assert page.is_closed()
    assert review.overall_feedback == "Typed a moment ago."  # sent by pagehide


def test_the_live_total_leaves_out_invalid_scores_and_says_so(
    live_server, page: Page, alice, bob, grace, password
):
    world = grading_world(alice=alice, bob=bob, grace=grace)  # Correctness /10, Style /5
    _open_review(page, live_server, world, password)
    correctness = page.locator(f"#id_score_{world.correctness.pk}")
    style = page.locator(f"#id_score_{world.style.pk}")
    live = page.locator("#live-total")

    # Alone, the invalid score leaves the total at the saved 0: the line shows anyway.
    correctness.fill("30")
    expect(live).to_be_visible()
    expect(page.locator("#live-total-value")).to_have_text("0")
    expect(live).to_contain_text("not counting 1 score that is not valid")
    style.fill("4")
    expect(live).to_contain_text("not saved yet: 4 / 15, not counting 1 score that is not valid")
    style.fill("-5")
    expect(live).to_contain_text("not saved yet: 0 / 15, not counting 2 scores that are not valid")
    correctness.fill("7.345")  # more than 2 decimals
    style.fill("2.5")
    expect(live).to_contain_text("not saved yet: 2.5 / 15, not counting 1 score that is not valid")
    expect(live).to_contain_text("points go from 0 to the criterion’s maximum, with at most 2")
    correctness.fill("7.25")  # valid at last: the autosave may hide the line any moment
    expect(page.locator("#live-total-value")).to_have_text("9.75")
    expect(page.locator("#live-total-invalid")).to_be_hidden()
    expect(page.locator("#live-total-invalid")).to_have_text("")


def test_a_comment_with_long_code_fits_its_pane_with_its_buttons(
    live_server, page: Page, alice, bob, grace, password, artifacts_dir
):
    from grading import services

    world = grading_world(alice=alice, bob=bob, grace=grace)
    code = (
        '```python\npassword = os.environ["APP_PASSWORD"]  # read from the environment,'
        " a long line of code here\n```\n\n"
    )
    paragraph = "Reading the secret from the environment is right, " * 6
    services.line_comment_add(
        review=world.review, by=grace, path="app.py", line=1, text=code + paragraph
    )
    url = _open_review(page, live_server, world, password, "?path=app.py")
    pane = page.locator(".viewer-pane")
    comment = page.locator("tr.line-comment")
    for name, width in (("desktop", 1280), ("phone", 375)):
        page.set_viewport_size({"width": width, "height": 800})
        page.goto(url)
        expect(comment).to_contain_text("Reading the secret")
        page.screenshot(path=artifacts_dir / f"grading-comment-long-code-{name}.png")
        scroll, client = pane.evaluate("el => [el.scrollWidth, el.clientWidth]")
        assert scroll <= client + 2, f"the pane scrolls sideways at {width}px: {scroll} > {client}"
        box = pane.bounding_box()
        for part in (
            comment.get_by_role("button", name="Remove"),
            comment.locator("summary", has_text="Edit"),
            comment.locator("p").last,
        ):
            inside = part.bounding_box()
            left, right = inside["x"], inside["x"] + inside["width"]
            assert box["x"] <= left and right <= box["x"] + box["width"] + 1, (width, part)
        # The code keeps its lines, and scrolls on its own.
        block = comment.locator("pre")
        assert block.evaluate("el => getComputedStyle(el).overflowX") == "auto"
        assert block.evaluate("el => el.scrollWidth > el.clientWidth")
