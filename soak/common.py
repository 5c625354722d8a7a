"""Helpers shared by the soak harnesses: scratch PostgreSQL databases, `gvi` commands, a server process.

Everything runs on loopback only. A server is started in its own process group so that SIGKILL reaches
exactly the process this harness started (and nothing else).
"""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

ROOT = Path(__file__).resolve().parents[1]
PYTHON = os.environ.get("GVI_SOAK_PYTHON") or (
    str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv" / "bin" / "python").exists() else sys.executable
)
DEFAULT_ADMIN_URL = "postgres://postgres@127.0.0.1:5432/postgres"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, f"/{name}", parts.query, parts.fragment))


def _admin(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(statement)


@contextmanager
def scratch_postgres(admin_url: str, prefix: str, keep: bool = False):
    """A freshly created PostgreSQL database; dropped afterwards unless `keep`. Yields its URL."""
    name = f"{prefix}_{os.getpid()}_{int(time.time())}"
    _admin(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield with_database(admin_url, name)
    finally:
        if not keep:
            _admin(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def gvi_env(database_url: str, data_dir: Path, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "GVI_DATA_DIR": str(data_dir),
        "GVI_LOG_LEVEL": "ERROR",
        "DJANGO_SETTINGS_MODULE": "gvi.settings",
        "PYTHONUNBUFFERED": "1",
    }
    env.update(extra)
    return env


def gvi(env: dict, *args: str, timeout: float = 600) -> subprocess.CompletedProcess:
    return subprocess.run(
        [PYTHON, "-m", "gvi.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def django_snippet(env: dict, code: str, timeout: float = 300) -> dict:
    """Run `code` with Django set up in a separate process; it must print one JSON object last."""
    program = "import django\ndjango.setup()\n" + code
    completed = subprocess.run(
        [PYTHON, "-c", program],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"snippet failed: {completed.stderr[-2000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


class Server:
    """`gvi serve` (gunicorn) on a loopback port, in its own process group."""

    def __init__(self, env: dict, port: int, log_path: Path):
        self.env = env
        self.port = port
        self.log_path = log_path
        self.process: subprocess.Popen | None = None
        self.base_url = f"http://127.0.0.1:{port}"

    def start(self, ready_timeout: float = 60) -> float:
        """Start and wait until /halsa/ answers; returns the seconds it took."""
        began = time.monotonic()
        log = open(self.log_path, "ab")  # noqa: SIM115 - owned by the process below
        self.process = subprocess.Popen(
            [
                PYTHON,
                "-m",
                "gvi.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
            ],
            env=self.env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        while time.monotonic() - began < ready_timeout:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with {self.process.returncode}; see {self.log_path}")
            try:
                with urllib.request.urlopen(self.base_url + "/halsa/", timeout=2) as response:
                    if response.status == 200:
                        return time.monotonic() - began
            except (urllib.error.URLError, OSError):
                time.sleep(0.1)
        self.kill()
        raise RuntimeError(f"the server did not answer within {ready_timeout} s; see {self.log_path}")

    def kill(self) -> None:
        """SIGKILL the server's process group (the one this object started) and reap it."""
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=15)
        except (ProcessLookupError, subprocess.TimeoutExpired):
            self.kill()


SEED_ANALYST = """
import json
from gvi.access.services import issue_api_token
from gvi.groups.models import Person
from gvi.partnership.models import Membership, Organisation, Role, Site
from django.contrib.auth import get_user_model
site = Site.objects.create(name="Soakstad", slug="soakstad", municipality="Soakstad")
police = Organisation.objects.create(name="Polisen Soakstad", short_name="Polisen", type="police")
police.sites.add(site)
user = get_user_model().objects.create_user("soak-analytiker", password=None)
from datetime import timedelta
from django.utils import timezone
# approved by a second person of the organisation, as issue 21 requires before person data is reached
Membership.objects.create(user=user, organisation=police, site=site, role=Role.ANALYST, approved_at=timezone.now())
person = Person.unscoped_all_sites.create(site=site, owner=police, alias="Soak P-001", is_at_risk=True,
                               review_date=timezone.localdate() + timedelta(days=100))
print(json.dumps({"token": issue_api_token(user, "soak"), "person": person.pk, "site": site.pk}))
"""
