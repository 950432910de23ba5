"""The mixed model's system differences of a run: report --differences in every format,
the dashboard's tables and CSV, and the comparison form on a CEHS scale."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.urls import reverse

from reports.selectors.comparisons import MIXED_MODEL, systems_compare
from reports.selectors.differences import run_differences
from reports.selectors.table import AFTER_EXCLUSIONS, ALL_RATINGS
from tests.support.factories import AdminFactory
from tests.support.runs import rate_all, run_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def rated():
    world = run_world(samples=8, human=8, raters=3)
    rate_all(world)
    return world


def test_each_scale_has_every_pair_with_an_interval_or_the_reason_there_is_none(rated):
    [table] = run_differences(run=rated.run, ratings=AFTER_EXCLUSIONS)
    assert [fit.dimension for fit in table.fits] == ["content", "empathy", "helpfulness", "safety"]
    assert "Holm" in table.note
    for fit in table.fits:
        assert fit.raters == 3
        if fit.problem is None:
            [pair] = fit.differences
            assert pair.low <= pair.estimate <= pair.high
            assert pair.p_holm == pytest.approx(pair.p_value)  # one pair: Holm leaves it
            assert fit.variance.residual > 0
        else:
            assert fit.differences == ()


def test_report_differences_in_json_carries_the_fit_of_every_scale(rated, capsys):
    call_command("report", str(rated.run.pk), "--differences", "--format", "json")
    [table] = json.loads(capsys.readouterr().out)
    assert table["dataset"] == rated.dataset.name
    assert len(table["dimensions"]) == 4
    fitted = [d for d in table["dimensions"] if d["problem"] is None]
    assert fitted
    assert {"item", "rater", "residual"} == set(fitted[0]["variance"])
    assert fitted[0]["differences"][0]["ci95"][0] <= fitted[0]["differences"][0]["estimate"]


def test_report_differences_as_text_latex_and_csv(rated, capsys):
    call_command("report", str(rated.run.pk), "--differences")
    text = capsys.readouterr().out
    assert "Holm p" in text
    assert "(1 | rater)" in text
    call_command("report", str(rated.run.pk), "--differences", "--format", "latex")
    latex = capsys.readouterr().out
    assert r"$p_{\mathrm{Holm}}$" in latex
    assert r"\bottomrule" in latex
    call_command("report", str(rated.run.pk), "--differences", "--format", "csv")
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert {row["dimension"] for row in rows} == {"content", "empathy", "helpfulness", "safety"}
    assert all(row["p_holm"] or row["problem"] for row in rows)


def test_the_dashboard_fetches_a_differences_table_per_scale_after_the_page(rated, client):
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:reports_evalrun_dashboard", args=[rated.run.pk]))
    html = page.content.decode()
    # The page holds the panel's place and where to fetch it: the fits take seconds.
    panel_url = reverse("admin:reports_evalrun_differences", args=[rated.run.pk])
    assert f'id="differences" aria-live="polite" data-pending="true" data-url="{panel_url}' in html
    assert "data-dimension=" not in html
    panel = client.get(panel_url, {"ratings": AFTER_EXCLUSIONS})
    assert panel.status_code == 200
    fragment = panel.content.decode()
    for dimension in ("content", "empathy", "helpfulness", "safety"):
        assert f'data-dimension="{dimension}"' in fragment
    assert "Holm-corrected" in fragment
    assert "after exclusions" in fragment
    every_rating = client.get(panel_url, {"ratings": ALL_RATINGS}).content.decode()
    assert "after exclusions" not in every_rating


def test_the_differences_panel_refuses_a_bad_view_and_answers_staff_only(rated, client):
    panel_url = reverse("admin:reports_evalrun_differences", args=[rated.run.pk])
    assert client.get(panel_url).status_code == 302  # to the admin's login
    client.force_login(AdminFactory())
    assert client.get(panel_url, {"ratings": "some"}).status_code == 400
    missing = reverse("admin:reports_evalrun_differences", args=[rated.run.pk + 1000])
    assert client.get(missing).status_code == 404


def test_comparing_on_a_cehs_scale_uses_the_mixed_model(rated):
    first, second = rated.systems
    comparison = systems_compare(
        run=rated.run, dataset=rated.dataset, first=first, second=second, metric="empathy"
    )
    assert comparison.method == MIXED_MODEL
    [table] = run_differences(run=rated.run, ratings=AFTER_EXCLUSIONS)
    fit = next(fit for fit in table.fits if fit.dimension == "empathy")
    if fit.problem:
        assert comparison.p_value is None
        assert comparison.problem == fit.problem
    else:
        [pair] = fit.differences
        sign = 1 if (pair.first, pair.second) == (first.name, second.name) else -1
        assert comparison.difference == pytest.approx(sign * pair.estimate)
        assert comparison.p_value == pytest.approx(pair.p_value)


def test_comparing_on_an_automatic_metric_is_holm_corrected_over_the_datasets_pairs(rated):
    first, second = rated.systems
    comparison = systems_compare(
        run=rated.run, dataset=rated.dataset, first=first, second=second, metric="bleu_1"
    )
    assert comparison.pairs == 1
    assert comparison.p_holm == pytest.approx(comparison.p_value)
    assert comparison.difference is None
