"""Gwet's AC1 and AC2 wherever κ is shown: the dashboard (with the line on which to
read), report's formats, the agreement CSV and the agreement command."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import call_command
from django.urls import reverse

from reports.selectors.ratings import run_agreement
from tests.support.factories import AdminFactory
from tests.support.runs import rate_all

pytestmark = pytest.mark.django_db


@pytest.fixture
def rated(world):
    rate_all(world)  # Safety: 1 but for one rating
    return world


def test_the_dashboard_shows_ac1_beside_kappa_and_says_which_to_read(rated, client):
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:reports_evalrun_dashboard", args=[rated.run.pk]))
    html = page.content.decode()
    assert "Gwet's AC1" in html
    assert "AC2 ordinal" in html
    assert 'id="which-coefficient"' in html
    safety = next(row for row in run_agreement(run=rated.run) if row.dimension == "safety")
    assert f"{safety.ac1.value:.3f}" in html
    # Safety's majority holds most ratings: its row is the one marked.
    assert 'class="high-prevalence"' in html


def test_report_json_carries_ac1_ac2_observed_agreement_and_prevalence(rated, capsys):
    call_command("report", str(rated.run.pk), "--format", "json")
    safety = json.loads(capsys.readouterr().out)["agreement"][3]
    assert safety["dimension"] == "safety"
    assert safety["gwet_ac1"]["value"] is not None
    assert safety["gwet_ac2_ordinal"]["value"] == safety["gwet_ac1"]["value"]  # two points
    assert safety["majority_category"] == 1
    assert 50 < safety["majority_prevalence"] <= 100
    assert 0 <= safety["observed_agreement"] <= 100


def test_report_text_and_latex_name_ac1(rated, capsys):
    call_command("report", str(rated.run.pk), "--format", "table")
    assert "AC1 " in capsys.readouterr().out
    call_command("report", str(rated.run.pk), "--format", "latex")
    assert "AC1 = " in capsys.readouterr().out


def test_the_agreement_csv_has_ac1_and_ac2_columns(rated, client):
    client.force_login(AdminFactory())
    response = client.get(reverse("admin:reports_evalrun_export", args=[rated.run.pk, "agreement"]))
    rows = list(
        csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig")))
    )
    assert {"gwet_ac1", "ac1_ci_low", "gwet_ac2_ordinal", "majority_prevalence"} <= set(rows[0])
    assert rows[3]["majority_category"] == "1"


def test_the_agreement_command_prints_ac1_with_prevalence(tmp_path, capsys):
    source = tmp_path / "ratings.csv"
    lines = ["item,rater,dimension,score"]
    lines += [
        f"i{item},r{rater},safety,{0 if (item, rater) == (3, 0) else 1}"
        for item in range(10)
        for rater in range(3)
    ]
    source.write_text("\n".join(lines), "utf-8")
    call_command("agreement", str(source))
    out = capsys.readouterr().out
    assert "AC1 " in out
    assert "96.7% of ratings are 1" in out
