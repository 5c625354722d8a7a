"""`make test-calendar`: the fast suite (SQLite) under libfaketime at the dates where clocks bite.

Each date starts the process clock at that instant (UTC) and lets it run, so a suite started a few
minutes before a daylight-saving change runs across it. Before the suite, the fake clock is checked
from inside Python: a run that would silently use the real date fails instead.

Usage: .venv/bin/python soak/calendar_run.py [--all | --pick N] [--only NAME,...] [-- pytest args]
  --all      every date (the default; `make soak` runs this)
  --pick N   N dates, rotated by today's date so that consecutive CI runs cover all of them
Exit status 0 when the suite passes at every date run.
"""

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
PYTHON = str(ROOT / ".venv" / "bin" / "python") if (ROOT / ".venv").exists() else sys.executable
STOCKHOLM = ZoneInfo("Europe/Stockholm")


@dataclass(frozen=True)
class HardDate:
    name: str
    utc: datetime  # where the clock starts
    why: str


HARD_DATES = [
    HardDate(
        "month-end",
        datetime(2027, 1, 31, 23, 30, tzinfo=UTC),
        "the last day of a month at 23:30 UTC, already 1 February in Stockholm",
    ),
    HardDate(
        "new-year",
        datetime(2026, 12, 31, 23, 30, tzinfo=UTC),
        "1 January 2027 at 00:30 local time, still 2026 in UTC",
    ),
    HardDate(
        "spring-forward",
        datetime(2027, 3, 28, 0, 56, tzinfo=UTC),
        "the last Sunday of March, 01:56 local: the suite runs across 02:00 -> 03:00",
    ),
    HardDate(
        "autumn-back",
        datetime(2027, 10, 31, 0, 56, tzinfo=UTC),
        "the last Sunday of October, 02:56 summer time: the suite runs across 03:00 -> 02:00",
    ),
    HardDate(
        "leap-day",
        datetime(2028, 2, 29, 11, 0, tzinfo=UTC),
        "29 February 2028 at noon local time",
    ),
    HardDate(
        "leap-day-night",
        datetime(2028, 2, 29, 23, 30, tzinfo=UTC),
        "29 February 2028 at 23:30 UTC, 1 March 2028 in Stockholm",
    ),
]


def pick(count: int, today: date) -> list[HardDate]:
    """`count` consecutive dates from a start that moves one step each day: over len(HARD_DATES) days
    of CI every date is covered."""
    start = today.toordinal() % len(HARD_DATES)
    return [HARD_DATES[(start + step) % len(HARD_DATES)] for step in range(min(count, len(HARD_DATES)))]


def faked_env(moment: datetime) -> dict:
    env = {**os.environ, "TZ": "UTC"}
    env.pop("DATABASE_URL", None)  # the calendar check is the fast suite on SQLite
    env["GVI_FAKE_CLOCK_START"] = moment.isoformat()
    return env


def faketime_command(moment: datetime, *command: str) -> list[str]:
    return ["faketime", moment.strftime("%Y-%m-%d %H:%M:%S"), *command]


def check_clock(moment: datetime) -> None:
    """Fail unless Python under faketime really sees the fake instant (within a minute)."""
    probe = "import time; print(int(time.time()))"
    seen = subprocess.run(
        faketime_command(moment, PYTHON, "-c", probe),
        env=faked_env(moment),
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    drift = abs(int(seen) - moment.timestamp())
    if drift > 60:
        raise SystemExit(f"faketime does not reach Python: expected {moment.isoformat()}, saw {seen}")


def run_at(hard: HardDate, pytest_args: list[str]) -> int:
    local = hard.utc.astimezone(STOCKHOLM)
    print(
        f"== {hard.name}: {hard.utc:%Y-%m-%d %H:%M} UTC = {local:%Y-%m-%d %H:%M %Z} ({hard.why}) ==",
        flush=True,
    )
    check_clock(hard.utc)
    command = faketime_command(
        hard.utc,
        PYTHON,
        "-m",
        "pytest",
        "-m",
        "not browser and not slow",
        "--ignore=tests/browser",
        "-p",
        "no:cacheprovider",
        *pytest_args,
    )
    return subprocess.run(command, env=faked_env(hard.utc), cwd=ROOT).returncode


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    pytest_args = argv[argv.index("--") + 1 :] if "--" in argv else []
    argv = argv[: argv.index("--")] if "--" in argv else argv
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--all", action="store_true")
    parser.add_argument("--pick", type=int)
    parser.add_argument("--only", help="comma-separated names: " + ", ".join(d.name for d in HARD_DATES))
    args = parser.parse_args(argv)
    if shutil.which("faketime") is None:
        raise SystemExit("faketime saknas: installera Debians paket faketime (apt-get install faketime).")
    dates = HARD_DATES
    if args.only:
        names = args.only.split(",")
        unknown = set(names) - {d.name for d in HARD_DATES}
        if unknown:
            raise SystemExit(f"okänt datum: {', '.join(sorted(unknown))}")
        dates = [d for d in HARD_DATES if d.name in names]
    elif args.pick:
        dates = pick(args.pick, datetime.now(UTC).date())
    failed = [hard.name for hard in dates if run_at(hard, pytest_args) != 0]
    print(
        f"== calendar: {len(dates) - len(failed)} of {len(dates)} dates passed"
        + (f"; failed at {', '.join(failed)}" if failed else "")
        + " =="
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
