"""Agenda text that is translated when it is read, not when it is generated.

An agenda is a snapshot (gvi.partnership.models.AgendaItem): the text is fixed when the agenda is made, so
the minutes stay as they were. Fixed as a finished string, it would stay in the language of whoever made
it; an English-speaking partner would read the Swedish coordinator's agenda in Swedish. So generated points
keep their text as a small tree – a message id with its parameters, dates as dates – stored as JSON with
the point, and rendered in the reader's language:

- ``Phrase(msgid, **params)``: a gettext message (mark the literal with ``gettext_noop`` so it is
  extracted); each parameter is itself text: a plain string or number (a name, a count: never
  translated), a Phrase, a ``Moment`` or a ``Joined``;
- ``label(lazy_or_str)``: gettext_lazy text as a Phrase (its Swedish source is its message id), and
  ``choice(instance, field)`` a model field's choice label so;
- ``Moment(value, format)``: a date or time, formatted in Stockholm time in the reader's language;
- ``Joined(separator, parts)``: parts joined by a separator (itself text).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from django.utils import timezone
from django.utils.dateformat import format as date_format
from django.utils.translation import gettext, override


@dataclass(frozen=True)
class Phrase:
    msgid: str
    params: dict = field(default_factory=dict)

    def __init__(self, msgid: str, **params):
        object.__setattr__(self, "msgid", str(msgid))
        object.__setattr__(self, "params", params)

    def __str__(self) -> str:
        return render(self)


@dataclass(frozen=True)
class Moment:
    value: date | datetime
    format: str = "Y-m-d H:i"

    def __str__(self) -> str:
        return render(self)


@dataclass(frozen=True)
class Joined:
    separator: object
    parts: tuple

    def __init__(self, separator, parts):
        object.__setattr__(self, "separator", separator)
        object.__setattr__(self, "parts", tuple(parts))

    def __str__(self) -> str:
        return render(self)


def label(text) -> Phrase:
    """A gettext_lazy label (a choice's display, a constant) as a Phrase: the Swedish source is its msgid."""
    with override("sv"):
        return Phrase(str(text))


def choice(instance, field_name: str) -> Phrase | str:
    """A model field's choice label as a Phrase (get_FOO_display() is already in the active language)."""
    value = getattr(instance, field_name)
    labels = dict(instance._meta.get_field(field_name).flatchoices)
    return label(labels[value]) if value in labels else str(value)


def render(text) -> str:
    """The text in the active language."""
    if isinstance(text, Phrase):
        translated = gettext(text.msgid)
        if not text.params:
            return translated
        return translated % {name: render(value) for name, value in text.params.items()}
    if isinstance(text, Moment):
        value = text.value
        if isinstance(value, datetime):
            value = timezone.localtime(value)
        return date_format(value, text.format)
    if isinstance(text, Joined):
        return render(text.separator).join(render(part) for part in text.parts)
    return "" if text is None else str(text)


def swedish(text) -> str:
    """The text as the partnership's language writes it (what the snapshot's plain columns keep)."""
    with override("sv"):
        return render(text)


def is_text(value) -> bool:
    return isinstance(value, Phrase | Moment | Joined)


def to_data(text):
    """JSON for a text tree; plain strings and numbers stay as they are."""
    if isinstance(text, Phrase):
        return {"$t": text.msgid, "p": {name: to_data(value) for name, value in text.params.items()}}
    if isinstance(text, Moment):
        value = text.value
        kind = "datetime" if isinstance(value, datetime) else "date"
        return {"$" + kind: value.isoformat(), "f": text.format}
    if isinstance(text, Joined):
        return {"$join": to_data(text.separator), "parts": [to_data(part) for part in text.parts]}
    return text


def from_data(data):
    """The text tree of `to_data`'s JSON; anything else is returned as it is."""
    if isinstance(data, dict):
        if "$t" in data:
            return Phrase(data["$t"], **{name: from_data(value) for name, value in data.get("p", {}).items()})
        if "$datetime" in data:
            return Moment(datetime.fromisoformat(data["$datetime"]), data.get("f", "Y-m-d H:i"))
        if "$date" in data:
            return Moment(date.fromisoformat(data["$date"]), data.get("f", "Y-m-d"))
        if "$join" in data:
            return Joined(from_data(data["$join"]), [from_data(part) for part in data.get("parts", [])])
    return data
