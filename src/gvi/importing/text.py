"""Text rules every import and form shares: group names compared alike, personal numbers kept out of free
text, and Swedish date text read with the interpretation said out loud."""

import re
import unicodedata
from datetime import date, datetime, timedelta

from stdnum.se import personnummer

WHITESPACE = re.compile(r"\s+", re.UNICODE)  # includes the non-breaking space (U+00A0) and U+202F
PERSONAL_NUMBER_SHAPED = re.compile(r"(?<![\d-])(?:19|20)?\d{6}[-+ ]?\d{4}(?![\d])")


def normalise_name(text: str) -> str:
    """NFC, every run of white space (non-breaking spaces included) as one space, no space at the ends."""
    return WHITESPACE.sub(" ", unicodedata.normalize("NFC", str(text or ""))).strip()


def name_key(text: str) -> str:
    """The form two names are compared in: normalised and case-folded ("GRUPP BLÅ" == "Grupp Blå")."""
    return normalise_name(text).casefold()


def contains_personal_number(text: str) -> bool:
    """True if the text holds a valid Swedish personal or coordination number (date and check digit)."""
    for match in PERSONAL_NUMBER_SHAPED.finditer(str(text or "")):
        candidate = match.group(0).replace(" ", "-")
        try:
            if personnummer.is_valid(candidate):
                return True
        except Exception:  # noqa: BLE001,S112 - stdnum raises on odd dates; not a number then
            continue
    return False


# ----- dates -----

ISO = re.compile(r"(\d{4})-(\d{1,2})-(\d{1,2})")
COMPACT = re.compile(r"(\d{4})(\d{2})(\d{2})")
DAY_MONTH_YEAR = re.compile(r"(\d{1,2})[/.](\d{1,2})[/.\s]\s*(\d{4})")
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (with its 1900 leap-year bug, serials from 61 on)
SERIAL_RANGE = (20_000, 80_000)  # 1954-10-03 .. 2119-01-10: a five-digit number in a date column


def parse_date(value) -> tuple[date | None, str]:
    """A date from a cell and how it was read ("" for an unambiguous ÅÅÅÅ-MM-DD or an Excel date cell).

    Accepted: Excel date cells, ÅÅÅÅ-MM-DD, ÅÅÅÅMMDD, D/M ÅÅÅÅ (also D.M.ÅÅÅÅ; day first, as in Swedish)
    and Excel serial numbers. Returns (None, "") when the value is no date.
    """
    if isinstance(value, datetime):
        return value.date(), ""
    if isinstance(value, date):
        return value, ""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _serial(value)
    text = str(value or "").strip()
    for pattern, order, how in (
        (ISO, (0, 1, 2), ""),
        (COMPACT, (0, 1, 2), "ÅÅÅÅMMDD"),
        (DAY_MONTH_YEAR, (2, 1, 0), "D/M ÅÅÅÅ"),
    ):
        match = pattern.fullmatch(text)
        if match:
            parts = match.groups()
            try:
                return date(int(parts[order[0]]), int(parts[order[1]]), int(parts[order[2]])), how
            except ValueError:
                return None, ""
    if re.fullmatch(r"\d{5}(?:[.,]0+)?", text):
        return _serial(float(text.replace(",", ".")))
    return None, ""


def _serial(number: float) -> tuple[date | None, str]:
    if not float(number).is_integer() or not SERIAL_RANGE[0] <= number <= SERIAL_RANGE[1]:
        return None, ""
    return EXCEL_EPOCH + timedelta(days=int(number)), "Excel-serienummer"
