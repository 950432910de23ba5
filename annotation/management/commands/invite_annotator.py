from __future__ import annotations

from django.core.management.base import CommandParser
from django.urls import reverse

from annotation.services import invitation_create
from common.commands import ServiceCommand


class Command(ServiceCommand):
    help = "Make a single-use invitation link for one annotator and print it (shown once)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("invitee", help="whom it is for: a name or an e-mail address")
        parser.add_argument("--days", type=int, default=7, help="valid for this many days")
        parser.add_argument("--expertise", default="", help="a note on their expertise")
        parser.add_argument(
            "--base-url", default="http://127.0.0.1:8000", help="where the portal is served"
        )

    def handle(self, *args, **options) -> str:
        issued = invitation_create(
            invitee=options["invitee"],
            created_by=None,
            expertise_note=options["expertise"],
            valid_days=options["days"],
        )
        path = reverse("invitation-accept", kwargs={"token": issued.token})
        return options["base_url"].rstrip("/") + path
