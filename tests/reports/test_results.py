"""Table 1, the report formats, CSV exports and the dashboard, with its role matrix."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from reports.exports import BOM, cell_safe, csv_lines
from reports.selectors.ratings import run_agreement
from reports.selectors.results import results_table
from tests.support.factories import AdminFactory
from tests.support.runs import rate_all, run_world

pytestmark = pytest.mark.django_db

EXPORTS = [
    "table",
    "agreement",
    "differences",
    "annotators",
    "payroll",
    "ratings",
    "responses",
    "unsafe",
    "judges",
    "judge-disagreements",
    "pairwise",
    "votes",
]


@pytest.fixture
def rated(world):
    rate_all(world)
    return world


def test_table_one_has_every_metric_with_n_and_intervals(rated):
    table = results_table(run=rated.run)
    assert [column.label for column in table.columns] == [
        "B-1", "B-2", "B-3", "B-4", "R-1", "R-2", "R-L", "D-1", "D-2", "Len.",
        "Con.", "Emp.", "Hel.", "Saf.",
    ]  # fmt: skip
    assert len(table.rows) == 2
    for row in table.rows:
        assert row.samples == 6
        for key, cell in row.cells.items():
            assert cell is not None, key
            assert cell.low <= cell.mean <= cell.high
        assert row.cells["content"].n == 3  # rated items, not ratings
    assert sum(row.empty for row in table.rows) in (0, 1)
    # Every row with the top mean is marked (the drawn samples may tie the two systems).
    top = max(row.cells["bleu_1"].mean for row in table.rows)
    best = [row.system for row in table.rows if "bleu_1" in row.best]
    assert best == [row.system for row in table.rows if row.cells["bleu_1"].mean == top]
    assert [row.dimension for row in table.agreement] == [
        "content", "empathy", "helpfulness", "safety",
    ]  # fmt: skip
    # Diversity and length describe the answers: never marked best.
    assert not any({"distinct_1", "distinct_2", "length"} & row.best for row in table.rows)


def test_distinct_n_and_length_are_those_of_each_systems_answers(rated):
    from generation.models import Response
    from reports.diversity import distinct_n

    table = results_table(run=rated.run)
    for row in table.rows:
        texts = list(
            Response.objects.filter(system__name=row.system, sample__eval_samples__run=rated.run)
            .order_by("sample_id")
            .values_list("text", flat=True)
        )
        assert row.cells["distinct_1"].mean == distinct_n(texts, 1)
        assert row.cells["distinct_2"].mean == distinct_n(texts, 2)
        assert row.cells["length"].mean == sum(len(t.strip()) for t in texts) / len(texts)
        assert row.cells["length"].n == 6


def test_an_all_equal_dimension_is_reported_undefined(world):
    rate_all(world, safety=1)
    safety = next(row for row in run_agreement(run=world.run) if row.dimension == "safety")
    assert safety.kappa.value is None
    assert safety.kappa.undefined == "undefined (all ratings equal)"
    assert safety.percent_agreement == 100.0


def report_out(run_id: int, fmt: str, capsys) -> str:
    call_command("report", str(run_id), "--format", fmt)
    return capsys.readouterr().out


def test_report_json_has_the_profile_every_system_its_n_and_the_agreement(rated, capsys):
    data = json.loads(report_out(rated.run.pk, "json", capsys))
    assert data["profile"] == "soulchat"
    assert {row["system"] for row in data["rows"]} == {system.name for system in rated.systems}
    assert data["rows"][0]["cells"]["bleu_1"]["n"] == 6
    assert len(data["agreement"]) == 4


def test_report_latex_is_a_booktabs_table_with_the_best_in_bold(rated, capsys):
    out = report_out(rated.run.pk, "latex", capsys)
    assert r"\toprule" in out
    assert r"\bottomrule" in out
    assert r"\textbf{" in out
    assert "B-1 & B-2" in out
    assert "Con. & Emp. & Hel. & Saf." in out


def test_report_csv_has_a_row_per_system_then_the_datasets_floor(rated, capsys):
    rows = list(csv.reader(io.StringIO(report_out(rated.run.pk, "csv", capsys))))
    assert rows[0][:3] == ["profile", "dataset", "system"]
    # Two systems, then the dataset's floor.
    assert len(rows) == 4
    assert [row[-1] for row in rows[1:]] == ["system", "system", "floor"]


def test_report_table_names_the_profile_and_every_system_with_kappa(rated, capsys):
    out = report_out(rated.run.pk, "table", capsys)
    assert "profile soulchat" in out
    assert "Fleiss" not in out
    assert all(system.name in out for system in rated.systems)
    assert "κ" in out


def test_report_sacrebleu_profile_and_unknown_run(rated, capsys):
    call_command("report", str(rated.run.pk), "--profile", "sacrebleu", "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["profile"] == "sacrebleu"
    assert data["rows"][0]["cells"]["sacrebleu_bleu"]["n"] == 6
    with pytest.raises(CommandError, match="no evaluation run 999"):
        call_command("report", "999")


def test_csv_cells_that_could_run_as_formulas_are_neutralised():
    for dangerous in ["=1+1", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx"]:
        assert cell_safe(dangerous) == "'" + dangerous
    assert cell_safe(-3) == -3
    assert cell_safe("你好") == "你好"
    text = "".join(csv_lines([["a", "=cmd"], ["你好", 1]]))
    assert text.startswith(BOM)
    assert "'=cmd" in text


def _download(client, run, kind) -> str:
    response = client.get(reverse("admin:reports_evalrun_export", args=[run.pk, kind]))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    return b"".join(response.streaming_content).decode("utf-8")


def test_every_export_streams_csv_with_a_bom_and_neutralised_cells(rated, client):
    client.force_login(AdminFactory())
    texts = {kind: _download(client, rated.run, kind) for kind in EXPORTS}
    for kind, text in texts.items():
        assert text.startswith(BOM), kind
    ratings = list(csv.reader(io.StringIO(texts["ratings"].lstrip(BOM))))
    assert ratings[0][:9] == [
        "item", "dataset", "sample", "system", "annotator",
        "content", "empathy", "helpfulness", "safety",
    ]  # fmt: skip
    assert len(ratings) == 1 + 6 * 2
    assert "'=cmd|' /C calc'!A0" in texts["ratings"]
    responses = list(csv.reader(io.StringIO(texts["responses"].lstrip(BOM))))
    assert len(responses) == 1 + 12
    assert any(row[4].startswith("'=HYPERLINK") for row in responses[1:])
    payroll = list(csv.reader(io.StringIO(texts["payroll"].lstrip(BOM))))
    assert payroll[0] == ["annotator", "items", "active_hours", "amount", "currency"]
    assert payroll[1][3] == "2.508"
    assert payroll[1][4] == "USD"
    assert "unreviewed" in texts["unsafe"]
    assert len(texts["unsafe"].splitlines()) >= 2


def _urls(run) -> list[str]:
    return [
        reverse("admin:reports_evalrun_dashboard", args=[run.pk]),
        reverse("admin:reports_evalrun_progress", args=[run.pk]),
        reverse("admin:reports_evalrun_changelist"),
    ] + [reverse("admin:reports_evalrun_export", args=[run.pk, kind]) for kind in EXPORTS]


def test_dashboard_and_exports_are_staff_only(rated, client):
    """Role matrix: admin 200; the run's annotators, another annotator and anonymous are
    sent to the admin login and see nothing."""
    for url in _urls(rated.run):
        client.logout()
        response = client.get(url)
        assert response.status_code == 302, url
        assert "/admin/login/" in response["Location"], url
        for annotator in rated.annotators:
            client.force_login(annotator.user)
            response = client.get(url)
            assert response.status_code == 302, url
            assert "/admin/login/" in response["Location"], url
        client.force_login(AdminFactory())
        assert client.get(url).status_code == 200, url


def test_the_dashboard_shows_table_agreement_annotators_and_charts(rated, client):
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:reports_evalrun_dashboard", args=[rated.run.pk]))
    html = page.content.decode()
    assert 'id="table-1"' in html
    assert "B-1" in html
    assert "Saf." in html
    assert "Fleiss" in html
    assert "Krippendorff" in html
    assert rated.annotators[0].user.username in html
    assert "<svg" in html
    assert 'id="unsafe"' in html
    assert "None so far." not in html
    first, second = (system.name for system in rated.systems)
    compared = client.get(
        reverse("admin:reports_evalrun_dashboard", args=[rated.run.pk]),
        {"dataset": rated.dataset.name, "first": first, "second": second, "metric": "bleu_1"},
    )
    assert "p = " in compared.content.decode()
    progress = client.get(reverse("admin:reports_evalrun_progress", args=[rated.run.pk])).json()
    assert progress["ratings"] == 12
    assert progress["scoring"] == 100.0


def test_annotator_pages_never_link_to_results(rated, client):
    annotator = rated.annotators[0]
    client.force_login(annotator.user)
    for url in ["/", "/portal/"]:
        html = client.get(url, follow=True).content.decode()
        assert "/admin/reports" not in html
        assert "export" not in html.lower()


def test_bad_dashboard_requests_get_a_clear_answer(rated, client):
    client.force_login(AdminFactory())
    url = reverse("admin:reports_evalrun_dashboard", args=[rated.run.pk])
    first, second = (system.name for system in rated.systems)
    asks = [
        ({"first": "ghost", "second": second}, "choose a dataset and two systems of this run"),
        ({"first": first, "second": first}, "choose two different systems"),
        ({"first": first, "second": second, "metric": "bleu_9"}, "unknown metric"),
    ]
    for changes, message in asks:
        query = {"dataset": rated.dataset.name, "metric": "bleu_1", **changes}
        page = client.get(url, query)
        assert page.status_code == 200
        assert message in page.content.decode()
        assert "p = " not in page.content.decode()
    unknown = reverse("admin:reports_evalrun_export", args=[rated.run.pk, "secrets"])
    assert client.get(unknown).status_code == 404
    assert client.get(reverse("admin:reports_evalrun_dashboard", args=[999])).status_code == 404
    assert client.get(reverse("admin:reports_evalrun_progress", args=[999])).status_code == 404


def test_the_comparison_panel_answers_bad_requests_in_place_with_the_reason(rated, client):
    client.force_login(AdminFactory())
    url = reverse("admin:reports_evalrun_compare", args=[rated.run.pk])
    first, second = (system.name for system in rated.systems)
    asks = [
        ({}, "choose a dataset, two systems and a metric"),
        ({"dataset": rated.dataset.name, "first": "ghost", "second": second, "metric": "bleu_1"},
         "choose a dataset and two systems of this run"),
        ({"dataset": rated.dataset.name, "first": first, "second": first, "metric": "bleu_1"},
         "compared with itself"),
        ({"dataset": rated.dataset.name, "first": first, "second": second, "metric": "bleu_9"},
         "unknown metric"),
    ]  # fmt: skip
    for query, message in asks:
        panel = client.get(url, query)
        assert panel.status_code == 400, query
        assert message in panel.content.decode()
    assert client.get(url, {"ratings": "some"}).status_code == 400  # not a ratings view
    good = {"dataset": rated.dataset.name, "first": first, "second": second, "metric": "bleu_1"}
    assert 'id="comparison"' in client.get(url, good).content.decode()
    assert client.get(reverse("admin:reports_evalrun_compare", args=[999])).status_code == 404


def test_a_run_study_is_blind_to_its_annotators(world, client):
    """The portal, the item page it leads to and the rating API name no system, dataset,
    run or study name of the run that made the study."""
    annotator = world.annotators[0]
    client.force_login(annotator.user)
    portal = client.get("/portal/").content.decode()
    item_page = client.get(
        reverse("annotation:next", args=[world.run.study.public_id]), follow=True
    )
    seen = (
        portal + item_page.content.decode() + " ".join(url for url, _ in item_page.redirect_chain)
    )
    forbidden = [system.name for system in world.systems]
    forbidden += [world.dataset.name, world.run.study.name, world.run.signature, "eval-run"]
    for secret in forbidden:
        assert secret not in seen, secret
    assert "item" in item_page.redirect_chain[-1][0]


def test_report_prints_every_export_the_dashboard_offers(capsys, client):
    from reports.selectors.exports import EXPORT_KINDS

    world = run_world()
    rate_all(world)
    assert list(EXPORT_KINDS) == EXPORTS
    client.force_login(AdminFactory())
    for kind in EXPORTS:
        call_command("report", str(world.run.pk), "--export", kind)
        printed = capsys.readouterr().out
        downloaded = _download(client, world.run, kind).lstrip("\ufeff")
        assert printed.splitlines()[0] == downloaded.splitlines()[0], kind
        assert len(printed.splitlines()) == len(downloaded.splitlines()), kind
