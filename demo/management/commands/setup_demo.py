from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import CommandParser

from common.commands import ServiceCommand
from demo.services import (
    DEMO_HURRIED_RATER,
    DEMO_SIMULATED_RATERS,
    demo_check_allowed,
    demo_figures_warm,
    demo_install,
    demo_ratings_simulate,
)


class Command(ServiceCommand):
    help = (
        "Migrate, then install the demo users and the demo corpus (DJANGO_DEBUG=true only); "
        "with --simulate-ratings, let demo annotators rate the demo run's study instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--simulate-ratings",
            action="store_true",
            help=(
                f"{' and '.join(DEMO_SIMULATED_RATERS)} rate every item of the newest "
                f"run_eval study over the demo dataset with simulated scores, and "
                f"{DEMO_HURRIED_RATER} half of them in a hurry"
            ),
        )

    def handle(self, *args, **options) -> None:
        demo_check_allowed()
        if options["simulate_ratings"]:
            simulated = demo_ratings_simulate()
            self.stdout.write(
                f"Study {simulated.study.name} of run {simulated.run.pk}: "
                f"{simulated.submitted} simulated ratings added by "
                f"{' and '.join(DEMO_SIMULATED_RATERS)}, and {simulated.hurried} by "
                f"{DEMO_HURRIED_RATER} in a hurry (the dashboard flags them)."
            )
            if simulated.votes and simulated.run.pair_study is not None:
                self.stdout.write(
                    f"Pairwise study {simulated.run.pair_study.name}: {simulated.votes} "
                    f"simulated votes added by {' and '.join(DEMO_SIMULATED_RATERS)}."
                )
            demo_figures_warm(run=simulated.run)
            return
        call_command("migrate", interactive=False, verbosity=0)
        summary = demo_install()
        report = summary.dataset
        dataset = report.dataset_name
        if report.dialogues_imported:
            self.stdout.write(f"Dataset {dataset}: {report.samples_created} samples imported.")
        else:
            self.stdout.write(f"Dataset {dataset}: already imported.")
        self.stdout.write("\nSoulEval demo on http://127.0.0.1:8000/")
        self.stdout.write("  rating portal: http://127.0.0.1:8000/portal/ (annotators)")
        self.stdout.write("  administration: http://127.0.0.1:8000/admin/")
        self.stdout.write("  accounts (demo only):")
        for account in summary.accounts:
            self.stdout.write(f"    {account.role:<10} {account.username:<11} {account.password}")
        self.stdout.write("")
