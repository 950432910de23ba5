from __future__ import annotations

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from reports.services import DemoRefused, demo_check_allowed, demo_install


class Command(BaseCommand):
    help = "Migrate, then install the demo users and the demo corpus (DJANGO_DEBUG=true only)."

    def handle(self, *args, **options) -> None:
        try:
            demo_check_allowed()
            call_command("migrate", interactive=False, verbosity=0)
            summary = demo_install()
        except DemoRefused as error:
            raise CommandError(str(error)) from None
        report = summary.dataset
        dataset = report.dataset_name
        if report.dialogues_imported:
            self.stdout.write(f"Dataset {dataset}: {report.samples_created} samples imported.")
        else:
            self.stdout.write(f"Dataset {dataset}: already imported.")
        self.stdout.write("\nSoulEval demo on http://127.0.0.1:8000/")
        self.stdout.write("  administration: http://127.0.0.1:8000/admin/")
        self.stdout.write("  accounts (demo only):")
        for account in summary.accounts:
            self.stdout.write(f"    {account.role:<10} {account.username:<11} {account.password}")
        self.stdout.write("")
