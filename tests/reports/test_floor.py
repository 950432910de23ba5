"""The floor row: every drawn sample answered by a real counsellor turn from another
dialogue of the same dataset, scored as a response would be, in every format, never best."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command
from django.test import TestCase
from django.urls import reverse

from reports.metrics import METRIC_KEYS, SACREBLEU_KEY, score_pairs
from reports.models import EvalSample, FloorScore
from reports.selectors.results import results_table
from reports.services import RunRequest, eval_run_start
from reports.services.floor import floor_donors_draw
from tests.support.factories import AdminFactory
from tests.support.runs import run_world

pytestmark = pytest.mark.django_db


def test_the_donor_is_always_another_dialogue_and_the_draw_is_seeded():
    donors = [(n, f"d{n // 3}") for n in range(30)]  # ten dialogues of three turns
    drawn = [(n, f"d{n // 3}") for n in range(0, 30, 2)]
    picks = floor_donors_draw(drawn, donors, seed="0:floor:x")
    assert set(picks) == {sample for sample, _ in drawn}
    dialogue = dict(donors)
    assert all(dialogue[donor] != dialogue[sample] for sample, donor in picks.items())
    assert floor_donors_draw(drawn, donors, seed="0:floor:x") == picks
    assert floor_donors_draw(drawn, donors, seed="1:floor:x") != picks
    # One dialogue only: there is no other turn to draw, so no floor (not a made-up one).
    assert floor_donors_draw([(1, "d")], [(1, "d"), (2, "d")], seed="0") == {}


def test_run_eval_scores_the_floor_once_and_table_one_shows_it_never_best():
    world = run_world(samples=6, human=3, raters=2)
    run = world.run
    floors = list(FloorScore.objects.filter(run=run).select_related("sample", "donor"))
    assert {floor.sample_id for floor in floors} == set(
        EvalSample.objects.filter(run=run).values_list("sample_id", flat=True)
    )
    for floor in floors:
        assert floor.donor.dataset_id == floor.sample.dataset_id == world.dataset.pk
        assert floor.donor.dialogue_id != floor.sample.dialogue_id
    expected = score_pairs([(floor.donor.reference, floor.sample.reference) for floor in floors])
    for floor, values in zip(floors, expected, strict=True):
        assert [getattr(floor, key) for key in METRIC_KEYS] == pytest.approx(values, abs=1e-12)

    # The same command again stores nothing more.
    with TestCase.captureOnCommitCallbacks(execute=True):
        eval_run_start(
            request=RunRequest(
                datasets=[world.dataset], systems=world.systems, auto_samples=6,
                human_samples=3, raters_per_item=2,
            )
        )  # fmt: skip
    assert FloorScore.objects.filter(run=run).count() == len(floors)

    table = results_table(run=run)
    [row] = table.floors
    assert (row.kind, row.system, row.samples) == ("floor", "random counsellor turn (floor)", 6)
    means = {key: sum(getattr(f, key) for f in floors) / len(floors) * 100 for key in METRIC_KEYS}
    assert {key: row.cells[key].mean for key in METRIC_KEYS} == pytest.approx(means)
    assert row.cells["content"] is None
    assert row.best == set()
    assert [r.kind for r in table.ordered_rows()] == ["system", "system", "floor"]


def test_every_format_carries_the_floor(capsys, client):
    run = run_world().run
    call_command("report", str(run.pk))
    assert "random counsellor turn (floor)" in capsys.readouterr().out
    call_command("report", str(run.pk), "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert [row["kind"] for row in data["floors"]] == ["floor"]
    assert all(row["kind"] == "system" for row in data["rows"])
    call_command("report", str(run.pk), "--format", "latex")
    latex = capsys.readouterr().out
    assert r"\textit{random counsellor turn}$^\dagger$" in latex
    assert "Floor: each sample answered by a real counsellor turn" in latex
    call_command("report", str(run.pk), "--profile", "sacrebleu", "--format", "json")
    assert json.loads(capsys.readouterr().out)["floors"][0]["cells"][SACREBLEU_KEY]["n"] == 6
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:reports_evalrun_dashboard", args=[run.pk])).content.decode()
    assert '<tr class="floor"' in page
