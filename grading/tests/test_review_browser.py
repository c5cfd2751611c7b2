"""Scoring in Chromium: drafts saved while typing survive a lost session; levels by keyboard."""

from __future__ import annotations

import pytest
from django.contrib.sessions.models import Session
from playwright.sync_api import Page, expect

from accounts.tests.browser import log_in
from grading.models import Review

from .factories import grading_world

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_what_the_grader_typed_survives_the_end_of_the_session(
    live_server, page: Page, alice, bob, grace, password, artifacts_dir
):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    log_in(page, live_server.url, "grace", password)
    page.goto(f"{live_server.url}/grading/reviews/{world.review.pk}/")

    # Typing stops: a few seconds later the draft is saved, and the page says when.
    page.locator(f"#id_score_{world.style.pk}").fill("4")
    page.get_by_label("Overall feedback").fill("Solid work on the models.")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved", timeout=10_000)
    # The saved total is the draft's, and the "not saved yet" line goes (probe 37: both
    # showed, each another number).
    expect(page.locator("#saved-total")).to_have_text("4")
    expect(page.locator("#live-total")).to_be_hidden()
    assert Review.objects.get(pk=world.review.pk).overall_feedback == "Solid work on the models."

    # The session ends on the server (expiry, or a logout elsewhere); the grader goes on.
    Session.objects.all().delete()
    page.locator(f"#id_comment_{world.style.pk}").fill("Names could be clearer.")
    page.get_by_label("Overall feedback").fill("Solid work on the models, and tested.")
    page.click("#save-draft")

    # The login page, then back on the review with everything typed.
    expect(page.get_by_role("alert").first).to_contain_text("You were signed out")
    page.get_by_label("Username or email").fill("grace")
    page.get_by_label("Password").fill(password)
    page.click("#login-btn")
    expect(page.locator("#group-label")).to_contain_text("Team Rocket")
    expect(page.get_by_text("What you typed is back in the form")).to_be_visible()
    expect(page.get_by_label("Overall feedback")).to_have_value(
        "Solid work on the models, and tested."
    )
    expect(page.locator(f"#id_comment_{world.style.pk}")).to_have_value("Names could be clearer.")
    expect(page.locator(f"#id_score_{world.style.pk}")).to_have_value("4")
    page.screenshot(path=artifacts_dir / "grading-kept-after-login.png", full_page=True)


def test_a_level_is_picked_with_the_keyboard_and_the_total_follows(
    live_server, page: Page, alice, bob, grace, password, artifacts_dir
):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    log_in(page, live_server.url, "grace", password)
    page.goto(f"{live_server.url}/grading/reviews/{world.review.pk}/")
    score = page.locator(f"#id_score_{world.correctness.pk}")

    # Tab through the page until the levels of Correctness have the focus.
    for _ in range(200):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.name") == f"level_{world.correctness.pk}":
            break
    else:
        pytest.fail("Tab never reached the rubric levels")
    page.keyboard.press("Space")  # the first level: Excellent, 10 points
    expect(score).to_have_value("10")
    expect(page.locator("#live-total")).to_contain_text("10 / 15")
    page.keyboard.press("ArrowRight")  # the next one: Good, 7 points
    expect(score).to_have_value("7")
    expect(page.get_by_role("radio", name="Good (7)")).to_be_checked()

    # Typing the score of the next criterion updates the total too.
    page.keyboard.press("Tab")  # the points of Correctness
    page.keyboard.press("Tab")  # its comment
    page.keyboard.press("Tab")  # the points of Style
    page.keyboard.type("4")
    expect(page.locator("#live-total")).to_contain_text("11 / 15")
    page.screenshot(path=artifacts_dir / "grading-levels-keyboard.png", full_page=True)
    # A score past its maximum is left out of the total, which says so.
    page.keyboard.type("9")  # 49 points of 5
    expect(page.locator("#live-total-invalid")).to_be_visible()
    page.keyboard.press("Backspace")
    expect(page.locator("#live-total-invalid")).to_be_hidden()

    # The server computes the real total when it saves; the typed one, equal, goes.
    page.keyboard.press("Enter")
    expect(page.locator("#total")).to_contain_text("11")
    expect(page.locator("#live-total")).to_be_hidden()
    assert Review.objects.get(pk=world.review.pk).total == 11


def test_a_review_handed_over_while_open_keeps_what_was_typed(
    live_server, page: Page, alice, bob, grace, password, artifacts_dir
):
    from accounts.models import Role
    from accounts.tests.factories import UserFactory
    from grading import services

    from .factories import enroll

    world = grading_world(alice=alice, bob=bob, grace=grace)
    henry = enroll(UserFactory(username="henry"), world.course, Role.GRADER)
    log_in(page, live_server.url, "grace", password)
    page.goto(f"{live_server.url}/grading/reviews/{world.review.pk}/")
    page.get_by_label("Overall feedback").fill("First thoughts.")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved", timeout=10_000)

    # The instructor hands the review to henry; grace, unaware, goes on typing.
    services.grader_assign(group=world.group, grader=henry, by=alice)
    page.locator(f"#id_comment_{world.style.pk}").fill("Names could be clearer.")
    status = page.locator("#draft-status")
    expect(status).to_contain_text("You do not grade this review (any more)", timeout=10_000)
    expect(status).to_contain_text("still on this page")
    expect(page.get_by_label("Overall feedback")).to_have_value("First thoughts.")

    # "Save draft" shows everything typed back, to copy, instead of a bare 404.
    page.click("#save-draft")
    reason = page.locator("#not-saved-reason")
    expect(reason).to_contain_text("You do not grade this review (any more)")
    typed = page.locator("#typed-back")
    expect(typed.locator("textarea").first).to_have_value("Names could be clearer.")
    expect(typed.locator("textarea").last).to_have_value("First thoughts.")
    page.screenshot(path=artifacts_dir / "grading-review-handed-over.png", full_page=True)
    assert Review.objects.get(pk=world.review.pk).grader == henry


def test_save_draft_after_an_autosave_is_this_tabs_own_work_not_a_stale_one(
    live_server, page: Page, alice, bob, grace, password
):
    # Each autosave moves the version the form sends: the button after it is not
    # taken for an old tab's save (which is refused, grading/tests/test_review_drafts.py).
    world = grading_world(alice=alice, bob=bob, grace=grace)
    log_in(page, live_server.url, "grace", password)
    page.goto(f"{live_server.url}/grading/reviews/{world.review.pk}/")
    page.get_by_label("Overall feedback").fill("First thoughts.")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved", timeout=10_000)
    page.get_by_label("Overall feedback").fill("Second thoughts.")
    page.click("#save-draft")
    expect(page.locator("#messages")).to_contain_text("Draft saved. Nothing is lost.")
    assert Review.objects.get(pk=world.review.pk).overall_feedback == "Second thoughts."


def test_a_line_number_puts_the_cursor_in_the_comment_box_and_the_form_is_one_tab_away(
    live_server, page: Page, alice, bob, grace, password
):
    world = grading_world(alice=alice, bob=bob, grace=grace)
    log_in(page, live_server.url, "grace", password)
    page.goto(f"{live_server.url}/grading/reviews/{world.review.pk}/?path=app.py")

    # A click on line 3 picks it and leaves the focus in the comment box, to type at once.
    # The link is named for screen readers "Line 3" (it read "3", probe 37).
    page.get_by_role("link", name="Line 3", exact=True).click()
    expect(page.locator("#id_line")).to_have_value("3")
    expect(page.locator("#id_text")).to_be_focused()
    page.keyboard.type("hello")
    expect(page.locator("#id_text")).to_have_value("hello")
    assert page.url.endswith("#L3")

    # Opened at a line, then another picked: the one picked is marked, not both.
    page.goto(f"{live_server.url}/grading/reviews/{world.review.pk}/?path=app.py#L2")
    page.locator("#L3 td.ln a").click()

    def marked(row: str) -> str:
        return page.locator(f"{row} td.ln").evaluate(
            "cell => getComputedStyle(cell).backgroundColor"
        )

    assert marked("#L3") == "rgb(255, 248, 197)"
    assert marked("#L2") != marked("#L3")

    # From the keyboard, the form is reached without a Tab through every line number.
    page.goto(f"{live_server.url}/grading/reviews/{world.review.pk}/?path=app.py")
    skip = page.get_by_role("link", name="Skip the code, to the comment form")
    skip.focus()
    page.keyboard.press("Enter")
    expect(page.locator("#id_line")).to_be_focused()


def test_a_file_opened_right_after_typing_shows_the_draft_and_takes_more_typing(
    live_server, page: Page, alice, bob, grace, password
):
    """Probe 37: a comment typed, then another file of the tree clicked at once: its page
    was built before the draft arrived, showed the old comment, and took the next
    keystroke's draft for "another tab or window"."""
    world = grading_world(alice=alice, bob=bob, grace=grace)
    log_in(page, live_server.url, "grace", password)
    page.goto(f"{live_server.url}/grading/reviews/{world.review.pk}/?path=app.py")
    comment = page.locator(f"#id_comment_{world.style.pk}")
    comment.fill("Names could be clearer.")
    page.get_by_role("link", name="README.md").click()  # at once, before any autosave
    expect(page).to_have_url(
        f"{live_server.url}/grading/reviews/{world.review.pk}/?path=README.md#file-viewer"
    )
    expect(comment).to_have_value("Names could be clearer.")
    comment.fill("Names could be clearer; see views.py.")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved", timeout=10_000)
    review = Review.objects.get(pk=world.review.pk)
    assert (
        review.scores.get(criterion=world.style).comment == "Names could be clearer; see views.py."
    )


def test_a_line_comment_added_right_after_typing_keeps_the_draft(
    live_server, page: Page, alice, bob, grace, password
):
    """Probe 44: a rubric comment typed, then a line comment added within two seconds:
    the page came back with the old rubric, and the next save was refused as made "in
    another tab or window". The line comment now waits for the draft."""
    from grading.models import LineComment

    world = grading_world(alice=alice, bob=bob, grace=grace)
    log_in(page, live_server.url, "grace", password)
    page.goto(f"{live_server.url}/grading/reviews/{world.review.pk}/?path=app.py")
    comment = page.locator(f"#id_comment_{world.style.pk}")
    comment.fill("Names could be clearer.")
    page.locator("#id_line").fill("1")
    page.locator("#id_text").fill("This import is unused.")
    page.locator("#add-comment").click()  # at once, before any autosave
    expect(page.locator(".code-table")).to_contain_text("This import is unused.")
    expect(comment).to_have_value("Names could be clearer.")
    added = LineComment.objects.filter(review=world.review, text="This import is unused.")
    assert added.count() == 1
    comment.fill("Names could be clearer; see line 1.")
    expect(page.locator("#draft-status")).to_contain_text("Draft saved", timeout=10_000)
    review = Review.objects.get(pk=world.review.pk)
    assert review.scores.get(criterion=world.style).comment == "Names could be clearer; see line 1."


def test_leaving_a_completed_review_with_changes_asks_first(
    live_server, page: Page, alice, bob, grace, password
):
    """A completed review saves only when completed again: a score changed, then another
    file opened, lost the change without a word (probe 37)."""
    from .factories import complete_review

    world = grading_world(alice=alice, bob=bob, grace=grace)
    complete_review(world, by=grace)
    log_in(page, live_server.url, "grace", password)
    url = f"{live_server.url}/grading/reviews/{world.review.pk}/?path=app.py"
    page.goto(url)
    page.get_by_role("link", name="README.md").click()  # nothing changed: it just opens
    expect(page).to_have_url(url.replace("app.py", "README.md#file-viewer"))
    # The viewer has the focus, not the page's top (probe 39: the file list again).
    assert page.evaluate("document.activeElement.id") == "file-viewer"
    asked = []

    def dismiss(dialog) -> None:
        asked.append(dialog.type)
        dialog.dismiss()

    page.on("dialog", dismiss)
    score = page.locator(f"#id_score_{world.style.pk}")
    score.click()
    score.fill("3")
    page.get_by_role("link", name="app.py").click()
    expect(score).to_have_value("3")  # still here, with the change
    assert asked == ["beforeunload"]
    assert page.url == url.replace("app.py", "README.md#file-viewer")


def test_an_instructors_change_made_meanwhile_shows_up_and_stays(
    live_server, page: Page, alice, bob, grace, password
):
    """Probe 37: the instructor and the grader on one review; the one whose page is older
    blanked the other's comment. The draft now keeps it, and the page shows it."""
    from grading import services

    world = grading_world(alice=alice, bob=bob, grace=grace)
    log_in(page, live_server.url, "grace", password)
    page.goto(f"{live_server.url}/grading/reviews/{world.review.pk}/")
    services.review_draft_save(  # the instructor, on their own page, meanwhile
        review=world.review,
        by=alice,
        scores={world.correctness.pk: (None, "Check the empty blog.")},
        overall_feedback="",
    )
    page.locator(f"#id_comment_{world.style.pk}").fill("Names could be clearer.")
    expect(page.locator("#draft-status")).to_contain_text(
        "Meanwhile Alice Instructor changed this review", timeout=10_000
    )
    expect(page.locator(f"#id_comment_{world.correctness.pk}")).to_have_value(
        "Check the empty blog."
    )
    page.get_by_label("Overall feedback").fill("Good work.")  # the next draft keeps both
    expect(page.locator("#draft-status")).not_to_contain_text("Meanwhile", timeout=10_000)
    review = Review.objects.get(pk=world.review.pk)
    assert review.overall_feedback == "Good work."
    comments = dict(review.scores.values_list("criterion_id", "comment"))
    assert comments == {
        world.correctness.pk: "Check the empty blog.",
        world.style.pk: "Names could be clearer.",
    }
