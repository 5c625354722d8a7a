"""gvi export KIND --user USERNAME --format csv|xlsx --output PATH: export what the user may export, logged."""

import os
from pathlib import Path

from django.core.exceptions import PermissionDenied
from django.core.management.base import BaseCommand, CommandError

from gvi.groups import exports, importers
from gvi.groups.management.commands.gvi_import import active_user


class Command(BaseCommand):
    help = (
        "Export groups, persons or memberships that USER may export, as CSV (semicolon, UTF-8 with BOM) or "
        ".xlsx. Every exported person-level record is written to the access log."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=importers.KINDS, help="grupper, personer eller medlemskap")
        parser.add_argument("--user", required=True, help="användaren som exporterar")
        parser.add_argument("--format", choices=exports.FORMATS, default="xlsx")
        parser.add_argument("--output", required=True, help="filen som skrivs")
        parser.add_argument(
            "--purpose", default="Export via kommandoraden", help="ändamålet, sparas i åtkomstloggen"
        )

    def handle(self, *args, **options):
        user = active_user(options["user"])
        output = Path(options["output"])
        if not output.parent.is_dir():
            raise CommandError(f"Katalogen {output.parent} finns inte.")
        try:
            result = exports.export_records(user, options["kind"], options["format"], options["purpose"])
        except PermissionDenied as error:
            raise CommandError(str(error) or "Användaren får inte exportera detta.") from None
        # The file holds confidential data: readable by its owner only.
        descriptor = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(result.content)
        self.stdout.write(
            self.style.SUCCESS(f"{result.count} poster ({result.kind}) exporterades till {output}.")
        )
