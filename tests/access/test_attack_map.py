"""soak/attacks.py maps each finding of the security review to the tests that reproduce its attack; a
renamed or removed test must not silently drop out of the trust report."""

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "soak"))

import attacks  # noqa: E402


def test_every_mapped_attack_test_exists():
    missing = []
    for number, (_, _, selectors) in attacks.FINDINGS.items():
        assert selectors, f"finding {number} has no test"
        for selector in selectors:
            path, _, name = selector.partition("::")
            source = ROOT / path
            if not source.exists() or (
                name and not re.search(rf"^def {re.escape(name)}\(", source.read_text(), re.M)
            ):
                missing.append(selector)
    assert not missing, f"soak/attacks.py names tests that do not exist: {missing}"


def test_the_junit_reading_counts_parametrised_cases_under_their_test(tmp_path):
    junit = tmp_path / "junit.xml"
    junit.write_text(
        '<testsuites><testsuite><testcase classname="tests.access.test_redirects" name="test_x[a]"/>'
        '<testcase classname="tests.access.test_redirects" name="test_y"><failure/></testcase>'
        "</testsuite></testsuites>"
    )
    outcomes = attacks._outcomes(junit)
    assert outcomes == {
        "tests/access/test_redirects.py::test_x[a]": "passed",
        "tests/access/test_redirects.py::test_y": "failed",
    }
    assert attacks._belongs(
        "tests/access/test_redirects.py::test_x[a]", "tests/access/test_redirects.py::test_x"
    )
    assert attacks._belongs("tests/access/test_redirects.py::test_y", "tests/access/test_redirects.py")
    assert not attacks._belongs(
        "tests/access/test_redirects.py::test_xy", "tests/access/test_redirects.py::test_x"
    )
