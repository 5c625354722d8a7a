"""A real `gvi worker` process SIGKILLed in the middle of tasks, like the durability harness (soak/): every
task still completes, and each is applied exactly once.

The probe task writes a row, then sleeps before its transaction commits; the worker is killed while a task
sleeps, restarted, killed again, and finally left to finish. Runs on a scratch database of the kind the
suite uses: a SQLite file, or a PostgreSQL database next to the test database.
"""

import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest
from django.conf import settings
from django_tasks_db.models import DBTaskResult

ROOT = Path(__file__).resolve().parents[2]
TASKS = 4
KILLS = 3
TASK_SECONDS = 1.0
TABLE = DBTaskResult._meta.db_table


@contextmanager
def scratch_database(tmp_path: Path):
    """(environment for gvi processes, a query function) on a fresh database; dropped afterwards."""
    base = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("GVI_") and k not in {"DATABASE_URL", "PYTEST_XDIST_WORKER"}
    }
    base.update(
        {
            "DJANGO_SETTINGS_MODULE": "gvi.settings",
            "GVI_DATA_DIR": str(tmp_path / "data"),
            "GVI_LOG_LEVEL": "ERROR",
            "GVI_WORKER_STALE_SECONDS": "2",
            "PYTHONUNBUFFERED": "1",
        }
    )
    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.postgresql":
        import psycopg

        name = f"gvi_sigkill_{os.getpid()}_{int(time.time())}"
        admin = dict(
            host=database["HOST"] or "127.0.0.1",
            port=database["PORT"] or 5432,
            user=database["USER"],
            dbname="postgres",
        )
        with psycopg.connect(**admin, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = f"postgres://{database['USER']}@{admin['host']}:{admin['port']}/{name}"

        def query(sql: str):
            with psycopg.connect(url) as conn:
                return conn.execute(sql).fetchall()

        try:
            yield {**base, "DATABASE_URL": url}, query
        finally:
            with psycopg.connect(**admin, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    else:
        path = tmp_path / "data" / "gvi.sqlite3"

        def query(sql: str):
            conn = sqlite3.connect(path, timeout=20)
            try:
                return conn.execute(sql).fetchall()
            finally:
                conn.close()

        yield base, query


def gvi(env: dict, *args: str, timeout: float = 300) -> subprocess.CompletedProcess:
    completed = subprocess.run(
        [sys.executable, "-m", "gvi.cli", *args],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    return completed


def start_worker(env: dict, worker_id: str, log: Path) -> subprocess.Popen:
    with open(log, "ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "gvi.cli", "worker", "--worker-id", worker_id, "--no-schedule", "--interval", "0.1",
             "--no-startup-delay", "--housekeeping-seconds", "0.5", "--verbosity", "0"],
            env=env, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip


def wait_for(check, timeout: float, what: str):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = check()
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def test_a_killed_worker_loses_no_task_and_applies_none_twice(tmp_path):
    with scratch_database(tmp_path) as (env, query):
        gvi(env, "migrate", "--verbosity", "0")
        gvi(
            env,
            "shell",
            "-c",
            "from tests.operations.probe_tasks import record\n"
            f"for n in range({TASKS}): record.enqueue(f'm{{n}}', {TASK_SECONDS})",
        )
        log = tmp_path / "worker.log"
        killed_running = 0
        for kill in range(KILLS):
            worker = start_worker(env, f"killed-{kill}", log)
            try:
                wait_for(
                    lambda kill=kill: query(
                        f"SELECT id FROM {TABLE} WHERE status = 'RUNNING' AND CAST(worker_ids AS TEXT) LIKE '%killed-{kill}%'"
                    ),
                    60,
                    f"worker {kill} to claim a task",
                )
                time.sleep(random.uniform(0.2, 0.6) * TASK_SECONDS)  # mid-task: written, not committed
                killed_running += len(
                    query(
                        f"SELECT id FROM {TABLE} WHERE status = 'RUNNING' AND CAST(worker_ids AS TEXT) LIKE '%killed-{kill}%'"
                    )
                )
            finally:
                os.killpg(worker.pid, signal.SIGKILL)
                worker.wait(30)
        survivor = start_worker(env, "survivor", log)
        try:
            wait_for(
                lambda: query(f"SELECT COUNT(*) FROM {TABLE} WHERE status = 'SUCCESSFUL'")[0][0] == TASKS,
                120,
                "every task to complete",
            )
        finally:
            survivor.send_signal(signal.SIGTERM)
            survivor.wait(30)
        applied = dict(query("SELECT job, COUNT(*) FROM operations_scheduledrun GROUP BY job"))
        assert applied == {f"probe:m{n}": 1 for n in range(TASKS)}, log.read_text()[-3000:]
        attempts = [
            len(json.loads(ids)) if isinstance(ids, str) else len(ids)
            for (ids,) in query(f"SELECT worker_ids FROM {TABLE}")
        ]
        assert killed_running == KILLS  # each kill hit a running task ...
        assert sum(n - 1 for n in attempts) == KILLS  # ... which ran again, once per kill
        assert query(f"SELECT COUNT(*) FROM {TABLE} WHERE status <> 'SUCCESSFUL'")[0][0] == 0
        assert (
            query("SELECT COUNT(*) FROM operations_workerheartbeat WHERE worker_id = 'survivor'")[0][0] == 0
        )


pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="process groups and SIGKILL")
