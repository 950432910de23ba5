"""Pairwise LLM judges, against a local OpenAI-compatible server: each pair asked in both
orders (and never a system's name), a verdict the order decides counted as a tie, the
flip rate reported as the judge's position bias, agreement with the experts' votes, and
nothing asked twice."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from generation.services import system_save
from judging.models import Verdict
from judging.services import JudgeRunInvalid, judge_run_run
from reports.selectors.pairwise_results import study_pairwise_results
from reports.services.judging import run_pair_judge_start
from tests.reports.test_pairwise_results import favour, vote_all
from tests.support.factories import AdminFactory, AnnotatorFactory
from tests.support.judge_server import JudgeServer
from tests.support.runs import pair_run_world, run_world

pytestmark = pytest.mark.django_db


@pytest.fixture
def server():
    running = JudgeServer().start()
    yield running
    running.stop()


@pytest.fixture
def pair_run():
    world = pair_run_world()
    return world.run, world


def judge_of(server, name="pair-judge"):
    return system_save(
        name=name,
        fields={"kind": "openai_api", "endpoint": server.url, "model_name": "judge-model",
                "max_retries": 0, "request_timeout_seconds": 2},
    )  # fmt: skip


def judged(run, judge):
    judge_run = run_pair_judge_start(run=run, judge_name=judge.name)
    return judge_run_run(run_id=judge_run.pk)


def test_a_judge_that_always_prefers_the_first_position_flips_every_time_and_ties(server, pair_run):
    run, world = pair_run
    judge = judge_of(server)
    judge_run = judged(run, judge)
    assert judge_run.status == "succeeded"
    # Three pairs, each asked both ways, and the judge saw no system's name.
    assert Verdict.objects.filter(run=judge_run, status="scored").count() == 6
    assert len(server.requests) == 6
    for request in server.requests:
        text = str(request["messages"])
        assert not any(system.name in text for system in world.systems)
    (table,) = study_pairwise_results(study=run.pair_study, seed=run.seed).judges
    assert table.judge == judge.name
    assert (table.swaps.pairs, table.swaps.flipped, table.swaps.flip_rate) == (3, 3, 1.0)
    ((dataset, ranking),) = table.rankings
    assert dataset == world.dataset.name
    # All ties: half a win each way, so the systems come out level.
    assert ranking.votes == 3
    assert [strength.theta for strength in ranking.strengths] == [0.0, 0.0]
    assert ranking.win_rate[0][1] == 0.5
    # Asking again asks nothing.
    again = run_pair_judge_start(run=run, judge_name=judge.name)
    assert again.progress_total == 0
    assert again.status == "succeeded"
    assert len(server.requests) == 6


def test_a_judge_that_reads_the_answers_keeps_its_verdicts_and_agrees_with_the_experts(
    server, pair_run, client
):
    run, world = pair_run
    best = world.systems[0]
    items = list(run.pair_study.items.select_related("response", "other_response"))
    answers = {}
    for item in items:
        mine, theirs = (item.response, item.other_response)
        if mine.system_id != best.pk:
            mine, theirs = theirs, mine
        answers[mine.text, theirs.text] = "A"
        answers[theirs.text, mine.text] = "B"

    def prefer_best(first: str, second: str) -> str:
        # The best system's answer wherever it is shown; a tie where both gave one text.
        return "tie" if first == second else answers[first.strip(), second.strip()]

    server.pair_answer = prefer_best
    experts = [AnnotatorFactory() for _ in range(2)]
    vote_all(run.pair_study, experts, favour(best.name))
    judged(run, judge_of(server))
    (table,) = study_pairwise_results(study=run.pair_study, seed=run.seed).judges
    assert table.swaps.flipped == 0
    same_text = sum(1 for item in items if item.response.text == item.other_response.text)
    assert table.agreement.votes == 6
    assert table.agreement.agreeing == 6 - 2 * same_text
    client.force_login(AdminFactory())
    panel = client.get(reverse("admin:reports_evalrun_pairwise", args=[run.pk])).content.decode()
    assert "0 of 3 verdicts flipped with the order (flip rate 0%)" in panel
    text = call_command("report", str(run.pk), "--pairwise")
    assert f"pairwise judge {table.judge}: 3 pairs asked in both orders" in text
    assert "0 of 3 verdicts flipped with the order (0.0%)" in text


@pytest.mark.django_db(transaction=True)
def test_the_judge_command_compares_the_pairs_and_prints_the_position_bias(server, pair_run):
    # Committed, so that the judge run queued on commit runs (eagerly) within the command.
    run, _ = pair_run
    judge = judge_of(server)
    out = StringIO()
    call_command("judge", str(run.pk), "--judge", judge.name, "--pairwise", stdout=out)
    assert "3 of 3 verdicts flipped with the order (100.0%)" in out.getvalue()


def test_a_run_without_a_pairwise_study_is_refused(server):
    world = run_world()
    with pytest.raises(JudgeRunInvalid, match="no pairwise study"):
        run_pair_judge_start(run=world.run, judge_name=judge_of(server).name)
