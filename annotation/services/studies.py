"""Studies: built from responses, opened, paused, closed; gold items added to them."""

from __future__ import annotations

import random
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q

from annotation.models import Assignment, Item, Study
from annotation.rubric import RUBRIC_VERSION, ScoresInvalid, scores_parse
from annotation.selectors import study_systems
from annotation.services.screening import study_items_screen, system_identifiers
from common.errors import ServiceError
from generation.models import Response, Sample, System
from generation.services import SystemInvalid, reference_responses_store, systems_with_reference


class StudyInvalid(ServiceError):
    """A study that cannot be made or changed as asked; ``errors`` maps field to message."""

    def __init__(self, errors: Mapping[str, str] | str) -> None:
        fields = {"__all__": errors} if isinstance(errors, str) else dict(errors)
        super().__init__(
            "; ".join(
                message if key == "__all__" else f"{key}: {message}"
                for key, message in fields.items()
            ),
            errors=fields,
        )


@dataclass(frozen=True)
class StudySettings:
    raters_per_item: int = 3
    pay_per_item: Decimal = Decimal("0.418")
    currency: str = "USD"
    minimum_hourly_wage: Decimal = Decimal("7.12")
    lease_minutes: int = 30
    rubric_version: str = RUBRIC_VERSION
    title: str = "Counselling responses"
    too_fast_seconds: int = 20
    instructions: str = ""


def study_texts_check(*, title: str, instructions: str = "", systems: Iterable[System]) -> None:
    """The title and the instructions are the admin-written texts annotators see about a
    study: they may not name a system under study (system_identifiers), on creation or
    later."""
    texts = {"title": title.casefold(), "instructions": instructions.casefold()}
    errors = {}
    for system in systems:
        for revealing in system_identifiers(system):
            for field, lowered in texts.items():
                if field not in errors and revealing.casefold() in lowered:
                    errors[field] = (
                        f"names system {system.name!r}: annotators must not learn which "
                        "systems are rated"
                    )
    if errors:
        raise StudyInvalid(errors)


def study_currency_parse(value: str) -> str:
    """A three-letter currency code, upper case."""
    currency = value.upper()
    if len(currency) != 3 or not currency.isalpha():
        raise StudyInvalid({"currency": f"{value!r} is not a three-letter code"})
    return currency


def _full_clean(study: Study) -> None:
    try:
        study.full_clean()
    except ValidationError as error:
        raise StudyInvalid(
            {key: " ".join(messages) for key, messages in error.message_dict.items()}
        ) from None


@transaction.atomic
def study_create(
    *, name: str, responses: Iterable[Response], settings: StudySettings | None = None
) -> Study:
    """A draft study with one item per response, each with a random public id."""
    responses = list(responses)
    if not responses:
        raise StudyInvalid("a study needs at least one response")
    study = study_new(name=name, settings=settings, system_ids={r.system_id for r in responses})
    # Creation order is the responses' order; public ids and shuffle keys are random,
    # and items are handed out by a per-annotator permutation, never by primary key.
    Item.objects.bulk_create(
        Item(study=study, response=response, slots=study.raters_per_item) for response in responses
    )
    study_items_screen(study=study)
    return study


def study_new(
    *,
    name: str,
    settings: StudySettings | None,
    system_ids: set[int],
    kind: str = Study.Kind.RATING,
) -> Study:
    """A draft study saved without items, its settings and texts checked."""
    settings = settings or StudySettings()
    if Study.objects.filter(name=name).exists():
        raise StudyInvalid({"name": f"a study named {name!r} already exists"})
    currency = study_currency_parse(settings.currency)
    study = Study(
        name=name,
        title=settings.title,
        instructions=settings.instructions,
        raters_per_item=settings.raters_per_item,
        pay_per_item=settings.pay_per_item,
        currency=currency,
        minimum_hourly_wage=settings.minimum_hourly_wage,
        lease_minutes=settings.lease_minutes,
        rubric_version=settings.rubric_version,
        too_fast_seconds=settings.too_fast_seconds,
        kind=kind,
    )
    _full_clean(study)
    study_texts_check(
        title=study.title,
        instructions=study.instructions,
        systems=System.objects.filter(pk__in=system_ids),
    )
    study.save()
    return study


# What an admin may change on a study, and the terms annotators work under, which stay as
# they were once an item was handed out.
STUDY_EDITABLE = (
    "name", "title", "instructions", "raters_per_item", "pay_per_item", "currency",
    "minimum_hourly_wage", "lease_minutes", "rubric_version", "too_fast_seconds",
)  # fmt: skip
STUDY_FIXED_ONCE_STARTED = ("raters_per_item", "pay_per_item", "currency", "rubric_version")


@transaction.atomic
def study_update(*, study: Study, fields: Mapping[str, Any]) -> Study:
    """Change a study's settings, refused with a message per field and nothing changed
    when the title would name a system under study or a fixed term would change."""
    study = Study.objects.select_for_update().get(pk=study.pk)
    unknown = sorted(set(fields) - set(STUDY_EDITABLE))
    if unknown:
        raise StudyInvalid(f"{', '.join(unknown)}: not a setting that can be changed")
    values = dict(fields)
    if "currency" in values:
        values["currency"] = study_currency_parse(str(values["currency"]))
    if Assignment.objects.filter(item__study=study).exists():
        fixed = {
            key: "fixed once items were handed out to annotators"
            for key in STUDY_FIXED_ONCE_STARTED
            if key in values and values[key] != getattr(study, key)
        }
        if fixed:
            raise StudyInvalid(fixed)
    for key, value in values.items():
        setattr(study, key, value)
    _full_clean(study)
    study_texts_check(
        title=study.title, instructions=study.instructions, systems=study_systems(study=study)
    )
    study.save()
    # Nothing was handed out (the number is fixed from then on), so no slot is taken.
    study.items.exclude(slots=study.raters_per_item).update(slots=study.raters_per_item)
    return study


def study_responses_for_samples(
    *,
    dataset_id: int,
    split: str,
    systems: list[System],
    samples: int | None,
    seed: int = 0,
    with_reference: bool = False,
) -> list[Response]:
    """Every system's response to ``samples`` samples (all when None) that all of them
    answered, drawn at random with ``seed``: the paper's "each model's response to 100
    samples". With ``with_reference`` (or the reference among ``systems``) the drawn
    samples' own counsellor replies are one more blind system, the human ceiling; its
    answers are stored as they are needed, once per sample."""
    systems = list(systems)
    if with_reference:
        try:
            systems = systems_with_reference(systems)
        except SystemInvalid as error:
            raise StudyInvalid({"systems": str(error)}) from None
    if not systems:
        raise StudyInvalid({"systems": "name at least one system"})
    answering = [system for system in systems if system.kind != System.Kind.REFERENCE]
    candidates_query = Sample.objects.filter(dataset_id=dataset_id, split=split).order_by("pk")
    if answering:
        candidates_query = candidates_query.annotate(
            answered=Count("responses", filter=Q(responses__system__in=answering), distinct=True)
        ).filter(answered=len(answering))
    candidates = list(candidates_query.values_list("pk", flat=True))
    if not candidates:
        raise StudyInvalid(
            {"systems": f"no {split} sample of this dataset has a response from every system"}
        )
    if samples is not None:
        if samples < 1:
            raise StudyInvalid({"samples": "must be at least 1"})
        if samples > len(candidates):
            raise StudyInvalid(
                {
                    "samples": f"asked for {samples}, but only {len(candidates)} samples "
                    "have a response from every system"
                }
            )
        candidates = sorted(random.Random(seed).sample(candidates, samples))  # noqa: S311 (a reproducible draw, not a secret)
    for system in systems:
        if system.kind == System.Kind.REFERENCE:
            reference_responses_store(system=system, sample_ids=candidates)
    return list(
        Response.objects.filter(sample_id__in=candidates, system__in=systems).order_by(
            "sample_id", "system_id"
        )
    )


# Which status may follow which: a closed study is final, so its ratings stay as they are.
STUDY_TRANSITIONS: dict[str, set[str]] = {
    Study.Status.DRAFT: {Study.Status.OPEN, Study.Status.CLOSED},
    Study.Status.OPEN: {Study.Status.PAUSED, Study.Status.CLOSED},
    Study.Status.PAUSED: {Study.Status.OPEN, Study.Status.CLOSED},
    Study.Status.CLOSED: set(),
}


@transaction.atomic
def study_status_set(*, study: Study, status: str) -> Study:
    study = Study.objects.select_for_update().get(pk=study.pk)
    if status not in Study.Status.values:
        raise StudyInvalid({"status": f"{status!r} is not one of {', '.join(Study.Status.values)}"})
    if status == study.status:
        return study
    if status not in STUDY_TRANSITIONS[study.status]:
        raise StudyInvalid(f"a {study.status} study cannot become {status}")
    if status == Study.Status.OPEN and not study.items.exists():
        raise StudyInvalid("a study without items cannot open")
    study.status = status
    study.save(update_fields=["status", "updated_at"])
    return study


def gold_item_check(
    *, study: Study, response: Response, expected: Mapping[str, object]
) -> dict[str, int]:
    """The expected scores, parsed, when the response can be a gold item of the study;
    otherwise every reason it cannot, at once (an admin form shows them all)."""
    try:
        scores = scores_parse(expected)
    except ScoresInvalid as error:
        raise StudyInvalid(
            {f"expected_{key}": message for key, message in error.errors.items()}
        ) from None
    if study.status == Study.Status.CLOSED:
        raise StudyInvalid({"study": "a closed study takes no new items"})
    if study.is_pairwise:
        raise StudyInvalid({"study": "a pairwise study takes no gold items (they carry scores)"})
    study_texts_check(title=study.title, instructions=study.instructions, systems=[response.system])
    item = Item.objects.filter(study=study, response=response).first()
    if item is not None and not item.is_gold and item.assignments.exists():
        raise StudyInvalid(
            {
                "response": "this response is already an ordinary item that annotators "
                "were handed; a gold item must be one from the start"
            }
        )
    return scores


@transaction.atomic
def gold_item_add(*, study: Study, response: Response, expected: Mapping[str, object]) -> Item:
    """An attention check: a response with the scores an expert should give it. It looks
    like any other item to annotators; every annotator is handed each gold item once."""
    # Under the item's lock, so an assignment made meanwhile is seen by the check.
    Item.objects.select_for_update().filter(study=study, response=response).first()
    scores = gold_item_check(study=study, response=response, expected=expected)
    item = Item.objects.filter(study=study, response=response).first()
    item = item or Item(study=study, response=response, slots=study.raters_per_item)
    item.is_gold = True
    for key, score in scores.items():
        setattr(item, f"expected_{key}", score)
    item.save()
    study_items_screen(study=study)
    item.refresh_from_db()
    return item
