from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from gvi.access.backup import BackupError, backup


class Command(BaseCommand):
    help = (
        "Back up the whole database to a file (gvi backup PATH): SQLite with its online backup API, "
        "PostgreSQL with pg_dump -Fc. Writes PATH.manifest.json with a checksum of every table."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file to write (replaced if it exists).")

    def handle(self, *args, **options):
        try:
            result = backup(options["path"])
        except (BackupError, DatabaseError, OSError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            self.style.SUCCESS(
                f"Backup written: {result.path} ({result.vendor}, {result.size} bytes, "
                f"{len(result.tables)} tables, {result.total_rows} rows)."
            )
        )
        self.stdout.write(f"Manifest: {result.manifest_path}")
        self.stdout.write(
            "Keep the backup as protected as the database, and the keys (GVI_SECRET_KEY, GVI_PSEUDONYM_KEY, "
            "GVI_FIELD_KEY) with it, separately protected."
        )
