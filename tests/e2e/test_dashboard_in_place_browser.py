"""The results dashboard as a researcher uses it in Debian's Chromium: its own full-width
page, intervals on one line, the planner's default answer arriving after the page, and
comparisons answered in place (no reload, the choices kept, the address following
them), with the reason when two selections cannot be compared. The screenshot goes to
var/test-artifacts/dashboard-1400.png."""

from __future__ import annotations

from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from generation.models import Sample
from reports.models import EvalRun
from tests.support.browser import admin_open
from tests.support.paths import REPO_ROOT

ARTIFACTS = REPO_ROOT / "var" / "test-artifacts"
PASSWORD = "a-Long-passphrase-9"

pytestmark = [pytest.mark.e2e]


@pytest.mark.django_db(transaction=True)
def test_comparisons_answer_in_place_and_keep_the_choices(browser, live_server, settings, tmp_path):
    from playwright.sync_api import expect

    from demo.services import DEMO_DATASET, demo_install, demo_ratings_simulate

    settings.DEBUG = True
    settings.VAR_DIR = tmp_path
    demo_install()
    tests = Sample.objects.filter(dataset__name=DEMO_DATASET, split="test").count()
    call_command(
        "run_eval", "--dataset", DEMO_DATASET, "--systems", "demo-canned", "--with-reference",
        "--auto", str(tests), "--human", str(tests), "--raters", "3",
        stdout=StringIO(), stderr=StringIO(),
    )  # fmt: skip
    demo_ratings_simulate()
    run = EvalRun.objects.get()
    reference = run.systems.exclude(name="demo-canned").get().name
    get_user_model().objects.create_superuser("admin-e2e", "admin@example.org", PASSWORD)

    context = browser.new_context(viewport={"width": 1400, "height": 900})
    page = context.new_page()
    dashboard = reverse("admin:reports_evalrun_dashboard", args=[run.pk])
    admin_open(page, live_server, dashboard, username="admin-e2e", password=PASSWORD)
    page.wait_for_selector("#dashboard[data-ready=true]")
    expect(page.locator("#nav-sidebar")).to_have_count(0)
    # The planner's default answer and the mixed models' differences come after the page.
    expect(page.locator("#plan-panel #plan")).to_be_visible(timeout=30_000)
    expect(page.locator("#differences table.differences")).to_have_count(4, timeout=30_000)
    expect(page.locator("#differences-loading")).to_have_count(0)
    # An interval sits on one line below its mean.
    interval = page.locator("#table-1 tbody tr.system td small").first
    assert interval.bounding_box()["height"] < 20, interval.bounding_box()
    page.evaluate("window.notReloaded = true")

    form = page.locator("#compare")
    form.locator("select[name=first]").select_option("demo-canned")
    form.locator("select[name=second]").select_option("demo-canned")
    form.locator("select[name=metric]").select_option("empathy")
    form.get_by_role("button", name="Compare").click()
    expect(page.locator("#comparison-error")).to_contain_text("compared with itself")
    # Where the click left the page (Playwright scrolls the button into view): an answer
    # in place keeps it there, where a reload would go back to the top.
    scrolled = page.evaluate("window.scrollY")
    assert scrolled > 0
    assert page.evaluate("window.notReloaded") is True, "the page reloaded on an error"

    form.locator("select[name=second]").select_option(reference)
    form.get_by_role("button", name="Compare").click()
    expect(page.locator("#comparison")).to_contain_text(reference)
    expect(page.locator("#comparison-error")).to_have_count(0)
    assert page.evaluate("window.notReloaded") is True, "the page reloaded"
    assert page.evaluate("window.scrollY") == scrolled
    assert form.locator("select[name=metric]").input_value() == "empathy"
    assert "metric=empathy" in page.url
    assert f"second={reference}" in page.url

    # The address holds the choices: a reload shows the same comparison and dropdowns.
    page.reload()
    page.wait_for_selector("#dashboard[data-ready=true]")
    expect(page.locator("#comparison")).to_contain_text(reference)
    assert page.locator("#compare select[name=metric]").input_value() == "empathy"
    assert page.locator("#compare select[name=second]").input_value() == reference
    expect(page.locator("#plan-panel #plan")).to_be_visible(timeout=30_000)
    # The page fits the window: its sections scroll their wide tables themselves.
    assert page.evaluate("document.documentElement.scrollWidth") <= 1400
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-1400.png"), full_page=True)
    context.close()
