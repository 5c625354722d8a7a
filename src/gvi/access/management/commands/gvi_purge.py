from datetime import date

from django.core.management.base import BaseCommand, CommandError

from gvi.access.retention import run_retention


class Command(BaseCommand):
    help = "Run the retention rules: deactivate overdue entries past the grace period, purge old ones."

    def add_arguments(self, parser):
        parser.add_argument("--today", help="Run as if today were this date (YYYY-MM-DD); for testing.")

    def handle(self, *args, **options):
        try:
            today = date.fromisoformat(options["today"]) if options["today"] else None
        except ValueError:
            raise CommandError("--today must be a date as YYYY-MM-DD") from None
        result = run_retention(today=today, triggered_by="command")
        self.stdout.write(f"Retention run for {result.today}:")
        self.stdout.write(f"  deactivated: {_fmt(result.deactivated)}")
        self.stdout.write(f"  purged:      {_fmt(result.purged)}")
        self.stdout.write(f"  history rows purged: {result.history_purged}")


def _fmt(counts: dict) -> str:
    return ", ".join(f"{label} {count}" for label, count in sorted(counts.items())) or "none"
