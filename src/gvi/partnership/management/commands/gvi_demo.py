import os
import subprocess
import sys

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError

from gvi.partnership.models import Site


class Command(BaseCommand):
    help = (
        "Migrate the embedded database, load the demo city, print the demo logins, then run the web server "
        "and the background worker together until Ctrl-C stops both."
    )

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="Set up only; do not start the server.")
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            raise CommandError("Demo data must never be loaded in production (GVI_PRODUCTION=true).")
        if not settings.DEMO_MODE:
            raise CommandError("Set GVI_DEMO_MODE=true to run the demo (it switches off the second factor).")
        from gvi.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
        from gvi.demo.loader import extra_accounts, load_demo

        call_command("compile_translations", verbosity=0)
        call_command("migrate", interactive=False, verbosity=0)
        if Site.objects.filter(slug="exempelstad").exists():
            self.stdout.write("Demo city already loaded.")
        else:
            summary = load_demo()
            self.stdout.write(
                "Demo city loaded: "
                + ", ".join(f"{k}={v}" for k, v in summary.items() if not isinstance(v, dict))
            )
        self.stdout.write("")
        self.stdout.write("DEMOLÄGE: tvåfaktorsinloggning är avstängd. Alla personer är påhittade.")
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for account in [*DEMO_ACCOUNTS, *extra_accounts()]:
            self.stdout.write(f"  {account['username']:<20} {account['description']}")
        self.stdout.write("")
        if not options["no_serve"]:
            self.serve_with_worker(options["port"])

    def serve_with_worker(self, port: str) -> None:
        """The web server in this process, the worker in a child; Ctrl-C reaches both (one process group),
        and the child is stopped here too whichever way the server ends."""
        worker = subprocess.Popen([sys.executable, "-m", "gvi.cli", "worker", "--verbosity", "0"])
        self.stdout.write(f"Serving on http://127.0.0.1:{port}/ (background worker: process {worker.pid})")
        self.stdout.write("Ctrl-C stops the web server and the worker.")
        self.stdout.flush()
        try:
            call_command("gvi_serve", port=port, workers=settings.GVI_WEB_WORKERS or 2)
        finally:
            if worker.poll() is None:
                worker.terminate()
            try:
                worker.wait(timeout=60)
            except subprocess.TimeoutExpired:
                worker.kill()
                worker.wait()
