"""An admin acts on rater quality and identity leaks in Debian's Chromium: the dashboard
highlights the hurried demo rater, the admin leaves them out from its link and lands back
on a Table 1 and κ that say so; on the study page they see the same rater flagged; on
the identity screening page they mask one leaking response and leave the other out."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from annotation.models import Item, RaterExclusion
from generation.models import Sample
from reports.models import EvalRun
from tests.support.browser import admin_open

pytestmark = [pytest.mark.e2e]

PASSWORD = "a-Long-passphrase-9"


@pytest.mark.django_db(transaction=True)
def test_an_admin_leaves_a_hurried_rater_out_and_decides_on_held_responses(
    browser, live_server, settings, tmp_path
):
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
    get_user_model().objects.create_superuser("admin-e2e", "admin@example.org", PASSWORD)

    context = browser.new_context()
    page = context.new_page()
    dashboard = reverse("admin:reports_evalrun_dashboard", args=[run.pk])
    admin_open(page, live_server, dashboard, username="admin-e2e", password=PASSWORD)

    hurried = page.locator("#annotators tbody tr", has_text="annotator4")
    expect(hurried).to_have_class(re.compile(r"\bflagged\b"))
    expect(hurried.locator("td.flags")).to_contain_text("of ratings under 20 s")
    careful = page.locator("#annotators tbody tr", has_text="annotator2")
    # Its simulated scores are seeded by item ids, which differ between test databases.
    expect(careful.locator("td.flags")).not_to_contain_text("under 20 s")
    expect(page.locator("#ratings-view")).to_contain_text("No rating is left out")
    expect(page.locator("#table-1 tbody tr.reference")).to_contain_text("(human ceiling)")
    kappa_before = page.locator("#agreement tbody tr").first.inner_text()

    hurried.get_by_role("link", name="leave out…").click()
    expect(page.locator("select[name=annotator] option:checked")).to_contain_text("annotator4")
    page.fill("textarea[name=reason]", "rated in a hurry")
    page.click("input[name=_save]")
    # Back on the dashboard, whose figures now read the ratings left in.
    expect(page).to_have_url(re.compile(re.escape(dashboard)))
    expect(page.locator("#exclusions-note")).to_contain_text("annotator4 (rated in a hurry)")
    expect(hurried).to_contain_text("left out")
    assert page.locator("#agreement tbody tr").first.inner_text() != kappa_before
    exclusion = RaterExclusion.objects.get()
    assert exclusion.created_by.username == "admin-e2e"
    page.get_by_role("link", name="Show all ratings").click()
    expect(page.locator("#ratings-view")).to_contain_text("all ratings")
    assert page.locator("#agreement tbody tr").first.inner_text() == kappa_before

    page.goto(f"{live_server.url}{reverse('admin:annotation_study_change', args=[run.study_id])}")
    quality = page.locator("table.rater-quality tbody tr", has_text="annotator4")
    expect(quality).to_have_class(re.compile(r"\bflagged\b"))
    expect(quality).to_contain_text("left out: rated in a hurry")
    expect(page.locator(".field-identity_screening")).to_contain_text("2 awaiting a decision")

    page.get_by_role("link", name="Review").click()
    held = page.locator("section.held")
    expect(held).to_have_count(2)
    expect(held.locator("mark")).to_have_count(2)
    first = held.nth(0)
    leaked = first.locator("mark").inner_text()
    first.get_by_role("button", name="Mask the match").click()
    seen = page.locator("section.held").nth(0).locator("p", has_text="Annotators see:")
    expect(seen).to_contain_text("［…］")
    expect(seen).not_to_contain_text(leaked)
    second = page.locator("section.held").nth(1)
    second.get_by_role("button", name="Leave the item out").click()
    expect(page.locator("body")).to_contain_text("0 awaiting a decision, 1 masked")
    expect(page.locator("section.held form")).to_have_count(0)
    decided = dict(
        Item.objects.filter(study=run.study)
        .exclude(identity_matches=[])
        .values_list("screening", "screened_by__username")
    )
    assert decided == {"masked": "admin-e2e", "excluded": "admin-e2e"}
    context.close()
