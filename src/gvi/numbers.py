"""Numbers in the active language, for templates and readings: gvi.formatting (the one number format,
free of Django) with the language of the request. Swedish: a non-breaking space between thousands, a
decimal comma, a real minus sign (−)."""

from decimal import Decimal, InvalidOperation

from django.utils.translation import get_language

from gvi.formatting import MINUS, NBSP, number

__all__ = ["MINUS", "NBSP", "format_number", "signed"]


def _decimal(value) -> Decimal | None:
    try:
        parsed = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None
    return parsed if parsed.is_finite() else None


def format_number(value, decimals=None) -> str:
    """`value` with `decimals` places (None: as many as it has, at most 2). None or "" gives "–"."""
    if value is None or value == "":
        return "–"
    parsed = _decimal(value)
    if parsed is None:
        return str(value)
    if decimals is None:
        exponent = parsed.normalize().as_tuple().exponent
        decimals = 0 if parsed == parsed.to_integral_value() else min(-exponent, 2)
    return number(round(parsed, int(decimals)), int(decimals), language=get_language())


def signed(value, decimals=0) -> str:
    """A change with its sign: "+2,4", "−2,4", "0"."""
    parsed = _decimal(value)
    if parsed is None:
        return format_number(value, decimals)
    return number(round(parsed, int(decimals)), int(decimals), sign=True, language=get_language())
