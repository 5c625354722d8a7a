"""The English catalogue is complete: every msgid has a (non-fuzzy) translation, and every string the code and
templates wrap in gettext is in the catalogue.

The second check runs Django's own `makemessages` over a COPY of src/gvi in a temporary directory, with
LOCALE_PATHS pointing at a copy of the catalogue there: makemessages merges what it extracts into that copy,
so a string missing from the real catalogue comes out as an entry without a translation. The real
django.po is never written (adding entries by hand, at the end of the file, is the project's rule).
"""

import shutil
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.core.management import call_command
from django.core.management.commands.makemessages import Command as MakeMessages
from django.test import override_settings

import gvi

PACKAGE_DIR = Path(gvi.__file__).resolve().parent
CATALOGUE = PACKAGE_DIR / "locale" / "en" / "LC_MESSAGES" / "django.po"


class ExtractOnly(MakeMessages):
    """makemessages without fuzzy matching: a new string stays untranslated instead of borrowing a guess."""

    msgmerge_options = [*MakeMessages.msgmerge_options, "--no-fuzzy-matching"]


def _missing(po_path: Path) -> list[str]:
    """msgids of `po_path` without a translation (any plural form empty) or marked fuzzy."""
    with po_path.open("rb") as po_file:
        catalog = read_po(po_file)
    missing = []
    for message in catalog:
        if not message.id:
            continue  # the header
        strings = message.string if isinstance(message.string, tuple | list) else (message.string,)
        if message.fuzzy or not all(strings):
            msgid = message.id[0] if isinstance(message.id, tuple | list) else message.id
            where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
            missing.append(f"{msgid!r} ({'fuzzy' if message.fuzzy else 'untranslated'}; {where or '?'})")
    return missing


def test_every_msgid_in_the_english_catalogue_is_translated():
    missing = _missing(CATALOGUE)
    assert not missing, f"{len(missing)} msgid(s) without an English translation:\n" + "\n".join(missing)


@pytest.mark.skipif(
    not shutil.which("xgettext") or not shutil.which("msgmerge"), reason="GNU gettext missing"
)
def test_every_gettext_string_in_the_code_is_in_the_english_catalogue(tmp_path, monkeypatch):
    copy = tmp_path / "gvi"
    shutil.copytree(
        PACKAGE_DIR,
        copy,
        ignore=shutil.ignore_patterns("__pycache__", "*.mo", "static", "migrations", "vendor"),
    )
    scratch_catalogue = copy / "locale" / "en" / "LC_MESSAGES" / "django.po"
    assert scratch_catalogue.exists() and scratch_catalogue != CATALOGUE
    before = CATALOGUE.read_bytes()
    monkeypatch.chdir(copy)
    with override_settings(LOCALE_PATHS=[str(copy / "locale")]):
        call_command(ExtractOnly(), locale=["en"], no_wrap=True, verbosity=0)
    assert CATALOGUE.read_bytes() == before, "makemessages touched the real catalogue"
    missing = _missing(scratch_catalogue)
    assert not missing, (
        f"{len(missing)} string(s) wrapped in gettext but missing from (or untranslated in) "
        "src/gvi/locale/en/LC_MESSAGES/django.po – append them at the end by hand:\n" + "\n".join(missing)
    )
