"""The lock files in requirements/ pin every dependency of pyproject.toml with hashes, and the environment
the suite runs in was installed from them (so `make` really uses the lock)."""

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.markers import Marker
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
LOCKS = {"base": (), "test": ("test",), "soak": ("test", "soak")}
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)(?:\[[^\]]*\])?==([^\s;\\]+)\s*(?:;\s*([^\\]+?))?\s*\\?$")


def read_lock(name: str) -> dict[str, tuple[str, str | None, int]]:
    """name -> (version, marker, number of hashes)."""
    pins: dict[str, tuple[str, str | None, int]] = {}
    current = None
    for line in (ROOT / "requirements" / f"{name}.txt").read_text().splitlines():
        match = PIN.match(line)
        if match:
            current = canonicalize_name(match[1])
            pins[current] = (match[2], match[3], 0)
        elif line.strip().startswith("--hash=sha256:") and current:
            version, marker, hashes = pins[current]
            pins[current] = (version, marker, hashes + 1)
    return pins


def declared(extras: tuple[str, ...]) -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    found = [Requirement(r) for r in project["dependencies"]]
    for extra in extras:
        found += [Requirement(r) for r in project["optional-dependencies"][extra]]
    return found


@pytest.mark.parametrize("lock", LOCKS)
def test_every_declared_dependency_is_pinned_within_its_range_with_hashes(lock):
    pins = read_lock(lock)
    assert pins, f"requirements/{lock}.txt pins nothing"
    for requirement in declared(LOCKS[lock]):
        name = canonicalize_name(requirement.name)
        assert name in pins, f"{requirement} is not in requirements/{lock}.txt: run `make lock`"
        version = pins[name][0]
        assert requirement.specifier.contains(version, prereleases=True), (
            f"requirements/{lock}.txt pins {name}=={version} outside {requirement.specifier}: run `make lock`"
        )
    unhashed = [name for name, (_, _, hashes) in pins.items() if hashes == 0]
    assert not unhashed, f"pinned without a hash in requirements/{lock}.txt: {unhashed}"


def test_the_locks_agree_on_every_shared_package():
    base, test, soak = (read_lock(name) for name in LOCKS)
    for smaller, larger in ((base, test), (test, soak)):
        drift = {n: (v[0], larger[n][0]) for n, v in smaller.items() if n in larger and larger[n][0] != v[0]}
        assert not drift, f"the lock files disagree: {drift}"


def test_this_environment_was_installed_from_the_test_lock():
    mismatched = {}
    for name, (version, marker, _) in read_lock("test").items():
        if marker and not Marker(marker).evaluate():
            continue
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            mismatched[name] = (version, None)
            continue
        if Version(installed) != Version(version):
            mismatched[name] = (version, installed)
    assert not mismatched, (
        f"installed versions differ from requirements/test.txt (locked, installed): {mismatched}"
    )
