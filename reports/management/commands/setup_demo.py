from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser

from annotation.services import StudyInvalid
from generation.selectors import SystemNotFound
from reports.services import DemoRefused, demo_check_allowed, demo_install, demo_study_open


class Command(BaseCommand):
    help = (
        "Migrate, then install the demo users and the demo corpus (DJANGO_DEBUG=true only); "
        "with --study, open the demo study of the demo model's answers instead."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--study",
            action="store_true",
            help="open the demo study (after make_demo_model and generate have run)",
        )

    def handle(self, *args, **options) -> None:
        try:
            demo_check_allowed()
            if options["study"]:
                study = demo_study_open()
                items = study.items.count()
                self.stdout.write(
                    f"Study {study.name}: {items} items, {study.status}, "
                    f"{study.raters_per_item} raters per item."
                )
                return
            call_command("migrate", interactive=False, verbosity=0)
            summary = demo_install()
        except (DemoRefused, StudyInvalid, SystemNotFound) as error:
            raise CommandError(str(error)) from None
        report = summary.dataset
        dataset = report.dataset_name
        if report.dialogues_imported:
            self.stdout.write(f"Dataset {dataset}: {report.samples_created} samples imported.")
        else:
            self.stdout.write(f"Dataset {dataset}: already imported.")
        self.stdout.write("\\nSoulEval demo on http://127.0.0.1:8000/")
        self.stdout.write("  rating portal: http://127.0.0.1:8000/portal/ (annotators)")
        self.stdout.write("  administration: http://127.0.0.1:8000/admin/")
        self.stdout.write("  accounts (demo only):")
        for account in summary.accounts:
            self.stdout.write(f"    {account.role:<10} {account.username:<11} {account.password}")
        self.stdout.write("")
