"""The dashboard's figures are kept under a digest of everything they are computed from
(reports.selectors.dashboard_state): a reload with nothing changed reuses them, and every
kind of change a platform user can make — through the services they make it with —
gives the next load freshly computed figures, so a kept page is never stale."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import pytest
from django.core.cache import cache
from django.test import TestCase
from django.urls import reverse
from django.utils import timezone

from annotation.models import Item, Rating, SafetyFlag
from annotation.services import (
    assignment_next,
    exclusion_undo,
    gold_item_add,
    item_screening_decide,
    rater_exclude,
    rating_exclude,
    rating_revise,
    rating_submit,
    study_status_set,
)
from generation.models import Response
from generation.services import system_save
from judging.models import Verdict
from judging.services import judge_run_run
from reports.models import EvalRun, ResponseScore
from reports.selectors.runs import run_responses
from reports.services.judging import run_judge_start
from reports.services.scoring import responses_score
from tests.support.factories import AdminFactory, AnnotatorFactory, SampleFactory
from tests.support.judge_server import JudgeServer
from tests.support.runs import RunWorld, rate_all, run_world

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


@pytest.fixture
def world() -> RunWorld:
    world = run_world(samples=6, human=4, raters=2)
    rate_all(world)
    return world


def _load(client, run: EvalRun, **params):
    page = client.get(reverse("admin:reports_evalrun_dashboard", args=[run.pk]), params)
    assert page.status_code == 200
    return page


def _first_rating(world: RunWorld) -> Rating:
    return Rating.objects.filter(assignment__item__study=world.run.study).order_by("pk").first()


def _revise(world: RunWorld) -> None:
    rating = _first_rating(world)
    rating_revise(
        annotator=rating.assignment.annotator,
        item_public_id=rating.assignment.item.public_id,
        scores={"content": 2 - rating.content, "empathy": rating.empathy,
                "helpfulness": rating.helpfulness, "safety": rating.safety},
        comment="", active_seconds=30, submission_id=uuid.uuid4(),
    )  # fmt: skip


def _submit_new(world: RunWorld) -> None:
    annotator = AnnotatorFactory()
    assignment = assignment_next(annotator=annotator, study=world.run.study)
    if assignment is None:  # every slot is taken: one more rater per item
        world.run.study.items.update(slots=3)
        assignment = assignment_next(annotator=annotator, study=world.run.study)
    rating_submit(
        annotator=annotator, item_public_id=assignment.item.public_id,
        scores={"content": 0, "empathy": 0, "helpfulness": 0, "safety": 1},
        comment="", active_seconds=40, submission_id=uuid.uuid4(),
    )  # fmt: skip


def _exclude_rater(world: RunWorld) -> None:
    rater_exclude(study=world.run.study, annotator=world.annotators[0], reason="too fast", by=None)


def _exclude_rating(world: RunWorld) -> None:
    rating_exclude(rating=_first_rating(world), reason="pasted text", by=None)


def _screen(world: RunWorld) -> None:
    item = world.run.study.items.filter(is_gold=False).order_by("pk").first()
    Item.objects.filter(pk=item.pk).update(screening=Item.Screening.HELD)
    item_screening_decide(item=item, decision="exclude", by=None)


def _review_flag(world: RunWorld) -> None:
    # The admin's "mark reviewed" action writes the review in bulk, as here.
    assert SafetyFlag.objects.filter(response__items__study=world.run.study).exists()
    SafetyFlag.objects.filter(response__items__study=world.run.study).update(
        reviewed_at=timezone.now()
    )


def _add_gold(world: RunWorld) -> None:
    response = run_responses(run=world.run).filter(items=None).order_by("pk").first()
    gold_item_add(
        study=world.run.study, response=response,
        expected={"content": 2, "empathy": 2, "helpfulness": 2, "safety": 1},
    )  # fmt: skip


def _pause_study(world: RunWorld) -> None:
    study_status_set(study=world.run.study, status="paused")


def _new_score(world: RunWorld) -> None:
    # A response scored afresh (its score lost and computed again gets a new id).
    score = ResponseScore.objects.filter(response__system=world.systems[0]).order_by("pk").last()
    response_id = score.response_id
    score.delete()
    assert responses_score(response_ids=[response_id]) == 1


def _new_response(world: RunWorld) -> None:
    # A sample of the run one system had not answered yet gets its answer.
    response = run_responses(run=world.run).filter(system=world.systems[1], items=None).first()
    sample = response.sample
    response.automatic_scores.delete()
    response.delete()
    Response.objects.create(sample=sample, system=world.systems[1], text="新的回答。")


CHANGES: dict[str, Callable[[RunWorld], None]] = {
    "a new rating": _submit_new,
    "a revision": _revise,
    "a rater left out": _exclude_rater,
    "a rating left out": _exclude_rating,
    "a screening decision": _screen,
    "a safety flag reviewed": _review_flag,
    "a gold item": _add_gold,
    "the study paused": _pause_study,
    "a response scored again": _new_score,
    "a response replaced": _new_response,
}


def test_a_reload_with_nothing_changed_keeps_the_figures(client, world):
    client.force_login(AdminFactory())
    first = _load(client, world.run)
    again = _load(client, world.run)
    assert first.context["figures_kept"] is False
    assert again.context["figures_kept"] is True
    # The page says which it is.
    assert "computed for this visit" in first.content.decode()
    assert "computed at an earlier visit" in again.content.decode()
    assert again.context["table"] == first.context["table"]
    assert again.context["annotators"] == first.context["annotators"]
    # Each ratings view has its own figures.
    assert _load(client, world.run, ratings="all").context["figures_kept"] is False


@pytest.mark.parametrize("change", CHANGES, ids=list(CHANGES))
def test_every_change_gives_freshly_computed_figures(client, world, change):
    client.force_login(AdminFactory())
    _load(client, world.run)
    assert _load(client, world.run).context["figures_kept"] is True
    CHANGES[change](world)
    fresh = _load(client, world.run)
    assert fresh.context["figures_kept"] is False, f"{change}: the kept figures were shown"
    cache.clear()
    recomputed = _load(client, world.run)
    # What the fresh load showed is what the figures are now.
    assert fresh.context["table"] == recomputed.context["table"]
    assert fresh.context["annotators"] == recomputed.context["annotators"]
    assert fresh.context["unsafe"] == recomputed.context["unsafe"]


def test_an_exclusion_undone_gives_fresh_figures(client, world):
    exclusion = rater_exclude(
        study=world.run.study, annotator=world.annotators[0], reason="too fast", by=None
    )
    client.force_login(AdminFactory())
    left_out = _load(client, world.run)
    assert _load(client, world.run).context["figures_kept"] is True
    exclusion_undo(exclusion=exclusion, by=None)
    back = _load(client, world.run)
    assert back.context["figures_kept"] is False
    assert back.context["table"] != left_out.context["table"]


def test_a_revision_shows_at_once_in_table_1(client, world):
    client.force_login(AdminFactory())
    system = _first_rating(world).assignment.item.response.system.name

    def content_mean(page) -> float:
        row = next(row for row in page.context["table"].rows if row.system == system)
        return row.cells["content"].mean

    before = content_mean(_load(client, world.run))
    _revise(world)
    after = content_mean(_load(client, world.run))
    assert after != before


def test_verdicts_answered_in_bulk_give_fresh_figures(client, world):
    server = JudgeServer().start()
    try:
        system_save(
            name="cache-judge",
            fields={"kind": "openai_api", "endpoint": server.url, "model_name": "cache-judge",
                    "max_retries": 1, "request_timeout_seconds": 2},
        )  # fmt: skip
        judge_run = run_judge_start(run=world.run, judge_name="cache-judge", limit=2)
        client.force_login(AdminFactory())
        pending = _load(client, world.run)
        assert Verdict.objects.filter(status=Verdict.Status.PENDING).exists()
        assert _load(client, world.run).context["figures_kept"] is True
        # The judge's answers are stored with bulk_update, which sets no change time.
        with TestCase.captureOnCommitCallbacks(execute=True):
            judge_run_run(run_id=judge_run.pk)
        answered = _load(client, world.run)
        assert answered.context["figures_kept"] is False
        assert answered.context["judges"] != pending.context["judges"]
    finally:
        server.stop()


def test_a_sample_added_to_the_dataset_outside_the_run_keeps_the_figures(client, world):
    client.force_login(AdminFactory())
    _load(client, world.run)
    SampleFactory(dataset=world.dataset)
    assert _load(client, world.run).context["figures_kept"] is True


def test_a_rating_recomputes_only_the_human_figures(client, world, monkeypatch):
    from reports.selectors import automatic_cells

    computed = []
    original = automatic_cells._system_rows

    def counted(run, profile):
        computed.append(run.pk)
        return original(run, profile)

    monkeypatch.setattr(automatic_cells, "_system_rows", counted)
    client.force_login(AdminFactory())
    # The run's last advance computed the automatic part: the first visit reads it.
    assert _load(client, world.run).context["figures_kept"] is False
    assert computed == []
    _revise(world)
    _exclude_rater(world)
    assert _load(client, world.run).context["figures_kept"] is False
    assert computed == [], "a rating recomputed the automatic metrics"
    _new_score(world)
    _load(client, world.run)
    assert computed == [world.run.pk]
