"""Browser steps the Playwright tests share."""

from __future__ import annotations


def admin_open(page, live_server, path: str, *, username: str, password: str) -> None:
    """Open an admin page, signing in on the login form it redirects to."""
    page.goto(f"{live_server.url}{path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("input[type=submit]")


def annotator_join(browser, live_server, *, invitee: str, username: str, password: str,
                   locale: str = "en-US"):  # fmt: skip
    """A new page of an invited annotator who has just made their account (the portal
    home), in a browser of `locale`."""
    from annotation.services import invitation_create

    issued = invitation_create(invitee=invitee, created_by=None)
    page = browser.new_context(locale=locale, viewport={"width": 1400, "height": 900}).new_page()
    page.goto(f"{live_server.url}/invitations/{issued.token}/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.fill("input[name=password2]", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_selector("h1")
    return page
