"""Display of reach figures: suppressed counts as "1–4", missing shares as "–"."""

from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def count(value) -> str:
    """A count from a published (suppressed) figure: None means 1–4."""
    return "1–4" if value is None else number_format(value)


@register.filter
def percent(value) -> str:
    """A share 0–1 as a whole percent with a (non-breaking) space, Swedish style; None as "–"."""
    if value is None:
        return "–"
    return f"{round(value * 100)}\u00a0%"


@register.filter
def days(value) -> str:
    if value is None:
        return "–"
    return number_format(value, decimal_pos=0 if float(value).is_integer() else 1)
