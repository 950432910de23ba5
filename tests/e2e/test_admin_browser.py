"""An admin's own pages in Debian's Chromium: an invitation e-mailed and its link copied
with one click, a gold item with blank expected scores refused with one message per
field and nothing "added", and the study page's buttons taking a study to open. The
screenshot goes to var/test-artifacts/admin-invitation.png."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core import mail
from django.urls import reverse

from annotation.models import Invitation, Item, Study
from tests.support.browser import admin_open
from tests.support.paths import REPO_ROOT
from tests.support.studies import study_world

ARTIFACTS = REPO_ROOT / "var" / "test-artifacts"
PASSWORD = "a-Long-passphrase-9"

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_an_admin_invites_adds_a_gold_item_and_opens_a_study(browser, live_server, settings):
    from playwright.sync_api import expect

    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    world = study_world(samples=1, systems=2, raters=1, open_it=False)
    get_user_model().objects.create_superuser("admin-e2e", "admin@example.org", PASSWORD)
    context = browser.new_context(
        viewport={"width": 1400, "height": 900}, permissions=["clipboard-read", "clipboard-write"]
    )
    page = context.new_page()
    admin_open(
        page, live_server, reverse("admin:annotation_invitation_add"),
        username="admin-e2e", password=PASSWORD,
    )  # fmt: skip
    page.fill("input[name=invitee]", "Dr. Fang")
    page.fill("input[name=email]", "fang@example.org")
    page.click("input[name=_save]")
    expect(page.locator(".messagelist")).to_contain_text("e-mailed to fang@example.org")
    link = page.locator("input.invitation-link").input_value()
    assert "/invitations/" in link
    assert [message.to for message in mail.outbox] == [["fang@example.org"]]
    assert link in mail.outbox[0].body
    page.get_by_role("button", name="Copy link").click()
    expect(page.get_by_role("button", name="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == link
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "admin-invitation.png"))
    assert Invitation.objects.get().email == "fang@example.org"

    page.goto(f"{live_server.url}{reverse('admin:annotation_item_add')}")
    page.select_option("select[name=study]", str(world.study.pk))
    page.fill("input[name=response]", str(world.responses[0].pk))
    page.click("input[name=_save]")
    expect(page.locator(".errornote")).to_be_visible()
    expect(page.locator("ul.errorlist")).to_have_count(4)
    expect(page.locator(".messagelist .success")).to_have_count(0)
    assert not Item.objects.filter(is_gold=True).exists()
    # The same response, with its expected scores: the study's item becomes gold.
    for scale, score in (("content", 2), ("empathy", 1), ("helpfulness", 1), ("safety", 1)):
        page.fill(f"input[name=expected_{scale}]", str(score))
    page.click("input[name=_save]")
    expect(page.locator(".messagelist .success")).to_have_count(1)
    gold = Item.objects.get(is_gold=True)
    assert gold.response_id == world.responses[0].pk
    assert Item.objects.filter(study=world.study).count() == 2

    page.goto(f"{live_server.url}{reverse('admin:annotation_study_change', args=[world.study.pk])}")
    page.get_by_role("button", name="Open").click()
    expect(page.locator(".messagelist")).to_contain_text("open")
    assert Study.objects.get(pk=world.study.pk).status == "open"
    context.close()
