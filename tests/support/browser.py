"""Browser steps the Playwright tests share."""

from __future__ import annotations


def admin_open(page, live_server, path: str, *, username: str, password: str) -> None:
    """Open an admin page, signing in on the login form it redirects to."""
    page.goto(f"{live_server.url}{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("input[type=submit]")
