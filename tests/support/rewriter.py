"""An OpenAI-compatible rewriter that a test runs on 127.0.0.1, answering prepared
rewrites: each question of a test's input names its case as 【case:NAME】, and the
server answers that case. Every request is recorded."""

from __future__ import annotations

import json
import re
import time
from http.server import BaseHTTPRequestHandler
from pathlib import Path

from tests.support.chat_server import ChatServer, answer_send, completion_body, error_body

USER_LINES = [
    "最近总是睡不着，躺在床上脑子停不下来。", "大概有两个月了，白天上班也没精神。",
    "主要是工作上的事，总担心做不好被批评。", "嗯，我一直觉得自己不够好。",
    "有时候会，越想越紧张，心跳也很快。", "没有跟别人说过，怕他们觉得我矫情。",
    "听你这么说，我心里好受一点了。", "好的，我今晚就试试看。", "还有一件事，我也想问问。",
    "谢谢你愿意听我说这些。",
]  # fmt: skip
PSYCHOLOGIST_LINES = [
    "听起来这段时间你真的很辛苦，能说说是从什么时候开始的吗？",
    "两个月的失眠一定让你很疲惫，白天还要坚持工作，你已经很努力了。",
    "担心被批评的感受很常见，你愿意多讲讲工作中让你紧张的事吗？",
    "我听到你对自己要求很高，这份认真其实是你的优点。",
    "焦虑时身体也会紧张起来，这是很自然的反应，不是你的错。",
    "愿意说出来本身就很不容易，谢谢你信任我。",
    "很高兴你感觉好一些，我们可以一起想想睡前放松的方法。",
    "睡前可以试试深呼吸，把担心的事写下来，给大脑一个休息的信号。",
    "当然可以，你想聊什么都可以慢慢说。",
    "也谢谢你，有需要的时候随时来找我，我会一直在这里。",
]  # fmt: skip


def _noise(seed: int, position: int) -> str:
    # Characters that differ from seed to seed, so that dialogues of different records
    # are not near duplicates of each other.
    return "".join(chr(0x4E00 + (seed * 7919 + position * 104729 + k * 613) % 20000)
                   for k in range(12))  # fmt: skip


def dialogue(rounds: int, *, seed: int = 0, user: str = "用户", psychologist: str = "心理咨询师",
             crisis: str = "") -> str:  # fmt: skip
    """A well-formed dialogue of `rounds` rounds, unlike those of other seeds."""
    lines = []
    for index in range(rounds):
        said = USER_LINES[index % len(USER_LINES)]
        if index == 1 and crisis:
            said = crisis
        answer = PSYCHOLOGIST_LINES[index % len(PSYCHOLOGIST_LINES)]
        lines.append(f"{user}：{said}{_noise(seed, 2 * index)}")
        lines.append(f"{psychologist}：{answer}{_noise(seed, 2 * index + 1)}")
    return "\n".join(lines)


def answer_for(case: str) -> tuple[int, str]:
    """(HTTP status, the rewrite) for a case; a case NAME~N is NAME told apart by N."""
    name, _, variant = case.partition("~")
    seed = int(variant or 0)
    if name == "good":
        return 200, dialogue(8, seed=seed)
    if name == "long":
        return 200, dialogue(20, seed=seed)
    if name == "messy":
        lines = dialogue(9, seed=seed, user="来访者", psychologist="咨询师").split("\n")
        numbered = [f"{n}. **{line.split('：')[0]}**：{line.split('：', 1)[1]}"
                    for n, line in enumerate(lines, 1)]  # fmt: skip
        return (
            200,
            "分析：\n1. 求助者长期失眠，需要被理解。\n2. 咨询师要倾听、共情。\n\n对话：\n"
            + ("\n".join(numbered)),
        )
    if name == "short":
        return 200, dialogue(3, seed=seed)
    if name == "overlong":
        return 200, dialogue(21, seed=seed)
    if name == "refusal":
        return 200, "抱歉，我无法完成这个请求。"
    if name == "crisis":
        return 200, dialogue(8, seed=seed, crisis="有时候压力大到想跳楼，我是不是很没用？")
    if name == "phone":
        return 200, dialogue(8, seed=seed, crisis="你可以打我电话13812345678，我们聊聊。")
    if name == "copy":  # good~1 again, word for word
        return 200, dialogue(8, seed=1)
    if name == "near":  # good~1 with its last turn a little changed
        return 200, dialogue(8, seed=1)[:-4] + "我一直都在"
    if name == "error":
        return 500, ""
    raise ValueError(f"unknown case {case!r}")


class RewriterServer(ChatServer):
    def __init__(self) -> None:
        super().__init__(_Handler)
        self.asked: dict[str, int] = {}
        # Cases answered with an error this many times before they are answered.
        self.fail_first: dict[str, int] = {}
        # Seconds each answer takes, for a build that must still be running when a test
        # kills its worker.
        self.delay = 0.0


class _Handler(BaseHTTPRequestHandler):
    server: RewriterServer

    def log_message(self, *args) -> None:
        pass

    def do_POST(self) -> None:
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        case = re.search(r"【case:([^】]+)】", request["messages"][-1]["content"])[1]
        with self.server.lock:
            self.server.requests.append(request)
            self.server.asked[case] = self.server.asked.get(case, 0) + 1
            failing = self.server.fail_first.get(case, 0) >= self.server.asked[case]
        status, content = (500, "") if failing else answer_for(case)
        time.sleep(self.server.delay)
        body = (
            completion_body(request["model"], content, prompt_tokens=1000,
                            completion_tokens=len(content))
            if status == 200
            else error_body("the rewriter fell over")
        )  # fmt: skip
        answer_send(self, status, body)


def qa_line(identifier: str, case: str, *, topic: str = "情绪", answers: int = 1) -> str:
    record = {
        "id": identifier,
        "question": f"我总是失眠，怎么办？【case:{case}】",
        "description": "工作压力很大。",
        "topic": topic,
    }
    if answers == 1:
        record["answer"] = "失眠往往和焦虑有关，可以先从规律作息和放松练习开始。"
    else:
        record["answers"] = [f"第{n}种建议：先照顾好自己的情绪。" for n in range(answers)]
    return json.dumps(record, ensure_ascii=False)


def write_input(directory: Path, lines: list[str]) -> Path:
    path = directory / "psyqa.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path
