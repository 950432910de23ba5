"""An openai_api system in API mode `completions` (a base or SoulChat-style model behind
a serving engine) against an OpenAI-compatible /v1/completions server on 127.0.0.1: the
preset's raw prompt goes out with its stop string, the answer comes back cut there."""

from __future__ import annotations

import json
from http.server import BaseHTTPRequestHandler

import pytest
from django.core.management import call_command

from generation.models import GenerationJob, Response, Sample
from generation.services import (
    SystemInvalid,
    generation_job_create,
    generation_job_run,
    system_save,
)
from tests.support.chat_server import ChatServer, answer_send, error_body
from tests.support.factories import SampleFactory

pytestmark = pytest.mark.django_db


class Handler(BaseHTTPRequestHandler):
    server: ChatServer

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.requests.append({"path": self.path, **request})
        if self.path != "/v1/completions":
            answer_send(self, 404, error_body(f"no route {self.path}"))
            return
        # A base model goes on to write the client's next turn, as a serving engine
        # without the stop string would return it.
        text = "听起来你这段时间很辛苦。\n用户：谢谢你。"
        body = json.dumps(
            {
                "id": "c", "object": "text_completion", "created": 0, "model": request["model"],
                "choices": [{"index": 0, "text": text, "finish_reason": "stop", "logprobs": None}],
                "usage": {"prompt_tokens": 30, "completion_tokens": 12, "total_tokens": 42},
            },
            ensure_ascii=False,
        ).encode()  # fmt: skip
        answer_send(self, 200, body)


@pytest.fixture
def engine():
    server = ChatServer(Handler).start()
    yield server
    server.stop()


def test_a_completions_system_sends_the_raw_prompt_and_its_stop_string(engine):
    sample = SampleFactory(
        context=[{"role": "user", "content": "我最近总是失眠。"},
                 {"role": "psychologist", "content": "多久了？"},
                 {"role": "user", "content": "两个月了。"}],
    )  # fmt: skip
    system = system_save(
        name="soulchat-served",
        fields={"kind": "openai_api", "endpoint": engine.url, "model_name": "soulchat",
                "api_mode": "completions", "prompt_preset": "soulchat", "max_retries": 0},
    )  # fmt: skip
    job = generation_job_run(
        job_id=generation_job_create(
            system=system, samples=Sample.objects.filter(pk=sample.pk), enqueue=False
        ).pk
    )
    assert job.status == GenerationJob.Status.SUCCEEDED
    [request] = engine.requests
    assert request["path"] == "/v1/completions"
    assert (
        request["prompt"]
        == "用户：我最近总是失眠。\n心理咨询师：多久了？\n用户：两个月了。\n心理咨询师："
    )
    assert request["stop"] == ["\n用户："]
    response = Response.objects.get(system=system)
    assert response.text == "听起来你这段时间很辛苦。"
    assert (response.prompt_tokens, response.completion_tokens) == (30, 12)


def test_a_chat_preset_cannot_be_served_raw():
    with pytest.raises(SystemInvalid, match="completions sends the raw role-prefixed prompt"):
        system_save(
            name="chat-raw",
            fields={"kind": "openai_api", "endpoint": "http://127.0.0.1:9/v1",
                    "model_name": "m", "api_mode": "completions", "prompt_preset": "chat"},
        )  # fmt: skip


def test_add_system_takes_the_api_mode(engine, capsys):
    call_command(
        "add_system", "served", "--kind", "openai_api", "--endpoint", engine.url,
        "--model", "soulchat", "--api-mode", "completions", "--preset", "soulchat",
    )  # fmt: skip
    from generation.models import System

    assert System.objects.get(name="served").api_mode == "completions"
