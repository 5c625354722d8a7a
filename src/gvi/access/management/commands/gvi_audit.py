from django.core.management.base import BaseCommand, CommandError

from gvi.access.audit import verify_chain


class Command(BaseCommand):
    help = "Verify the hash chain of the access log (gvi audit verify)."

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify"])

    def handle(self, *args, **options):
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Access log chain BROKEN at row {report.first_break_seq}: {report.reason} "
                f"({report.rows_checked} rows verified before the break)"
            )
        self.stdout.write(self.style.SUCCESS(f"Access log chain OK: {report.rows_checked} rows verified."))
