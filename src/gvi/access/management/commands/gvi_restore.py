from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError

from gvi.access.audit import verify_chain
from gvi.access.backup import BackupError, restore


class Command(BaseCommand):
    help = (
        "Restore a backup made by `gvi backup` into the configured database (gvi restore PATH). Refuses a "
        "database that holds data unless --force. Then checks every table against the backup's manifest "
        "and verifies the access-log chain."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="The backup file written by `gvi backup`.")
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace the contents of a database that already holds data.",
        )

    def handle(self, *args, **options):
        try:
            result = restore(options["path"], force=options["force"])
        except (BackupError, DatabaseError, OSError) as error:
            raise CommandError(str(error)) from None
        self.stdout.write(
            f"Restored {result.path} ({result.vendor}): {len(result.tables)} tables, {result.total_rows} rows."
        )
        if result.mismatches:
            raise CommandError(
                "The restored database differs from the backup: " + "; ".join(result.mismatches)
            )
        if result.verified_against_manifest:
            self.stdout.write("Every table matches the checksum recorded at backup time.")
        else:
            self.stdout.write(
                self.style.WARNING("No manifest beside the backup: table checksums not compared.")
            )
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Restored, but the access-log chain is BROKEN at row {report.first_break_seq}: {report.reason}"
            )
        self.stdout.write(self.style.SUCCESS(f"Access log chain OK: {report.rows_checked} rows verified."))
