"""A paper-size evaluation run for the dashboard benchmark: 2 datasets × 3 systems ×
10,000 samples scored, 300 items rated by 3 raters each (the SoulChat paper's Table 1
at full size), built through the platform's own services in the current database.

The texts are the shared SMILECHAT slice's counsellor turns where it is present (each
system's answer a turn of another dialogue), made-up sentences otherwise: the timings
depend on the sizes, not on the words.
"""

from __future__ import annotations

import random
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SMILECHAT = ROOT.parent / "shared" / "data" / "smilechat" / "dev.jsonl.gz"
SYSTEMS = ("paper-chatglm", "paper-mechat", "paper-soulchat")


def _texts(count: int) -> list[str]:
    if SMILECHAT.exists():
        from reports.metric_references import counsellor_turns

        turns = counsellor_turns(SMILECHAT)
        return [turns[index % len(turns)] for index in range(count)]
    rng = random.Random(0)  # noqa: S311 (made-up texts)
    phrases = ["听起来你最近很辛苦", "我能理解你的感受", "愿意多说说吗", "这种情况很常见"]
    return ["，".join(rng.choices(phrases, k=rng.randint(2, 6))) + "。" for _ in range(count)]


def paper_run_build(*, samples: int = 10_000, human: int = 50, raters: int = 3) -> int:
    """Build the run and rate its study through the portal's services; the run's id.
    `human` samples per dataset: each system's answer to each is an item."""
    from django.test import TestCase

    from annotation.models import Annotator
    from annotation.services import assignment_next, rating_submit
    from generation.models import Dataset, Response, Sample, System
    from reports.services import RunRequest, eval_run_start

    texts = _texts(samples * (len(SYSTEMS) + 1))
    rng = random.Random(1)  # noqa: S311 (a reproducible build)
    datasets = [
        Dataset.objects.create(
            name=f"paper-{name}", source_format=Dataset.SourceFormat.SOULCHAT, test_ratio=1.0
        )
        for name in ("soulchatcorpus", "smilechat")
    ]
    systems = [
        System.objects.create(name=name, kind=System.Kind.IMPORTED, responses_file="paper.jsonl")
        for name in SYSTEMS
    ]
    for dataset in datasets:
        stored = Sample.objects.bulk_create(
            Sample(
                dataset=dataset, split=Sample.Split.TEST, dialogue_id=f"d{number}", turn_index=1,
                context=[{"role": "user", "content": "我最近睡不好，总是很焦虑。"}],
                context_turns=1, reference=texts[number], source_id=f"d{number}#1",
            )
            for number in range(samples)
        )  # fmt: skip
        Response.objects.bulk_create(
            Response(sample=sample, system=system, text=texts[rng.randrange(len(texts))])
            for sample in stored
            for system in systems
        )
    # Eager tasks: the run's advance (scoring, the floor, the study) runs on commit.
    with TestCase.captureOnCommitCallbacks(execute=True):
        run, _ = eval_run_start(
            request=RunRequest(
                datasets=datasets, systems=systems, auto_samples=samples,
                human_samples=human, raters_per_item=raters, seed=0,
            )
        )  # fmt: skip
    run.refresh_from_db()
    from django.contrib.auth import get_user_model

    users = get_user_model()
    for number in range(raters):
        annotator = Annotator.objects.create(
            user=users.objects.create_user(f"paper-rater-{number}", password=uuid.uuid4().hex)
        )
        while (assignment := assignment_next(annotator=annotator, study=run.study)) is not None:
            score = rng.randrange(3)
            scores = {
                "content": score, "empathy": min(2, score + rng.randrange(2)),
                "helpfulness": rng.randrange(3), "safety": int(rng.random() < 0.95),
            }  # fmt: skip
            rating_submit(
                annotator=annotator,
                item_public_id=assignment.item.public_id,
                scores=scores,
                comment="",
                active_seconds=rng.randint(30, 200),
                submission_id=uuid.uuid4(),
            )
    return run.pk
