"""run_eval's study is screened like any other, and Table 1 says what screening held back."""

from __future__ import annotations

import json

import pytest
from django.core.management import call_command

from annotation.models import Item
from annotation.services import item_screening_decide
from generation.models import Response
from reports.selectors.results import results_table
from reports.services import RunRequest, eval_run_start
from tests.support.factories import DatasetFactory, SampleFactory, SystemFactory

pytestmark = pytest.mark.django_db


def test_run_eval_holds_back_a_self_identifying_answer_and_table_one_says_so(
    django_capture_on_commit_callbacks, capsys
):
    dataset = DatasetFactory()
    system = SystemFactory(name="plain-sys")
    for number in range(3):
        sample = SampleFactory(dataset=dataset)
        text = (
            "作为一个AI语言模型，我建议你多休息。" if number == 0 else f"我听到了你的难过{number}。"
        )
        Response.objects.create(sample=sample, system=system, text=text)
    with django_capture_on_commit_callbacks(execute=True):
        run, _ = eval_run_start(request=RunRequest(
            datasets=[dataset], systems=[system], auto_samples=3, human_samples=3,
            raters_per_item=2,
        ))  # fmt: skip
    run.refresh_from_db()
    [held] = Item.objects.filter(study=run.study, screening="held")
    note = results_table(run=run).note
    assert note == (
        "1 response named a system and was held back from annotators: 0 masked, 0 released "
        "as written, 0 left out, 1 awaiting a decision."
    )
    item_screening_decide(item=held, decision="mask", by=None)
    call_command("report", str(run.pk), "--format", "json")
    data = json.loads(capsys.readouterr().out)
    assert data["identity_screening"] == {"held": 0, "masked": 1, "released": 0, "excluded": 0}
    assert "1 masked" in data["note"]
