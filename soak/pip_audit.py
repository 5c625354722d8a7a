"""Supply chain: pip-audit over the virtualenv, failing on known vulnerabilities that have a fix.

pip-audit alone reports "No known vulnerabilities found" and exits 0 even when it could not reach the
vulnerability service and audited nothing (every dependency "not found on PyPI"). This wrapper reads its
JSON and says which it was:

exit 0  every dependency audited, no known vulnerability with a fix (unfixed ones are listed);
exit 1  at least one known vulnerability with a fix: upgrade;
exit 2  the vulnerability service could not be reached for some dependency: NOT audited (with
        --allow-offline: exit 0, but the report still says "not audited").

Extra pip-audit arguments come from GVI_PIP_AUDIT_ARGS, e.g. "-s osv --osv-url https://osv.internal/v1"
for an OSV mirror inside a closed network. --freeze FILE writes the pinned dependency list, so that a
connected machine can audit exactly this environment: `pip-audit -r FILE --no-deps --disable-pip`.

Usage: .venv/bin/python soak/pip_audit.py [--allow-offline] [--quiet] [--json OUT] [--freeze FILE]
"""

import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
VENV_BIN = ROOT / ".venv" / "bin"


def _tool(name: str) -> str:
    candidate = VENV_BIN / name
    return str(candidate) if candidate.exists() else name


def audit() -> dict:
    with tempfile.TemporaryDirectory(prefix="gvi-pip-audit-") as tmp:
        output = Path(tmp) / "audit.json"
        command = [
            _tool("pip-audit"),
            "--skip-editable",
            "--progress-spinner",
            "off",
            "--desc",
            "off",
            "--format",
            "json",
            "--output",
            str(output),
            *shlex.split(os.environ.get("GVI_PIP_AUDIT_ARGS", "")),
        ]
        completed = subprocess.run(
            command, cwd=ROOT, capture_output=True, text=True, timeout=1800, check=False
        )
        if not output.exists():
            return {"status": "error", "command": shlex.join(command), "stderr": completed.stderr[-2000:]}
        data = json.loads(output.read_text(encoding="utf-8"))
    dependencies = data.get("dependencies", [])
    skipped = [d for d in dependencies if d.get("skip_reason")]
    unreachable = [d for d in skipped if "could not be audited" in d["skip_reason"]]
    with_fix, without_fix = [], []
    for dependency in dependencies:
        for vuln in dependency.get("vulns", []):
            entry = {
                "package": dependency["name"],
                "version": dependency.get("version"),
                "id": vuln.get("id"),
                "aliases": vuln.get("aliases", []),
                "fix_versions": vuln.get("fix_versions", []),
            }
            (with_fix if entry["fix_versions"] else without_fix).append(entry)
    audited = len(dependencies) - len(skipped)
    if unreachable:
        status = "not audited"
    elif with_fix:
        status = "vulnerable"
    else:
        status = "clean"
    return {
        "status": status,
        "command": shlex.join(command),
        "dependencies": len(dependencies),
        "audited": audited,
        "unreachable": len(unreachable),
        "unreachable_example": unreachable[0]["skip_reason"] if unreachable else "",
        "other_skips": [d["skip_reason"] for d in skipped if d not in unreachable],
        "vulnerabilities_with_fix": with_fix,
        "vulnerabilities_without_fix": without_fix,
    }


def freeze(target: Path) -> None:
    completed = subprocess.run(
        [_tool("python"), "-m", "pip", "freeze", "--exclude-editable"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    target.write_text(completed.stdout, encoding="utf-8")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--allow-offline", action="store_true", help="exit 0 when the service is unreachable")
    parser.add_argument("--json", help="write the result as JSON here")
    parser.add_argument("--freeze", help="also write the pinned dependency list here")
    parser.add_argument("--quiet", action="store_true", help="only the verdict, not the JSON")
    args = parser.parse_args(argv)
    if args.freeze:
        freeze(Path(args.freeze))
    result = audit()
    text = json.dumps(result, indent=2)
    if args.json:
        Path(args.json).write_text(text, encoding="utf-8")
    if not args.quiet:
        print(text)
    if result["status"] == "clean":
        print(f"pip-audit: {result['audited']} dependencies audited, no known vulnerability with a fix.")
        return 0
    if result["status"] == "vulnerable":
        for vuln in result["vulnerabilities_with_fix"]:
            print(
                f"VULNERABLE {vuln['package']} {vuln['version']} {vuln['id']}: fixed in {vuln['fix_versions']}"
            )
        return 1
    if result["status"] == "not audited":
        print(
            f"pip-audit: NOT AUDITED - the vulnerability service could not be reached for "
            f"{result['unreachable']} of {result['dependencies']} dependencies ({result['unreachable_example']}).",
            file=sys.stderr,
        )
        return 0 if args.allow_offline else 2
    print(f"pip-audit failed: {result.get('stderr', '')}", file=sys.stderr)
    return 3


if __name__ == "__main__":
    sys.exit(main())
