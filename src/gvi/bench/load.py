"""Page latency under concurrent clients against a real server process on loopback."""

import http.client
import math
import os
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

FLOOR_PATH = "/bench/floor/"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_server(database_url: str, port: int) -> subprocess.Popen:
    """`gvi serve` (gunicorn, as in production; GVI_WEB_WORKERS / GVI_WEB_THREADS apply) with the benchmark
    settings (floor view added), output discarded."""
    env = dict(os.environ, DATABASE_URL=database_url, DJANGO_SETTINGS_MODULE="gvi.bench.settings")
    server = subprocess.Popen(
        [sys.executable, "-m", "gvi.cli", "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return server
        except OSError:
            time.sleep(0.3)
    server.kill()
    raise RuntimeError("the benchmark server did not start")


def _children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def peak_rss_mb(pid: int) -> float:
    """The server's peak resident memory (VmHWM) in MB: the master's plus each worker process's."""
    total = 0.0
    for process in [pid, *_children(pid)]:
        try:
            lines = Path(f"/proc/{process}/status").read_text().splitlines()
        except OSError:
            continue
        total += next((int(line.split()[1]) / 1024 for line in lines if line.startswith("VmHWM:")), 0.0)
    return total or math.nan


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, math.ceil(share * len(ordered)) - 1))
    return ordered[index]


def measure_path(
    port: int, path: str, session_keys: list[str], per_client: int, budget_seconds: float
) -> dict:
    """Every client (one thread, one session, one keep-alive connection) requests `path` up to `per_client`
    times, stopping early once the time budget is spent (at least two requests each)."""
    latencies: list[float] = []
    statuses: dict[int, int] = {}
    lock = threading.Lock()
    deadline = time.monotonic() + budget_seconds
    barrier = threading.Barrier(len(session_keys))

    def client(key: str) -> None:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        headers = {"Cookie": f"sessionid={key}", "Host": "127.0.0.1"}
        barrier.wait()
        for index in range(per_client):
            if index >= 2 and time.monotonic() > deadline:
                break
            started = time.perf_counter()
            try:
                connection.request("GET", path, headers=headers)
                response = connection.getresponse()
                response.read()
                status = response.status
                if response.getheader("Connection", "").lower() == "close":
                    connection.close()
            except (OSError, http.client.HTTPException):
                connection.close()
                status = 0
            elapsed = time.perf_counter() - started
            with lock:
                latencies.append(elapsed)
                statuses[status] = statuses.get(status, 0) + 1
        connection.close()

    threads = [threading.Thread(target=client, args=(key,)) for key in session_keys]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    wall = time.perf_counter() - started
    return {
        "requests": len(latencies),
        "p50": statistics.median(latencies),
        "p95": percentile(latencies, 0.95),
        "throughput": len(latencies) / wall,
        "statuses": statuses,
    }


def warm(port: int, path: str, key: str) -> None:
    """One request first, so a per-hour cache (the risk fit) or lazy import is not in the figures."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    connection.request("GET", path, headers={"Cookie": f"sessionid={key}", "Host": "127.0.0.1"})
    connection.getresponse().read()
    connection.close()
