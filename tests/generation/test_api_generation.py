"""OpenAI-compatible systems against a real HTTP server that the test runs on 127.0.0.1.

The server's behaviour is chosen by the model name each system asks for.
"""

from __future__ import annotations

import json
import re
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from generation.models import GenerationJob, Response, Sample
from generation.services import generation_job_create, generation_job_run, system_save
from tests.support.factories import SampleFactory

pytestmark = pytest.mark.django_db
Status = GenerationJob.Status


class Endpoint(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.requests: list[dict] = []
        self.headers_seen: list[str] = []
        self.attempts: dict[str, int] = {}
        self.in_flight = 0
        self.most_in_flight = 0
        self.lock = threading.Lock()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/v1"


class Handler(BaseHTTPRequestHandler):
    server: Endpoint

    def log_message(self, *args):
        pass

    def _send(self, status: int, body: bytes, headers: dict | None = None) -> None:
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        server = self.server
        last = request["messages"][-1]["content"]
        with server.lock:
            server.requests.append(request)
            server.headers_seen.append(self.headers.get("Authorization", ""))
            server.attempts[last] = server.attempts.get(last, 0) + 1
            attempt = server.attempts[last]
            server.in_flight += 1
            server.most_in_flight = max(server.most_in_flight, server.in_flight)
        try:
            self._answer(request["model"], attempt, last)
        finally:
            with server.lock:
                server.in_flight -= 1

    def _answer(self, model: str, attempt: int, last: str) -> None:  # noqa: RET503
        if model == "slow":
            time.sleep(1.0)
        if model == "busy" and attempt == 1:
            body = b'{"error": {"message": "rate limited"}}'
            return self._send(429, body, {"retry-after-ms": "10"})
        if model == "broken":
            return self._send(500, b'{"error": {"message": "the model fell over"}}')
        if model == "garbled":
            return self._send(200, b'{"choices": [{"message": ')
        if model == "nested":
            return self._send(200, b"[" * 100_000 + b"]" * 100_000)
        if model == "concurrent":
            time.sleep(0.2)
        which = re.search(r"第\d个", last).group()
        content = "" if model == "silent" else f"我听到了：{which}"
        body = {
            "id": "x",
            "object": "chat.completion",
            "created": 0,
            "model": model,
            "choices": [
                {"index": 0, "finish_reason": "stop",
                 "message": {"role": "assistant", "content": content}}
            ],
            "usage": {"prompt_tokens": 11, "completion_tokens": 7, "total_tokens": 18},
        }  # fmt: skip
        self._send(200, json.dumps(body, ensure_ascii=False).encode())


@pytest.fixture
def endpoint():
    server = Endpoint()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


@pytest.fixture
def samples():
    for number in range(6):
        SampleFactory(context=[{"role": "user", "content": f"第{number}个问题：我睡不着。"}])
    return Sample.objects.all()


def run(endpoint, samples, model: str, **fields) -> GenerationJob:
    system = system_save(
        name=model,
        fields={"kind": "openai_api", "endpoint": endpoint.url, "model_name": model,
                "max_retries": 2, "request_timeout_seconds": 0.5, **fields},
    )  # fmt: skip
    job = generation_job_create(system=system, samples=samples, enqueue=False)
    return generation_job_run(job_id=job.pk)


def test_answers_are_stored_with_their_token_counts(endpoint, samples, monkeypatch):
    monkeypatch.setenv("TEST_API_KEY", "sk-test-123")
    job = run(endpoint, samples, "fine", api_key_env="TEST_API_KEY", decoding={"seed": 5})
    assert job.status == Status.SUCCEEDED
    responses = Response.objects.filter(job=job)
    assert responses.count() == 6
    response = responses.get(sample__context__0__content="第3个问题：我睡不着。")
    assert response.text == "我听到了：第3个"
    assert (response.prompt_tokens, response.completion_tokens) == (11, 7)
    assert response.latency_seconds > 0
    request = endpoint.requests[0]
    assert (request["top_p"], request["temperature"], request["max_tokens"]) == (0.75, 0.95, 512)
    assert request["seed"] == 5
    # The soulchat preset goes as one user message holding the paper's string.
    assert request["messages"][0]["content"].endswith("我睡不着。\n心理咨询师：")
    assert set(endpoint.headers_seen) == {"Bearer sk-test-123"}


def test_a_missing_key_variable_fails_the_job_at_once(endpoint, samples, monkeypatch):
    monkeypatch.delenv("TEST_API_KEY", raising=False)
    job = run(endpoint, samples, "fine", api_key_env="TEST_API_KEY")
    assert job.status == Status.FAILED
    assert "TEST_API_KEY" in job.error
    assert "is not set" in job.error
    assert endpoint.requests == []


def test_a_429_is_retried_and_then_answered(endpoint, samples):
    job = run(endpoint, samples, "busy")
    assert job.status == Status.SUCCEEDED
    assert Response.objects.filter(job=job).count() == 6
    assert sorted(endpoint.attempts.values()) == [2] * 6


def test_a_500_forever_is_a_recorded_reason_per_sample(endpoint, samples):
    job = run(endpoint, samples, "broken")
    assert job.status == Status.FAILED
    assert not Response.objects.exists()
    reasons = set(job.failures.values_list("reason", flat=True))
    assert len(reasons) == 1
    (reason,) = reasons
    assert reason.startswith(f"HTTP 500 from {endpoint.url}")
    assert "the model fell over" in reason
    assert set(endpoint.attempts.values()) == {3}  # the first try and two retries
    assert job.error.startswith("6 of 6 samples have no response; the first reason: HTTP 500")


def test_malformed_json_is_a_recorded_reason(endpoint, samples):
    job = run(endpoint, samples, "garbled")
    assert job.status == Status.FAILED
    assert job.failures.count() == 6
    assert all(
        r.startswith("malformed answer from") for r in job.failures.values_list("reason", flat=True)
    )


def test_json_nested_too_deep_for_the_parser_is_a_recorded_reason(endpoint, samples):
    job = run(endpoint, samples, "nested")
    assert job.status == Status.FAILED
    assert job.failures.count() == 6
    reasons = set(job.failures.values_list("reason", flat=True))
    assert {reason.split(":")[0] for reason in reasons} == {"malformed answer from http"}


def test_a_timeout_is_a_recorded_reason(endpoint, samples):
    job = run(endpoint, samples, "slow", max_retries=0, concurrency=6)
    assert job.status == Status.FAILED
    reason = job.failures.first().reason
    assert reason == f"no answer from {endpoint.url} within 0.5 s (1 attempts)"


def test_an_empty_answer_is_stored_as_empty(endpoint, samples):
    job = run(endpoint, samples, "silent")
    assert job.status == Status.SUCCEEDED
    assert set(Response.objects.values_list("text", flat=True)) == {""}
    assert Response.objects.count() == 6


def test_requests_run_concurrently_up_to_the_limit(endpoint, samples):
    job = run(endpoint, samples, "concurrent", concurrency=3)
    assert job.status == Status.SUCCEEDED
    assert endpoint.most_in_flight == 3


def test_the_chat_preset_sends_messages_with_a_system_prompt(endpoint, samples):
    job = run(endpoint, samples, "fine", prompt_preset="chat", system_prompt="你是一位心理咨询师。",
              decoding={"do_sample": False})  # fmt: skip
    assert job.status == Status.SUCCEEDED
    request = endpoint.requests[0]
    assert request["messages"][0] == {"role": "system", "content": "你是一位心理咨询师。"}
    assert request["messages"][1]["role"] == "user"
    assert request["temperature"] == 0
    assert "top_p" not in request
