"""Search pickers: a record is chosen by searching for it, not from a select holding every visible row.

With htmx the search field asks a search endpoint for at most `LIMIT` matches as the user types; each match
is a button that fetches the "chosen" partial (a hidden input with the id, and the choice said by its
label). Without JavaScript the search field belongs to a separate GET form on the same page (the page
template renders `<form id="picker-search">`), whose `sok_<field>` parameters the form reads back and shows
as radio buttons. Either way the posted id is validated against the field's scoped queryset.
"""

import re

from django import forms
from django.template.loader import render_to_string
from django.utils.safestring import mark_safe

LIMIT = 20  # matches shown per search
MIN_LENGTH = 2  # no search for shorter text
SEARCH_FORM_ID = "picker-search"
FIELD_NAME = re.compile(r"^[A-Za-z_][\w-]{0,59}$")


def search_param(name: str) -> str:
    """The GET parameter a picker's search text travels in (the no-JavaScript fallback and htmx alike)."""
    return f"sok_{name}"


def field_name(raw) -> str:
    """A picker's field name taken from a request, or "" if it is not a plain form field name."""
    raw = str(raw or "")
    return raw if FIELD_NAME.match(raw) else ""


class SearchPicker(forms.Widget):
    """The picker's widget. The form sets `queryset` (the field's scoped rows), `search_url` and, on a
    no-JavaScript search, `query` and `matches` (records)."""

    template_name = "includes/_picker.html"

    def __init__(self, attrs=None, search_url: str = "", label_from_instance=str):
        super().__init__(attrs)
        self.search_url = search_url
        self.label_from_instance = label_from_instance
        self.queryset = None
        self.query = ""
        self.matches = None  # None: no fallback search made; a list: its matches (maybe none)

    def __deepcopy__(self, memo):
        copied = super().__deepcopy__(memo)
        copied.queryset, copied.matches = self.queryset, None
        return copied

    def format_value(self, value):
        return "" if value is None else str(value)

    def chosen(self, value: str):
        """The chosen record (by the scoped queryset), or None: an id the user may not see shows nothing."""
        if not (value.isdigit() and len(value) <= 18) or self.queryset is None:
            return None
        return self.queryset.filter(pk=int(value)).first()

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        widget = context["widget"]
        chosen = self.chosen(widget["value"])
        widget.update(
            search_name=search_param(name),
            search_form=SEARCH_FORM_ID,
            search_url=self.search_url,
            query=self.query,
            min_length=MIN_LENGTH,
            chosen_label=self.label_from_instance(chosen) if chosen is not None else "",
            chosen_value=str(chosen.pk) if chosen is not None else "",
            matches=None
            if self.matches is None
            else [(str(record.pk), self.label_from_instance(record)) for record in self.matches],
        )
        return context

    def _render(self, template_name, context, renderer=None):
        # The partial lives with the project's templates (includes/), which the form renderer does not search.
        return mark_safe(render_to_string(template_name, context))

    def id_for_label(self, id_):
        return id_  # the search field carries the field's id: the label names the combobox
