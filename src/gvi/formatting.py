"""Numbers as people read them: one formatting function for pages, charts, readings and the PDF report.

Pure Python (no Django import) so that gvi.analysis can use it. Swedish by default: decimal comma, digits
grouped in threes with a no-break space, a real minus sign (U+2212), "%" after a no-break space and "kr"
for kronor: "39,8", "75 000 000 kr", "−2,4 %". English ("en") uses a decimal point and commas.
Years and identifiers are not numbers in this sense: never pass them through here.
"""

from decimal import Decimal

MINUS = "\u2212"
NBSP = "\u00a0"
DASH = "–"  # shown for a missing value

_SEPARATORS = {"sv": (",", NBSP), "en": (".", ",")}


def _separators(language: str | None) -> tuple[str, str]:
    return _SEPARATORS.get((language or "sv").split("-")[0].lower(), _SEPARATORS["sv"])


def number(
    value, decimals: int | None = None, *, sign: bool = False, language: str | None = "sv", missing=DASH
) -> str:
    """`value` with `decimals` decimals (None: as many as needed, at most 1 for a non-integer float and
    all for a Decimal, with trailing zeros dropped); `sign` writes "+" before a positive value."""
    if value is None:
        return missing
    decimal_mark, group = _separators(language)
    if decimals is None:
        if isinstance(value, int) or float(value).is_integer():
            decimals = 0
        elif isinstance(value, Decimal):
            decimals = max(-value.normalize().as_tuple().exponent, 0)
        else:
            decimals = 1
    text = f"{abs(float(value) if not isinstance(value, Decimal) else value):.{decimals}f}"
    whole, _dot, fraction = text.partition(".")
    digits = []
    for position, digit in enumerate(reversed(whole)):
        if position and position % 3 == 0:
            digits.append(group)
        digits.append(digit)
    result = "".join(reversed(digits)) + (decimal_mark + fraction if fraction else "")
    if float(text) == 0:  # no "−0"
        return result
    if value < 0:
        return MINUS + result
    return "+" + result if sign else result


def percent(value, decimals: int | None = 0, *, sign: bool = False, language: str | None = "sv") -> str:
    """A value already in percent units: "−2,4 %"."""
    if value is None:
        return DASH
    return f"{number(value, decimals, sign=sign, language=language)}{NBSP}%"


def kronor(value, *, language: str | None = "sv") -> str:
    """Whole kronor: "75 000 000 kr"."""
    if value is None:
        return DASH
    return f"{number(round(value), 0, language=language)}{NBSP}kr"
