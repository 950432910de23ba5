"""An expert's own work in Debian's Chromium: the study's instructions before the first
item, "item 1 of N" and the lease's time left, a submit, My ratings, a revision that
replaces the rating, the done state's single message, and the pages in dark mode.
Screenshots go to var/test-artifacts/."""

from __future__ import annotations

import re

import pytest

from annotation.models import Rating, RatingRevision
from annotation.services import study_update
from tests.support.browser import annotator_join
from tests.support.paths import REPO_ROOT
from tests.support.studies import study_world

ARTIFACTS = REPO_ROOT / "var" / "test-artifacts"
PASSWORD = "a-Long-passphrase-9"

pytestmark = pytest.mark.e2e


def rate(page, keys: str) -> None:
    page.wait_for_selector("#rating[data-ready=true]")
    for key in keys:
        page.keyboard.press(key)
    page.keyboard.press("Control+Enter")


@pytest.mark.django_db(transaction=True)
def test_an_expert_reads_the_instructions_rates_and_revises_a_rating(browser, live_server):
    from playwright.sync_api import expect

    world = study_world(samples=1, systems=2, raters=1)
    study_update(study=world.study, fields={"instructions": "请独立评分。\nRate on your own."})
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = annotator_join(
        browser, live_server, invitee="Dr. Zhou", username="zhou", password=PASSWORD
    )
    page.get_by_role("link", name="Rate the next item").click()
    expect(page.get_by_role("heading", name="Instructions")).to_be_visible()
    expect(page.locator(".instructions-text")).to_contain_text("Rate on your own.")
    page.get_by_role("link", name="Start rating").click()

    expect(page.locator(".progress-count")).to_have_text("Item 1 of 2")
    expect(page.locator("#lease-left")).to_have_text(re.compile(r"^(29|30) min left on this item$"))
    expect(page.get_by_role("link", name="Instructions")).to_be_visible()
    rate(page, "2111")
    expect(page.locator(".message")).to_have_text("Rating saved.")
    expect(page.locator(".progress-count")).to_have_text("Item 2 of 2")
    rate(page, "0101")

    # Done: one message, the badge, and the card's own line.
    expect(page.locator(".message")).to_have_count(1)
    expect(page.locator(".status-completed")).to_have_text("completed")
    expect(page.locator(".study-card .done")).to_contain_text("Nothing is left for you")
    page.get_by_role("link", name="My ratings").click()
    rows = page.locator("table.my-ratings tbody tr")
    expect(rows).to_have_count(2)
    page.screenshot(path=str(ARTIFACTS / "my-ratings-1400.png"), full_page=True)

    first = rows.first
    item_id = first.get_attribute("data-item")
    before = Rating.objects.get(assignment__item__public_id=item_id)
    first.get_by_role("link", name="Revise").click()
    expect(page.locator(".progress-count")).to_have_text("Revising your rating")
    expect(page.locator(f"input[name=content][value='{before.content}']")).to_be_checked()
    page.wait_for_selector("#rating[data-ready=true]")
    page.locator("fieldset[data-scale=content] label.anchor").first.click()  # score 0
    page.get_by_role("button", name="Submit revision").click()
    expect(page.locator(".message")).to_have_text("Rating revised.")
    expect(page.locator(f"tr[data-item='{item_id}'] td.when")).to_contain_text("revised")
    assert Rating.objects.get(pk=before.pk).content == 0
    assert RatingRevision.objects.get(rating=before).content == before.content
    assert Rating.objects.filter(assignment__annotator__user__username="zhou").count() == 2
    page.context.close()


@pytest.mark.django_db(transaction=True)
def test_the_portal_follows_the_systems_dark_mode(browser, live_server):
    from playwright.sync_api import expect

    study_world(samples=1, systems=1, raters=1)
    page = annotator_join(browser, live_server, invitee="Dr. Wu", username="wu", password=PASSWORD)
    page.emulate_media(color_scheme="dark")
    page.get_by_role("link", name="Rate the next item").click()
    page.wait_for_selector("#rating[data-ready=true]")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(20, 24, 31)", background
    expect(page.locator(".under-review")).to_be_visible()
    page.screenshot(path=str(ARTIFACTS / "rating-page-dark-1400.png"), full_page=False)
    page.emulate_media(color_scheme="light")
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") in (
        "rgba(0, 0, 0, 0)", "rgb(255, 255, 255)",
    )  # fmt: skip
    page.context.close()
