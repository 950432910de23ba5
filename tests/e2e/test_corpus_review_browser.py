"""A staff member reviews a corpus build in Debian's Chromium: the dialogues set aside
for crisis and privacy markers, the markers visibly highlighted, a decision each, and
the statistics page with its charts."""

from __future__ import annotations

import os

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from corpus.models import CorpusRewrite
from corpus.services import CorpusRequest, corpus_build_create, corpus_build_run
from generation.models import Sample
from tests.support.browser import admin_open
from tests.support.rewriter import qa_line, write_input

pytestmark = [pytest.mark.e2e, pytest.mark.services]

PASSWORD = "a-Long-passphrase-9"


@pytest.mark.django_db(transaction=True)
def test_a_reviewer_decides_on_the_flagged_dialogues_in_the_browser(
    browser, live_server, server, rewriter, tmp_path
):
    from playwright.sync_api import expect

    lines = [qa_line("q1", "good~1"), qa_line("q2", "crisis~2", topic="家庭"),
             qa_line("q3", "phone~3"), qa_line("q4", "short~4")]  # fmt: skip
    request = CorpusRequest(path=write_input(tmp_path, lines), rewriter=rewriter, prompt="empathy",
                            name="reviewed")  # fmt: skip
    build = corpus_build_run(build_id=corpus_build_create(request=request, enqueue=False).pk)
    get_user_model().objects.create_superuser("staff-e2e", "staff@example.org", PASSWORD)

    page = browser.new_context().new_page()
    review = reverse("admin:corpus_corpusbuild_review", args=[build.pk])
    admin_open(page, live_server, review, username="staff-e2e", password=PASSWORD)

    crisis = build.rewrites.get(source_id="q2#1")
    phone = build.rewrites.get(source_id="q3#1")
    section = page.locator(f"#rewrite-{crisis.pk}")
    expect(section.locator("mark")).to_have_count(2)
    expect(section.locator("mark").first).to_have_text("跳楼")
    background = section.locator("mark").first.evaluate("m => getComputedStyle(m).backgroundColor")
    assert background == "rgb(255, 213, 79)"  # the highlight is visible, not only markup
    expect(page.locator(f"#rewrite-{phone.pk} mark")).to_have_text("13812345678")
    if os.environ.get("SOULEVAL_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['SOULEVAL_SCREENSHOTS']}/corpus-review.png",
                        full_page=True)  # fmt: skip

    section.get_by_role("textbox", name="note").fill("a figure of speech")
    section.get_by_role("button", name="Accept into the corpus").click()
    expect(page.locator(".messagelist")).to_contain_text("Review of q2#1: accepted")
    expect(page.locator(f"#rewrite-{crisis.pk}")).to_have_count(0)
    page.locator(f"#rewrite-{phone.pk}").get_by_role("button", name="Reject").click()
    expect(page.locator(".messagelist")).to_contain_text("Review of q3#1: rejected in review")
    expect(page.locator("#review-empty")).to_be_visible()

    assert CorpusRewrite.objects.get(pk=crisis.pk).review_note == "a figure of speech"
    assert set(Sample.objects.filter(dataset__name="reviewed").values_list(
        "dialogue_id", flat=True)) == {"q1#1", "q2#1"}  # fmt: skip

    page.get_by_role("link", name="Statistics").click()
    counts = page.locator("#corpus-counts")
    expect(counts.locator("tr", has_text="accepted in review")).to_contain_text("1")
    expect(counts.locator("tr", has_text="rejected in review")).to_contain_text("1")
    expect(page.locator(".corpus-charts svg")).to_have_count(4)
    if os.environ.get("SOULEVAL_SCREENSHOTS"):
        page.screenshot(path=f"{os.environ['SOULEVAL_SCREENSHOTS']}/corpus-statistics.png",
                        full_page=True)  # fmt: skip
    page.context.close()
