"""The vendored axe-core is the file the vendor README names (no browser needed)."""

import hashlib

from tests.browser import support


def test_vendored_axe_core_matches_the_recorded_checksum():
    readme = (support.HERE / "vendor" / "README.md").read_text(encoding="utf-8")
    digest = hashlib.sha256(support.AXE_SOURCE.read_bytes()).hexdigest()
    assert f"sha256 of `axe.min.js`: `{digest}`" in readme
    assert support.AXE_SOURCE.read_text(encoding="utf-8").startswith("/*! axe v4.")
