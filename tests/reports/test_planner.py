"""The study planner: simulated power against the closed form where there is one, the
fewest items for a target, prices and hours, bad requests refused in words; from a run
through plan_study and the dashboard."""

from __future__ import annotations

import json
import statistics
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command
from django.urls import reverse
from scipy.stats import norm

from annotation.models import Rating
from reports.planner import PlanRefused, Spread, simulated_power, study_plan
from reports.selectors.differences import run_differences
from reports.selectors.planning import PlanRequest, run_plan
from reports.selectors.table import AFTER_EXCLUSIONS
from tests.support.factories import AdminFactory
from tests.support.runs import rate_all, run_world


def z_test_power(difference: float, sd: float, ratings_per_system: int, alpha: float) -> float:
    error = (2 * sd**2 / ratings_per_system) ** 0.5
    critical = norm.ppf(1 - alpha / 2)
    return norm.cdf(difference / error - critical) + norm.cdf(-difference / error - critical)


@pytest.mark.parametrize(("items", "raters"), [(50, 3), (100, 3), (30, 2), (200, 1)])
def test_without_item_or_rater_variance_the_power_is_a_two_sample_z_tests(items, raters):
    spread = Spread(item=0, rater=0, residual=0.8)
    power = simulated_power(
        difference=0.2, spread=spread, items=items, raters=raters, alpha=0.05, simulations=8000
    )
    assert power == pytest.approx(z_test_power(0.2, 0.8, items * raters, 0.05), abs=0.02)


def test_rater_effects_cancel_when_every_rater_rates_every_item():
    common = {"difference": 0.2, "items": 60, "raters": 3, "alpha": 0.05}
    with_raters = simulated_power(spread=Spread(0.3, 0.5, 0.6), **common)
    without = simulated_power(spread=Spread(0.3, 0.0, 0.6), **common)
    assert with_raters == without


def test_raters_drawn_from_a_larger_pool_cost_power():
    common = {"difference": 0.3, "items": 60, "raters": 2, "alpha": 0.05}
    crossed = simulated_power(spread=Spread(0.2, 0.5, 0.6), **common)
    pooled = simulated_power(spread=Spread(0.2, 0.5, 0.6), pool=8, **common)
    assert pooled < crossed


def test_the_fewest_items_reach_the_target_and_one_fewer_does_not():
    spread = Spread(0.3, 0.2, 0.6)
    plan = study_plan(dimension="empathy", difference=0.2, spread=spread, systems=3,
                      raters=(3,), items=(100,))  # fmt: skip
    fewest = plan.smallest[3]
    common = {"difference": 0.2, "spread": spread, "raters": 3, "alpha": plan.alpha}
    assert simulated_power(items=fewest, **common) >= 0.8
    assert simulated_power(items=fewest - 1, **common) < 0.8


def test_every_pair_of_three_systems_is_tested_at_holms_strictest_step():
    plan = study_plan(dimension="content", difference=0.3, spread=Spread(0.3, 0.2, 0.6),
                      systems=3, raters=(2,), items=(40,))  # fmt: skip
    assert plan.alpha == pytest.approx(0.05 / 3)


def test_options_are_priced_and_timed_for_every_system():
    plan = study_plan(
        dimension="empathy", difference=0.2, spread=Spread(0.3, 0.2, 0.6), systems=3,
        raters=(3,), items=(180,), pay_per_item=Decimal("0.418"), currency="USD",
        seconds_per_item=180,
    )  # fmt: skip
    [option] = plan.options
    assert option.ratings == 180 * 3 * 3
    assert option.cost == Decimal("677.16")
    assert option.hours == pytest.approx(1620 * 180 / 3600)


def test_the_same_seed_gives_the_same_plan():
    request = {"dimension": "empathy", "difference": 0.25, "spread": Spread(0.3, 0.2, 0.6),
               "systems": 2, "raters": (2, 3), "items": (50, 80), "seed": 7}  # fmt: skip
    assert study_plan(**request) == study_plan(**request)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"target": 1.5}, "the target power is a probability between 0 and 1 (got 1.5)"),
        ({"difference": 0}, "the difference to detect must be above 0"),
        ({"spread": Spread(-0.1, 0.2, 0.6)}, "the item SD must be 0 or more"),
        ({"spread": Spread(0.1, 0.2, 0)}, "the residual SD must be above 0"),
        ({"systems": 1}, "a comparison needs two systems or more"),
        ({"items": (1,)}, "items per system run from 2"),
        ({"raters": (0,)}, "raters per item must be 1 or more"),
        ({"pool": 2, "raters": (3,)}, "the pool holds from 3 raters"),
    ],
)
def test_a_plan_that_means_nothing_is_refused_in_words(change, message):
    request = {"dimension": "empathy", "difference": 0.2, "spread": Spread(0.3, 0.2, 0.6),
               "systems": 2, **change}  # fmt: skip
    with pytest.raises(PlanRefused, match=message.replace("(", r"\(").replace(")", r"\)")):
        study_plan(**request)


@pytest.fixture
def rated(db):
    cache.clear()
    world = run_world(samples=8, human=8, raters=3)
    rate_all(world)
    return world


def test_a_plan_from_a_run_takes_its_sds_pay_and_median_time(rated):
    plan = run_plan(
        run=rated.run,
        request=PlanRequest(dimension="empathy", difference=0.5, raters=(3,), items=(50,)),
    )
    [table] = run_differences(run=rated.run, ratings=AFTER_EXCLUSIONS)
    fit = next(fit for fit in table.fits if fit.dimension == "empathy")
    assert (plan.spread.item, plan.spread.rater, plan.spread.residual) == fit.variance.sds
    assert plan.systems == 2
    study = rated.run.study
    assert plan.options[0].cost == (study.pay_per_item * 300).quantize(Decimal("0.01"))
    seconds = Rating.objects.filter(assignment__item__study=study).values_list(
        "active_seconds", flat=True
    )
    assert plan.seconds_per_item == statistics.median(seconds)
    assert "mixed model" in plan.source


def test_a_scale_without_variance_components_is_refused_with_the_reason(db):
    cache.clear()
    world = run_world(samples=8, human=8, raters=3)
    rate_all(world, safety=1)
    with pytest.raises(PlanRefused, match="every score is the same"):
        run_plan(run=world.run, request=PlanRequest(dimension="safety", difference=0.1))


def test_plan_study_prints_the_options_for_a_run(rated, capsys):
    call_command("plan_study", str(rated.run.pk), "--dimension", "empathy", "--difference",
                 "0.5", "--raters", "2,3", "--items", "40,80", "--format", "json")  # fmt: skip
    answer = json.loads(capsys.readouterr().out)
    assert [(o["raters_per_item"], o["items_per_system"]) for o in answer["options"]] == [
        (2, 40), (2, 80), (3, 40), (3, 80),
    ]  # fmt: skip
    assert set(answer["fewest_items_for_target"]) == {"2", "3"}


def test_plan_study_from_stated_sds_alone(capsys):
    call_command("plan_study", "--dimension", "empathy", "--difference", "0.2", "--item-sd",
                 "0.3", "--rater-sd", "0.2", "--residual-sd", "0.6", "--systems", "3",
                 "--raters", "3", "--items", "180", "--pay-per-item", "0.418", "--currency",
                 "USD", "--seconds-per-item", "180")  # fmt: skip
    out = capsys.readouterr().out
    assert "3 raters ×  180 items" in out
    assert "677.16 USD" in out
    assert "~81 expert hours" in out


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--item-sd", "0.3"], "state all three"),
        (["--item-sd", "0.3", "--rater-sd", "0.2", "--residual-sd", "0.6", "--items", "a,b"],
         "--items: whole numbers"),
        (["--item-sd", "0.3", "--rater-sd", "0.2", "--residual-sd", "0.6", "--target", "1.5"],
         "target power is a probability"),
        ([], "state the item, rater and residual SDs, or plan from a run"),
    ],
)  # fmt: skip
def test_plan_study_refuses_bad_requests(arguments, message):
    with pytest.raises(CommandError, match=message):
        call_command("plan_study", "--dimension", "empathy", "--difference", "0.2", *arguments)


def test_the_dashboard_answers_the_planner_and_says_why_not(rated, client):
    client.force_login(AdminFactory())
    url = reverse("admin:reports_evalrun_dashboard", args=[rated.run.pk])
    html = client.get(url).content.decode()
    # Unasked, the default plan is left to the page's script, so the page stays quick.
    assert 'data-pending="true"' in html
    assert 'id="plan"' not in html
    panel = client.get(reverse("admin:reports_evalrun_plan", args=[rated.run.pk]))
    assert 'id="plan"' in panel.content.decode()
    assert 'id="plan-fewest"' in panel.content.decode()
    asked = {"plan_dimension": "empathy", "plan_difference": "0.2", "plan_target": "0.8"}
    assert 'id="plan-fewest"' in client.get(url, asked).content.decode()
    refused = client.get(url, {**asked, "plan_target": "1.5"}).content.decode()
    assert "the target power is a probability between 0 and 1 (got 1.5)" in refused
    in_place = client.get(
        reverse("admin:reports_evalrun_plan", args=[rated.run.pk]), {**asked, "plan_target": "1.5"}
    )
    assert in_place.status_code == 400
    assert "(got 1.5)" in in_place.content.decode()
