"""The security review's attacks (issue 21, "nobody above the rules"), each reproduced by tests that fail
the attack: run them and count, per finding, how many of its tests pass today.

Usage: .venv/bin/python soak/attacks.py   (prints the table; `soak/run.py --only attacks` puts it in the report)
"""

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import PYTHON, ROOT  # noqa: E402

ADMIN = "tests/access/test_administration.py::"
AUTH = "tests/access/test_authentication.py::"
FILES = "tests/importing/test_files.py::"

# finding -> (severity, what the attack was, the tests that reproduce it and now fail it)
FINDINGS: dict[str, tuple[str, str, list[str]]] = {
    "1": (
        "critical",
        "an administrator grants itself person data",
        [
            ADMIN + "test_the_django_admin_cannot_add_a_membership",
            ADMIN + "test_an_administrator_cannot_grant_itself_person_data",
            ADMIN
            + "test_a_grant_of_person_data_takes_effect_only_when_a_second_person_of_the_organisation_approves",
            ADMIN + "test_a_role_without_person_data_needs_no_approval",
        ],
    ),
    "2": (
        "high",
        "superuser flag, device secrets, password reset to sign in as another, deleted authors",
        [
            ADMIN + "test_the_django_admin_offers_no_accounts_flags_permissions_or_device_secrets",
            ADMIN + "test_the_superuser_flag_opens_nothing",
            ADMIN + "test_an_administrators_password_reset_forces_reenrolment_and_reapproval",
            ADMIN + "test_accounts_are_deactivated_never_deleted_and_history_keeps_the_author",
        ],
    ),
    "3": (
        "medium",
        "one pending second-factor secret shared by every session",
        [
            AUTH + "test_each_session_gets_its_own_enrolment_secret_and_others_die_on_confirmation",
            ADMIN + "test_new_accounts_get_a_one_time_link_and_no_password",
        ],
    ),
    "4": ("medium", "the access-log chain rebuilt from the database", ["tests/access/test_keyed_chain.py"]),
    "5": (
        "medium",
        "decompression bomb in the survey and hours import",
        [
            FILES + "test_a_workbook_inflating_past_10_mb_is_refused_before_it_is_parsed",
            FILES + "test_shared_strings_and_sheet_rows_are_limited",
            FILES + "test_reading_stops_at_the_row_limit",
        ],
    ),
    "6": (
        "medium",
        "anyone locks any account",
        [
            "tests/access/test_throttle.py",
            ADMIN + "test_administrator_resets_the_authenticator_and_unlocks_logged",
        ],
    ),
    "7": (
        "low",
        "person lists read without a log row",
        ["tests/access/test_access_log.py::test_person_list_and_group_member_list_pages_log_each_row_shown"],
    ),
    "8": ("low", "unbounded request bodies", ["tests/access/test_body_limit.py"]),
    "9": ("low", "open redirect through next", ["tests/access/test_redirects.py"]),
    "11": (
        "smaller",
        "own password, __Host- cookies, reproducible install",
        [
            ADMIN + "test_users_change_their_own_password",
            AUTH + "test_production_cookies_carry_the_host_prefix",
            "tests/test_lock_files.py",
        ],
    ),
}


def _outcomes(junit: Path) -> dict[str, str]:
    """'path::name' -> passed / failed / skipped, from pytest's junit XML."""
    found = {}
    for case in ET.parse(junit).iter("testcase"):
        path = case.get("classname", "").replace(".", "/") + ".py"
        name = case.get("name", "")
        status = "passed"
        if case.find("failure") is not None or case.find("error") is not None:
            status = "failed"
        elif case.find("skipped") is not None:
            status = "skipped"
        found[f"{path}::{name}"] = status
    return found


def _belongs(case: str, selector: str) -> bool:
    if "::" in selector:
        return case == selector or case.startswith(selector + "[")
    return case.startswith(selector + "::")


def run() -> dict:
    selectors = sorted({s for _, _, tests in FINDINGS.values() for s in tests})
    with tempfile.TemporaryDirectory(prefix="gvi-attacks-") as tmp:
        junit = Path(tmp) / "junit.xml"
        subprocess.run(
            [
                PYTHON,
                "-m",
                "pytest",
                "-p",
                "no:cacheprovider",
                "-q",
                "-n",
                "0",
                f"--junitxml={junit}",
                *selectors,
            ],
            cwd=ROOT,
            check=False,
            capture_output=True,
        )
        outcomes = _outcomes(junit) if junit.exists() else {}
    findings = {}
    for number, (severity, attack, tests) in FINDINGS.items():
        cases = {case: status for case, status in outcomes.items() if any(_belongs(case, s) for s in tests)}
        missing = [s for s in tests if not any(_belongs(case, s) for case in outcomes)]
        findings[number] = {
            "severity": severity,
            "attack": attack,
            "tests": len(cases),
            "passed": sum(status == "passed" for status in cases.values()),
            "failed": sorted(case for case, status in cases.items() if status == "failed"),
            "missing": missing,
        }
    return {"findings": findings}


def met(result: dict) -> bool:
    return all(
        f["tests"] and f["passed"] == f["tests"] and not f["missing"] for f in result["findings"].values()
    )


def main() -> int:
    result = run()
    for number, f in result["findings"].items():
        print(f"{number:>3} {f['severity']:<9} {f['passed']}/{f['tests']} {f['attack']} {f['missing'] or ''}")
    return 0 if met(result) else 1


if __name__ == "__main__":
    sys.exit(main())
