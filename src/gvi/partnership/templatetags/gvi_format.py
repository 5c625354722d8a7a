"""Display helpers shared by every template: one number format, and words instead of codes.

`{% load gvi_format %}`, then:
- `{{ value|num }}` / `{{ value|num:1 }}`: a number in the active language's format, grouped by thousands
  (Swedish: a non-breaking space between thousands, a decimal comma) and with a real minus sign (−);
  None as "–". `{{ value|pct }}` / `{{ value|pct:1 }}` adds " %" with a non-breaking space.
- `{{ change|signed }}` / `{{ change|signed:1 }}`: with its sign, "+3", "−2,4".
- `{{ h.history_type|history_kind }}`: a version's kind (+ ~ -) in words, translated.
- `{{ code|role_label }}`: a role code ("caseworker") as its name ("Socialsekreterare").
- `{{ label|record_type_label }}`: a model label ("support.supportcase") as its name ("stödärende").
- `{{ changes|audit_changes }}`: an audit round's change summary as (name, counts) pairs.
"""

from django import template
from django.apps import apps
from django.utils.translation import gettext as _

from gvi.numbers import NBSP, format_number
from gvi.numbers import signed as signed_number

register = template.Library()


@register.filter
def num(value, decimals=None) -> str:
    return format_number(value, decimals)


@register.filter
def signed(value, decimals=0) -> str:
    """A change with its sign: "+3", "−2,4", "0"; None as "–"."""
    if value is None or value == "":
        return "–"
    return signed_number(value, decimals)


@register.filter
def pct(value, decimals=None) -> str:
    if value is None or value == "":
        return "–"
    return f"{format_number(value, decimals)}{NBSP}%"


def history_kinds() -> dict[str, str]:
    return {"+": _("Skapad"), "~": _("Ändrad"), "-": _("Borttagen")}


@register.filter
def history_kind(value) -> str:
    return history_kinds().get(value, value)


@register.filter
def role_label(value) -> str:
    from gvi.partnership.models import Role

    try:
        return str(Role(value).label)
    except ValueError:
        return value


@register.filter
def record_type_label(value) -> str:
    """A model label ("app.model", or the bare model name of older rows) as the model's verbose name."""
    if not value:
        return "–"
    try:
        if "." in value:
            model = apps.get_model(value)
        else:
            model = next(m for m in apps.get_models() if m._meta.model_name == value)
    except (LookupError, StopIteration, ValueError):
        return value
    return str(model._meta.verbose_name)


@register.filter
def audit_changes(changes) -> list[tuple[str, dict]]:
    """An audit round's summary {"group": {"added": …}, …} as [(“Grupper”, {...}), …]."""
    rows = []
    for model_name, counts in (changes or {}).items():
        model = next((m for m in apps.get_models() if m._meta.model_name == model_name), None)
        name = str(model._meta.verbose_name_plural) if model else model_name
        rows.append((name[:1].upper() + name[1:], counts))
    return rows


@register.filter
def default_text(value) -> str:
    """A text the platform wrote in Swedish as a default (a call-in's checklist item or message point),
    translated while it is unchanged; a text a user wrote or edited is shown as it is."""
    from gvi.communication.services import DEFAULT_CHECKLIST, DEFAULT_MESSAGE_POINTS

    if value in DEFAULT_CHECKLIST or value in DEFAULT_MESSAGE_POINTS:
        return _(value)
    return value
