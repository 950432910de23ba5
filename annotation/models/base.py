"""What the annotation models share: random public ids, shuffle keys and score fields."""

from __future__ import annotations

import secrets

from django.core.validators import MaxValueValidator
from django.db import models
from django.db.models import Q

from annotation.rubric import SCALE_MAXIMUM

# Shuffle keys and the per-annotator permutation of them live in [0, SHUFFLE_PRIME): an
# affine map modulo a prime is a permutation, and its products fit in a 64-bit integer.
SHUFFLE_PRIME = 2_147_483_647


def public_id_new() -> str:
    # 96 random bits, URL-safe: nothing sequential and nothing derived from the content.
    return secrets.token_urlsafe(12)


def shuffle_key_new() -> int:
    return secrets.randbelow(SHUFFLE_PRIME)


def score_field(name: str, maximum: int, **kwargs) -> models.PositiveSmallIntegerField:
    return models.PositiveSmallIntegerField(name, validators=[MaxValueValidator(maximum)], **kwargs)


def scores_in_range(prefix: str, *, nullable: bool) -> Q:
    condition = Q()
    for scale, maximum in SCALE_MAXIMUM.items():
        in_range = Q(**{f"{prefix}{scale}__lte": maximum})
        if nullable:
            in_range |= Q(**{f"{prefix}{scale}__isnull": True})
        condition &= in_range
    return condition
