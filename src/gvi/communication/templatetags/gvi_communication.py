"""Display of reach figures: suppressed counts as "1–4", missing shares as "–"."""

from django import template
from django.utils.translation import get_language

from gvi.formatting import number
from gvi.formatting import percent as _percent

register = template.Library()


@register.filter
def count(value) -> str:
    """A count from a published (suppressed) figure: None means 1–4."""
    return "1–4" if value is None else number(value, language=get_language())


@register.filter
def percent(value) -> str:
    """A share 0–1 as a whole percent with a (non-breaking) space, Swedish style; None as "–"."""
    return _percent(None if value is None else round(value * 100), 0, language=get_language())


@register.filter
def days(value) -> str:
    return number(value, language=get_language())
