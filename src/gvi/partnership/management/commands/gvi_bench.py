import json
import os
import tempfile
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from gvi.bench import measure
from gvi.bench.database import DEFAULT_SERVER_URL
from gvi.bench.report import write_report
from gvi.bench.run import CLIENTS, run
from gvi.bench.seed import SCALES, seed


class Command(BaseCommand):
    help = (
        "Benchmark the platform at national scale in scratch PostgreSQL databases (gvi_bench_<pid>, dropped "
        "afterwards) and write docs/benchmarks.md."
    )

    def add_arguments(self, parser):
        parser.add_argument("--scale", choices=sorted(SCALES), default="national")
        parser.add_argument(
            "--server-url",
            default=os.environ.get("GVI_BENCH_SERVER_URL", DEFAULT_SERVER_URL),
            help="PostgreSQL server to create the scratch databases on (never the application database).",
        )
        parser.add_argument("--report", default="docs/benchmarks.md")
        parser.add_argument("--requests-per-client", type=int, default=10)
        parser.add_argument("--budget", type=float, default=20.0, help="Seconds per page, at most.")
        parser.add_argument("--phase", choices=["migrate", "counts", "measure"], help="Internal: one phase.")
        parser.add_argument("--output", help="Internal: where a phase writes its figures.")

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("The benchmark loads invented data; never run it in production.")
        if options["phase"]:
            return self._phase(options["phase"], SCALES[options["scale"]], Path(options["output"]))
        with tempfile.TemporaryDirectory(prefix="gvi-bench-") as workdir:
            results = run(
                options["server_url"],
                options["scale"],
                Path(workdir),
                lambda message: self.stdout.write(message),
                per_client=options["requests_per_client"],
                budget=options["budget"],
            )
        results["clients"] = CLIENTS
        path = write_report(results, Path(options["report"]))
        self.stdout.write(f"Report written to {path}")
        small, large = results["small"]["counts"], results["large"]["counts"]
        grown = {name: (small[name]["queries"], large[name]["queries"]) for name in large if name in small}
        grown = {name: counts for name, counts in grown.items() if counts[0] != counts[1]}
        if grown:
            # A page whose query count follows the data is a defect, whatever its latency today.
            raise CommandError(f"Query counts differ between the small and the large data set: {grown}")

    def _phase(self, phase: str, scale, output: Path) -> None:
        if not settings.DATABASES["default"]["NAME"].startswith("gvi_bench_"):
            raise CommandError("A benchmark phase runs only in a gvi_bench_* scratch database.")
        result: dict = {}
        if phase == "migrate":
            call_command("migrate", interactive=False, verbosity=0)
        else:
            report = seed(scale, log=lambda message: self.stdout.write(f"  seeded {message}"))
            result["seed"] = {
                "rows": report.rows,
                "seconds": report.seconds,
                "total_seconds": report.total_seconds,
                "total_rows": report.total_rows,
                "method": report.method,
                "peak_mb": measure.peak_memory_mb(),
            }
            result["read_models"] = measure.read_models()  # the worker's part, before any page is read
            result["paths"] = measure.page_paths()
            result["counts"] = measure.query_counts(result["paths"])
        if phase == "measure":
            result["session_keys"] = measure.session_keys(CLIENTS)
            steps = [
                ("aggregates", measure.dashboard_aggregates),
                ("import", measure.import_throughput),
                ("network", measure.network_metrics_national),
                ("hawkes", measure.hawkes_fit),
            ]
            for name, step in steps:
                self.stdout.write(f"  measuring {name} …")
                result[name] = step()
                result[name]["peak_mb"] = measure.peak_memory_mb()
        output.write_text(json.dumps(result, default=str))
