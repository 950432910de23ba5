"""run_eval --pairwise: the run's human sample as a blind pairwise study beside the
rating study, balanced per dataset, added to a run that exists, refused when it cannot
be dealt."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import TestCase

from reports.models import EvalRun, EvalSample
from reports.services.runs import EvalRunInvalid, RunRequest, eval_run_start
from tests.support.runs import run_world

pytestmark = pytest.mark.django_db


def start(world, **changes):
    request = RunRequest(
        datasets=[world.dataset], systems=world.systems, auto_samples=6, human_samples=3,
        raters_per_item=2, **changes,
    )  # fmt: skip
    with TestCase.captureOnCommitCallbacks(execute=True):
        run, created = eval_run_start(request=request)
    run.refresh_from_db()
    return run, created


def test_asking_for_pairs_on_a_run_adds_its_pairwise_study_of_the_same_human_sample():
    world = run_world()
    assert world.run.pair_study is None
    run, created = start(world, pairs_per_sample=1)
    assert not created
    assert run.pk == world.run.pk
    study = run.pair_study
    assert study.is_pairwise
    assert study.status == "open"
    assert study.raters_per_item == 2
    human = set(EvalSample.objects.filter(run=run, human=True).values_list("sample_id", flat=True))
    items = list(study.items.select_related("response", "other_response"))
    assert {item.response.sample_id for item in items} == human
    assert all(item.other_response.sample_id == item.response.sample_id for item in items)
    # The rating study stands beside it, untouched.
    assert run.study is not None
    assert run.study.items.count() == 6
    # Asking again changes nothing.
    again, _ = start(world, pairs_per_sample=1)
    assert again.pair_study_id == study.pk
    assert study.items.count() == 3


@pytest.mark.django_db(transaction=True)
def test_run_eval_pairwise_prints_both_studies():
    # Committed, so the advance queued on commit runs (eagerly) as the command goes on.
    world = run_world()
    errors = StringIO()
    call_command(
        "run_eval", "--dataset", world.dataset.name, "--auto", "6", "--human", "3",
        "--raters", "2", "--systems", ",".join(system.name for system in world.systems),
        "--pairwise", "--wait", stderr=errors, stdout=StringIO(),
    )  # fmt: skip
    run = EvalRun.objects.get(pk=world.run.pk)
    assert run.pairs_per_sample == 1
    assert f"pairwise study {run.pair_study.name} is open for voting" in errors.getvalue()


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"pairs_per_sample": 2}, "between 1 and 1"),
        ({"pairs_per_sample": 1, "human_samples": 0}, "needs a human sample"),
    ],
)
def test_a_pairwise_design_that_cannot_be_dealt_is_refused_before_anything_is_stored(
    changes, message
):
    world = run_world()
    runs = EvalRun.objects.count()
    request = RunRequest(
        datasets=[world.dataset], systems=world.systems, auto_samples=5,
        human_samples=changes.pop("human_samples", 3), raters_per_item=2, **changes,
    )  # fmt: skip
    with pytest.raises(EvalRunInvalid, match=message):
        eval_run_start(request=request)
    assert EvalRun.objects.count() == runs


def test_the_command_says_why_it_refuses():
    world = run_world()
    with pytest.raises(CommandError, match="between 1 and 1"):
        call_command(
            "run_eval", "--dataset", world.dataset.name, "--auto", "6", "--human", "3",
            "--systems", ",".join(system.name for system in world.systems),
            "--pairwise", "--pairs-per-sample", "3", stderr=StringIO(),
        )  # fmt: skip
