"""The demo's pairwise study voted on by its simulated experts, through the portal's own
services, so that a fresh demo's dashboard shows a Bradley–Terry ranking at once."""

from __future__ import annotations

import math
import uuid
from datetime import timedelta
from random import Random

from django.db import transaction

from annotation.models import Annotator
from annotation.services import assignment_next
from annotation.services.votes import vote_submit
from reports.models import EvalRun

# How sharply a simulated expert follows the difference in quality (ROUGE-L against the
# psychologist's own reply): P(the better one) = σ(SHARPNESS · difference); and how often
# a vote is a lapse (either side, at random), as with real raters, so that even the human
# reference loses now and then and every system's strength is finite.
SHARPNESS = 6.0
TIE_BAND = 0.03
LAPSES = 0.2


def _choice(quality_left: float, quality_right: float, rng: Random) -> str:
    if rng.random() < LAPSES:
        return rng.choice(("left", "right"))
    difference = quality_left - quality_right
    if abs(difference) < TIE_BAND:
        return "tie" if rng.random() < 0.7 else rng.choice(("left", "right"))
    if max(quality_left, quality_right) < 0.1 and rng.random() < 0.5:
        return "both_bad"
    left_better = 1.0 / (1.0 + math.exp(-SHARPNESS * difference))
    return "left" if rng.random() < left_better else "right"


def demo_votes_simulate(
    *, run: EvalRun, usernames: tuple[str, ...], quality: dict[int, float]
) -> int:
    """Each of `usernames` votes on every pair of the run's pairwise study open to them,
    seeded by rater and pair; how many votes were added (none when the run has no
    pairwise study, or nothing is left to vote on)."""
    study = run.pair_study
    if study is None:
        return 0
    added = 0
    for username in usernames:
        annotator = Annotator.objects.select_related("user").get(user__username=username)
        while True:
            with transaction.atomic():
                assignment = assignment_next(annotator=annotator, study=study)
                if assignment is None:
                    break
                item = assignment.item
                rng = Random(f"{username}:pair:{item.pk}")  # noqa: S311 (a simulation)
                first = quality.get(item.response_id, 0.0)
                second = quality.get(item.other_response_id or 0, 0.0)
                left, right = (first, second) if assignment.response_on_left else (second, first)
                seconds = rng.randint(30, 150)
                # The portal credits no more than the lease's wall time (as for ratings).
                assignment.leased_at -= timedelta(seconds=seconds)
                assignment.save(update_fields=["leased_at"])
                vote_submit(
                    annotator=annotator, item_public_id=item.public_id,
                    choices={"overall": _choice(left, right, rng)},
                    comment="simulated by the demo", active_seconds=seconds,
                    submission_id=uuid.UUID(int=rng.getrandbits(128)),
                )  # fmt: skip
                added += 1
    return added
