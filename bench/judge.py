"""Judge throughput: verdicts per second of a judge run against an OpenAI-compatible
judge on 127.0.0.1 (the tests' rule-following server) at a given concurrency, beside
the reference: the OpenAI SDK alone making the same calls at the same concurrency in the
same process. The ratio is the cost of building prompts, parsing answers and storing
verdicts under row locks.

    .venv/bin/python bench/judge.py [--responses 400] [--concurrency 8]
        [--database-url postgres://…/souleval_bench]
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from scratch import scratch_django


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url")
    parser.add_argument("--responses", type=int, default=400)
    parser.add_argument("--concurrency", type=int, default=8)
    args = parser.parse_args()
    if args.responses < 1 or args.concurrency < 1:
        parser.error("--responses and --concurrency must be at least 1")
    database_url = scratch_django(parser, args.database_url)
    import openai
    from django.core.management import call_command

    from annotation.rubric import SCALE_MAXIMUM, SCALES
    from generation.models import Dataset, Response, Sample, System
    from generation.services import system_save
    from judging.models import Verdict
    from judging.prompt import PROMPT_VERSION, Turn, judge_messages, system_message
    from judging.services import JudgeRequest, judge_run_create, judge_run_run
    from tests.support.judge_server import JudgeServer

    call_command("migrate", verbosity=0)
    server = JudgeServer().start()
    dataset = Dataset.objects.create(name="bench", source_format="soulchat", test_ratio=1.0)
    answering = System.objects.create(name="answering", kind="imported", responses_file="x")
    responses = []
    for number in range(args.responses):
        sample = Sample.objects.create(
            dataset=dataset, split="test", dialogue_id=f"b{number}", turn_index=1,
            source_id=f"b{number}#1", reference="", context_turns=1,
            context=[{"role": "user", "content": f"第{number}位来访者：我最近总是失眠。"}],
        )  # fmt: skip
        responses.append(
            Response(sample=sample, system=answering, text=f"听起来你很辛苦，第{number}次。")
        )
    Response.objects.bulk_create(responses)
    responses = list(Response.objects.select_related("sample"))
    judge = system_save(
        name="bench-judge",
        fields={"kind": "openai_api", "endpoint": server.url, "model_name": "judge",
                "concurrency": args.concurrency},
    )  # fmt: skip
    system = system_message(SCALES)

    client = openai.OpenAI(base_url=server.url, api_key="not-needed")

    def call(response: Response) -> str:
        conversation = [Turn(turn["role"], turn["content"]) for turn in response.sample.context]
        answer = client.chat.completions.create(
            model="judge", messages=judge_messages(system, conversation, response.text),
            max_tokens=256, temperature=0,
        )  # fmt: skip
        return answer.choices[0].message.content or ""

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=args.concurrency) as pool:
        answered = sum(1 for text in pool.map(call, responses) if text)
    reference = time.perf_counter() - started

    run = judge_run_create(
        request=JudgeRequest(
            judge=judge, responses=responses, system_prompt=system,
            prompt_version=PROMPT_VERSION, scales=SCALE_MAXIMUM,
        ),
        enqueue=False,
    )  # fmt: skip
    started = time.perf_counter()
    judge_run_run(run_id=run.pk)
    elapsed = time.perf_counter() - started
    server.stop()
    scored = Verdict.objects.filter(run=run, status="scored").count()
    engine = database_url.split(":", 1)[0]
    print(
        f"{args.responses} responses, concurrency {args.concurrency}, on {engine}: judge run "
        f"{elapsed:.2f} s, {scored / elapsed:.0f} verdicts/s ({scored} scored); the SDK alone "
        f"{reference:.2f} s, {answered / reference:.0f} answers/s; ratio run/SDK "
        f"{elapsed / reference:.2f}×"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
