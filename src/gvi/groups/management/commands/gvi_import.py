"""gvi import KIND FILE --user USERNAME [--dry-run]: import the group audit from CSV or .xlsx, all-or-nothing."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from gvi.groups import importers


def active_user(username: str):
    try:
        return get_user_model().objects.get(username=username, is_active=True)
    except get_user_model().DoesNotExist:
        raise CommandError(f"Ingen aktiv användare heter {username!r}.") from None


class Command(BaseCommand):
    help = (
        "Import groups, persons or memberships from a CSV or .xlsx file as USER (gvi import KIND FILE "
        "--user USERNAME [--dry-run]). All rows or none; prints a row-by-row report; exits non-zero on errors."
    )

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=importers.KINDS, help="grupper, personer eller medlemskap")
        parser.add_argument("file", help="CSV (UTF-8) eller Excel-arbetsbok (.xlsx)")
        parser.add_argument("--user", required=True, help="användaren som importerar (plats och ägare)")
        parser.add_argument("--dry-run", action="store_true", help="kontrollera filen utan att spara")

    def handle(self, *args, **options):
        user = active_user(options["user"])
        path = Path(options["file"])
        if not path.is_file():
            raise CommandError(f"Filen {path} finns inte.")
        run = importers.dry_run if options["dry_run"] else importers.import_file
        with path.open("rb") as handle:
            report = run(user, options["kind"], File(handle, name=path.name))
        for line in report.lines()[:-1]:  # the summary comes last, as success or as the error
            self.stdout.write(line)
        if not report.ok:
            raise CommandError(report.summary())
        self.stdout.write(self.style.SUCCESS(report.summary()))
