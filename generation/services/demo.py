"""The demo model: trained from the shipped demo corpus, registered as a local system."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from django.conf import settings

from generation.dataset_formats import read_file, source_files
from generation.dialogues import Dialogue
from generation.models import System
from generation.prompts import role_prefixed_transcript
from generation.services.systems import system_save

if TYPE_CHECKING:
    from generation.demo_model import DemoModelReport

DEMO_CORPUS = Path(settings.BASE_DIR) / "demo" / "corpus"
DEMO_SYSTEM = "demo-tiny"


@dataclass(frozen=True)
class DemoModelResult:
    system: System
    directory: Path
    # None when an existing checkpoint was reused.
    report: DemoModelReport | None


def demo_corpus_texts(corpus: Path = DEMO_CORPUS) -> list[str]:
    """Each demo dialogue as the model sees a conversation: the `soulchat` layout."""
    texts = []
    for path in source_files(corpus, "soulchat"):
        for record in read_file(path, "soulchat"):
            if isinstance(record, Dialogue):
                texts.append(role_prefixed_transcript(record.turns))
    return texts


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
    from generation.demo_model import DemoModelSize, demo_model_build

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
