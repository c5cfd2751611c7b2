"""Helpers shared by the browser tests of every app."""

from __future__ import annotations

from playwright.sync_api import Page, expect


def log_in(page: Page, base_url: str, username: str, password: str) -> None:
    """Log in through the real form of the live server at BASE_URL."""
    page.context.clear_cookies()
    page.goto(f"{base_url}/accounts/login/")
    page.get_by_label("Username or email").fill(username)
    page.get_by_label("Password").fill(password)
    page.click("#login-btn")
    expect(page.locator("#who")).to_have_text(username)
