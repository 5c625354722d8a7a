"""Load: locust, headless, against the demo city on a loopback server, bounded in time.

Loads the demo city into a fresh PostgreSQL database (or --database-url), issues bearer tokens for the
demo analyst, coordinator and caseworker, starts `gvi serve` (gunicorn) in demo mode on a loopback
port, and runs soak/locustfile.py headless for --duration. Reports requests, failures, error rate and the
95th percentile response time (all requests, and per page / API route).

Usage: .venv/bin/python soak/load.py [--users 20] [--spawn-rate 5] [--duration 60s] [--json OUT]
"""

import argparse
import csv
import json
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import (  # noqa: E402
    DEFAULT_ADMIN_URL,
    PYTHON,
    ROOT,
    Server,
    django_snippet,
    free_port,
    gvi,
    gvi_env,
    scratch_postgres,
)

TOKENS = """
import json
from django.contrib.auth import get_user_model
from gvi.access.services import issue_api_token
users = get_user_model().objects.filter(username__in=["analytiker", "samordnare", "socialsekreterare"])
print(json.dumps({user.username: issue_api_token(user, "locust") for user in users}))
"""


def _number(value: str) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return 0.0


def read_stats(prefix: Path) -> dict:
    rows = list(csv.DictReader(open(f"{prefix}_stats.csv", encoding="utf-8")))
    total = next(row for row in rows if row["Name"] == "Aggregated")
    requests = int(_number(total["Request Count"]))
    failures = int(_number(total["Failure Count"]))
    per_route = {
        f"{row['Type']} {row['Name']}": {
            "requests": int(_number(row["Request Count"])),
            "failures": int(_number(row["Failure Count"])),
            "p95_ms": _number(row["95%"]),
        }
        for row in rows
        if row["Name"] != "Aggregated"
    }
    return {
        "requests": requests,
        "failures": failures,
        "error_rate": failures / requests if requests else 1.0,
        "p50_ms": _number(total["50%"]),
        "p95_ms": _number(total["95%"]),
        "p99_ms": _number(total["99%"]),
        "requests_per_second": _number(total["Requests/s"]),
        "per_route": per_route,
    }


def run(users: int, spawn_rate: int, duration: str, database_url: str, workdir: Path) -> dict:
    env = gvi_env(database_url, workdir / "data", GVI_DEMO_MODE="true")
    loaded = gvi(env, "demo", "--no-serve", timeout=900)
    if loaded.returncode != 0:
        raise RuntimeError(loaded.stderr[-2000:])
    tokens = django_snippet(env, TOKENS)
    server = Server(env, free_port(), workdir / "server.log")
    server.start()
    prefix = workdir / "locust"
    try:
        completed = subprocess.run(
            [
                PYTHON,
                "-m",
                "locust",
                "-f",
                str(ROOT / "soak" / "locustfile.py"),
                "--headless",
                "-u",
                str(users),
                "-r",
                str(spawn_rate),
                "-t",
                duration,
                "--host",
                server.base_url,
                "--csv",
                str(prefix),
                "--only-summary",
                "--stop-timeout",
                "5",
                "--loglevel",
                "WARNING",
            ],
            env={**env, "GVI_SOAK_TOKENS": json.dumps(tokens)},
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=3600,
            check=False,
        )
    finally:
        server.stop()
    if not Path(f"{prefix}_stats.csv").exists():
        raise RuntimeError(f"locust wrote no statistics: {completed.stderr[-2000:]}")
    result = read_stats(prefix)
    result.update(
        {
            "users": users,
            "spawn_rate": spawn_rate,
            "duration": duration,
            "mix": {"analytiker": 3, "samordnare": 2, "socialsekreterare": 2},
            "server": "gvi serve (gunicorn) on PostgreSQL",
        }
    )
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--spawn-rate", type=int, default=5)
    parser.add_argument("--duration", default="60s")
    parser.add_argument("--admin-url", default=DEFAULT_ADMIN_URL)
    parser.add_argument("--database-url", help="use this (empty) database instead of creating one")
    parser.add_argument("--json", help="write the result as JSON here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="gvi-load-") as tmp:
        if args.database_url:
            result = run(args.users, args.spawn_rate, args.duration, args.database_url, Path(tmp))
        else:
            with scratch_postgres(args.admin_url, "gvi_soak_load") as url:
                result = run(args.users, args.spawn_rate, args.duration, url, Path(tmp))
    text = json.dumps(result, indent=2)
    print(text)
    if args.json:
        Path(args.json).write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
