"""A pairwise study in Debian's Chromium, by the keyboard alone: ← or 1–4 choose, the
optional questions follow in order, the draft survives a reload, Enter submits, and the
next pair comes."""

from __future__ import annotations

import pytest

from annotation.models import Assignment, PairVote
from tests.support.browser import annotator_join
from tests.support.studies import study_world

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_an_expert_votes_on_pairs_with_the_keyboard(browser, live_server):
    from playwright.sync_api import expect

    study_world(samples=2, systems=2, raters=1, pairwise=True)
    page = annotator_join(browser, live_server, invitee="Dr. Lin", username="expert-lin",
                          password="a-Long-passphrase-9")  # fmt: skip
    page.get_by_role("link", name="Rate the next item").click()
    page.wait_for_selector("#rating[data-ready=true]")
    expect(page.locator(".pair .bubble")).to_have_count(2)
    # Submitting with no overall choice is held back on the page, nothing sent.
    page.keyboard.press("Enter")
    expect(page.locator("#draft-status")).to_contain_text("Choose which response is better")
    page.keyboard.press("ArrowLeft")  # overall: left
    page.keyboard.press("3")  # content: tie
    page.keyboard.press("ArrowRight")  # empathy: right
    expect(page.locator("#draft-status")).to_contain_text("Draft saved")
    draft = Assignment.objects.get().draft
    assert draft == {"overall": "left", "content": "tie", "empathy": "right", "comment": ""}
    page.reload()
    page.wait_for_selector("#rating[data-ready=true]")
    expect(page.locator("input[name=overall][value=left]")).to_be_checked()
    expect(page.locator("input[name=empathy][value=right]")).to_be_checked()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Vote saved.")).to_be_visible()
    first = PairVote.objects.get()
    assert (first.overall, first.dimensions()) == ("left", {"content": "tie", "empathy": "right"})
    # The second pair, decided with the number keys: 4 is "both bad".
    page.wait_for_selector("#rating[data-ready=true]")
    page.keyboard.press("4")
    page.keyboard.press("Enter")
    expect(page.get_by_text("Vote saved.")).to_be_visible()
    assert sorted(PairVote.objects.values_list("overall", flat=True)) == ["both_bad", "left"]
    assert Assignment.objects.filter(status="submitted").count() == 2
