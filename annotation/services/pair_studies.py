"""Pairwise studies: items that are two systems' answers to one context, paired by the
seeded, balanced design of ``annotation.pairwise_design``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable

from django.db import transaction

from annotation.models import Item, Study
from annotation.pairwise_design import DesignInvalid, pairwise_design
from annotation.services.screening import study_items_screen
from annotation.services.studies import StudyInvalid, StudySettings, study_new
from generation.models import Response, Sample


@transaction.atomic
def study_pairwise_create(
    *,
    name: str,
    responses: Iterable[Response],
    pairs_per_sample: int = 1,
    seed: int = 0,
    settings: StudySettings | None = None,
) -> Study:
    """A draft pairwise study from every system's answer to each sample (as
    ``study_responses_for_samples`` draws them): each sample gets ``pairs_per_sample``
    different pairs of systems, every pair of systems dealt as often as every other
    within each dataset.
    Which answer an annotator sees on the left is drawn when the pair is handed out."""
    answers: dict[int, dict[int, Response]] = defaultdict(dict)
    for response in responses:
        if response.system_id in answers[response.sample_id]:
            raise StudyInvalid(
                {"responses": f"sample {response.sample_id}: one system answers it twice"}
            )
        answers[response.sample_id][response.system_id] = response
    if not answers:
        raise StudyInvalid("a study needs at least one response")
    system_ids = {system_id for by_system in answers.values() for system_id in by_system}
    short = sorted(sample for sample, found in answers.items() if len(found) < len(system_ids))
    if short:
        raise StudyInvalid(
            {"responses": f"{len(short)} samples lack an answer of some system (first: {short[0]})"}
        )
    # The design is seeded over names in a fixed order, so a seed means the same pairs.
    ordered = sorted(system_ids, key=str)
    # Balanced within each dataset, as each dataset's systems are ranked on their own.
    by_dataset: dict[int, list[int]] = defaultdict(list)
    for sample_id, dataset_id in Sample.objects.filter(pk__in=list(answers)).values_list(
        "pk", "dataset_id"
    ):
        by_dataset[dataset_id].append(sample_id)
    design = []
    try:
        for dataset_id in sorted(by_dataset):
            design += pairwise_design(
                sorted(by_dataset[dataset_id]), [str(system_id) for system_id in ordered],
                pairs_per_sample=pairs_per_sample, seed=seed,
            )  # fmt: skip
    except DesignInvalid as error:
        raise StudyInvalid({"pairs_per_sample": str(error)}) from None
    study = study_new(name=name, settings=settings, system_ids=system_ids, kind=Study.Kind.PAIRWISE)
    Item.objects.bulk_create(
        Item(
            study=study,
            response=answers[sample][int(first)],
            other_response=answers[sample][int(second)],
            slots=study.raters_per_item,
        )
        for sample, first, second in design
    )
    study_items_screen(study=study)
    return study
