"""Run by the browser suite in a subprocess: migrate a fresh database, load the demo city, serve.

Usage: python serve_demo.py PORT  (with GVI_DEMO_MODE=true and GVI_DATA_DIR set by the caller).
One process does all three steps, so Django starts once, on Django's development server (one process).
No background worker is started: the data must not change under the tests.
"""

import os
import sys


def main(port: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvi.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command

    if not settings.DEMO_MODE:
        raise SystemExit("serve_demo.py needs GVI_DEMO_MODE=true (and never GVI_PRODUCTION)")
    from gvi.demo.city import load_demo_city

    call_command("migrate", interactive=False, verbosity=0)
    load_demo_city()
    call_command("gvi_serve", host="127.0.0.1", port=port, dev=True)


if __name__ == "__main__":
    main(sys.argv[1])
