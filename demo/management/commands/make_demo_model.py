from __future__ import annotations

from pathlib import Path

from django.core.management.base import CommandError, CommandParser
from tqdm import tqdm

from common.commands import ServiceCommand
from demo.services import DEMO_SYSTEM, demo_model_install


class Command(ServiceCommand):
    help = (
        "Train a tiny causal language model and tokenizer from the demo corpus (about a "
        "minute on a CPU), save it as a checkpoint directory and register it as an hf_local "
        "system. Its output is babble: it exists to run the platform end to end."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", default=DEMO_SYSTEM, help=f"system name ({DEMO_SYSTEM})")
        parser.add_argument("--output", type=Path, help="checkpoint directory (var/models/NAME)")
        parser.add_argument("--steps", type=int, help="training steps (default 400)")
        parser.add_argument(
            "--rebuild", action="store_true", help="train again even if the checkpoint exists"
        )

    def handle(self, *args, **options) -> str:
        steps = options["steps"]
        with tqdm(total=steps or 400, desc="train demo model", unit="step", disable=None) as bar:

            def on_step(step: int, loss: float) -> None:
                bar.update(1)
                bar.set_postfix(loss=f"{loss:.3f}", refresh=False)

            try:
                result = demo_model_install(
                    name=options["name"],
                    directory=options["output"],
                    steps=steps,
                    rebuild=options["rebuild"],
                    on_step=on_step,
                )
            except ValueError as error:
                raise CommandError(str(error)) from None
        report = result.report
        if report is None:
            return f"{result.system.name}: using the checkpoint already at {result.directory}"
        return (
            f"{result.system.name}: {report.parameters:,} parameters, vocabulary "
            f"{report.vocabulary}, {report.steps} steps in {report.seconds:.0f} s (loss "
            f"{report.first_loss:.2f} → {report.last_loss:.2f}), saved to {result.directory}"
        )
