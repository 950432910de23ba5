"""The rating page's keys in Debian's Chromium: Enter and Space on a focused control do
what that control does, S opens the skip box, Ctrl+Enter submits from the comment, and
one focus indicator."""

from __future__ import annotations

import pytest

from annotation.models import Rating
from tests.support.browser import annotator_join
from tests.support.studies import study_world

pytestmark = pytest.mark.e2e


@pytest.fixture
def rating_page(browser, live_server):
    study_world(samples=2, systems=2, raters=2)
    page = annotator_join(browser, live_server, invitee="Dr. Zhou", username="expert-zhou",
                          password="a-Long-passphrase-9")  # fmt: skip
    page.get_by_role("link", name="Rate the next item").click()
    page.wait_for_selector("#rating[data-ready=true]")
    return page


@pytest.mark.django_db(transaction=True)
def test_enter_on_the_skip_summary_opens_the_skip_box_instead_of_submitting(rating_page):
    from playwright.sync_api import expect

    rating_page.locator("details.skip summary").focus()
    rating_page.keyboard.press("Enter")
    expect(rating_page.locator("details.skip input[name=reason]")).to_be_visible()
    expect(rating_page.locator("#draft-status")).not_to_contain_text("Choose a score")


@pytest.mark.django_db(transaction=True)
def test_s_opens_the_skip_box_with_the_reason_focused(rating_page):
    from playwright.sync_api import expect

    rating_page.keyboard.press("s")
    reason = rating_page.locator("details.skip input[name=reason]")
    expect(reason).to_be_focused()
    reason.type("我无法评判这个话题")
    rating_page.keyboard.press("Enter")
    expect(rating_page.get_by_text("Skipped.")).to_be_visible()


@pytest.mark.django_db(transaction=True)
def test_the_highlight_leaves_the_scales_with_the_focus(rating_page):
    from playwright.sync_api import expect

    expect(rating_page.locator("fieldset.scale.focused")).to_have_count(1)
    rating_page.locator("textarea[name=comment]").focus()
    expect(rating_page.locator("fieldset.scale.focused")).to_have_count(0)
    rating_page.keyboard.type("1")  # typed into the comment, not a score
    assert rating_page.locator("input[type=radio]:checked").count() == 0


@pytest.mark.django_db(transaction=True)
def test_ctrl_enter_in_the_comment_submits_the_rating(rating_page):
    from playwright.sync_api import expect

    for key in "2111":
        rating_page.keyboard.press(key)
    rating_page.locator("textarea[name=comment]").fill("很好")
    rating_page.keyboard.press("Control+Enter")
    expect(rating_page.get_by_text("Rating saved.")).to_be_visible()
    assert Rating.objects.get().comment == "很好"
