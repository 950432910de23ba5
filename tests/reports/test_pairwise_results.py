"""A pairwise study's results: the votes given through the portal's services, ranked per
dataset by Bradley–Terry exactly as reports.pairwise ranks the same votes by hand; raters
left out and pairs held back never counted; the dashboard's panel, report --pairwise and
the two exports."""

from __future__ import annotations

import csv
import io
import json
import uuid

import pytest
from django.core.management import call_command
from django.urls import reverse

from annotation.models import Assignment, Item
from annotation.services import assignment_next, rater_exclude
from annotation.services.votes import vote_submit
from reports.pairwise import FIRST, SECOND, TIE, Vote, bradley_terry
from reports.selectors.pairwise_results import study_pairwise_results
from tests.support.factories import AdminFactory, AnnotatorFactory
from tests.support.runs import pair_run_world, run_world
from tests.support.studies import study_world

pytestmark = pytest.mark.django_db


def vote_all(study, annotators, choose) -> list[Vote]:
    """Every annotator votes on everything open to them, choosing the side `choose`
    names from (first system, second system, first on left); the votes by hand."""
    made = []
    for annotator in annotators:
        while (assignment := assignment_next(annotator=annotator, study=study)) is not None:
            item = Item.objects.select_related("response__system", "other_response__system").get(
                pk=assignment.item_id
            )
            first, second = item.response.system.name, item.other_response.system.name
            overall = choose(first, second, assignment.response_on_left)
            vote_submit(
                annotator=annotator, item_public_id=item.public_id,
                choices={"overall": overall}, comment="", active_seconds=1,
                submission_id=uuid.uuid4(),
            )  # fmt: skip
            left, right = (first, second) if assignment.response_on_left else (second, first)
            outcome = {"left": FIRST if left == first else SECOND,
                       "right": FIRST if right == first else SECOND}.get(overall, TIE)  # fmt: skip
            made.append(
                Vote(first, second, outcome, len(item.response.text), len(item.other_response.text))
            )
    return made


def prefer(order):
    """Choose the side showing the system earlier in `order`; a tie between the last two."""

    def choose(first, second, first_on_left):
        if {first, second} == set(order[-2:]):
            return "tie"
        better = first if order.index(first) < order.index(second) else second
        return "left" if (better == first) == first_on_left else "right"

    return choose


def test_the_ranking_is_the_fit_of_the_votes_as_given_and_finds_the_order():
    world = study_world(samples=8, systems=3, raters=4, pairwise=True, pairs_per_sample=3)
    names = [system.name for system in world.systems]
    # A strict order but for the tie, with some upsets so that the fit is finite.
    choose_best = prefer(names)
    annotators = [AnnotatorFactory() for _ in range(4)]
    contrary = prefer(list(reversed(names)))
    by_hand = vote_all(world.study, annotators[:3], choose_best)
    by_hand += vote_all(world.study, annotators[3:], contrary)
    results = study_pairwise_results(study=world.study, seed=3)
    (table,) = results.tables
    expected = bradley_terry(by_hand, sorted(names), seed=3)
    assert results.votes == len(by_hand) == 8 * 3 * 4
    assert next(s.system for s in table.ranking.strengths) == names[0]
    for got, want in zip(table.ranking.strengths, expected.strengths, strict=True):
        assert got.system == want.system
        assert got.theta == pytest.approx(want.theta, abs=1e-12)
        assert (got.low, got.high) == pytest.approx((want.low, want.high), abs=1e-12)
    assert table.ranking.counts == expected.counts
    # The sides were drawn at random, so a preference for a system is none for a side.
    assert table.side.decisive == len([v for v in by_hand if v.outcome != TIE])
    assert 0 <= table.side.share <= 1
    assert table.style is not None or table.style_problem


def test_raters_left_out_and_pairs_held_back_are_not_counted():
    world = study_world(samples=4, systems=2, raters=3, pairwise=True)
    annotators = [AnnotatorFactory() for _ in range(3)]
    names = [system.name for system in world.systems]
    vote_all(world.study, annotators, prefer(names))
    rater_exclude(study=world.study, annotator=annotators[0], reason="too fast throughout", by=None)
    held = world.study.items.order_by("pk").first()
    Item.objects.filter(pk=held.pk).update(screening=Item.Screening.EXCLUDED)
    results = study_pairwise_results(study=world.study)
    assert results.left_out_raters == 1
    assert results.held_back_votes == 3
    assert results.left_out_votes == 3  # their 4 votes less the one on the held pair
    assert results.votes == 12 - 3 - 3
    assert results.tables[0].ranking.votes == 6


def test_no_vote_yet_is_a_ranking_that_says_why_not():
    world = study_world(samples=2, systems=3, raters=1, pairwise=True)
    (table,) = study_pairwise_results(study=world.study).tables
    assert table.ranking.problem
    assert table.style is None
    assert table.side.share is None


def favour(name):
    """Choose the side showing `name`'s answer."""

    def choose(first, second, first_on_left):
        return "left" if (first == name) == first_on_left else "right"

    return choose


@pytest.fixture
def pair_run():
    world = pair_run_world()
    run = world.run
    names = [system.name for system in world.systems]
    voters = [AnnotatorFactory() for _ in range(2)]
    vote_all(run.pair_study, voters[:1], favour(names[0]))
    vote_all(run.pair_study, voters[1:], favour(names[1]))
    return run


def test_the_dashboard_fetches_the_pairwise_panel_and_only_staff_reach_it(client, pair_run):
    url = reverse("admin:reports_evalrun_pairwise", args=[pair_run.pk])
    assert client.get(url).status_code == 302
    client.force_login(AdminFactory())
    page = client.get(reverse("admin:reports_evalrun_dashboard", args=[pair_run.pk]))
    assert f'data-url="{url}"' in page.content.decode()
    panel = client.get(url)
    html = panel.content.decode()
    assert panel.status_code == 200
    assert "6 votes counted" in html
    assert 'class="results win-rate"' in html
    assert "Side bias: the left answer won" in html
    assert "<svg" in html
    no_pairs = run_world()
    assert (
        client.get(reverse("admin:reports_evalrun_pairwise", args=[no_pairs.run.pk])).status_code
        == 404
    )


def read_csv(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


def test_report_pairwise_and_the_exports_say_the_same(pair_run):
    text = call_command("report", str(pair_run.pk), "--pairwise")
    assert "6 votes counted" in text
    assert "side bias" in text
    data = json.loads(call_command("report", str(pair_run.pk), "--pairwise", "--format", "json"))
    (dataset,) = data["datasets"]
    results = study_pairwise_results(study=pair_run.pair_study, seed=pair_run.seed)
    assert [s["system"] for s in dataset["strengths"]] == [
        s.system for s in results.tables[0].ranking.strengths
    ]
    rows = list(
        csv.DictReader(
            io.StringIO(call_command("report", str(pair_run.pk), "--pairwise", "--format", "csv"))
        )
    )
    assert len(rows) == 2  # two systems, each against the other
    assert {row["votes_against"] for row in rows} == {"6"}
    votes = list(
        csv.DictReader(io.StringIO(call_command("report", str(pair_run.pk), "--export", "votes")))
    )
    assert len(votes) == 6
    assert all(row["counted"] == "true" for row in votes)
    assert {row["first_on_left"] for row in votes} <= {"true", "false"}
    assert (
        Assignment.objects.filter(item__study=pair_run.pair_study, status="submitted").count() == 6
    )
