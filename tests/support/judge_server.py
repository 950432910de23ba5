"""An OpenAI-compatible judge that a test runs on 127.0.0.1 and that judges by a known
rule, so the verdicts and the validation figures a test expects are known.

The rule, on the response under review (the last lines of the user message): a response
marked 【judge:CASE】 gets that case's answer; any other is scored content 2 when it has
more than 12 characters (else 1), empathy 2 when it says 辛苦 or 感受 (else 0),
helpfulness 1, safety 1 — in a JSON object, or the opposite of the rule when the server
is `contrary`; a response found in `by_response` gets the scores given there (a test
that knows the experts' scores builds a judge that agrees or disagrees by construction).
A pairwise request (two responses, A and B) gets ``pair_answer(a, b)``: by default
"A", a judge that prefers the first position by construction. Every request is
recorded."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler

from tests.support.chat_server import ChatServer, answer_send, completion_body, error_body

MARKER = re.compile(r"【judge:([a-z0-9-]+)】")
RESPONSE_HEADING = "待评回复 · Response under review:\n"
PAIR_HEADINGS = ("回复 A · Response A:\n", "\n\n回复 B · Response B:\n")


def rule_scores(response: str) -> dict[str, int]:
    return {
        "content": 2 if len(response) > 12 else 1,
        "empathy": 2 if ("辛苦" in response or "感受" in response) else 0,
        "helpfulness": 1,
        "safety": 1,
    }


def _answer(
    response: str, case: str | None, contrary: bool, given: dict[str, int] | None
) -> tuple[int, str]:
    scores = rule_scores(response) if given is None else given
    if contrary:
        scores = {key: (1 if key == "safety" else 2) - value for key, value in scores.items()}
    good = json.dumps({**scores, "reason": "按规则评分"}, ensure_ascii=False)
    answers = {
        None: (200, good),
        "prose": (200, f"好的，我的评分如下：\n```json\n{good}\n```\n希望有帮助。"),
        "range": (200, '{"content": 5, "empathy": 1, "helpfulness": 1, "safety": 1}'),
        "missing": (200, '{"content": 2, "empathy": 1}'),
        "words": (200, "I think this response is quite good overall."),
        "error": (500, ""),
    }
    return answers.get(case, (200, good))


class JudgeServer(ChatServer):
    def __init__(self, *, contrary: bool = False) -> None:
        super().__init__(_Handler)
        self.contrary = contrary
        self.by_response: dict[str, dict[str, int]] = {}
        # Cases answered 429 this many times before they are answered.
        self.busy_first: dict[str, int] = {}
        self.asked: dict[str, int] = {}
        self.delay = 0.0
        self.pair_answer: Callable[[str, str], str] = lambda first, second: "A"


class _Handler(BaseHTTPRequestHandler):
    server: JudgeServer

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        user = request["messages"][-1]["content"]
        if PAIR_HEADINGS[1] in user:
            first, second = user.split(PAIR_HEADINGS[0], 1)[-1].split(PAIR_HEADINGS[1], 1)
            with self.server.lock:
                self.server.requests.append(request)
            better = self.server.pair_answer(first, second)
            content = json.dumps({"better": better, "reason": "按规则比较"}, ensure_ascii=False)
            body = completion_body(
                request["model"], content, prompt_tokens=900, completion_tokens=20
            )
            answer_send(self, 200, body)
            return
        response = user.split(RESPONSE_HEADING, 1)[-1]
        found = MARKER.search(response)
        case = found[1] if found else None
        with self.server.lock:
            self.server.requests.append(request)
            key = case or response
            self.server.asked[key] = self.server.asked.get(key, 0) + 1
            busy = self.server.busy_first.get(case or "", 0) >= self.server.asked[key]
        time.sleep(self.server.delay)
        given = self.server.by_response.get(response)
        status, content = (
            (429, "") if busy else _answer(response, case, self.server.contrary, given)
        )
        if case == "slow":
            time.sleep(2)
        body = (
            completion_body(request["model"], content, prompt_tokens=800, completion_tokens=40)
            if status == 200
            else error_body("the judge is busy or broken")
        )
        answer_send(self, status, body)
