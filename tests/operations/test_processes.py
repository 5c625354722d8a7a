"""The processes an operator runs, started for real on loopback: `gvi serve` is gunicorn, and `gvi demo`
runs the web server and the worker together and stops both on Ctrl-C (SIGINT to the process group, as a
terminal sends it)."""

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from gvi.operations.web import gunicorn_options
from gvi.partnership.management.commands.gvi_serve import default_workers

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="process groups and signals")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def clean_env(tmp_path: Path, **extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("GVI_") and k != "DATABASE_URL"}
    return {**env, "DJANGO_SETTINGS_MODULE": "gvi.settings", "GVI_DATA_DIR": str(tmp_path), **extra}


def get(url: str) -> tuple[int, dict, dict]:
    try:
        with urllib.request.urlopen(url, timeout=5) as response:
            return response.status, dict(response.headers), json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers), json.loads(error.read())


def wait_for(url: str, status: int, timeout: float, process: subprocess.Popen) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, f"exited with {process.returncode}"
        try:
            found, headers, _body = get(url)
            if found == status:
                return headers
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not answer {status} within {timeout} s")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def test_serve_defaults_fit_the_machine_and_use_threads():
    assert 3 <= default_workers() <= 8
    options = gunicorn_options("127.0.0.1:8000", workers=3, threads=4)
    assert options["workers"] == 3 and options["threads"] == 4 and options["worker_class"] == "gthread"
    assert gunicorn_options("127.0.0.1:8000", workers=1, threads=1)["worker_class"] == "sync"


def test_serve_runs_gunicorn_with_the_configured_processes(tmp_path):
    port = free_port()
    env = clean_env(tmp_path, GVI_WEB_WORKERS="2", GVI_WEB_THREADS="2")
    server = subprocess.Popen(
        [sys.executable, "-m", "gvi.cli", "serve", "--port", str(port)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        headers = wait_for(f"http://127.0.0.1:{port}/halsa/", 200, 60, server)
        assert headers.get("Server") == "gunicorn"
        deadline = time.monotonic() + 20
        while len(children(server.pid)) < 2 and time.monotonic() < deadline:
            time.sleep(0.2)
        assert len(children(server.pid)) == 2  # GVI_WEB_WORKERS processes under one master
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        assert server.wait(30) == 0


def test_serve_refuses_the_development_server_in_production(tmp_path):
    env = clean_env(
        tmp_path, GVI_PRODUCTION="true", GVI_SECRET_KEY="x" * 50, GVI_ALLOWED_HOSTS="gvi.example.se"
    )
    completed = subprocess.run(
        [sys.executable, "-m", "gvi.cli", "serve", "--dev"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert completed.returncode != 0 and "not for production" in completed.stderr


@pytest.mark.skipif(
    bool(os.environ.get("DATABASE_URL")), reason="the demo runs on SQLite whatever the suite uses"
)
def test_demo_runs_web_server_and_worker_and_ctrl_c_stops_both(tmp_path):
    port = free_port()
    demo = subprocess.Popen(
        [sys.executable, "-m", "gvi.cli", "demo", "--port", str(port)],
        env=clean_env(tmp_path, GVI_DEMO_MODE="true", GVI_WEB_WORKERS="1"),
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        # ready means: the database is migrated and the worker (a child process) sends heartbeats
        wait_for(f"http://127.0.0.1:{port}/halsa/redo/", 200, 300, demo)
        processes = [demo.pid, *children(demo.pid)]
        assert len(processes) >= 3  # the server's master, its worker process and the background worker
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(60)
        deadline = time.monotonic() + 30
        while any(Path(f"/proc/{pid}").exists() for pid in processes) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not [pid for pid in processes if Path(f"/proc/{pid}").exists()]
    finally:
        if demo.poll() is None:
            os.killpg(demo.pid, signal.SIGKILL)
            demo.wait(30)
