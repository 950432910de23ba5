"""An admin watches an evaluation run on the results dashboard in Debian's Chromium while
a real Celery worker generates, scores and opens the study, then downloads CSVs.

The run is queued before the worker starts, so the page is sure to open on a run with
nothing answered yet and must move its bars by polling alone.
"""

from __future__ import annotations

import codecs
import csv
import io
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.urls import reverse

from reports.models import EvalRun, ResponseScore
from tests.support.browser import admin_open

pytestmark = [pytest.mark.e2e, pytest.mark.services]

PASSWORD = "a-Long-passphrase-9"
SYSTEM = "tiny-dashboard"
# Every text the progress counters show, in order: whatever the poll wrote.
RECORD_COUNTERS = """() => {
  window.seenCounters = [];
  const record = () => window.seenCounters.push(
    ["generation", "scoring"].map((name) => document.getElementById("text-" + name).textContent)
  );
  for (const name of ["generation", "scoring"]) {
    const options = { childList: true, characterData: true, subtree: true };
    new MutationObserver(record).observe(document.getElementById("text-" + name), options);
  }
}"""


def downloaded_rows(page, link_name: str) -> tuple[bytes, list[dict]]:
    with page.expect_download() as info:
        page.get_by_role("link", name=link_name).click()
    download = info.value
    data = Path(download.path()).read_bytes()
    return data, list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.django_db(transaction=True)
def test_the_dashboard_follows_a_run_on_a_worker_and_downloads_its_tables(
    browser, live_server, idle_worker, tiny_model, settings
):
    from playwright.sync_api import expect

    from demo.services import DEMO_DATASET, demo_install
    from generation.services import system_save

    settings.DEBUG = True
    demo_install()
    system_save(
        name=SYSTEM,
        fields={"kind": "hf_local", "checkpoint": str(tiny_model), "device": "cpu",
                "batch_size": 2, "decoding": {"max_new_tokens": 16}},
    )  # fmt: skip
    call_command(
        "run_eval", "--dataset", DEMO_DATASET, "--systems", SYSTEM,
        "--auto", "7", "--human", "3", "--raters", "1",
    )  # fmt: skip
    run = EvalRun.objects.get()
    get_user_model().objects.create_superuser("admin-e2e", "admin@example.org", PASSWORD)

    context = browser.new_context(accept_downloads=True)
    page = context.new_page()
    dashboard = reverse("admin:reports_evalrun_dashboard", args=[run.pk])
    admin_open(page, live_server, dashboard, username="admin-e2e", password=PASSWORD)
    expect(page.locator("#run-status")).to_have_text("generating and scoring")
    expect(page.locator("#text-generation")).to_have_text("0/7")
    expect(page.locator("#table-1")).to_contain_text(SYSTEM)
    expect(page.locator("#run-error")).to_be_hidden()
    page.evaluate(RECORD_COUNTERS)
    page.evaluate("window.openedOnce = true")

    idle_worker.start()
    expect(page.locator("#run-status")).to_have_text("rating", timeout=180_000)
    expect(page.locator("#text-generation")).to_have_text("7/7")
    expect(page.locator("#text-scoring")).to_have_text("7/7")
    assert page.evaluate("window.openedOnce") is True, "the page reloaded instead of polling"
    seen = page.evaluate("window.seenCounters")
    answered = [int(generation.split("/")[0]) for generation, _ in seen]
    assert answered == sorted(answered), seen
    assert answered[-1] == 7, seen
    assert page.locator("#bar-generation").get_attribute("value") == "100"

    data, rows = downloaded_rows(page, "Download Table 1 (CSV)")
    assert data.startswith(codecs.BOM_UTF8)
    assert [(row["dataset"], row["system"], row["samples"], row["kind"]) for row in rows] == [
        (DEMO_DATASET, SYSTEM, "7", "system"),
        (DEMO_DATASET, "random counsellor turn (floor)", "7", "floor"),
    ]
    mean_bleu_1 = (
        sum(score.bleu_1 for score in ResponseScore.objects.filter(response__system__name=SYSTEM))
        / 7
    )
    assert float(rows[0]["B-1"]) == pytest.approx(100 * mean_bleu_1, abs=0.01)

    _, responses = downloaded_rows(page, "responses with automatic scores (CSV)")
    assert len(responses) == 7
    assert {row["system"] for row in responses} == {SYSTEM}

    # A reload computes the tables afresh: the run's figures are there now.
    page.reload()
    expect(page.locator("#table-1 tbody tr")).to_have_count(2)
    expect(page.locator("#table-1 tbody tr.floor")).to_contain_text("random counsellor turn")
    bleu_1 = page.locator("#table-1 tbody tr.system td").nth(4)
    expect(bleu_1.locator(".mean")).to_have_text(f"{100 * mean_bleu_1:.2f}")
    expect(bleu_1).to_contain_text("n=7")
    # Seven metric charts, each a bar with its mean printed.
    expect(page.locator(".charts svg")).to_have_count(7)
    expect(page.locator(".charts svg").first).to_contain_text(f"{100 * mean_bleu_1:.2f}")
    # Closed here: its polls must not outlive the live server.
    context.close()
