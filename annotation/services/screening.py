"""Identity screening: a response that names its system (annotation.identity_screen) is
held back from annotators when its study is built, until an admin masks the span (the
annotator sees a placeholder; the stored response is untouched), releases it as it is,
or leaves the item out."""

from __future__ import annotations

from pathlib import PurePath

from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from annotation.identity_screen import (
    DEFAULT_IDENTITY_PATTERNS,
    IdentityMatch,
    IdentityScreen,
    identity_masked,
)
from annotation.models import Item, Study
from annotation.selectors import study_systems
from common.errors import ServiceError
from generation.models import System

Screening = Item.Screening
MASK, RELEASE, EXCLUDE = "mask", "release", "exclude"
# A study's own system names shorter than this would match ordinary words.
OWN_NAME_MINIMUM = 3


class ScreeningInvalid(ServiceError):
    """The decision cannot be taken as asked; nothing changed."""


def system_identifiers(system: System) -> list[str]:
    """The texts that name a system: its name, model, checkpoint and adapter, and their
    folders (a checkpoint's folder is usually the model's name: /models/ChatGLM-6B)."""
    paths = [path for path in (system.checkpoint, system.adapter) if path]
    folders = [PurePath(path.rstrip("/")).name for path in paths]
    texts = [system.name, system.model_name, *paths, *(f for f in folders if len(f) >= 3)]
    return [text for text in texts if text]


def study_identity_screen(*, study: Study) -> IdentityScreen:
    """The configured patterns (SOULEVAL_IDENTITY_PATTERNS, or the defaults) and the
    names of the study's own systems."""
    own = [
        text
        for system in study_systems(study=study)
        for text in system_identifiers(system)
        if len(text) >= OWN_NAME_MINIMUM
    ]
    return IdentityScreen(
        [*(settings.SOULEVAL_IDENTITY_PATTERNS or DEFAULT_IDENTITY_PATTERNS), *own]
    )


def study_items_screen(*, study: Study) -> int:
    """Hold back every item not handed out or decided yet whose response (either response
    of a pair) names a system; the number held."""
    screen = study_identity_screen(study=study)
    held = []
    candidates = Item.objects.filter(
        study=study, screening=Screening.CLEAR, assignments__isnull=True
    ).select_related("response", "other_response")
    for item in candidates:
        matches = screen.matches(item.response.text)
        other = screen.matches(item.other_response.text) if item.other_response else []
        if matches or other:
            item.screening = Screening.HELD
            item.identity_matches = [match.as_json() for match in matches]
            item.other_identity_matches = [match.as_json() for match in other]
            held.append(item)
    Item.objects.bulk_update(held, ["screening", "identity_matches", "other_identity_matches"])
    return len(held)


@transaction.atomic
def item_screening_decide(*, item: Item, decision: str, by: User | None) -> Item:
    """An admin's decision on a held item: mask the spans, release it as it is, or
    leave it out of the study. Once taken, it stands (a double click is told so)."""
    if decision not in (MASK, RELEASE, EXCLUDE):
        raise ScreeningInvalid(f"decision {decision!r}: mask, release or exclude")
    item = (
        Item.objects.select_for_update(of=("self",))
        .select_related("response", "other_response")
        .get(pk=item.pk)
    )
    if item.screening != Screening.HELD:
        raise ScreeningInvalid(
            f"item {item.public_id} is not awaiting a decision: it is "
            f"{item.get_screening_display()}"
        )
    if decision == MASK:
        matches = [IdentityMatch(**match) for match in item.identity_matches]
        item.masked_text = identity_masked(item.response.text, matches)
        if item.other_response is not None:
            # Both sides of a pair, the one that named nobody as it is.
            other = [IdentityMatch(**match) for match in item.other_identity_matches]
            item.other_masked_text = identity_masked(item.other_response.text, other)
        item.screening = Screening.MASKED
    else:
        item.screening = Screening.RELEASED if decision == RELEASE else Screening.EXCLUDED
    item.screened_by, item.screened_at = by, timezone.now()
    item.save(
        update_fields=[
            "screening",
            "masked_text",
            "other_masked_text",
            "screened_by",
            "screened_at",
        ]
    )
    return item
