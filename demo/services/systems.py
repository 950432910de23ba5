"""The demo's systems: a model trained from the shipped demo corpus, registered as a
local system, and canned replies imported from a file the demo writes."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from generation.dataset_formats import read_file, source_files
from generation.dialogues import TRAIN, Dialogue, split_for
from generation.models import Sample, System
from generation.prompts import role_prefixed_transcript
from generation.services.systems import system_save

if TYPE_CHECKING:
    from demo.model import DemoModelReport

DEMO_CORPUS = Path(settings.BASE_DIR) / "demo" / "corpus"
DEMO_SYSTEM = "demo-tiny"
DEMO_DATASET = "demo-counselling"
# setup_demo imports the corpus with this test ratio (and the importer's default seed):
# the demo models learn from the other dialogues only, so Table 1 is a test.
DEMO_TEST_RATIO = 0.25
DEMO_SPLIT_SEED = "0"


@dataclass(frozen=True)
class DemoModelResult:
    system: System
    directory: Path
    # None when an existing checkpoint was reused.
    report: DemoModelReport | None


def demo_corpus_texts(corpus: Path = DEMO_CORPUS, *, train_only: bool = True) -> list[str]:
    """Each demo dialogue of the train split as the model sees a conversation: the
    `soulchat` layout. The test dialogues, which the demo's runs evaluate on, are left
    out: a model that has read them scores 100 on every metric (`train_only=False` is
    for a model that is never evaluated, only run)."""
    texts = []
    for path in source_files(corpus, "soulchat"):
        for record in read_file(path, "soulchat"):
            if isinstance(record, Dialogue) and (not train_only or _in_train_split(record)):
                texts.append(role_prefixed_transcript(record.turns))
    return texts


def _in_train_split(dialogue: Dialogue) -> bool:
    split = split_for(
        dataset_name=DEMO_DATASET, dialogue_id=dialogue.source_id,
        test_ratio=DEMO_TEST_RATIO, seed=DEMO_SPLIT_SEED,
    )  # fmt: skip
    return split == TRAIN


def demo_model_install(
    *,
    name: str = DEMO_SYSTEM,
    directory: Path | None = None,
    steps: int | None = None,
    rebuild: bool = False,
    on_step: Callable[[int, float], None] | None = None,
) -> DemoModelResult:
    """Build the demo checkpoint unless it is there, and register it as an `hf_local`
    system (the same loading path a user's 7B checkpoint takes)."""
    from demo.model import DemoModelSize, demo_model_build

    if steps is not None and steps < 1:
        raise ValueError(f"the demo model needs at least 1 training step, not {steps}")
    directory = directory or Path(settings.VAR_DIR) / "models" / name
    report = None
    if rebuild or not (directory / "config.json").is_file():
        size = DemoModelSize() if steps is None else DemoModelSize(steps=steps)
        report = demo_model_build(
            texts=demo_corpus_texts(), directory=directory, size=size, on_step=on_step
        )
    fields = {
        "kind": System.Kind.HF_LOCAL,
        "checkpoint": str(directory.resolve()),
        "description": "Tiny demo model trained on the demo corpus: its output is babble.",
        "device": "cpu",
        "decoding": {"max_new_tokens": 64},
    }
    existing = System.objects.filter(name=name).first()
    if existing is not None and report is not None:
        # A rebuilt model answers differently: its old answers are not its own.
        existing.responses.all().delete()
    system = system_save(name=name, fields=fields, update=existing is not None)
    return DemoModelResult(system=system, directory=directory, report=report)


DEMO_CANNED_SYSTEM = "demo-canned"
# A template baseline: the same few warm, generic replies whatever was said (long generic
# answers are what Distinct-n and length columns are there to expose). Two of them give
# their maker away, as chat models do, so the demo's study has items held back for an
# admin's review before any annotator sees them.
DEMO_CANNED_REPLIES = (
    "听起来你最近承受了很多压力，这种感受是可以理解的。你愿意和我多说说是什么让你最难受吗？",
    "谢谢你愿意说出来。你的感受很重要，我们可以一起慢慢理清楚，先从最困扰你的那件事开始好吗？",
    "我能感觉到你很不容易。试着给自己一点时间休息，也可以和信任的人聊一聊，你并不孤单。",
    "这种情况确实让人很焦虑。你之前有没有试过什么方法，让自己好受一些？",
)
DEMO_CANNED_LEAKS = (
    "作为一个AI语言模型，我没有亲身经历，但我能理解你现在很难受。你愿意多说说发生了什么吗？",
    "我是ChatGLM，很高兴陪你聊聊。你的担心很正常，我们一起想想可以先做些什么。",
)


def demo_canned_install(*, dataset_name: str) -> System:
    """Writes the demo's canned replies to every test sample of the demo dataset (the
    first two leak their maker's identity) and registers them as an imported system;
    running it again changes nothing."""
    samples = list(
        Sample.objects.filter(dataset__name=dataset_name, split=Sample.Split.TEST)
        .order_by("pk")
        .values_list("source_id", flat=True)
    )
    directory = Path(settings.VAR_DIR) / "demo"
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{DEMO_CANNED_SYSTEM}.jsonl"
    leaks, replies = len(DEMO_CANNED_LEAKS), DEMO_CANNED_REPLIES
    lines = [
        json.dumps(
            {
                "source_id": source_id,
                "response": DEMO_CANNED_LEAKS[index]
                if index < leaks
                else replies[(index - leaks) % len(replies)],
            },
            ensure_ascii=False,
        )
        for index, source_id in enumerate(samples)
    ]
    path.write_text("".join(f"{line}\n" for line in lines), encoding="utf-8")
    fields = {
        "kind": System.Kind.IMPORTED,
        "responses_file": str(path.resolve()),
        "description": "Canned generic replies, two of which name an AI: the demo's "
        "template baseline and its identity-screening example.",
    }
    existing = System.objects.filter(name=DEMO_CANNED_SYSTEM).exists()
    return system_save(name=DEMO_CANNED_SYSTEM, fields=fields, update=existing)
