import os
import resource

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from gvi.bench.database import rerun_with_database
from gvi.bench.seed import BENCH_PASSWORD, BENCH_USERNAME, SCALES, seed


class Command(BaseCommand):
    help = "Load an invented world (demo, small or national scale) through bulk paths and report the time."

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="demo")
        parser.add_argument("--database-url", help="Load into this database instead of DATABASE_URL.")
        parser.add_argument("--no-migrate", action="store_true")
        parser.add_argument("--seed", type=int, default=2026, help="Random seed (same seed, same world).")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Invented data must never be loaded in production (GVI_PRODUCTION=true).")
        url = options["database_url"]
        if url and url != os.environ.get("DATABASE_URL"):
            argv = ["--scale", options["scale"], "--seed", str(options["seed"]), "--database-url", url]
            rerun_with_database(url, "gvi_seed", argv + (["--no-migrate"] if options["no_migrate"] else []))
        if not options["no_migrate"]:
            call_command("migrate", interactive=False, verbosity=0)
        scale = SCALES[options["scale"]]
        report = seed(scale, options["seed"], log=lambda m: self.stdout.write(f"  {m}"))
        for table, rows in report.rows.items():
            self.stdout.write(f"{table:40} {rows:>10,} rows {report.seconds[table]:8.1f} s")
        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        self.stdout.write(
            f"Seeded scale {scale.name}: {report.total_rows:,} rows in {report.total_seconds:.1f} s "
            f"({report.method}), peak memory {peak_mb:.0f} MB. Log in as {BENCH_USERNAME} / {BENCH_PASSWORD}."
        )
