"""Verify and import a signed aggregate package from another installation (all or nothing)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from gvi.evaluation.aggregate_package import PackageError, load_trusted_keys
from gvi.evaluation.services import import_aggregate_package


class Command(BaseCommand):
    help = (
        "Verifiera signaturen på ett aggregatpaket mot de betrodda nycklarna och importera dess värden. "
        "Ett ändrat, okänt eller felaktigt paket avvisas och ingenting importeras."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="aggregatpaketet (JSON)")
        parser.add_argument(
            "--trusted-keys", default="", help="fil eller katalog med betrodda publika nycklar (*.pem)"
        )

    def handle(self, *args, **options):
        try:
            data = Path(options["file"]).read_bytes()
        except OSError as error:
            raise CommandError(f"Filen kunde inte läsas: {error}") from None
        try:
            outcome = import_aggregate_package(data, load_trusted_keys(options["trusted_keys"] or None))
        except PackageError as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Verifierat med den betrodda nyckeln ”{outcome.package.source}” och importerat: "
            f"{outcome.values} värden från {outcome.package.installation} "
            f"({outcome.replaced} tidigare värden ersattes)."
        )
