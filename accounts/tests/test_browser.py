from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_student_logs_in_sees_their_name_and_logs_out(
    live_server, page: Page, bob, password, artifacts_dir
):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill("bob")
    page.get_by_label("Password").fill(password)
    page.click("#login-btn")
    expect(page.locator("#who")).to_have_text("bob")
    expect(page.locator("#messages")).to_contain_text("Welcome back")
    page.screenshot(path=artifacts_dir / "student-dashboard.png", full_page=True)

    page.locator("#who").click()  # opens the account menu
    page.click("#logout-btn")
    expect(page.locator("#nav-login")).to_be_visible()
    expect(page.locator("#messages")).to_contain_text("You have been logged out.")


def test_wrong_password_shows_a_message_in_the_browser(live_server, page: Page, bob):
    page.goto(f"{live_server.url}/accounts/login/")
    page.get_by_label("Username or email").fill("bob")
    page.get_by_label("Password").fill("nope")
    page.click("#login-btn")
    expect(page.locator("form")).to_contain_text("do not match an account")
    # The message has the focus, so a screen reader reads it (probe 61: the username
    # field took it back).
    expect(page.locator(":focus")).to_contain_text("do not match an account")
    # A first visit starts in the username field.
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_label("Username or email")).to_be_focused()


def test_pages_load_their_hashed_css_and_js(live_server, page: Page):
    failed = []
    page.on("response", lambda r: failed.append(r.url) if r.status >= 400 else None)
    page.goto(f"{live_server.url}/")
    # Bootstrap's CSS applied: the navbar is a flex container with the primary colour.
    expect(page.locator("nav.navbar")).to_have_css("display", "flex")
    assert failed == []
