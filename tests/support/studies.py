"""A study of several systems' responses to several samples, and rating it."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from annotation.models import Annotator, Study
from annotation.services import StudySettings, study_create, study_status_set
from annotation.services.pair_studies import study_pairwise_create
from generation.models import Response, System
from tests.support.factories import DatasetFactory, SampleFactory, SystemFactory


@dataclass
class StudyWorld:
    study: Study
    systems: list[System]
    responses: list[Response]


def study_world(
    *,
    samples: int = 3,
    systems: int = 2,
    raters: int = 3,
    lease_minutes: int = 30,
    system_names: list[str] | None = None,
    open_it: bool = True,
    pairwise: bool = False,
    pairs_per_sample: int = 1,
) -> StudyWorld:
    """Every system's answer to every sample; a rating study of them all, or with
    ``pairwise`` a pairwise study of ``pairs_per_sample`` pairs per sample."""
    dataset = DatasetFactory()
    names = system_names or [f"sys-{uuid.uuid4().hex[:6]}" for _ in range(systems)]
    made = [SystemFactory(name=name) for name in names]
    responses = []
    for number in range(samples):
        sample = SampleFactory(
            dataset=dataset,
            context=[
                {"role": "user", "content": f"第{number}位来访者：我最近总是失眠。"},
                {"role": "psychologist", "content": "失眠多久了？"},
                {"role": "user", "content": "两个月了，<b>很累</b>。"},
            ],
            context_turns=3,
        )
        responses += [
            Response.objects.create(sample=sample, system=system, text=f"回复{number}-{index}")
            for index, system in enumerate(made)
        ]
    name = f"study-{uuid.uuid4().hex[:6]}"
    settings = StudySettings(raters_per_item=raters, lease_minutes=lease_minutes)
    if pairwise:
        study = study_pairwise_create(
            name=name, responses=responses, pairs_per_sample=pairs_per_sample, settings=settings
        )
    else:
        study = study_create(name=name, responses=responses, settings=settings)
    if open_it:
        study = study_status_set(study=study, status=Study.Status.OPEN)
    return StudyWorld(study=study, systems=made, responses=responses)


def scores(**overrides: object) -> dict[str, object]:
    return {"content": 2, "empathy": 1, "helpfulness": 1, "safety": 1, **overrides}


def rate_next(annotator: Annotator, study: Study, **overrides: object):
    """Take the annotator's next item in the study and submit a rating of it."""
    from annotation.services import assignment_next, rating_submit

    assignment = assignment_next(annotator=annotator, study=study)
    return rating_submit(
        annotator=annotator,
        item_public_id=assignment.item.public_id,
        scores=scores(**overrides),
        comment="",
        active_seconds=0,
        submission_id=uuid.uuid4(),
    ).rating


def vote_next(annotator: Annotator, study: Study, overall: str = "left", **dimensions: str):
    """Take the annotator's next pair in the study and submit a vote on it."""
    from annotation.services import assignment_next
    from annotation.services.votes import vote_submit

    assignment = assignment_next(annotator=annotator, study=study)
    return vote_submit(
        annotator=annotator,
        item_public_id=assignment.item.public_id,
        choices={"overall": overall, **dimensions},
        comment="",
        active_seconds=0,
        submission_id=uuid.uuid4(),
    ).vote
