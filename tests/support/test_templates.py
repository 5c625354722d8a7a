"""The support templates work under the strict CSP: no inline script, style or event handler."""

import re
from pathlib import Path

import gvi

TEMPLATES = Path(gvi.__file__).parent / "templates" / "support"
FORBIDDEN = [re.compile(r"<script", re.I), re.compile(r"<style", re.I), re.compile(r"\sstyle=", re.I)]
HANDLER = re.compile(r"\son[a-z]+\s*=", re.I)


def test_no_inline_script_style_or_handlers():
    files = sorted(TEMPLATES.glob("*.html"))
    assert len(files) >= 15
    for path in files:
        text = path.read_text()
        for pattern in [*FORBIDDEN, HANDLER]:
            assert not pattern.search(text), f"{path.name}: {pattern.pattern}"


def test_every_destructive_form_asks_for_confirmation():
    for name in ("case_close.html", "fact_form.html", "case_detail.html"):
        assert "data-confirm=" in (TEMPLATES / name).read_text()
