"""System differences on a human scale with items and raters modelled: the linear mixed
model ``score ~ system + (1 | item) + (1 | rater)`` fitted by statsmodels (REML; crossed
random effects as variance components of one group holding every rating), every pairwise
difference with its 95% interval and p-value, Holm-corrected together (statsmodels
``multipletests``). Ratings of one item, or by one rater, are not independent: a
bootstrap over items ignores the raters. No Django here.

An item is what a study hands out: one system's answer to one conversation, so items are
nested in systems and crossed with raters."""

from __future__ import annotations

import itertools
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import statsmodels.formula.api as smf
from scipy.stats import norm
from statsmodels.stats.multitest import multipletests
from statsmodels.tools.sm_exceptions import ConvergenceWarning, SingularMatrixWarning

CONFIDENCE = 0.95
HOLM_NOTE = "p-values Holm-corrected over every pair of this table"
FIT_METHODS = (None, "lbfgs", "nm", "powell")


@dataclass(frozen=True)
class Rated:
    item: str
    rater: str
    system: str
    score: float


@dataclass(frozen=True)
class Difference:
    first: str
    second: str
    estimate: float  # first − second
    low: float
    high: float
    p_value: float
    p_holm: float | None = None


@dataclass(frozen=True)
class VarianceComponents:
    item: float
    rater: float
    residual: float

    @property
    def sds(self) -> tuple[float, float, float]:
        return (
            float(np.sqrt(self.item)),
            float(np.sqrt(self.rater)),
            float(np.sqrt(self.residual)),
        )


@dataclass(frozen=True)
class ModelFit:
    """The fit of one dimension, or, in ``problem``, why there is none."""

    dimension: str
    ratings: int
    items: int
    raters: int
    systems: tuple[str, ...]
    means: dict[str, float]  # the model's mean per system
    differences: tuple[Difference, ...]
    variance: VarianceComponents | None
    problem: str | None = None
    note: str = ""  # e.g. a variance component estimated at its boundary, zero


def _refused(dimension: str, ratings: Sequence[Rated], problem: str) -> ModelFit:
    return ModelFit(
        dimension=dimension,
        ratings=len(ratings),
        items=len({r.item for r in ratings}),
        raters=len({r.rater for r in ratings}),
        systems=tuple(sorted({r.system for r in ratings})),
        means={},
        differences=(),
        variance=None,
        problem=problem,
    )


def _data_problem(ratings: Sequence[Rated]) -> str | None:
    systems = {r.system for r in ratings}
    if len(systems) < 2:
        return "fewer than two systems: nothing to compare"
    if len({r.rater for r in ratings}) < 2:
        return "fewer than two raters: rater and residual variance cannot be told apart"
    if len({r.score for r in ratings}) < 2:
        return "every score is the same: no variance to model"
    items = {r.item for r in ratings}
    if len(ratings) <= len(items):
        return "no item rated twice: item and residual variance cannot be told apart"
    per_system = {system: {r.item for r in ratings if r.system == system} for system in systems}
    thin = sorted(system for system, held in per_system.items() if len(held) < 2)
    if thin:
        return f"too little data: {', '.join(thin)} has fewer than two rated items"
    return None


def mixed_model_fit(ratings: Sequence[Rated], *, dimension: str) -> ModelFit:
    """The model of one dimension's ratings; refused (``problem``) rather than guessed
    where the data cannot carry it or the fit does not converge."""
    problem = _data_problem(ratings)
    if problem:
        return _refused(dimension, ratings, problem)
    frame = pd.DataFrame(
        {
            "score": [float(r.score) for r in ratings],
            "system": [r.system for r in ratings],
            "item": [r.item for r in ratings],
            "rater": [r.rater for r in ratings],
            "group": 0,
        }
    )
    systems = tuple(sorted(frame["system"].unique()))
    model = smf.mixedlm(
        f"score ~ C(system, Treatment({systems[0]!r}))",
        frame,
        groups="group",
        re_formula="0",
        vc_formula={"item": "0 + C(item)", "rater": "0 + C(rater)"},
    )
    with warnings.catch_warnings():
        # A variance at its boundary (zero) warns, and so do the optimiser's steps through
        # singular covariances on the way; what matters is checked below (convergence,
        # finite errors) and the note says a zero component in words.
        warnings.simplefilter("ignore", ConvergenceWarning)
        warnings.simplefilter("ignore", SingularMatrixWarning)
        warnings.simplefilter("ignore", RuntimeWarning)
        try:
            # statsmodels' own optimisers first; where they stop short (a variance near
            # zero), the others in turn, the first that converges being the fit.
            for method in FIT_METHODS:
                result = model.fit(reml=True, method=method)
                if result.converged:
                    break
        except (np.linalg.LinAlgError, ValueError) as error:
            return _refused(dimension, ratings, f"the model could not be fitted ({error})")
    if not result.converged:
        return _refused(dimension, ratings, "the model did not converge")
    effects = np.asarray(result.fe_params)
    covariance = np.asarray(result.cov_params())[: len(effects), : len(effects)]
    if not np.all(np.isfinite(covariance)) or np.any(np.diag(covariance) < 0):
        return _refused(dimension, ratings, "the model's standard errors are not defined")

    def contrast(system: str) -> np.ndarray:
        vector = np.zeros(len(effects))
        vector[0] = 1
        if system != systems[0]:
            vector[systems.index(system)] = 1
        return vector

    z = float(norm.ppf(0.5 + CONFIDENCE / 2))
    differences = []
    for first, second in itertools.combinations(systems, 2):
        weights = contrast(first) - contrast(second)
        estimate = float(weights @ effects)
        spread = float(np.sqrt(weights @ covariance @ weights))
        p_value = float(2 * norm.sf(abs(estimate) / spread)) if spread > 0 else float("nan")
        differences.append(
            Difference(
                first, second, estimate, estimate - z * spread, estimate + z * spread, p_value
            )
        )
    names = list(model.exog_vc.names)
    vcomp = dict(zip(names, np.asarray(result.vcomp), strict=True))
    return ModelFit(
        dimension=dimension,
        ratings=len(ratings),
        items=frame["item"].nunique(),
        raters=frame["rater"].nunique(),
        systems=systems,
        means={system: float(contrast(system) @ effects) for system in systems},
        differences=tuple(holm_corrected(differences)),
        variance=VarianceComponents(
            item=float(vcomp["item"]), rater=float(vcomp["rater"]), residual=float(result.scale)
        ),
        note=_zero_note(vcomp, float(result.scale)),
    )


def _zero_note(vcomp: dict[str, float], residual: float) -> str:
    """Names a component the fit put at zero: the data show no such variation, which is
    an estimate, not an error, but a reader should know the interval assumes it."""
    zero = [name for name, value in vcomp.items() if value <= 1e-8 * max(residual, 1e-12)]
    return "; ".join(f"{name} variance estimated at zero" for name in zero)


def holm_corrected(differences: Sequence[Difference]) -> list[Difference]:
    """Each difference with its Holm-adjusted p-value, the family being all of them."""
    if not differences:
        return []
    defined = [index for index, d in enumerate(differences) if not np.isnan(d.p_value)]
    adjusted: dict[int, float] = {}
    if defined:
        _, corrected, _, _ = multipletests(
            [differences[index].p_value for index in defined], method="holm"
        )
        adjusted = dict(zip(defined, (float(p) for p in corrected), strict=True))
    return [replace(d, p_holm=adjusted.get(index)) for index, d in enumerate(differences)]
