"""System differences on the CEHS scales with items and raters modelled
(reports.mixed_model), per dataset of a run: what the dashboard's differences tables,
``report --differences`` and the differences CSV show."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from django.core.cache import cache

from annotation.rubric import SCALE_KEYS
from generation.models import Dataset
from reports.mixed_model import HOLM_NOTE, ModelFit, Rated, mixed_model_fit
from reports.models import EvalRun
from reports.selectors.ratings import RatedItem, RunRatings, run_ratings
from reports.selectors.table import ALL_RATINGS

# A fit takes a second or two at a real study's size; the same ratings give the same
# fit, so a page reload or an export after a dashboard visit reuses it.
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class DifferencesTable:
    dataset: str
    fits: tuple[ModelFit, ...]  # one per CEHS dimension, in the rubric's order
    ratings: str  # the ratings view it reads
    note: str


def _fingerprint(run: EvalRun, dataset_id: int, rows: list[RatedItem]) -> str:
    """One key for the dataset's ratings, all four scales at once."""
    digest = hashlib.sha256(f"{run.pk}:{dataset_id}".encode())
    for row in rows:
        digest.update(f"|{row.item_id}:{row.annotator_id}:{row.system}:{row.scores}".encode())
    return "reports:differences:" + digest.hexdigest()


def _dataset_fits(run: EvalRun, dataset_id: int, rows: list[RatedItem]) -> tuple[ModelFit, ...]:
    fingerprint = _fingerprint(run, dataset_id, rows)
    fits = []
    for offset, key in enumerate(SCALE_KEYS):
        cache_key = f"{fingerprint}:{key}"
        fit = cache.get(cache_key)
        if fit is None:
            ratings = [
                Rated(str(row.item_id), str(row.annotator_id), row.system, row.scores[offset])
                for row in rows
            ]
            fit = mixed_model_fit(ratings, dimension=key)
            cache.set(cache_key, fit, CACHE_SECONDS)
        fits.append(fit)
    return tuple(fits)


def run_differences(
    *, run: EvalRun, ratings: str, rated: RunRatings | None = None
) -> list[DifferencesTable]:
    """One table per dataset of the run with human ratings; gold items left out, and the
    ratings exclusions leave out unless ``ratings`` is ALL_RATINGS."""
    rated = rated if rated is not None else run_ratings(run=run)
    rows = rated.view(include_excluded=ratings == ALL_RATINGS)
    by_dataset: dict[int, list[RatedItem]] = {}
    for row in rows:
        by_dataset.setdefault(row.dataset_id, []).append(row)
    names = dict(Dataset.objects.filter(pk__in=by_dataset).values_list("pk", "name"))
    note = (
        "linear mixed model score ~ system + (1 | item) + (1 | rater), REML (statsmodels); "
        f"95% Wald intervals; {HOLM_NOTE}; gold items left out"
        + ("" if ratings == ALL_RATINGS else "; after exclusions")
    )
    return [
        DifferencesTable(
            dataset=names[dataset_id],
            fits=_dataset_fits(run, dataset_id, by_dataset[dataset_id]),
            ratings=ratings,
            note=note,
        )
        for dataset_id in sorted(by_dataset, key=lambda pk: names[pk])
    ]
