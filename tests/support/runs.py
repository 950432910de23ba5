"""An evaluation run whose systems have already answered, so it needs no model, and
rating its study."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from django.test import TestCase

from annotation.models import Annotator
from generation.models import Dataset, Response, System
from reports.models import EvalRun
from reports.services import RunRequest, eval_run_start
from tests.support.factories import AnnotatorFactory, DatasetFactory, SampleFactory, SystemFactory

ANSWERS = ["听起来你很辛苦，愿意多说说吗？", "你应该早点睡觉。", '=HYPERLINK("x")我理解你']


@dataclass
class RunWorld:
    run: EvalRun
    dataset: Dataset
    systems: list[System]
    annotators: list[Annotator]


def run_world(
    *, samples: int = 6, human: int = 3, raters: int = 2, seed: int = 0,
    with_reference: bool = False,
) -> RunWorld:  # fmt: skip
    dataset = DatasetFactory()
    systems = [SystemFactory(name=f"sys-{uuid.uuid4().hex[:6]}") for _ in range(2)]
    for number in range(samples + 2):
        sample = SampleFactory(dataset=dataset, reference=f"听起来你这段时间很辛苦{number}。")
        for index, system in enumerate(systems):
            text = "" if (number == 0 and index == 1) else ANSWERS[(number + index) % 3]
            Response.objects.create(sample=sample, system=system, text=text)
    # Tests run inside a transaction: the on-commit advance is run here, as a commit would.
    with TestCase.captureOnCommitCallbacks(execute=True):
        run, created = eval_run_start(request=RunRequest(
            datasets=[dataset],
            systems=systems,
            with_reference=with_reference,
            auto_samples=samples,
            human_samples=human,
            raters_per_item=raters,
            seed=seed,
        ))  # fmt: skip
    assert created
    run.refresh_from_db()
    return RunWorld(
        run=run,
        dataset=dataset,
        systems=systems,
        annotators=[AnnotatorFactory() for _ in range(raters)],
    )


def rate_all(world: RunWorld, **fixed: int) -> int:
    """Every annotator rates everything open to them; returns how many ratings."""
    from annotation.services import AssignmentRefused, assignment_next, rating_submit

    done = 0
    for position, annotator in enumerate(world.annotators):
        while True:
            try:
                assignment = assignment_next(annotator=annotator, study=world.run.study)
            except AssignmentRefused:
                break
            if assignment is None:
                break
            score = (done + position) % 3
            scores = {
                "content": fixed.get("content", score),
                "empathy": fixed.get("empathy", 2 - score),
                "helpfulness": fixed.get("helpfulness", min(score, 1) + 1),
                "safety": fixed.get("safety", 0 if done == 1 else 1),
            }
            rating_submit(
                annotator=annotator,
                item_public_id=assignment.item.public_id,
                scores=scores,
                comment="=cmd|' /C calc'!A0" if done == 1 else "",
                active_seconds=120,
                submission_id=uuid.uuid4(),
            )
            done += 1
    return done


def pair_run_world() -> RunWorld:
    """run_world with its human sample as a pairwise study too (one pair per sample, two
    raters per pair), added through run_eval's own request."""
    world = run_world()
    request = RunRequest(
        datasets=[world.dataset], systems=world.systems, auto_samples=6, human_samples=3,
        raters_per_item=2, pairs_per_sample=1,
    )  # fmt: skip
    with TestCase.captureOnCommitCallbacks(execute=True):
        run, _ = eval_run_start(request=request)
    run.refresh_from_db()
    return RunWorld(run=run, dataset=world.dataset, systems=world.systems,
                    annotators=world.annotators)  # fmt: skip
