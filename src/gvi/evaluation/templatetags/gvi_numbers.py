"""`{% load gvi_numbers %}`: numbers in the active language's format through gvi.formatting, the one
formatting function of pages, charts and the PDF report ("39,8", "75 000 000 kr", "−2,4 %")."""

from django import template
from django.utils.translation import get_language

from gvi import formatting

register = template.Library()


@register.filter
def number(value, decimals=None) -> str:
    """`{{ value|number }}` or `{{ value|number:1 }}`; None as "–"."""
    return formatting.number(
        value, None if decimals in (None, "") else int(decimals), language=get_language()
    )


@register.filter
def signed(value, decimals=None) -> str:
    """As `number`, with "+" before a positive value."""
    return formatting.number(
        value, None if decimals in (None, "") else int(decimals), sign=True, language=get_language()
    )


@register.filter
def kronor(value) -> str:
    return formatting.kronor(value, language=get_language())
