"""The thread races of test_concurrency, against a real SQLite file (the embedded default database).

The SQLite test database of pytest is in memory, where concurrent writers cannot be exercised; the slow
test `test_threads_racing_on_a_sqlite_file` runs this script in a separate process with DATABASE_URL
pointing to a fresh file. Exit status 0 when both races (service layer and API) hold.
"""

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "gvi.settings")

import django  # noqa: E402

django.setup()

from django.core.management import call_command  # noqa: E402

call_command("migrate", interactive=False, verbosity=0)

from tests.trust import test_concurrency as races  # noqa: E402

races.test_threads_racing_through_the_service_layer()
races.test_threads_racing_through_the_api()
print("both races held on SQLite")
