"""The mixed model of system differences: equal to a direct statsmodels fit, recovering
known effects from simulated studies, Holm equal to multipletests, and data it cannot
carry refused in words."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf
from statsmodels.stats.multitest import multipletests

from reports.mixed_model import Difference, Rated, holm_corrected, mixed_model_fit

EFFECTS = {"alpha": 0.0, "beta": 0.4, "gamma": -0.3}


def simulate(
    seed: int, *, items: int = 20, raters: int = 3, item_sd=0.5, rater_sd=0.3, residual_sd=0.6
) -> list[Rated]:
    """Every rater rates every item; items nested in systems, as a study hands them out."""
    rng = np.random.default_rng(seed)
    rater_effect = rng.normal(0, rater_sd, raters)
    ratings = []
    for system, effect in EFFECTS.items():
        for item in range(items):
            item_effect = rng.normal(0, item_sd)
            for rater in range(raters):
                score = 1 + effect + item_effect + rater_effect[rater] + rng.normal(0, residual_sd)
                ratings.append(Rated(f"{system}-{item}", f"r{rater}", system, score))
    return ratings


@pytest.mark.filterwarnings("ignore::statsmodels.tools.sm_exceptions.ConvergenceWarning")
def test_the_fit_equals_a_direct_statsmodels_fit():
    ratings = simulate(1)
    fit = mixed_model_fit(ratings, dimension="empathy")
    frame = pd.DataFrame([r.__dict__ for r in ratings]).assign(group=0)
    direct = smf.mixedlm(
        "score ~ C(system)", frame, groups="group", re_formula="0",
        vc_formula={"item": "0 + C(item)", "rater": "0 + C(rater)"},
    ).fit(reml=True)  # fmt: skip
    assert fit.problem is None
    assert fit.means["alpha"] == pytest.approx(direct.fe_params["Intercept"], abs=1e-9)
    assert fit.variance.item == pytest.approx(direct.vcomp[0], abs=1e-9)
    assert fit.variance.rater == pytest.approx(direct.vcomp[1], abs=1e-9)
    assert fit.variance.residual == pytest.approx(direct.scale, abs=1e-9)
    # beta − gamma as statsmodels' own Wald test of the contrast.
    [pair] = [d for d in fit.differences if (d.first, d.second) == ("beta", "gamma")]
    contrast = np.zeros((1, len(direct.fe_params)))
    contrast[0, 1], contrast[0, 2] = 1, -1
    test = direct.t_test(contrast)
    assert pair.estimate == pytest.approx(float(test.effect[0]), abs=1e-9)
    assert pair.p_value == pytest.approx(float(test.pvalue), rel=1e-6)
    low, high = test.conf_int()[0]
    assert (pair.low, pair.high) == (pytest.approx(low, abs=1e-9), pytest.approx(high, abs=1e-9))


def test_every_pair_is_reported_first_minus_second_holm_corrected_together():
    fit = mixed_model_fit(simulate(2), dimension="content")
    pairs = [(d.first, d.second) for d in fit.differences]
    assert pairs == [("alpha", "beta"), ("alpha", "gamma"), ("beta", "gamma")]
    _, expected, _, _ = multipletests([d.p_value for d in fit.differences], method="holm")
    assert [d.p_holm for d in fit.differences] == pytest.approx(list(expected), abs=1e-12)


def test_holm_equals_multipletests_and_leaves_an_undefined_p_out():
    p_values = [0.01, 0.04, 0.03, 0.2]
    differences = [Difference("a", str(n), 0, 0, 0, p) for n, p in enumerate(p_values)]
    _, expected, _, _ = multipletests(p_values, method="holm")
    assert [d.p_holm for d in holm_corrected(differences)] == pytest.approx(list(expected))
    with_nan = [*differences, Difference("a", "x", 0, 0, 0, float("nan"))]
    corrected = holm_corrected(with_nan)
    assert corrected[-1].p_holm is None
    assert [d.p_holm for d in corrected[:-1]] == pytest.approx(list(expected))


def test_known_effects_are_recovered_in_at_least_90_of_100_simulated_studies():
    true = {("alpha", "beta"): -0.4, ("alpha", "gamma"): 0.3, ("beta", "gamma"): 0.7}
    covered = dict.fromkeys(true, 0)
    for seed in range(100):
        fit = mixed_model_fit(simulate(100 + seed, items=12), dimension="helpfulness")
        assert fit.problem is None, fit.problem
        for d in fit.differences:
            covered[(d.first, d.second)] += d.low <= true[(d.first, d.second)] <= d.high
    assert all(count >= 90 for count in covered.values()), covered


@pytest.mark.parametrize(
    ("ratings", "problem"),
    [
        ([Rated("i1", "r1", "a", 1), Rated("i1", "r2", "a", 2)], "fewer than two systems"),
        ([Rated("i1", "r1", "a", 1), Rated("i2", "r1", "b", 2), Rated("i1", "r1", "a", 0)],
         "fewer than two raters"),
        ([Rated(f"i{n}", f"r{n % 2}", "ab"[n % 2], 1) for n in range(8)],
         "every score is the same"),
        ([Rated(f"i{n}", f"r{n % 3}", "ab"[n % 2], n % 3) for n in range(8)],
         "no item rated twice"),
        ([Rated("a1", "r1", "a", 0), Rated("a1", "r2", "a", 1), Rated("b1", "r1", "b", 2),
          Rated("b1", "r2", "b", 1), Rated("b2", "r1", "b", 0), Rated("b2", "r2", "b", 2)],
         "too little data: a has fewer than two rated items"),
    ],
)  # fmt: skip
def test_data_the_model_cannot_carry_is_refused_in_words_not_numbers(ratings, problem):
    fit = mixed_model_fit(ratings, dimension="safety")
    assert fit.problem.startswith(problem)
    assert fit.differences == ()
    assert fit.variance is None


def test_a_variance_estimated_at_zero_is_said():
    fit = mixed_model_fit(simulate(5, rater_sd=0.0), dimension="content")
    assert fit.problem is None
    if fit.variance.rater == 0 or fit.variance.rater < 1e-8 * fit.variance.residual:
        assert "rater variance estimated at zero" in fit.note
