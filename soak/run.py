"""`make soak`: the long, nightly-style part of the trust suite. Writes docs/trust-report.md.

Runs, each bounded in time and each recorded even if another part fails:
1. durability  - soak/durability.py: SIGKILL the server >= 20 times under a write stream on PostgreSQL;
2. load        - soak/load.py: locust, headless, loopback, e.g. 20 users for 60 s, role mix;
3. trust suite - tests/trust with GVI_TRUST_SCALE (long Hypothesis / schemathesis budgets) and the slow
                 tests, on SQLite and on PostgreSQL, collecting what the tests measured (GVI_TRUST_STATS);
4. supply chain- soak/pip_audit.py;
5. calendar    - soak/calendar_run.py: the fast suite under libfaketime at every hard date;
6. attacks     - soak/attacks.py: the security review's attacks, each finding's tests counted.

Usage: .venv/bin/python soak/run.py [--kills 20] [--users 20] [--duration 60s] [--scale 10]
       [--admin-url postgres://postgres@127.0.0.1:5432/postgres] [--report docs/trust-report.md]
       [--only durability,load,sqlite,postgres,audit,calendar,attacks]
Exit status 0 when every figure meets its target.
"""

import argparse
import json
import os
import platform
import re
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import attacks  # noqa: E402
import calendar_run  # noqa: E402
import durability  # noqa: E402
import load  # noqa: E402
import pip_audit  # noqa: E402
from common import DEFAULT_ADMIN_URL, PYTHON, ROOT, scratch_postgres  # noqa: E402

PARTS = ["durability", "load", "sqlite", "postgres", "audit", "calendar", "attacks"]
XFAIL_RE = re.compile(r"^XFAIL (\S+) - (.*)$", re.MULTILINE)


def run_trust_suite(scale: int, database_url: str | None, workdir: Path, label: str) -> dict:
    stats_file = workdir / f"stats-{label}.jsonl"
    env = {
        **os.environ,
        "GVI_TRUST_SCALE": str(scale),
        "GVI_TRUST_SLOW": "1",
        "GVI_TRUST_STATS": str(stats_file),
        "GVI_DATA_DIR": str(workdir / f"data-{label}"),
    }
    env.pop("DATABASE_URL", None)
    if database_url:
        env["DATABASE_URL"] = database_url
    began = time.monotonic()
    junit = workdir / f"junit-{label}.xml"
    completed = subprocess.run(
        [
            PYTHON,
            "-m",
            "pytest",
            "tests/trust",
            "-p",
            "no:cacheprovider",
            "-rfExX",
            "--tb=short",
            f"--junitxml={junit}",
        ],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=4 * 3600,
        check=False,
    )
    counts = junit_counts(junit)
    stats = defaultdict(list)
    if stats_file.exists():
        for line in stats_file.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            stats[entry.pop("name")].append(entry)
    failures = [
        line for line in completed.stdout.splitlines() if line.startswith(("FAILED tests/", "ERROR tests/"))
    ]
    summary = ", ".join(f"{count} {kind}" for kind, count in counts.items() if count)
    return {
        "exit": completed.returncode,
        "seconds": round(time.monotonic() - began, 1),
        "counts": counts,
        "summary": summary,
        "failures": failures[:20],
        "xfail": XFAIL_RE.findall(completed.stdout),
        "stats": dict(stats),
        "scale": scale,
        "output_tail": completed.stdout[-6000:],
    }


def junit_counts(path: Path) -> dict:
    """passed / failed / error / xfailed / skipped from pytest's JUnit XML."""
    import xml.etree.ElementTree as ElementTree

    counts = dict.fromkeys(["passed", "failed", "error", "xfailed", "skipped"], 0)
    if not path.exists():
        return counts
    for case in ElementTree.parse(path).getroot().iter("testcase"):
        outcome = "passed"
        for child in case:
            if child.tag == "failure":
                outcome = "failed"
            elif child.tag == "error":
                outcome = "error"
            elif child.tag == "skipped":
                outcome = "xfailed" if child.get("type") == "pytest.xfail" else "skipped"
        counts[outcome] += 1
    return counts


def attempt(results: dict, name: str, function, *args) -> None:
    began = time.monotonic()
    print(f"== {name} ...", flush=True)
    try:
        results[name] = function(*args)
    except Exception as error:  # noqa: BLE001 - the report says what failed; the other parts still run
        results[name] = {"error": f"{type(error).__name__}: {error}"}
    results[name]["wall_seconds"] = round(time.monotonic() - began, 1)
    print(f"   done in {results[name]['wall_seconds']} s", flush=True)


def _durability(kills: int, admin_url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="gvi-durability-") as tmp:
        with scratch_postgres(admin_url, "gvi_soak_durability") as url:
            return durability.run(kills, 3, 1, 900, url, Path(tmp), seed=int(time.time()))


def _load(users: int, duration: str, admin_url: str) -> dict:
    with tempfile.TemporaryDirectory(prefix="gvi-load-") as tmp:
        with scratch_postgres(admin_url, "gvi_soak_load") as url:
            return load.run(users, max(1, users // 4), duration, url, Path(tmp))


def _suite(scale: int, admin_url: str | None, label: str) -> dict:
    with tempfile.TemporaryDirectory(prefix=f"gvi-trust-{label}-") as tmp:
        if admin_url is None:
            return run_trust_suite(scale, None, Path(tmp), label)
        with scratch_postgres(admin_url, "gvi_soak_trust") as url:
            return run_trust_suite(scale, url, Path(tmp), label)


def _calendar() -> dict:
    outcomes = {
        hard.name: calendar_run.run_at(hard, ["-n", "auto", "-q"]) == 0 for hard in calendar_run.HARD_DATES
    }
    return {
        "passed": [name for name, ok in outcomes.items() if ok],
        "failed": [n for n, ok in outcomes.items() if not ok],
    }


# ----- the report -----


def _sum(entries: list[dict], key: str) -> int:
    return sum(int(entry.get(key, 0) or 0) for entry in entries)


def _status(ok: bool | None) -> str:
    return "n/a" if ok is None else ("✅ met" if ok else "❌ NOT met")


def _versions() -> dict:
    found = {"python": platform.python_version(), "platform": platform.platform()}
    try:
        import django

        found["django"] = django.get_version()
    except ImportError:
        pass
    try:
        completed = subprocess.run(["psql", "--version"], capture_output=True, text=True, check=False)
        found["postgresql_client"] = completed.stdout.strip()
    except OSError:
        pass
    return found


def figures(results: dict) -> list[tuple[str, str, str, bool | None]]:
    """(figure, value, target, met?) rows for the summary table."""
    rows = []
    d = results.get("durability", {})
    if "error" in d:
        rows.append(("Durability harness", f"did not run: {d['error']}", "runs", False))
    elif d:
        rows.append(
            (
                "Lost acknowledged writes (SIGKILL of the server)",
                f"{d['lost']} of {d['acknowledged_writes']} over {d['kills']} kills",
                "0, over ≥ 20 kills",
                d["lost"] == 0 and d["kills"] >= 20,
            )
        )
        rows.append(
            (
                "Writes stored twice after a retry with the same Idempotency-Key",
                f"{d.get('duplicates', 0)} ({d.get('replayed', 0)} retries answered with the first write)",
                "0",
                d.get("duplicates", 0) == 0,
            )
        )
        rows.append(
            (
                "Access-log chain after the kills (`gvi audit verify`)",
                f"{'OK' if d['chain_ok'] else 'BROKEN'}: {' '.join(d['chain_report'])}",
                "verifies",
                d["chain_ok"],
            )
        )
        rows.append(
            (
                "Person reads answered without an access-log row",
                f"{d['reads_without_log_row']} (reads answered {d['reads_answered']}, log rows {d['access_log_rows']})",
                "0",
                d["reads_without_log_row"] == 0,
            )
        )
    lo = results.get("load", {})
    if "error" in lo:
        rows.append(("Load test (locust)", f"did not run: {lo['error']}", "runs", False))
    elif lo:
        rows.append(
            (
                "Load: p95 response time (all requests)",
                f"{lo['p95_ms']:.0f} ms (p50 {lo['p50_ms']:.0f} ms, p99 {lo['p99_ms']:.0f} ms); "
                f"{lo['requests']} requests, {lo['requests_per_second']:.1f}/s, {lo['users']} users, {lo['duration']}",
                "reported (≤ 1000 ms on this hardware)",
                lo["p95_ms"] <= 1000,
            )
        )
        rows.append(
            (
                "Load: error rate",
                f"{lo['error_rate']:.2%} ({lo['failures']} of {lo['requests']})",
                "0 %",
                lo["failures"] == 0,
            )
        )
    for label in ("sqlite", "postgres"):
        suite = results.get(label)
        if not suite:
            continue
        if "error" in suite:
            rows.append((f"Trust suite on {label}", f"did not run: {suite['error']}", "passes", False))
            continue
        stats = suite["stats"]
        auth = stats.get("schemathesis_authenticated", [])
        unauth = stats.get("schemathesis_unauthenticated", [])
        if auth:
            statuses = defaultdict(int)
            for entry in auth:
                for code, count in entry.get("statuses", {}).items():
                    statuses[code] += count
            rows.append(
                (
                    f"Schemathesis, authenticated ({label}, ×{suite['scale']})",
                    f"{_sum(auth, 'cases')} cases over {auth[0]['operations']} operations; "
                    f"{_sum(auth, 'failures')} failures; statuses {dict(sorted(statuses.items()))}",
                    "no 5xx, schema-conformant",
                    _sum(auth, "failures") == 0,
                )
            )
        if unauth:
            rows.append(
                (
                    f"Schemathesis, unauthenticated ({label})",
                    f"{_sum(unauth, 'cases')} cases, {_sum(unauth, 'failures')} answered other than 401/403/404",
                    "0",
                    _sum(unauth, "failures") == 0,
                )
            )
        parts = []
        for name in (
            "hypothesis_access",
            "hypothesis_import",
            "hypothesis_interleavings",
            "hypothesis_retention",
        ):
            if stats.get(name):
                parts.append(f"{name.split('_', 1)[1]} {_sum(stats[name], 'examples')} examples")
        if parts:
            rows.append(
                (f"Hypothesis examples ({label}, ×{suite['scale']})", "; ".join(parts), "all pass", None)
            )
        drill = stats.get("backup_drill", [])
        rows.append(
            (
                f"Backup → restore drill into an empty database ({label})",
                (
                    f"every table identical ({drill[0]['tables']} tables, {drill[0]['rows']} rows), "
                    f"chain verified ({drill[0]['access_log_rows']} log rows)"
                )
                if drill
                else "did not complete",
                "identical, chain verifies",
                bool(drill),
            )
        )
        counts = suite["counts"]
        rows.append(
            (
                f"Trust suite ({label}, ×{suite['scale']}, slow tests included)",
                f"{suite['summary']} in {suite['seconds']} s",
                "no failure (an xfail would be a known bug)",
                suite["exit"] == 0 and not counts.get("failed") and not counts.get("error"),
            )
        )
    cal = results.get("calendar", {})
    if cal:
        if "error" in cal:
            rows.append(
                ("Fast suite at the hard dates (faketime)", f"did not run: {cal['error']}", "passes", False)
            )
        else:
            total = len(cal["passed"]) + len(cal["failed"])
            value = f"passed at {len(cal['passed'])} of {total} dates" + (
                f"; failed at {', '.join(cal['failed'])}" if cal["failed"] else ""
            )
            rows.append(
                ("Fast suite at the hard dates (faketime)", value, "passes at every date", not cal["failed"])
            )
    audit = results.get("audit", {})
    if audit:
        if "error" in audit:
            value, ok = f"did not run: {audit['error']}", False
        elif audit["status"] == "not audited":
            value = (
                f"NOT AUDITED: the vulnerability service was unreachable for {audit['unreachable']} of "
                f"{audit['dependencies']} dependencies ({audit['unreachable_example']})"
            )
            ok = False
        else:
            value = (
                f"{audit['status']}: {audit['audited']} dependencies audited, "
                f"{len(audit['vulnerabilities_with_fix'])} with a fix, "
                f"{len(audit['vulnerabilities_without_fix'])} without"
            )
            ok = audit["status"] == "clean"
        rows.append(
            ("pip-audit (known vulnerabilities with a fix)", value, "0, every dependency audited", ok)
        )
    at = results.get("attacks", {})
    if "error" in at:
        rows.append(("Security review attacks (issue 21)", f"did not run: {at['error']}", "runs", False))
    elif at:
        findings = at["findings"].values()
        rows.append(
            (
                "Security review attacks (issue 21): tests that reproduce an attack and now fail it",
                f"{sum(f['passed'] for f in findings)} of {sum(f['tests'] for f in findings)} pass, "
                f"over {len(at['findings'])} findings",
                "all pass, every finding covered",
                attacks.met(at),
            )
        )
    return rows


def _attack_lines(at: dict) -> list[str]:
    lines = [
        "",
        "## Security review: the attacks and the tests that now fail them",
        "",
        "| finding | severity | attack | tests passing |",
        "|---|---|---|---|",
    ]
    for number, f in at["findings"].items():
        extra = "".join(f"; failed `{case}`" for case in f["failed"])
        extra += "".join(f"; missing `{selector}`" for selector in f["missing"])
        lines.append(f"| {number} | {f['severity']} | {f['attack']} | {f['passed']} of {f['tests']}{extra} |")
    return lines


def write_report(results: dict, args, target: Path) -> bool:
    rows = figures(results)
    met = all(ok is not False for _figure, _value, _target, ok in rows)
    lines = [
        "# Trust report",
        "",
        f"Generated {datetime.now(UTC).strftime('%Y-%m-%d %H:%M UTC')} by `soak/run.py` (`make soak`). "
        f"Overall: **{'all targets met' if met else 'targets NOT met'}**.",
        "",
        "Environment: " + ", ".join(f"{key} {value}" for key, value in _versions().items()) + ".",
        "",
        "| figure | value | target | status |",
        "|---|---|---|---|",
    ]
    for figure, value, goal, ok in rows:
        lines.append(f"| {figure} | {value.replace('|', '/')} | {goal} | {_status(ok)} |")
    xfails = {}
    for label in ("sqlite", "postgres"):
        for test, reason in results.get(label, {}).get("xfail", []):
            xfails.setdefault(test, reason)
    if xfails:
        lines += ["", "## Known bugs, pinned by strict-xfail tests", ""]
        lines += [
            "Each test fails today and is marked `xfail(strict=True)`; once the bug is fixed it passes and the "
            "marker must go (strict: an unexpected pass fails the suite).",
            "",
        ]
        lines += [f"- `{test}`: {reason}" for test, reason in sorted(xfails.items())]
    failures = [f for label in ("sqlite", "postgres") for f in results.get(label, {}).get("failures", [])]
    if failures:
        lines += ["", "## Failures", ""] + [f"- `{failure}`" for failure in failures]
    d = results.get("durability", {})
    if d and "error" not in d:
        lines += [
            "",
            "## Durability details",
            "",
            f"{d['kills']} SIGKILLs of `gvi serve` at random moments (0.2–2.5 s after it answered), each followed by "
            f"a restart (median {d['median_restart_seconds']:.1f} s); {d['acknowledged_writes']} writes answered "
            f"201, all {d['stored'] - d['unacknowledged_but_stored']} of them found; "
            f"{d.get('replayed', 0)} retries (same Idempotency-Key) answered with the incident their lost "
            f"request had created; {d.get('duplicates', 0)} incidents stored twice; "
            f"{d['unacknowledged_but_stored']} stored but never acknowledged (the stream stopped during a retry); "
            f"{d['unanswered_attempts']} attempts got no answer while the server was down. Seed {d['seed']}.",
        ]
    at = results.get("attacks", {})
    if at and "error" not in at:
        lines += _attack_lines(at)
    lo = results.get("load", {})
    if lo and "error" not in lo:
        lines += [
            "",
            "## Load details (per route, p95)",
            "",
            "| route | requests | failures | p95 ms |",
            "|---|---|---|---|",
        ]
        for route, values in sorted(lo["per_route"].items(), key=lambda item: -item[1]["p95_ms"]):
            lines.append(
                f"| `{route}` | {values['requests']} | {values['failures']} | {values['p95_ms']:.0f} |"
            )
        lines += ["", f"Server: {lo['server']}. Mix (weights): {lo['mix']}."]
    lines += [
        "",
        "## How to reproduce",
        "",
        "```",
        "make soak                                   # this report",
        f".venv/bin/python soak/run.py --kills {args.kills} --users {args.users} --duration {args.duration} "
        f"--scale {args.scale}",
        ".venv/bin/python soak/durability.py --kills 20",
        ".venv/bin/python soak/load.py --users 20 --duration 60s",
        "GVI_TRUST_SCALE=10 GVI_TRUST_SLOW=1 .venv/bin/python -m pytest tests/trust",
        ".venv/bin/python soak/pip_audit.py",
        ".venv/bin/python soak/calendar_run.py --all -- -n auto",
        ".venv/bin/python soak/attacks.py",
        "```",
        "",
    ]
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text("\n".join(lines), encoding="utf-8")
    return met


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--kills", type=int, default=20)
    parser.add_argument("--users", type=int, default=20)
    parser.add_argument("--duration", default="60s")
    parser.add_argument("--scale", type=int, default=10)
    parser.add_argument("--admin-url", default=os.environ.get("GVI_SOAK_ADMIN_URL", DEFAULT_ADMIN_URL))
    parser.add_argument("--report", default=str(ROOT / "docs" / "trust-report.md"))
    parser.add_argument("--only", default=",".join(PARTS), help=f"comma-separated subset of {PARTS}")
    parser.add_argument("--json", help="also write every raw result as JSON here")
    args = parser.parse_args(argv)
    only = {part.strip() for part in args.only.split(",") if part.strip()}
    results: dict = {}
    if "durability" in only:
        attempt(results, "durability", _durability, args.kills, args.admin_url)
    if "load" in only:
        attempt(results, "load", _load, args.users, args.duration, args.admin_url)
    if "sqlite" in only:
        attempt(results, "sqlite", _suite, args.scale, None, "sqlite")
    if "postgres" in only:
        attempt(results, "postgres", _suite, args.scale, args.admin_url, "postgres")
    if "audit" in only:
        attempt(results, "audit", pip_audit.audit)
    if "calendar" in only:
        attempt(results, "calendar", _calendar)
    if "attacks" in only:
        attempt(results, "attacks", attacks.run)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    met = write_report(results, args, Path(args.report))
    print(f"Report written to {args.report}: {'all targets met' if met else 'targets NOT met'}.")
    return 0 if met else 1


if __name__ == "__main__":
    sys.exit(main())
