"""Minutes of a meeting as a PDF (reportlab): site, date, participants, agenda, decisions and tasks.

The document set-up (standard fonts with WinAnsi encoding, nothing fetched or embedded; styles, footer
with page numbers) is gvi.web.pdf's; this module holds only the minutes' content.
"""

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Spacer, Table

from gvi.partnership.selectors import display_name
from gvi.web.pdf import build_document, grid_table, pdf_safe, styles
from gvi.web.pdf import paragraph as _p

__all__ = ["build_minutes_pdf", "pdf_safe"]  # pdf_safe: the name the minutes tests use


def _when(value) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i") if value else ""


def _day(value) -> str:
    return date_format(value, "Y-m-d") if value else ""


def _facts(meeting, participants, s) -> Table:
    rows = [
        (_("Plats"), meeting.site.name),
        (_("Datum och tid"), _when(meeting.starts_at)),
        (_("Lokal"), meeting.place or "–"),
        (_("Ordförande"), display_name(meeting.chair) or "–"),
        (_("Status"), meeting.get_status_display()),
        (_("Deltagande organisationer"), ", ".join(org.name for org in participants) or "–"),
        (_("Närvarande"), meeting.attendees or "–"),
    ]
    if meeting.agenda_since:
        rows.append(
            (_("Dagordningen omfattar"), _("tiden från %(when)s") % {"when": _when(meeting.agenda_since)})
        )
    return grid_table(
        [[_p(label, s["cell_bold"]), _p(value, s["cell"])] for label, value in rows], [45 * mm, None]
    )


def _agenda(items, decisions_by_item, s) -> list:
    flow = [_p(_("Dagordning"), s["h2"])]
    if not items:
        return [*flow, _p(_("Ingen dagordning är registrerad."), s["body"])]
    for number, item in enumerate(items, start=1):
        block = [_p(f"{number}. {item.shown_title}", s["h3"]), _p(item.kind_label, s["small"])]
        if item.shown_summary:
            block.append(_p(item.shown_summary, s["body"]))
        groups = [group.get("name", "") for group in (item.data or {}).get("groups", [])]
        if groups:
            block.append(_p(_("Grupper: %(names)s") % {"names": ", ".join(groups)}, s["small"]))
        for decision in decisions_by_item.get(item.pk, []):
            block.append(_p(_("Beslut: %(text)s") % {"text": decision.text}, s["body"]))
        flow.append(KeepTogether(block))
    return flow


def _decisions(decisions, numbers, s) -> list:
    flow = [_p(_("Beslut"), s["h2"])]
    if not decisions:
        return [*flow, _p(_("Inga beslut är registrerade."), s["body"])]
    for index, decision in enumerate(decisions, start=1):
        where = numbers.get(decision.agenda_item_id)
        label = (
            _("Beslut %(n)s (punkt %(item)s)") % {"n": index, "item": where}
            if where
            else _("Beslut %(n)s") % {"n": index}
        )
        flow.append(_p(f"{label}, {_when(decision.decided_at)}", s["cell_bold"]))
        flow.append(_p(decision.text, s["body"]))
        flow.append(Spacer(1, 2 * mm))
    return flow


def _tasks(tasks, s) -> list:
    flow = [_p(_("Uppgifter"), s["h2"])]
    if not tasks:
        return [*flow, _p(_("Inga uppgifter är fördelade."), s["body"])]
    header = [_("Uppgift"), _("Ansvarig organisation"), _("Ansvarig"), _("Klart senast"), _("Status")]
    rows = [[_p(text, s["cell_bold"]) for text in header]]
    for task in tasks:
        rows.append(
            [
                _p(task.title, s["cell"]),
                _p(task.owner.name, s["cell"]),
                _p(display_name(task.responsible) or "–", s["cell"]),
                _p(_day(task.due_date), s["cell"]),
                _p(task.get_status_display(), s["cell"]),
            ]
        )
    return [*flow, grid_table(rows, [None, 40 * mm, 32 * mm, 22 * mm, 20 * mm], header=True)]


def build_minutes_pdf(
    meeting, *, items, decisions, tasks, participants, compress: bool = True, invariant: bool = False
) -> bytes:
    """The minutes as PDF bytes. `invariant` and `compress=False` make the output reproducible and the
    page content readable (tests)."""
    s = styles()
    title = _("Protokoll: %(type)s, %(site)s, %(date)s") % {
        "type": meeting.get_type_display(),
        "site": meeting.site.name,
        "date": _day(timezone.localtime(meeting.starts_at).date()),
    }
    items = list(items)
    decisions = list(decisions)
    numbers = {item.pk: number for number, item in enumerate(items, start=1)}
    decisions_by_item: dict[int, list] = {}
    for decision in decisions:
        if decision.agenda_item_id:
            decisions_by_item.setdefault(decision.agenda_item_id, []).append(decision)
    story = [
        _p(_("Protokoll"), s["title"]),
        _p(meeting.get_type_display(), s["h3"]),
        Spacer(1, 3 * mm),
        _facts(meeting, list(participants), s),
        *_agenda(items, decisions_by_item, s),
        *_decisions(decisions, numbers, s),
        *_tasks(list(tasks), s),
    ]
    if meeting.notes:
        story += [_p(_("Anteckningar"), s["h2"]), _p(meeting.notes, s["body"])]
    return build_document(
        story,
        title=title,
        footer=title,
        author="GVI",
        subject=_("Mötesprotokoll"),
        invariant=invariant,
        compress=compress,
    )
