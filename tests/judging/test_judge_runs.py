"""Judge runs against an OpenAI-compatible judge on 127.0.0.1 (tests/support/
judge_server.py) that judges by a known rule: verdicts stored once, failures recorded
with the raw answer, 429s retried, 500s and timeouts recorded, a killed run resumed."""

from __future__ import annotations

from decimal import Decimal

import pytest

from annotation.rubric import SCALE_MAXIMUM, SCALES
from generation.models import Response, System
from generation.services import system_save
from judging.models import JudgeRun, Verdict
from judging.prompt import PROMPT_VERSION, system_message
from judging.services import (
    JudgeCost,
    JudgeRequest,
    JudgeRunInvalid,
    judge_run_cost,
    judge_run_create,
    judge_run_resume,
    judge_run_run,
)
from tests.support.factories import SampleFactory, SystemFactory
from tests.support.judge_server import JudgeServer, rule_scores

pytestmark = pytest.mark.django_db

TEXTS = ["听起来你这段时间真的很辛苦，愿意多说说吗？", "早点睡。", "你的感受很重要。"]


@pytest.fixture
def server():
    running = JudgeServer().start()
    yield running
    running.stop()


def judge_for(server, **fields):
    return system_save(
        name=fields.pop("name", "judge-model"),
        fields={"kind": "openai_api", "endpoint": server.url, "model_name": "judge-model",
                "max_retries": 2, "request_timeout_seconds": 0.5, **fields},
    )  # fmt: skip


def responses(texts, system_name="Secret-System-7B"):
    system = SystemFactory(name=system_name)
    made = []
    for number, text in enumerate(texts):
        sample = SampleFactory(context=[{"role": "user", "content": f"第{number}位：我睡不着。"}])
        made.append(Response.objects.create(sample=sample, system=system, text=text))
    return made


def judged(judge, answers, **options) -> JudgeRun:
    run = judge_run_create(
        request=JudgeRequest(
            judge=judge, responses=answers, system_prompt=system_message(SCALES),
            prompt_version=PROMPT_VERSION, scales=SCALE_MAXIMUM, **options,
        ),
        enqueue=False,
    )  # fmt: skip
    return judge_run_run(run_id=run.pk) or JudgeRun.objects.get(pk=run.pk)


def test_each_response_gets_the_rules_scores_and_the_judge_never_sees_the_system(server):
    answers = responses(TEXTS)
    run = judged(judge_for(server), answers)
    assert run.status == JudgeRun.Status.SUCCEEDED
    assert (run.progress_done, run.progress_total, run.calls) == (3, 3, 3)
    assert (run.prompt_tokens, run.completion_tokens) == (2400, 120)
    assert judge_run_cost(run) is None  # no prices
    priced = System.objects.filter(pk=run.judge_id)
    priced.update(input_price_per_million=Decimal("2.5"), output_price_per_million=Decimal(10))
    run.refresh_from_db()
    assert judge_run_cost(run) == JudgeCost(Decimal("0.0072"), "USD")
    for answer in answers:
        verdict = Verdict.objects.get(response=answer)
        assert verdict.status == Verdict.Status.SCORED
        assert verdict.scores == rule_scores(answer.text)
        assert verdict.reason == "按规则评分"
        assert verdict.raw_output.startswith("{")
    sent = repr(server.requests)
    assert "Secret-System-7B" not in sent
    assert all(
        request["messages"][0]["content"] == run.system_prompt for request in server.requests
    )
    assert {request["temperature"] for request in server.requests} == {0}


@pytest.mark.parametrize(
    ("case", "status", "error"),
    [
        ("prose", "scored", ""),
        ("range", "failed", "answer: content 5 is out of range 0–2"),
        ("missing", "failed", "answer: helpfulness missing; safety missing"),
        ("words", "failed", "answer: no JSON object in the answer"),
        ("error", "failed", "request: HTTP 500"),
        ("slow", "failed", "request: no answer from"),
    ],
)
def test_every_answer_is_read_or_recorded_as_a_failure_with_its_text(server, case, status, error):
    [answer] = responses([f"回复【judge:{case}】"])
    run = judged(judge_for(server), [answer])
    verdict = Verdict.objects.get(response=answer)
    assert verdict.status == status
    assert verdict.error.startswith(error)
    if error.startswith("answer:"):
        assert verdict.raw_output  # what the judge said, kept
        assert verdict.scores == {}
    if error.startswith("request:"):
        assert run.status == JudgeRun.Status.FAILED
        assert f"judge --resume {run.pk}" in run.error


def test_a_busy_judge_is_asked_again(server):
    server.busy_first["busy"] = 1
    [answer] = responses(["谢谢你说出来【judge:busy】"])
    run = judged(judge_for(server), [answer])
    assert Verdict.objects.get(response=answer).status == Verdict.Status.SCORED
    assert run.status == JudgeRun.Status.SUCCEEDED
    assert len(server.requests) == 2


def test_judging_again_stores_nothing_twice(server):
    answers = responses(TEXTS)
    judge = judge_for(server)
    judged(judge, answers)
    again = judged(judge, answers)
    assert again.status == JudgeRun.Status.SUCCEEDED
    assert again.progress_total == 0
    assert Verdict.objects.count() == 3
    assert len(server.requests) == 3
    twice = judged(judge, answers, passes=2)
    assert twice.progress_total == 3  # only the second pass is new
    assert Verdict.objects.filter(judge_pass=2).count() == 3


def test_a_run_killed_mid_way_resumes_without_duplicates(server):
    answers = responses([f"第{n}条：你的感受很重要，愿意多说一点吗？" for n in range(6)])
    judge = judge_for(server, concurrency=1)  # windows of 4
    run = judge_run_create(
        request=JudgeRequest(
            judge=judge, responses=answers, system_prompt=system_message(SCALES),
            prompt_version=PROMPT_VERSION, scales=SCALE_MAXIMUM,
        ),
        enqueue=False,
    )  # fmt: skip

    def killed(done, total):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        judge_run_run(run_id=run.pk, on_progress=killed)
    assert Verdict.objects.filter(status="scored").count() == 4
    finished = judge_run_run(run_id=run.pk)
    assert finished.status == JudgeRun.Status.SUCCEEDED
    assert Verdict.objects.filter(status="scored").count() == 6
    assert len(server.requests) == 6  # each response asked once


def test_resume_asks_again_only_what_got_no_answer(server):
    answers = responses(["回复【judge:error】", "回复【judge:range】", TEXTS[0]])
    judge = judge_for(server)
    run = judged(judge, answers)
    assert run.status == JudgeRun.Status.FAILED
    asked = len(server.requests)
    resumed = judge_run_resume(run=run)
    assert resumed.verdicts.filter(status="pending").count() == 1
    again = judge_run_run(run_id=run.pk)
    assert len(server.requests) == asked + 3  # the 500 once more, with the SDK's 2 retries
    assert again.verdicts.count() == 3
    assert again.verdicts.get(response=answers[1]).error.startswith("answer:")


@pytest.mark.parametrize("kind", ["imported", "reference"])
def test_a_system_that_answers_nothing_cannot_judge(server, kind):
    answers = responses(TEXTS[:1])
    judge = SystemFactory(name=f"not-a-judge-{kind}", kind=kind)
    with pytest.raises(JudgeRunInvalid, match="cannot judge"):
        judged(judge, answers)
    assert not JudgeRun.objects.exists()


def test_no_response_to_judge_is_refused(server):
    with pytest.raises(JudgeRunInvalid, match="no response"):
        judged(judge_for(server), [])
    assert not JudgeRun.objects.exists()


def test_a_cancelled_run_stops_and_asks_no_second_pass(server):
    from judging.services import judge_run_cancel

    answers = responses([f"第{n}条：你的感受很重要。" for n in range(6)])
    judge = judge_for(server, concurrency=1)  # windows of 4
    run = judge_run_create(
        request=JudgeRequest(
            judge=judge, responses=answers, system_prompt=system_message(SCALES),
            prompt_version=PROMPT_VERSION, scales=SCALE_MAXIMUM, passes=2,
        ),
        enqueue=False,
    )  # fmt: skip
    stopped = judge_run_run(
        run_id=run.pk, on_progress=lambda done, total: judge_run_cancel(run=run)
    )
    assert stopped.status == JudgeRun.Status.CANCELLED
    assert len(server.requests) == 4
    assert Verdict.objects.filter(run=run, judge_pass=2, status="pending").count() == 6
