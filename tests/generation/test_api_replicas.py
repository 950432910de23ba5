"""An openai_api system served by several replicas of one model: requests are spread over
them with `concurrency` in flight at each, against local OpenAI-compatible servers."""

from __future__ import annotations

import json
import time
from http.server import BaseHTTPRequestHandler

import pytest
from django.core.management import call_command

from generation.models import GenerationJob, Response, Sample, System
from generation.services import (
    SystemInvalid,
    generation_job_create,
    generation_job_run,
    system_save,
)
from tests.support.chat_server import ChatServer, answer_send, completion_body
from tests.support.factories import SampleFactory

pytestmark = pytest.mark.django_db


class Replica(ChatServer):
    """A chat server that counts the requests it holds at once; ``delay`` is how long it
    takes to answer one."""

    def __init__(self, delay: float) -> None:
        super().__init__(Handler)
        self.delay = delay
        self.in_flight = 0
        self.most_in_flight = 0
        self.answered = 0


class Handler(BaseHTTPRequestHandler):
    server: Replica

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.in_flight += 1
            self.server.most_in_flight = max(self.server.most_in_flight, self.server.in_flight)
        time.sleep(self.server.delay)
        with self.server.lock:
            self.server.in_flight -= 1
            self.server.answered += 1
        body = completion_body(request["model"], "我在听。", prompt_tokens=9, completion_tokens=4)
        answer_send(self, 200, body)


@pytest.fixture
def replicas():
    servers = [Replica(delay=0.05).start(), Replica(delay=0.05).start(), Replica(0.2).start()]
    yield servers
    for server in servers:
        server.stop()


def test_requests_are_spread_over_the_replicas_with_the_concurrency_at_each(replicas):
    samples = [SampleFactory() for _ in range(36)]
    first, *others = replicas
    system = system_save(
        name="served-thrice",
        fields={"kind": "openai_api", "endpoint": first.url, "model_name": "m",
                "replica_endpoints": "\n".join(server.url for server in others),
                "concurrency": 2, "max_retries": 0},
    )  # fmt: skip
    job = generation_job_run(
        job_id=generation_job_create(
            system=system,
            samples=Sample.objects.filter(pk__in=[s.pk for s in samples]),
            enqueue=False,
        ).pk
    )
    assert job.status == GenerationJob.Status.SUCCEEDED
    assert Response.objects.filter(system=system).count() == 36
    assert sum(server.answered for server in replicas) == 36
    assert all(server.answered > 0 for server in replicas)
    assert all(server.most_in_flight <= 2 for server in replicas)
    # The slow replica frees its slots later, so it takes less of the work.
    assert replicas[2].answered < replicas[0].answered


def test_a_replica_that_is_not_a_url_is_refused_and_nothing_is_stored():
    with pytest.raises(SystemInvalid, match="line 2, 'not a url'"):
        system_save(
            name="badly-served",
            fields={"kind": "openai_api", "endpoint": "http://127.0.0.1:9/v1",
                    "model_name": "m", "replica_endpoints": "http://127.0.0.1:8/v1\nnot a url"},
        )  # fmt: skip
    assert not System.objects.filter(name="badly-served").exists()


def test_add_system_takes_replicas_and_they_may_change_after_answers():
    gpu = [f"http://gpu{n}.lab.example:8000/v1" for n in range(1, 5)]
    call_command(
        "add_system", "replicated", "--kind", "openai_api", "--endpoint", gpu[0],
        "--replica", gpu[1], "--replica", gpu[2], "--model", "m",
    )  # fmt: skip
    system = System.objects.get(name="replicated")
    assert system.endpoints() == gpu[:3]
    Response.objects.create(sample=SampleFactory(), system=system, text="x")
    # Another replica of the same model serves the same answers: not a new configuration.
    system_save(name="replicated", fields={"replica_endpoints": gpu[3]}, update=True)
    assert System.objects.get(name="replicated").endpoints() == [gpu[0], gpu[3]]
