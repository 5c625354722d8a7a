"""The benchmark run: scratch databases, one child process per measured phase, the server under load.

The parent never opens the application database. It creates `gvi_bench_<pid>_small` and `gvi_bench_<pid>`,
runs each phase as `gvi bench --phase ...` bound to one of them (so every phase's peak memory is its own),
starts the server against the large one, and drops both databases at the end, whatever happened.
"""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from gvi.bench import load
from gvi.bench.database import create_database, drop_database, with_name

CLIENTS = 16


def run_phase(url: str, phase: str, scale: str, output: Path, log) -> dict:
    env = dict(os.environ, DATABASE_URL=url)
    command = [
        sys.executable,
        "-m",
        "gvi.cli",
        "bench",
        "--phase",
        phase,
        "--scale",
        scale,
        "--output",
        str(output),
    ]
    log(f"phase {phase} ({scale}) …")
    started = time.perf_counter()
    subprocess.run(command, env=env, check=True)
    result = json.loads(output.read_text())
    log(f"phase {phase} done in {time.perf_counter() - started:.0f} s")
    return result


def run(server_url: str, scale: str, workdir: Path, log, per_client: int = 10, budget: float = 20.0) -> dict:
    pid = os.getpid()
    small_name, large_name = f"gvi_bench_{pid}_small", f"gvi_bench_{pid}"
    results: dict = {"scale": scale, "clients": CLIENTS}
    try:
        small_url = create_database(server_url, small_name)
        run_phase(small_url, "migrate", "small", workdir / "migrate.json", log)
        large_url = create_database(server_url, large_name, template=small_name)
        results["small"] = run_phase(small_url, "counts", "small", workdir / "small.json", log)
        results["large"] = run_phase(large_url, "measure", scale, workdir / "large.json", log)
        large = results["large"]
        results["load"] = _load(large_url, large["session_keys"], large["paths"], per_client, budget, log)
    finally:
        for name in (large_name, small_name):
            drop_database(server_url, name)
    results["databases"] = [with_name(server_url, small_name), with_name(server_url, large_name)]
    return results


def _load(url: str, keys: list[str], paths: dict, per_client: int, budget: float, log) -> dict:
    port = load.free_port()
    server = load.start_server(url, port)
    pages = {}
    try:
        for name, path in {"floor": load.FLOOR_PATH, **paths}.items():
            load.warm(port, path, keys[0])
            pages[name] = {"path": path, **load.measure_path(port, path, keys, per_client, budget)}
            log(
                f"  {name:20} p50 {pages[name]['p50'] * 1000:8.1f} ms  p95 {pages[name]['p95'] * 1000:8.1f} ms"
            )
        # The floor again at the end: a drifting floor would show as a gap between the two.
        pages["floor (again)"] = {
            "path": load.FLOOR_PATH,
            **load.measure_path(port, load.FLOOR_PATH, keys, per_client, budget),
        }
        server_peak = load.peak_rss_mb(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=30)
    from django.conf import settings

    from gvi.partnership.management.commands.gvi_serve import default_workers

    workers = settings.GVI_WEB_WORKERS or default_workers()
    server_label = f"{workers} worker processes x {settings.GVI_WEB_THREADS} threads"
    return {"pages": pages, "server_peak_mb": server_peak, "server": server_label}
