"""Writes of the reports app: the top floor, so the demo that spans every app lives here."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from random import Random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from annotation.models import Annotator, Study
from annotation.services import assignment_next, rating_submit
from generation.services import ImportReport, dataset_import
from reports.models import EvalRun, ResponseScore

DEMO_CORPUS = Path(settings.BASE_DIR) / "demo" / "corpus"
DEMO_DATASET = "demo-counselling"
# Shown on screen by bin/demo; refused outside DEBUG so they never reach a server.
DEMO_PASSWORD = "souleval-demo"  # noqa: S105
# Two of the three demo annotators; the third is left for a person to try the portal.
DEMO_SIMULATED_RATERS = ("annotator2", "annotator3")


class DemoRefused(Exception):
    pass


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str


@dataclass(frozen=True)
class DemoSummary:
    accounts: list[DemoAccount]
    dataset: ImportReport


@dataclass(frozen=True)
class SimulatedRatings:
    run: EvalRun
    study: Study
    submitted: int


def demo_check_allowed() -> None:
    if not settings.DEBUG:
        raise DemoRefused("the demo installs known passwords: it runs only with DJANGO_DEBUG=true")


@transaction.atomic
def demo_install() -> DemoSummary:
    """Demo users and the demo corpus; running it again changes nothing."""
    demo_check_allowed()
    accounts = [DemoAccount("admin", DEMO_PASSWORD, "admin")] + [
        DemoAccount(f"annotator{number}", DEMO_PASSWORD, "annotator") for number in (1, 2, 3)
    ]
    user_model = get_user_model()
    for account in accounts:
        user, created = user_model.objects.get_or_create(username=account.username)
        if created:
            user.set_password(account.password)
        user.is_staff = user.is_superuser = account.role == "admin"
        user.save()
        if account.role == "annotator":
            # Demo annotators skip the invitation that real ones come through.
            Annotator.objects.get_or_create(user=user, defaults={"expertise_note": "demo account"})
    report = dataset_import(
        path=DEMO_CORPUS,
        source_format="soulchat",
        name=DEMO_DATASET,
        test_ratio=0.25,
        licence_note="Written by the SoulEval project for its demo; CC0.",
    )
    return DemoSummary(accounts=accounts, dataset=report)


def _simulated_scores(quality: float, rng: Random) -> dict[str, int]:
    """A rater who mostly follows how close the answer is to the psychologist's reply
    (ROUGE-L) and now and then sees it one step differently."""
    base = 0 if quality < 0.2 else 1 if quality < 0.6 else 2

    def judged(value: int, maximum: int) -> int:
        if rng.random() < 0.2:
            value += rng.choice((-1, 1))
        return min(max(value, 0), maximum)

    return {
        "content": judged(base, 2),
        "empathy": judged(max(base - 1, 0) if rng.random() < 0.5 else base, 2),
        "helpfulness": judged(base, 2),
        "safety": 0 if rng.random() < 0.05 else 1,
    }


def demo_ratings_simulate() -> SimulatedRatings:
    """annotator2 and annotator3 rate every item of the newest demo run's study with
    simulated scores (through the portal's own services), so a fresh demo's dashboard
    shows human scores and agreement at once; annotator1's slots stay open for a
    person. Each rater's scores are seeded by rater and item, so a fresh demo shows the
    same figures everywhere; running it again adds nothing."""
    demo_check_allowed()
    run = (
        EvalRun.objects.filter(datasets__name=DEMO_DATASET, study__isnull=False)
        .select_related("study")
        .order_by("-pk")
        .first()
    )
    if run is None:
        raise DemoRefused(f"no evaluation run over {DEMO_DATASET} has opened its study yet")
    quality = dict(
        ResponseScore.objects.filter(response__items__study=run.study).values_list(
            "response_id", "rouge_l"
        )
    )
    submitted = 0
    for username in DEMO_SIMULATED_RATERS:
        annotator = Annotator.objects.get(user__username=username)
        while True:
            with transaction.atomic():
                assignment = assignment_next(annotator=annotator, study=run.study)
                if assignment is None:
                    break
                item = assignment.item
                rng = Random(f"{username}:{item.pk}")  # noqa: S311 (a simulation)
                seconds = rng.randint(40, 240)
                # The portal credits no more than the wall time of the lease: the
                # simulated rater's lease began as long ago as it "worked".
                assignment.leased_at -= timedelta(seconds=seconds)
                assignment.save(update_fields=["leased_at"])
                rating_submit(
                    annotator=annotator,
                    item_public_id=item.public_id,
                    scores=_simulated_scores(quality.get(item.response_id, 0.0), rng),
                    comment="simulated by the demo",
                    active_seconds=seconds,
                    submission_id=uuid.UUID(int=rng.getrandbits(128)),
                )
            submitted += 1
    return SimulatedRatings(run=run, submitted=submitted, study=run.study)
