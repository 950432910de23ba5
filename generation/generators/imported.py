"""Responses imported from a file rather than generated."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterator, Sequence
from pathlib import Path

from common.json_input import json_loads
from generation.generators.base import (
    NOTES_LIMIT,
    GenerationRequest,
    GeneratorUnavailable,
    InstructionRequest,
    Outcome,
    failed,
)
from generation.models import System


class ImportedGenerator:
    """Responses from a JSON-lines file: ``{"sample_id": 17, "response": "…"}`` or
    ``{"source_id": "dialogue#3", "dataset"?: "name", "response": "…"}``.

    Lines are matched to the job's samples only by those ids; a line naming a sample
    that is not in the job, or naming it ambiguously, is reported and left out.
    """

    def __init__(self, system: System) -> None:
        self.system = system
        self.path = Path(system.responses_file).expanduser()
        self.notes: list[str] = []
        self._problems = 0
        if not self.path.is_file():
            raise GeneratorUnavailable(
                f"system {system.name}: responses file not found at {self.path}"
            )

    def _note(self, message: str) -> None:
        self._problems += 1
        if self._problems <= NOTES_LIMIT:
            self.notes.append(message)
        elif self._problems == NOTES_LIMIT + 1:
            self.notes.append("… and more problems; only the first are listed")

    def run(self, requests: Sequence[GenerationRequest]) -> Iterator[list[Outcome]]:
        by_id = {request.sample_id: request for request in requests}
        by_source: dict[str, list[GenerationRequest]] = defaultdict(list)
        for request in requests:
            by_source[request.source_id].append(request)
        found: dict[int, list[tuple[int, str]]] = defaultdict(list)
        try:
            with self.path.open("rb") as handle:
                for line_number, raw in enumerate(handle, start=1):
                    if raw.strip():
                        self._line_read(raw, line_number, by_id, by_source, found)
        except OSError as error:
            raise GeneratorUnavailable(f"cannot read {self.path}: {error}") from error
        name = self.path.name
        outcomes = []
        for request in requests:
            answers = found.get(request.sample_id, [])
            if not answers:
                outcomes.append(failed(request.sample_id, f"no response for this sample in {name}"))
            elif len({text for _, text in answers}) > 1:
                lines = ", ".join(str(line) for line, _ in answers)
                outcomes.append(
                    failed(
                        request.sample_id, f"{name} has different responses for it (lines {lines})"
                    )
                )
            else:
                outcomes.append(Outcome(sample_id=request.sample_id, text=answers[0][1]))
        for start in range(0, len(outcomes), 1000):
            yield outcomes[start : start + 1000]

    def _line_read(self, raw, line_number, by_id, by_source, found) -> None:
        where = f"{self.path.name}:{line_number}"
        try:
            record = json_loads(raw)
        except ValueError as error:  # not UTF-8, not JSON, or nested too deep
            self._note(f"{where}: not a JSON object ({error})")
            return
        if not isinstance(record, dict):
            self._note(f"{where}: not a JSON object")
            return
        text = record.get("response")
        if not isinstance(text, str):
            self._note(f'{where}: "response" must be a string')
            return
        if "sample_id" in record:
            sample_id = record["sample_id"]
            if isinstance(sample_id, bool) or not isinstance(sample_id, int):
                self._note(f'{where}: "sample_id" must be an integer')
                return
            request = by_id.get(sample_id)
            if request is None:
                self._note(f"{where}: sample_id {sample_id} is not a sample of this job")
                return
        elif isinstance(record.get("source_id"), str):
            candidates = by_source.get(record["source_id"], [])
            dataset = record.get("dataset")
            if isinstance(dataset, str):
                candidates = [c for c in candidates if c.dataset_name == dataset]
            if not candidates:
                self._note(
                    f"{where}: source id {record['source_id']!r} is not a sample of this job"
                )
                return
            if len(candidates) > 1:
                self._note(
                    f"{where}: source id {record['source_id']!r} is in several datasets of this "
                    'job; add "dataset"'
                )
                return
            request = candidates[0]
        else:
            self._note(f'{where}: needs "sample_id" (integer) or "source_id" (string)')
            return
        found[request.sample_id].append((line_number, text))

    def instruct(
        self, requests: Sequence[InstructionRequest], *, max_new_tokens: int
    ) -> Iterator[list[Outcome]]:
        raise GeneratorUnavailable(
            f"system {self.system.name} replays responses from a file and cannot answer "
            "new instructions; choose an hf_local or openai_api system"
        )

    def close(self) -> None:
        pass
