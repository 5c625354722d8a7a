"""One number format for everything shown to users (pages, readings, PDFs): the active language's separators
(Swedish: a non-breaking space between thousands and a decimal comma), grouped by thousands, and a real minus
sign (−) instead of a hyphen."""

from decimal import Decimal, InvalidOperation

from django.utils.formats import number_format

MINUS = "\u2212"
NBSP = "\u00a0"


def format_number(value, decimals=None) -> str:
    """`value` with `decimals` places (None: as many as it has, at most 2). None or "" gives "–"."""
    if value is None or value == "":
        return "–"
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if decimals is None:
        exponent = number.normalize().as_tuple().exponent
        decimals = 0 if number == number.to_integral_value() else min(-exponent, 2)
    decimals = int(decimals)
    number = round(number, decimals)
    if number == 0:
        number = abs(number)  # no "−0"
    text = number_format(number, decimal_pos=decimals, use_l10n=True, force_grouping=True)
    return text.replace("-", MINUS)


def signed(value, decimals=0) -> str:
    """A change with its sign: "+2,4", "−2,4", "0"."""
    text = format_number(value, decimals)
    return text if text.startswith(MINUS) or text.strip("0,.") == "" else "+" + text
