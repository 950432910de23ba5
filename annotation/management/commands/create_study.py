from __future__ import annotations

from decimal import Decimal, InvalidOperation

from django.core.management.base import CommandError, CommandParser

from annotation.selectors.screening import study_screening_counts
from annotation.services import (
    StudySettings,
    study_create,
    study_responses_for_samples,
    study_status_set,
)
from annotation.services.pair_studies import study_pairwise_create
from common.commands import ServiceCommand
from generation.selectors import dataset_get, system_get


def _decimal(text: str) -> Decimal:
    try:
        return Decimal(text)
    except InvalidOperation:
        raise CommandError(f"{text!r} is not a decimal amount") from None


class Command(ServiceCommand):
    help = (
        "Make a blind study of every named system's response to N samples of a dataset split "
        "(drawn at random with --seed among the samples that all of them answered); with "
        "--kind pairwise, of pairs of two systems' responses to each sample, side by side."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        defaults = StudySettings()
        parser.add_argument("name")
        parser.add_argument("--dataset", required=True)
        parser.add_argument("--split", choices=["test", "train"], default="test")
        parser.add_argument("--systems", required=True, help="comma-separated system names")
        parser.add_argument("--samples", type=int, help="how many samples (default: all)")
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument(
            "--kind", choices=["rating", "pairwise"], default="rating",
            help="rating: each response on the four scales; pairwise: two systems' "
            "responses to one context, which is better",
        )  # fmt: skip
        parser.add_argument(
            "--pairs-per-sample", type=int, default=1,
            help="pairwise: how many different pairs of systems per sample (default 1)",
        )  # fmt: skip
        parser.add_argument("--raters", type=int, default=defaults.raters_per_item)
        parser.add_argument("--pay", default=str(defaults.pay_per_item), help="per item")
        parser.add_argument("--currency", default=defaults.currency)
        parser.add_argument("--min-wage", default=str(defaults.minimum_hourly_wage))
        parser.add_argument("--lease-minutes", type=int, default=defaults.lease_minutes)
        parser.add_argument("--title", default=defaults.title, help="what annotators see")
        parser.add_argument(
            "--too-fast-seconds", type=int, default=defaults.too_fast_seconds,
            help="ratings with less active time count against their rater (admins only)",
        )  # fmt: skip
        parser.add_argument(
            "--with-reference",
            action="store_true",
            help="one more blind system: each sample's own counsellor reply (the human ceiling)",
        )
        parser.add_argument("--open", action="store_true", help="open it at once")

    def handle(self, *args, **options) -> str:
        names = [name.strip() for name in options["systems"].split(",") if name.strip()]
        dataset = dataset_get(name=options["dataset"])
        systems = [system_get(name=name) for name in names]
        settings = StudySettings(
            raters_per_item=options["raters"],
            pay_per_item=_decimal(options["pay"]),
            currency=options["currency"],
            minimum_hourly_wage=_decimal(options["min_wage"]),
            lease_minutes=options["lease_minutes"],
            title=options["title"],
            too_fast_seconds=options["too_fast_seconds"],
        )
        responses = study_responses_for_samples(
            dataset_id=dataset.pk,
            split=options["split"],
            systems=systems,
            samples=options["samples"],
            seed=options["seed"],
            with_reference=options["with_reference"],
        )
        if options["kind"] == "pairwise":
            study = study_pairwise_create(
                name=options["name"], responses=responses, settings=settings,
                pairs_per_sample=options["pairs_per_sample"], seed=options["seed"],
            )  # fmt: skip
        elif options["pairs_per_sample"] != 1:
            raise CommandError("--pairs-per-sample is for --kind pairwise")
        else:
            study = study_create(name=options["name"], responses=responses, settings=settings)
        if options["open"]:
            study = study_status_set(study=study, status="open")
        held = study_screening_counts(study_id=study.pk).held
        screened = (
            f"; {held} held back for naming a system (decide on the study's admin page)"
            if held
            else ""
        )
        items = study.items.count()
        what = (
            f"{items} pairs of {len(responses)} responses"
            if study.is_pairwise
            else f"{items} items"
        )
        return f"study {study.name}: {what}, {study.status}{screened}"
