"""Dataset imports: records read from files (or made by the corpus builder) cut into
samples, split, and stored once each."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from common.errors import ServiceError
from generation.dataset_formats import (
    Problem,
    SourceError,
    read_file,
    source_files,
)
from generation.dialogues import (
    Dialogue,
    SampleDraft,
    dialogue_samples,
    sample_source_id,
    split_for,
)
from generation.models import Dataset, Sample, name_validator
from generation.services.dataset_stats import dataset_stats_refresh_queue

# Files up to this size are parsed whole and written with their neighbours in shared
# batches (SMILECHAT is 55,165 small files); bigger ones stream in a transaction of
# their own. Either way a file is written entirely or not at all.
STREAM_THRESHOLD_BYTES = 4 * 1024 * 1024

_Record = TypeVar("_Record")


class DatasetImportError(ServiceError):
    """The import cannot start: nothing was read or written."""


@dataclass
class ImportReport:
    dataset_name: str
    files: int = 0
    dialogues_read: int = 0
    dialogues_imported: int = 0
    dialogues_already_present: int = 0
    samples_created: int = 0
    problems: list[Problem] = field(default_factory=list)
    failed_files: list[str] = field(default_factory=list)

    @property
    def skipped(self) -> int:
        return len(self.problems)

    def problem_reasons(self) -> Counter[str]:
        # "turn 3: unknown role 'x' (known: …)" and "turn 5: …" count as one reason.
        return Counter(problem.reason.split(": ", 1)[-1] for problem in self.problems)


@dataclass
class _Pending:
    """What one file, or a batch of small files, contributes before it is written."""

    dialogues: list[tuple[Dialogue, list[SampleDraft]]] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    dialogues_read: int = 0
    # Every id accepted from this part, kept after its rows are written, so that a
    # rollback can release them all.
    accepted_ids: list[str] = field(default_factory=list)


@dataclass
class _Stored:
    dialogues_imported: int = 0
    dialogues_already_present: int = 0
    samples_created: int = 0

    def __iadd__(self, other: _Stored) -> _Stored:
        self.dialogues_imported += other.dialogues_imported
        self.dialogues_already_present += other.dialogues_already_present
        self.samples_created += other.samples_created
        return self


def dataset_import_size(*, path: Path, source_format: str) -> int:
    """Bytes an import of `path` reads: the total of its progress reports."""
    return sum(file.stat().st_size for file in source_files(path, source_format))


def dataset_import(
    *,
    path: Path,
    source_format: str,
    name: str,
    roles: Mapping[str, str] | None = None,
    test_ratio: float = 0.1,
    seed: str = "0",
    licence_note: str = "",
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Import dialogues from `path` into dataset `name`, one sample per psychologist turn.

    Dialogues already in the dataset (same source id) are left as they are, so running the
    same import twice adds nothing. Malformed records are reported and skipped; a file
    that cannot be read at all adds nothing. `progress` receives bytes read.
    """
    importer = _importer_for(
        name=name, source_format=source_format, test_ratio=test_ratio, seed=seed,
        licence_note=licence_note, roles=roles, progress=progress,
    )  # fmt: skip
    for file in source_files(path, source_format):
        importer.import_file(file)
    importer.flush()
    return importer.finish()


def dataset_dialogues_add(
    *,
    name: str,
    dialogues: Iterable[Dialogue],
    source_format: str,
    test_ratio: float = 0.1,
    seed: str = "0",
    licence_note: str = "",
) -> ImportReport:
    """Dialogues made here rather than read from a file (the corpus builder's), written
    by the importer itself: the same samples, the same split, the same skipping of
    dialogues the dataset already has, in one transaction."""
    importer = _importer_for(
        name=name, source_format=source_format, test_ratio=test_ratio, seed=seed,
        licence_note=licence_note,
    )  # fmt: skip
    importer.add_dialogues(dialogues)
    importer.flush()
    return importer.finish()


def _importer_for(
    *,
    name: str,
    source_format: str,
    test_ratio: float,
    seed: str,
    licence_note: str,
    roles: Mapping[str, str] | None = None,
    progress: Callable[[int], None] | None = None,
) -> _Importer:
    """An importer into dataset `name`, once the name and split agree with what is there;
    a refusal raises DatasetImportError before anything is read or written."""
    _import_arguments_check(name=name, test_ratio=test_ratio)
    return _Importer(
        dataset=_dataset_to_extend(name=name, test_ratio=test_ratio, seed=seed),
        name=name,
        source_format=source_format,
        roles=roles,
        test_ratio=test_ratio,
        seed=seed,
        licence_note=licence_note,
        progress=progress,
    )


def _import_arguments_check(*, name: str, test_ratio: float) -> None:
    try:
        name_validator(name)
    except ValidationError:
        raise DatasetImportError(
            f"dataset name {name!r}: use letters, digits, '.', '-' and '_' only"
        ) from None
    if not 0.0 <= test_ratio <= 1.0:
        raise DatasetImportError(f"test ratio {test_ratio} must be between 0 and 1")


def _dataset_to_extend(*, name: str, test_ratio: float, seed: str) -> Dataset | None:
    existing = Dataset.objects.filter(name=name).first()
    if existing and (existing.test_ratio != test_ratio or existing.split_seed != seed):
        raise DatasetImportError(
            f"dataset {name!r} was split with test ratio {existing.test_ratio} and seed "
            f"{existing.split_seed!r}; import into it with the same values, or choose another "
            "name"
        )
    return existing


class _Importer:
    def __init__(
        self,
        *,
        dataset: Dataset | None,
        name: str,
        source_format: str,
        roles: Mapping[str, str] | None,
        test_ratio: float,
        seed: str,
        licence_note: str,
        progress: Callable[[int], None] | None,
    ) -> None:
        self.name = name
        self.source_format = source_format
        self.roles = roles
        self.test_ratio = test_ratio
        self.seed = seed
        self.licence_note = licence_note
        self.progress = progress
        self.batch_size: int = settings.SOULEVAL_IMPORT_BATCH_SIZE
        self.dataset = dataset
        self.report = ImportReport(dataset_name=name)
        self.pending = _Pending()
        # Dialogue ids seen in this run, to report duplicates within the input.
        self.seen: dict[str, str] = {}

    def import_file(self, path: Path) -> None:
        self.report.files += 1
        size = path.stat().st_size
        if size > STREAM_THRESHOLD_BYTES:
            self._import_streamed(path)
            return
        part = _Pending()
        try:
            self._collect(read_file(path, self.source_format, self.roles), part)
        except SourceError as error:
            self._fail(str(error), part)
            return
        if self.progress:
            self.progress(size)
        self.pending.dialogues.extend(part.dialogues)
        self.pending.problems.extend(part.problems)
        self.pending.dialogues_read += part.dialogues_read
        if len(self.pending.dialogues) >= self.batch_size:
            self.flush()

    def _import_streamed(self, path: Path) -> None:
        self.flush()
        part = _Pending()
        stored = _Stored()
        try:
            with transaction.atomic():
                records = read_file(path, self.source_format, self.roles, self.progress)
                for batch in _batched(records, self.batch_size):
                    self._collect(batch, part)
                    stored += self._store(part.dialogues)
                    part.dialogues.clear()
        except SourceError as error:
            # The rollback may have taken a dataset row created for this file with it.
            self.dataset = Dataset.objects.filter(name=self.name).first()
            self._fail(f"{error}; nothing from this file was imported", part)
            return
        self._merge(part, stored)

    def flush(self) -> None:
        stored = _Stored()
        if self.pending.dialogues:
            with transaction.atomic():
                stored = self._store(self.pending.dialogues)
        self._merge(self.pending, stored)
        self.pending = _Pending()

    def add_dialogues(self, dialogues: Iterable[Dialogue]) -> None:
        """Dialogues made in memory, checked like those read from a file."""
        self._collect(dialogues, self.pending)

    def finish(self) -> ImportReport:
        if self.dataset is not None and self.report.samples_created:
            dataset_stats_refresh_queue(self.dataset.pk)
        return self.report

    def _merge(self, part: _Pending, stored: _Stored) -> None:
        """Count a part into the report once its rows are committed."""
        self.report.problems.extend(part.problems)
        self.report.dialogues_read += part.dialogues_read
        self.report.dialogues_imported += stored.dialogues_imported
        self.report.dialogues_already_present += stored.dialogues_already_present
        self.report.samples_created += stored.samples_created

    def _collect(self, records: Iterable[Dialogue | Problem], part: _Pending) -> None:
        for record in records:
            if isinstance(record, Problem):
                part.problems.append(record)
                continue
            part.dialogues_read += 1
            first_seen = self.seen.get(record.source_id)
            if first_seen is not None:
                part.problems.append(
                    Problem(
                        record.location,
                        f"duplicate id {record.source_id!r} (first at {first_seen})",
                    )
                )
                continue
            drafts = dialogue_samples(record)
            if not drafts:
                part.problems.append(
                    Problem(record.location, "no psychologist turn follows a user turn")
                )
                continue
            self.seen[record.source_id] = record.location
            part.accepted_ids.append(record.source_id)
            part.dialogues.append((record, drafts))

    def _fail(self, reason: str, part: _Pending) -> None:
        # The file adds nothing, so its ids may appear again in a later file.
        for source_id in part.accepted_ids:
            self.seen.pop(source_id, None)
        self.report.failed_files.append(reason)

    def _store(self, dialogues: list[tuple[Dialogue, list[SampleDraft]]]) -> _Stored:
        stored = _Stored()
        if not dialogues:
            return stored
        dataset = self._dataset()
        present = set(
            Sample.objects.filter(
                dataset=dataset, dialogue_id__in=[dialogue.source_id for dialogue, _ in dialogues]
            )
            .values_list("dialogue_id", flat=True)
            .distinct()
        )
        rows: list[Sample] = []
        for dialogue, drafts in dialogues:
            if dialogue.source_id in present:
                stored.dialogues_already_present += 1
                continue
            stored.dialogues_imported += 1
            split = split_for(
                dataset_name=dataset.name,
                dialogue_id=dialogue.source_id,
                test_ratio=dataset.test_ratio,
                seed=dataset.split_seed,
            )
            rows.extend(
                Sample(
                    dataset=dataset,
                    split=split,
                    topic=dialogue.topic,
                    dialogue_id=dialogue.source_id,
                    turn_index=draft.turn_index,
                    context=[turn.as_json() for turn in draft.context],
                    context_turns=len(draft.context),
                    reference=draft.reference,
                    source_id=sample_source_id(dialogue.source_id, draft.turn_index),
                )
                for draft in drafts
            )
        try:
            Sample.objects.bulk_create(rows, batch_size=self.batch_size)
        except IntegrityError as error:
            raise DatasetImportError(
                f"dataset {dataset.name!r} changed while importing (is another import of it "
                f"running?): {error}"
            ) from None
        stored.samples_created = len(rows)
        return stored

    def _dataset(self) -> Dataset:
        if self.dataset is None:
            self.dataset, _ = Dataset.objects.get_or_create(
                name=self.name,
                defaults={
                    "source_format": self.source_format,
                    "test_ratio": self.test_ratio,
                    "split_seed": self.seed,
                    "licence_note": self.licence_note,
                },
            )
        return self.dataset


def _batched(records: Iterable[_Record], size: int) -> Iterator[list[_Record]]:
    batch: list[_Record] = []
    for record in records:
        batch.append(record)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch
