"""Two invited annotators rate a study to completion in Debian's Chromium, driven by
Playwright, against the live server on the test database (PostgreSQL under bin/test).

The rating page's screenshot is saved under var/test-artifacts/ for a person to look at.
"""

from __future__ import annotations

import re

import pytest

from annotation.models import Rating
from annotation.services import invitation_create
from tests.support.paths import REPO_ROOT
from tests.support.studies import study_world

ARTIFACTS = REPO_ROOT / "var" / "test-artifacts"
PASSWORD = "a-Long-passphrase-9"

pytestmark = pytest.mark.e2e


def join_and_log_in(browser, base_url: str, invitee: str, username: str):
    from playwright.sync_api import expect

    issued = invitation_create(invitee=invitee, created_by=None)
    # The portal's English words (the Chinese walk is test_portal_chinese_browser's).
    page = browser.new_context(locale="en-US").new_page()
    page.goto(f"{base_url}/invitations/{issued.token}/")
    expect(page.get_by_text(f"This invitation is for {invitee}")).to_be_visible()
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="My studies")).to_be_visible()
    # Out, and in again through the login form.
    page.get_by_role("button", name="Log out").click()
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    expect(page.get_by_role("heading", name="My studies")).to_be_visible()
    return page


def checked(page, scale: str) -> str | None:
    radio = page.locator(f"fieldset[data-scale={scale}] input:checked")
    return radio.get_attribute("value") if radio.count() else None


def rate_with_keys(page, keys: str) -> str:
    """Type the scores and press Enter; returns the URL of the item that was rated."""
    from playwright.sync_api import expect

    url = page.url
    page.wait_for_selector("#rating[data-ready=true]")
    for key in keys:
        page.keyboard.press(key)
    page.keyboard.press("Enter")
    expect(page).not_to_have_url(url)
    return url


@pytest.mark.django_db(transaction=True)
def test_two_invited_annotators_rate_a_study_to_completion(browser, live_server):
    from playwright.sync_api import expect

    world = study_world(samples=2, systems=2, raters=2)
    study = world.study
    base = live_server.url

    first = join_and_log_in(browser, base, "Dr. Li", "expert-li")
    first.get_by_role("link", name="Rate the next item").click()
    expect(first.get_by_text("Response under review")).to_be_visible()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    first.screenshot(path=str(ARTIFACTS / "rating-page.png"), full_page=True)

    rate_with_keys(first, "2111")

    # Halfway through the second item: the draft reaches the server, survives a reload.
    first.wait_for_selector("#rating[data-ready=true]")
    first.keyboard.press("1")
    first.keyboard.press("2")
    expect(first.locator("#draft-status")).to_contain_text("Draft saved")
    first.reload()
    assert (checked(first, "content"), checked(first, "empathy")) == ("1", "2")
    assert checked(first, "helpfulness") is None
    rate_with_keys(first, "01")

    rate_with_keys(first, "2221")
    rate_with_keys(first, "1110")
    expect(first.get_by_text("Nothing is left for you to rate")).to_be_visible()
    card = first.locator(f"[data-study='{study.public_id}']")
    expect(card.locator(".submitted")).to_have_text("4")
    expect(card.locator(".earned")).to_have_text("1.67 USD")  # the currency's decimals on pages

    second = join_and_log_in(browser, base, "Dr. Wang", "expert-wang")
    second.get_by_role("link", name="Rate the next item").click()
    for _ in range(4):
        rate_with_keys(second, "2101")
    expect(second.get_by_text("Nothing is left for you to rate")).to_be_visible()

    ratings = Rating.objects.filter(assignment__item__study=study)
    assert ratings.count() == 8
    per_item = ratings.values_list("assignment__item_id", flat=True)
    assert sorted({item: list(per_item).count(item) for item in per_item}.values()) == [2] * 4
    draft_item = ratings.get(
        assignment__annotator__user__username="expert-li", content=1, empathy=2
    )
    assert (draft_item.helpfulness, draft_item.safety) == (0, 1)
    # Active time was measured by the page and clamped by the server.
    assert all(rating.active_seconds >= 0 for rating in ratings)
    assert re.fullmatch(r"[\w-]{16}", ratings.first().assignment.item.public_id)
