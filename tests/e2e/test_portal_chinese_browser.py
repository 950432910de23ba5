"""A Chinese expert's portal in Debian's Chromium: the browser's language chosen by
default, the rating page in Chinese with its script's messages, at a desktop and a phone
width, and the footer's switch to English. Screenshots go to var/test-artifacts/."""

from __future__ import annotations

import pytest

from annotation.services import invitation_create
from tests.support.paths import REPO_ROOT
from tests.support.studies import study_world

ARTIFACTS = REPO_ROOT / "var" / "test-artifacts"
PASSWORD = "a-Long-passphrase-9"

pytestmark = pytest.mark.e2e


@pytest.mark.django_db(transaction=True)
def test_a_chinese_expert_rates_in_chinese_and_can_switch_to_english(browser, live_server):
    from playwright.sync_api import expect

    study_world(samples=2, systems=2, raters=2)
    issued = invitation_create(invitee="李医生", created_by=None)
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    context = browser.new_context(locale="zh-CN", viewport={"width": 1400, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}/invitations/{issued.token}/")
    expect(page.get_by_role("heading", name="以标注员身份加入")).to_be_visible()
    assert page.get_attribute("html", "lang") == "zh-hans"
    page.fill("input[name=username]", "expert-li")
    page.fill("input[name=password]", PASSWORD)
    page.fill("input[name=password2]", PASSWORD)
    page.get_by_role("button", name="创建账号").click()
    expect(page.get_by_role("heading", name="我的研究")).to_be_visible()
    expect(page.get_by_text("欢迎！您的标注员账号已创建。")).to_be_visible()

    page.get_by_role("link", name="评下一条").click()
    expect(page.get_by_role("button", name="提交评分")).to_be_visible()
    page.wait_for_selector("#rating[data-ready=true]")
    page.keyboard.press("1")
    expect(page.locator("#draft-status")).to_contain_text("草稿已保存")
    page.screenshot(path=str(ARTIFACTS / "rating-page-zh-1400.png"), full_page=False)
    page.set_viewport_size({"width": 390, "height": 844})
    page.screenshot(path=str(ARTIFACTS / "rating-page-zh-390.png"), full_page=True)

    page.set_viewport_size({"width": 1400, "height": 900})
    page.get_by_role("button", name="English").click()
    assert page.get_attribute("html", "lang") == "en"
    expect(page.get_by_role("button", name="Submit rating")).to_be_visible()
    page.goto(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", name="My studies")).to_be_visible()
    context.close()
