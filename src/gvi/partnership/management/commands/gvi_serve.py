import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError


def default_workers() -> int:
    """Gunicorn's rule of thumb, two processes per core plus one, capped for a shared machine."""
    return min(2 * (os.cpu_count() or 1) + 1, 8)


class Command(BaseCommand):
    help = (
        "Serve the platform with gunicorn (the production server; processes and threads from "
        "GVI_WEB_WORKERS / GVI_WEB_THREADS). --dev runs Django's development server instead."
    )

    def add_arguments(self, parser):
        parser.add_argument("--port", default=os.environ.get("PORT", "8000"))
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--workers", type=int, default=settings.GVI_WEB_WORKERS or default_workers())
        parser.add_argument("--threads", type=int, default=settings.GVI_WEB_THREADS)
        parser.add_argument(
            "--dev", action="store_true", help="Django's development server (one process; development only)."
        )

    def handle(self, *args, **options):
        address = f"{options['host']}:{options['port']}"
        if options["dev"]:
            if settings.PRODUCTION:
                raise CommandError("The development server is not for production (GVI_PRODUCTION=true).")
            call_command("runserver", address, "--noreload", use_threading=True)
            return
        from gvi.operations.web import serve

        serve(address, workers=options["workers"], threads=options["threads"])
