from __future__ import annotations

import json
from decimal import Decimal, InvalidOperation

from django.core.management.base import CommandError, CommandParser

from annotation.rubric import SCALE_KEYS
from common.commands import ServiceCommand
from reports.planner import (
    DEFAULT_ITEMS,
    DEFAULT_RATERS,
    DEFAULT_TARGET,
    Spread,
    plan_json,
    plan_text,
)
from reports.selectors.planning import PlanRequest, run_plan, stated_plan
from reports.selectors.runs import run_get


def _whole_numbers(text: str, what: str) -> list[int]:
    try:
        values = [int(part) for part in text.split(",") if part.strip()]
    except ValueError:
        raise CommandError(f"--{what}: whole numbers separated by commas, got {text!r}") from None
    if not values:
        raise CommandError(f"--{what}: give at least one number")
    return values


class Command(ServiceCommand):
    help = (
        "Plan a study: the power of detecting a difference between two systems on a CEHS "
        "scale for each number of raters per item × items per system, by simulated studies "
        "(seeded), and the fewest items for the target power, with the ratings, the cost in "
        "the study's currency and the expert hours at its measured median time per item. "
        "The SDs (item, rater, residual) come from RUN's mixed model, or are stated."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("run", type=int, nargs="?", help="a run whose study to plan from")
        parser.add_argument("--dimension", choices=SCALE_KEYS, required=True)
        parser.add_argument("--difference", type=float, required=True,
                            help="the difference in scale points to detect, e.g. 0.2")  # fmt: skip
        parser.add_argument("--target", type=float, default=DEFAULT_TARGET,
                            help="the target power (default 0.8)")  # fmt: skip
        parser.add_argument("--items", default=",".join(map(str, DEFAULT_ITEMS)),
                            help="items per system to try, comma-separated")  # fmt: skip
        parser.add_argument("--raters", default=",".join(map(str, DEFAULT_RATERS)),
                            help="raters per item to try, comma-separated")  # fmt: skip
        parser.add_argument("--pool", type=int,
                            help="raters to draw each item's from (default: every rater "
                            "rates every item)")  # fmt: skip
        parser.add_argument("--systems", type=int, help="systems in the study (pairs tested)")
        for name in ("item", "rater", "residual"):
            parser.add_argument(f"--{name}-sd", type=float, help=f"stated {name} SD")
        parser.add_argument("--pay-per-item", help="without a run: the pay per rated item")
        parser.add_argument("--currency", default="", help="without a run: its currency")
        parser.add_argument("--seconds-per-item", type=float,
                            help="without a run: the time an expert takes per item")  # fmt: skip
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--format", choices=["table", "json"], default="table")

    def handle(self, *args, **options) -> str:
        sds = [options[f"{name}_sd"] for name in ("item", "rater", "residual")]
        if any(sd is not None for sd in sds) and None in sds:
            raise CommandError("state all three of --item-sd, --rater-sd and --residual-sd")
        request = PlanRequest(
            dimension=options["dimension"],
            difference=options["difference"],
            target=options["target"],
            items=_whole_numbers(options["items"], "items"),
            raters=_whole_numbers(options["raters"], "raters"),
            pool=options["pool"],
            spread=None if None in sds else Spread(*sds),
            systems=options["systems"],
            seed=options["seed"],
        )
        if options["run"] is not None:
            plan = run_plan(run=run_get(run_id=options["run"]), request=request)
        else:
            pay = None
            if options["pay_per_item"] is not None:
                try:
                    pay = Decimal(options["pay_per_item"])
                except InvalidOperation:
                    raise CommandError(
                        f"--pay-per-item: not a number: {options['pay_per_item']!r}"
                    ) from None
            plan = stated_plan(
                request=request, pay_per_item=pay, currency=options["currency"],
                seconds_per_item=options["seconds_per_item"],
            )  # fmt: skip
        if options["format"] == "json":
            return json.dumps(plan_json(plan), ensure_ascii=False, indent=2)
        return plan_text(plan)
