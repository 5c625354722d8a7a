import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve the platform (development server on loopback; use a WSGI server such as gunicorn in production)."

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument(
            "--no-scheduler", action="store_true", help="Do not run the daily retention task."
        )

    def handle(self, *args, **options):
        if settings.PRODUCTION:
            self.stderr.write(
                "Production: run a WSGI server, e.g. `gunicorn gvi.wsgi` behind TLS. See README."
            )
        if not options["no_scheduler"]:
            from gvi.access.retention import DailyRetention

            DailyRetention().start()
        call_command("runserver", f"{options['host']}:{options['port']}", "--noreload", use_threading=True)
