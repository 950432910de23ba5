"""Judge runs where they run for real: a Celery worker process on Redis (the API judge
on the default queue), and the local-model path with the tiny demo model on the CPU,
whose answers are no JSON (that is the failure path under test)."""

from __future__ import annotations

import pytest

from annotation.rubric import SCALE_MAXIMUM, SCALES
from generation.models import Response
from generation.services import system_save
from judging.models import JudgeRun, Verdict
from judging.prompt import PROMPT_VERSION, system_message
from judging.services import JudgeRequest, judge_run_create, judge_run_run
from tests.support.factories import SampleFactory, SystemFactory
from tests.support.judge_server import JudgeServer, rule_scores
from tests.support.workers import wait_for


def answers(count: int) -> list[Response]:
    system = SystemFactory(name="answering")
    made = []
    for number in range(count):
        sample = SampleFactory(context=[{"role": "user", "content": f"第{number}位：我很焦虑。"}])
        text = "你的感受很重要。" if number % 2 else "先深呼吸，慢慢说。"
        made.append(Response.objects.create(sample=sample, system=system, text=text))
    return made


def request(judge, responses) -> JudgeRequest:
    return JudgeRequest(
        judge=judge, responses=responses, system_prompt=system_message(SCALES),
        prompt_version=PROMPT_VERSION, scales=SCALE_MAXIMUM,
    )  # fmt: skip


@pytest.mark.services
@pytest.mark.django_db(transaction=True)
def test_a_worker_runs_a_judge_run_from_the_default_queue(worker):
    server = JudgeServer().start()
    try:
        judge = system_save(
            name="judge-on-worker",
            fields={"kind": "openai_api", "endpoint": server.url, "model_name": "j"},
        )
        responses = answers(5)
        run = judge_run_create(request=request(judge, responses))
        wait_for(lambda: JudgeRun.objects.get(pk=run.pk).status == "succeeded", worker, 60)
    finally:
        server.stop()
    for response in responses:
        assert Verdict.objects.get(response=response).scores == rule_scores(response.text)
    assert "judging.tasks.judge_run" in worker.log_text()


@pytest.mark.django_db
def test_the_tiny_local_model_judges_and_its_unreadable_answers_are_failures(tiny_model):
    judge = system_save(
        name="tiny-judge",
        fields={"kind": "hf_local", "checkpoint": str(tiny_model), "device": "cpu"},
    )
    run = judge_run_create(
        request=JudgeRequest(**{**request(judge, answers(3)).__dict__, "max_new_tokens": 16}),
        enqueue=False,
    )
    finished = judge_run_run(run_id=run.pk)
    assert finished.status == JudgeRun.Status.SUCCEEDED  # it answered; the answers failed
    assert finished.progress_done == 3
    for verdict in Verdict.objects.filter(run=run):
        assert verdict.status == Verdict.Status.FAILED
        assert verdict.error.startswith("answer: ")
        assert verdict.raw_output is not None
        assert verdict.completion_tokens
