from django.core.management.base import BaseCommand, CommandError

from gvi.access.audit import verify_chain


class Command(BaseCommand):
    help = (
        "Verify the keyed hash chain of the access log and its anchors (gvi audit verify), or anchor it now."
    )

    def add_arguments(self, parser):
        parser.add_argument("action", choices=["verify", "anchor"])

    def handle(self, *args, **options):
        if options["action"] == "anchor":
            from gvi.access.anchor import anchor_path, write_anchor

            fields = write_anchor()
            self.stdout.write(f"Anchored row {fields['seq']} in {anchor_path()}.")
            return
        report = verify_chain()
        if not report.ok:
            raise CommandError(
                f"Access log chain BROKEN at row {report.first_break_seq}: {report.reason} "
                f"({report.rows_checked} rows verified before the break)"
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"Access log chain OK: {report.rows_checked} rows verified, {report.anchors_checked} anchors."
            )
        )
