"""Writes of the reports app: the top floor, so the demo that spans every app lives here."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from annotation.models import Annotator, Study
from annotation.services import (
    StudySettings,
    study_create,
    study_responses_for_samples,
    study_status_set,
)
from generation.models import Dataset
from generation.selectors import system_get
from generation.services import ImportReport, dataset_import
from generation.services.demo import DEMO_SYSTEM

DEMO_CORPUS = Path(settings.BASE_DIR) / "demo" / "corpus"
DEMO_DATASET = "demo-counselling"
# Shown on screen by bin/demo; refused outside DEBUG so they never reach a server.
DEMO_PASSWORD = "souleval-demo"  # noqa: S105
DEMO_STUDY = "demo-study"


class DemoRefused(Exception):
    pass


@dataclass(frozen=True)
class DemoAccount:
    username: str
    password: str
    role: str


@dataclass(frozen=True)
class DemoSummary:
    accounts: list[DemoAccount]
    dataset: ImportReport


def demo_check_allowed() -> None:
    if not settings.DEBUG:
        raise DemoRefused("the demo installs known passwords: it runs only with DJANGO_DEBUG=true")


@transaction.atomic
def demo_install() -> DemoSummary:
    """Demo users and the demo corpus; running it again changes nothing."""
    demo_check_allowed()
    accounts = [DemoAccount("admin", DEMO_PASSWORD, "admin")] + [
        DemoAccount(f"annotator{number}", DEMO_PASSWORD, "annotator") for number in (1, 2, 3)
    ]
    user_model = get_user_model()
    for account in accounts:
        user, created = user_model.objects.get_or_create(username=account.username)
        if created:
            user.set_password(account.password)
        user.is_staff = user.is_superuser = account.role == "admin"
        user.save()
        if account.role == "annotator":
            # Demo annotators skip the invitation that real ones come through.
            Annotator.objects.get_or_create(user=user, defaults={"expertise_note": "demo account"})
    report = dataset_import(
        path=DEMO_CORPUS,
        source_format="soulchat",
        name=DEMO_DATASET,
        test_ratio=0.25,
        licence_note="Written by the SoulEval project for its demo; CC0.",
    )
    return DemoSummary(accounts=accounts, dataset=report)


@transaction.atomic
def demo_study_open() -> Study:
    """The demo model's answers to the demo test samples as an open study, rated by two
    of the three demo annotators each; made once."""
    demo_check_allowed()
    existing = Study.objects.filter(name=DEMO_STUDY).first()
    if existing is not None:
        return existing
    responses = study_responses_for_samples(
        dataset_id=Dataset.objects.get(name=DEMO_DATASET).pk,
        split="test",
        systems=[system_get(name=DEMO_SYSTEM)],
        samples=None,
    )
    study = study_create(
        name=DEMO_STUDY, responses=responses, settings=StudySettings(raters_per_item=2)
    )
    return study_status_set(study=study, status=Study.Status.OPEN)
