"""The demo's setup: demo users, the demo corpus and its canned-replies system, and
simulated ratings of the newest demo run's study."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import timedelta
from random import Random

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from annotation.models import Annotator, Rating, Study
from annotation.rubric import SCALE_MAXIMUM
from annotation.services import assignment_next, rating_submit
from common.errors import FORBIDDEN, ServiceError
from demo.services.pairs import demo_votes_simulate
from demo.services.systems import (
    DEMO_CORPUS,
    DEMO_DATASET,
    DEMO_SPLIT_SEED,
    DEMO_TEST_RATIO,
    demo_canned_install,
)
from generation.models import System
from generation.services import ImportReport, dataset_import
from reports.models import EvalRun, ResponseScore
from reports.selectors.dashboard import run_dashboard
from reports.selectors.differences import run_differences
from reports.selectors.runs import run_progress
from reports.selectors.table import RATINGS_VIEWS

# Shown on screen by bin/demo; refused outside DEBUG so they never reach a server.
DEMO_PASSWORD = "souleval-demo"  # noqa: S105
# Two careful demo annotators rate everything; a third rates half the items in a hurry
# (seconds an item, mostly the same scores), so that the dashboard has a rater to flag and
# leave out; annotator1's share is left for a person to try the portal.
DEMO_SIMULATED_RATERS = ("annotator2", "annotator3")
DEMO_HURRIED_RATER = "annotator4"


class DemoRefused(ServiceError):
    code = FORBIDDEN


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
    submitted: int  # by the careful raters
    hurried: int  # by DEMO_HURRIED_RATER
    votes: int = 0  # on the run's pairwise study, by DEMO_SIMULATED_RATERS


def demo_check_allowed() -> None:
    if not settings.DEBUG:
        raise DemoRefused("the demo installs known passwords: it runs only with DJANGO_DEBUG=true")


@transaction.atomic
def demo_install() -> DemoSummary:
    """Demo users, the demo corpus and its canned-replies system; running it again
    changes nothing."""
    demo_check_allowed()
    accounts = [DemoAccount("admin", DEMO_PASSWORD, "admin")] + [
        DemoAccount(f"annotator{number}", DEMO_PASSWORD, "annotator") for number in (1, 2, 3, 4)
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
        test_ratio=DEMO_TEST_RATIO,
        seed=DEMO_SPLIT_SEED,
        licence_note="Written by the SoulEval project for its demo; CC0.",
    )
    demo_canned_install(dataset_name=DEMO_DATASET)
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


def _hurried_scores(rng: Random) -> dict[str, int]:
    """Someone clicking through: nearly always the same four scores."""
    if rng.random() < 0.85:
        return dict(SCALE_MAXIMUM)
    return {key: rng.randint(0, maximum) for key, maximum in SCALE_MAXIMUM.items()}


def _simulated_rating(
    annotator: Annotator, study: Study, quality: dict[int, float], *, hurried: bool
) -> bool:
    """One simulated rating of the next item open to `annotator`; False when none is."""
    with transaction.atomic():
        assignment = assignment_next(annotator=annotator, study=study)
        if assignment is None:
            return False
        item = assignment.item
        rng = Random(f"{annotator.user.get_username()}:{item.pk}")  # noqa: S311 (a simulation)
        seconds = rng.randint(2, 9) if hurried else rng.randint(40, 240)
        # The portal credits no more than the wall time of the lease: the simulated
        # rater's lease began as long ago as it "worked".
        assignment.leased_at -= timedelta(seconds=seconds)
        assignment.save(update_fields=["leased_at"])
        rating_submit(
            annotator=annotator,
            item_public_id=item.public_id,
            scores=_hurried_scores(rng)
            if hurried
            else _simulated_scores(quality.get(item.response_id, 0.0), rng),
            comment="simulated by the demo",
            active_seconds=seconds,
            submission_id=uuid.UUID(int=rng.getrandbits(128)),
        )
    return True


def demo_ratings_simulate() -> SimulatedRatings:
    """annotator2 and annotator3 rate every item of the newest demo run's study with
    simulated scores (through the portal's own services), and annotator4 rates half of
    them in a hurry, so a fresh demo's dashboard shows human scores, agreement and a
    rater to look at, at once; annotator1's slots stay open for a person. Each rater's
    scores are seeded by rater and item, so a fresh demo shows the same figures
    everywhere; running it again adds nothing."""
    demo_check_allowed()
    run = (
        EvalRun.objects.filter(datasets__name=DEMO_DATASET, study__isnull=False)
        .select_related("study")
        .order_by("-pk")
        .first()
    )
    if run is None or run.study is None:
        raise DemoRefused(f"no evaluation run over {DEMO_DATASET} has opened its study yet")
    study = run.study
    quality = dict(
        ResponseScore.objects.filter(response__items__study=study).values_list(
            "response_id", "rouge_l"
        )
    )
    # The human reference is never scored: against itself its ROUGE-L would be 1.
    quality.update(
        (response_id, 1.0)
        for response_id in study.items.filter(
            response__system__kind=System.Kind.REFERENCE
        ).values_list("response_id", flat=True)
    )
    submitted = 0
    for username in DEMO_SIMULATED_RATERS:
        annotator = Annotator.objects.select_related("user").get(user__username=username)
        while _simulated_rating(annotator, study, quality, hurried=False):
            submitted += 1
    hurried = Annotator.objects.select_related("user").get(user__username=DEMO_HURRIED_RATER)
    done = Rating.objects.filter(assignment__annotator=hurried, assignment__item__study=study)
    share = (study.items.filter(is_gold=False).count() + 1) // 2
    rated = 0
    while done.count() < share and _simulated_rating(hurried, study, quality, hurried=True):
        rated += 1
    votes = demo_votes_simulate(run=run, usernames=DEMO_SIMULATED_RATERS, quality=quality)
    return SimulatedRatings(run=run, submitted=submitted, study=study, hurried=rated, votes=votes)


def demo_figures_warm(*, run: EvalRun) -> None:
    """Compute the run's dashboard under each ratings view once, so its agreement
    intervals and mixed models are in the shared cache (var/cache) and the web server's
    first visit is quick too."""
    progress = run_progress(run=run)
    for view in RATINGS_VIEWS:
        run_dashboard(run=run, ratings=view, progress=progress)
        run_differences(run=run, ratings=view)
