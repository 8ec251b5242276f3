"""The people of the browser tests: one password for everyone, and logging in as one of them."""

from __future__ import annotations

from playwright.sync_api import Page

PASSWORD = "a-long-pass-phrase-42"


def log_in(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
