"""Registering and changing systems."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from common.errors import ServiceError
from generation.models import Response, Sample, System

# Changing any of these after a system has answered would mix two configurations'
# outputs under one name.
GENERATION_FIELDS = {
    "kind", "checkpoint", "adapter", "trust_remote_code", "endpoint", "model_name", "api_mode",
    "tokenizer", "responses_file", "dtype", "prompt_preset", "system_prompt", "max_input_tokens",
    "decoding",
}  # fmt: skip


class SystemInvalid(ServiceError):
    pass


def _validation_message(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{field}: {' '.join(messages)}" if field != "__all__" else " ".join(messages)
            for field, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


@transaction.atomic
def system_save(*, name: str, fields: Mapping[str, Any], update: bool = False) -> System:
    """Register a system, or with `update` change one; refused with a message naming
    each bad field, leaving the stored system as it was."""
    existing = System.objects.select_for_update().filter(name=name).first()
    if existing is not None and not update:
        raise SystemInvalid(f"a system named {name!r} already exists (to change it, update it)")
    if existing is None and update:
        raise SystemInvalid(f"no system named {name!r} to update")
    known = {field.name for field in System._meta.concrete_fields} - {
        "id",
        "created_at",
        "updated_at",
    }
    unknown = sorted(set(fields) - known)
    if unknown:
        raise SystemInvalid(f"unknown system field(s): {', '.join(unknown)}")
    system = existing or System(name=name)
    if existing is not None and isinstance(fields.get("decoding"), dict):
        # An update names the decoding parameters it changes; the others stay.
        fields = {**fields, "decoding": {**existing.decoding, **fields["decoding"]}}
    if existing is not None and existing.responses.exists():
        changed = sorted(
            field
            for field in GENERATION_FIELDS & set(fields)
            if getattr(existing, field) != fields[field]
        )
        if changed:
            raise SystemInvalid(
                f"system {name!r} already has {existing.responses.count()} responses; changing "
                f"{', '.join(changed)} would mix two configurations under one name: register "
                "a new system instead"
            )
    for field, value in fields.items():
        setattr(system, field, value)
    try:
        system.full_clean()
    except ValidationError as error:
        raise SystemInvalid(_validation_message(error)) from error
    system.save()
    return system


REFERENCE_SYSTEM_NAME = "human-reference"


@transaction.atomic
def reference_system_get() -> System:
    """The system whose answer is each sample's own counsellor reply, registered on
    first use; refused when another kind of system already has its name."""
    system, _ = System.objects.get_or_create(
        name=REFERENCE_SYSTEM_NAME,
        defaults={
            "kind": System.Kind.REFERENCE,
            "description": "The dataset's own counsellor reply, rated blind like any "
            "system's answer: the human ceiling of the CEHS scales.",
        },
    )
    if system.kind != System.Kind.REFERENCE:
        raise SystemInvalid(
            f"a {system.kind} system is named {REFERENCE_SYSTEM_NAME!r}, the name of the "
            "human reference: rename it to include the reference"
        )
    return system


def systems_with_reference(systems: Sequence[System]) -> list[System]:
    """`systems` and the human reference (registered on first use), each once."""
    reference = reference_system_get()
    return list(systems) if reference in systems else [*systems, reference]


def reference_responses_store(*, system: System, sample_ids: Iterable[int]) -> int:
    """Stores the human reference's answer (the sample's own counsellor reply) to each
    sample that has none; returns how many had none. Instant, so no job: a run or
    study that includes the reference has its answers at once."""
    if system.kind != System.Kind.REFERENCE:
        raise SystemInvalid(f"system {system.name!r} is not the human reference")
    missing = Sample.objects.filter(pk__in=list(sample_ids)).exclude(responses__system=system)
    created = Response.objects.bulk_create(
        [
            Response(sample_id=pk, system=system, text=reference)
            for pk, reference in missing.values_list("pk", "reference").iterator(chunk_size=5000)
        ],
        batch_size=5000,
        # Stored meanwhile by another run: the unique constraint keeps the first.
        ignore_conflicts=True,
    )
    return len(created)
