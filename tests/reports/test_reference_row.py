"""The human reference: each sample's own counsellor reply as one more blind system, rated
like any answer, shown in Table 1 as the ceiling of the human columns, never scored
automatically (it would score the reference against itself) and never best."""

from __future__ import annotations

import csv
import io
import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase
from django.urls import reverse

from annotation.models import Item
from generation.generators import GeneratorUnavailable, generator_for
from generation.models import Response, System
from generation.services import (
    REFERENCE_SYSTEM_NAME,
    SystemInvalid,
    reference_responses_store,
    reference_system_get,
)
from reports.metrics import METRIC_KEYS, SACREBLEU_KEY
from reports.models import EvalSample, ResponseScore
from reports.selectors.comparisons import systems_compare
from reports.selectors.results import results_table
from reports.selectors.runs import run_progress
from tests.support.factories import AdminFactory, DatasetFactory, SampleFactory, SystemFactory
from tests.support.runs import rate_all, run_world

pytestmark = pytest.mark.django_db


def _reference_world():
    world = run_world(samples=6, human=3, raters=2, with_reference=True)
    return world, System.objects.get(name=REFERENCE_SYSTEM_NAME)


def test_a_run_with_the_reference_rates_each_samples_own_reply_and_never_scores_it():
    world, reference = _reference_world()
    run = world.run
    assert reference.kind == System.Kind.REFERENCE
    drawn = EvalSample.objects.filter(run=run).select_related("sample")
    answers = dict(Response.objects.filter(system=reference).values_list("sample_id", "text"))
    assert answers == {row.sample_id: row.sample.reference for row in drawn}
    # No job was needed, and nothing scored it against itself.
    assert not run.generation_jobs.filter(system=reference).exists()
    assert not ResponseScore.objects.filter(response__system=reference).exists()
    progress = run_progress(run=run)
    assert (progress.expected, progress.to_score, progress.scored) == (18, 12, 12)
    assert progress.settled
    assert progress.scoring_percent == 100.0
    # The study has its answer to each human sample, like any system's.
    items = Item.objects.filter(study=run.study)
    assert items.filter(response__system=reference).count() == 3
    assert items.count() == 9


def test_table_one_shows_the_reference_as_the_ceiling_after_the_systems_never_best():
    world, _reference = _reference_world()
    rate_all(world)
    table = results_table(run=world.run)
    assert [row.kind for row in table.ordered_rows()] == ["system", "system", "reference", "floor"]
    [row] = [row for row in table.rows if row.kind == "reference"]
    assert row.system == REFERENCE_SYSTEM_NAME
    assert all(row.cells[key] is None for key in METRIC_KEYS)
    assert row.cells["distinct_1"] is not None
    assert row.cells["length"].n == 6
    assert row.samples == 6
    assert row.rated_items == 3
    assert row.cells["content"].n == 3
    assert row.best == set()
    # Best is among the systems even when the reference's mean is higher.
    systems = [r for r in table.rows if r.kind == "system"]
    assert all(any(key in r.best for r in systems) for key in ("bleu_1", "content"))
    sacre = results_table(run=world.run, profile="sacrebleu")
    [row] = [row for row in sacre.rows if row.kind == "reference"]
    assert row.cells[SACREBLEU_KEY] is None


def test_every_format_carries_the_reference_row(capsys, client):
    world, _ = _reference_world()
    rate_all(world)
    run = world.run
    call_command("report", str(run.pk))
    text = capsys.readouterr().out
    assert f"{REFERENCE_SYSTEM_NAME}: each sample's own counsellor reply" in text
    call_command("report", str(run.pk), "--format", "json")
    data = json.loads(capsys.readouterr().out)
    [row] = [row for row in data["rows"] if row["kind"] == "reference"]
    assert row["cells"]["bleu_1"] is None
    assert row["cells"]["content"]["n"] == 3
    call_command("report", str(run.pk), "--format", "latex")
    latex = capsys.readouterr().out
    assert r"\textit{counsellor's reply}$^\ddagger$" in latex
    assert r"$^\ddagger$Human reference:" in latex
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:reports_evalrun_dashboard", args=[run.pk])).content.decode()
    assert '<tr class="reference"' in page
    assert "(human ceiling)" in page
    export = client.get(reverse("admin:reports_evalrun_export", args=[run.pk, "table"]))
    body = b"".join(export.streaming_content).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(body)))
    kinds = [row["kind"] for row in rows]
    assert kinds.count("reference") == 1
    assert kinds.index("reference") < kinds.index("floor")


def test_comparing_the_reference_on_an_automatic_metric_says_why_not():
    world, reference = _reference_world()
    rate_all(world)
    with pytest.raises(ValueError, match="has no B-1: it is the reference itself"):
        systems_compare(
            run=world.run, dataset=world.dataset, first=world.systems[0], second=reference,
            metric="bleu_1",
        )  # fmt: skip
    comparison = systems_compare(
        run=world.run, dataset=world.dataset, first=world.systems[0], second=reference,
        metric="content",
    )  # fmt: skip
    assert comparison.samples == 3


def test_run_eval_with_reference_adds_it_and_is_its_own_run(capsys):
    dataset = DatasetFactory()
    system = SystemFactory(name="answering")
    for number in range(4):
        sample = SampleFactory(dataset=dataset, reference=f"参考{number}")
        Response.objects.create(sample=sample, system=system, text=f"回答{number}")
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command(
            "run_eval", "--dataset", dataset.name, "--systems", "answering", "--auto", "4",
            "--human", "2", "--with-reference", stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip
    from reports.models import EvalRun

    run = EvalRun.objects.get()
    assert sorted(run.systems.values_list("name", flat=True)) == ["answering", "human-reference"]
    assert run.study.items.count() == 4
    # Without it, the same arguments are another run.
    with TestCase.captureOnCommitCallbacks(execute=True):
        call_command(
            "run_eval", "--dataset", dataset.name, "--systems", "answering", "--auto", "4",
            "--human", "2", stdout=StringIO(), stderr=StringIO(),
        )  # fmt: skip
    assert EvalRun.objects.count() == 2


def test_the_reference_name_taken_by_another_system_is_refused_clearly():
    SystemFactory(name=REFERENCE_SYSTEM_NAME)
    with pytest.raises(SystemInvalid, match="the name of the human reference"):
        reference_system_get()
    dataset = DatasetFactory()
    SampleFactory(dataset=dataset)
    SystemFactory(name="answering")
    with pytest.raises(CommandError, match="the name of the human reference"):
        call_command(
            "run_eval", "--dataset", dataset.name, "--systems", "answering", "--auto", "1",
            "--human", "0", "--with-reference", stderr=StringIO(),
        )  # fmt: skip


def test_the_reference_cannot_generate_and_only_the_reference_stores_replies():
    reference = reference_system_get()
    with pytest.raises(GeneratorUnavailable, match="nothing to generate"):
        generator_for(reference)
    other = SystemFactory()
    with pytest.raises(SystemInvalid, match="not the human reference"):
        reference_responses_store(system=other, sample_ids=[SampleFactory().pk])
    sample = SampleFactory(reference="你好。")
    assert reference_responses_store(system=reference, sample_ids=[sample.pk]) == 1
    assert reference_responses_store(system=reference, sample_ids=[sample.pk]) == 0
    assert Response.objects.get(system=reference).text == "你好。"


def test_create_study_with_reference_and_the_study_form(client):
    dataset = DatasetFactory()
    system = SystemFactory(name="answering")
    for number in range(5):
        sample = SampleFactory(dataset=dataset, reference=f"参考{number}")
        Response.objects.create(sample=sample, system=system, text=f"回答{number}")
    call_command(
        "create_study", "with-ref", "--dataset", dataset.name, "--systems", "answering",
        "--samples", "3", "--with-reference", stdout=StringIO(),
    )  # fmt: skip
    items = Item.objects.filter(study__name="with-ref").select_related("response__sample")
    by_system = {}
    for item in items:
        by_system.setdefault(item.response.system.name, set()).add(item.response.sample_id)
    assert set(by_system) == {"answering", REFERENCE_SYSTEM_NAME}
    assert by_system["answering"] == by_system[REFERENCE_SYSTEM_NAME]
    assert all(
        item.response.text == item.response.sample.reference
        for item in items
        if item.response.system.name == REFERENCE_SYSTEM_NAME
    )

    client.force_login(AdminFactory())
    response = client.post(
        reverse("admin:annotation_study_add"),
        {
            "name": "form-ref", "title": "Counselling responses", "raters_per_item": 2,
            "pay_per_item": "0.418", "currency": "USD", "minimum_hourly_wage": "7.12",
            "lease_minutes": 30, "rubric_version": "cehs-1", "too_fast_seconds": 20,
            "dataset": dataset.pk, "split": "test", "systems": [system.pk], "samples": 2,
            "seed": 0, "with_reference": "on",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    names = set(
        Item.objects.filter(study__name="form-ref").values_list("response__system__name", flat=True)
    )
    assert names == {"answering", REFERENCE_SYSTEM_NAME}
