"""Minutes of a meeting as a PDF (reportlab): site, date, participants, agenda, decisions and tasks.

The PDF uses the standard Helvetica fonts with WinAnsi encoding, so nothing is fetched or embedded and
every Swedish letter (å ä ö, é ü ...) renders. Characters outside that encoding are written without their
diacritics (ş → s, ł → l), or as "?" when there is no base letter: never as empty boxes.
"""

import unicodedata
from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gvi.partnership.selectors import display_name

FONT, BOLD = "Helvetica", "Helvetica-Bold"
ENCODING = "cp1252"  # WinAnsiEncoding of the standard PDF fonts
# Letters without a Unicode decomposition to a WinAnsi base letter.
FALLBACK = {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "‐": "-", "−": "-"}


def pdf_safe(value) -> str:
    """`value` as text the standard fonts can show: WinAnsi characters stay, others lose diacritics."""
    text = str(value or "")
    out = []
    for char in text:
        try:
            char.encode(ENCODING)
            out.append(char)
            continue
        except UnicodeEncodeError:
            pass
        char = FALLBACK.get(char, char)
        base = "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))
        try:
            base.encode(ENCODING)
            out.append(base or "?")
        except UnicodeEncodeError:
            out.append("?")
    return "".join(out)


def _p(value, style) -> Paragraph:
    """A paragraph of user text: escaped (reportlab parses markup) and with line breaks kept."""
    return Paragraph(escape(pdf_safe(value)).replace("\n", "<br/>"), style)


def _styles() -> dict:
    base = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13, alignment=TA_LEFT)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=BOLD, fontSize=18, leading=22, spaceAfter=6),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=BOLD, fontSize=13, leading=16, spaceBefore=10, spaceAfter=4
        ),
        "h3": ParagraphStyle("h3", parent=base, fontName=BOLD, fontSize=11, leading=14, spaceBefore=6),
        "body": base,
        "small": ParagraphStyle(
            "small", parent=base, fontSize=8.5, leading=11, textColor=colors.HexColor("#333333")
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=11),
        "cell_bold": ParagraphStyle("cell_bold", parent=base, fontName=BOLD, fontSize=9, leading=11),
    }


def _when(value) -> str:
    return date_format(timezone.localtime(value), "Y-m-d H:i") if value else ""


def _day(value) -> str:
    return date_format(value, "Y-m-d") if value else ""


GRID = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)


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
    table = Table(
        [[_p(label, s["cell_bold"]), _p(value, s["cell"])] for label, value in rows],
        colWidths=[45 * mm, None],
        hAlign="LEFT",
    )
    table.setStyle(GRID)
    return table


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
    table = Table(rows, colWidths=[None, 40 * mm, 32 * mm, 22 * mm, 20 * mm], repeatRows=1, hAlign="LEFT")
    table.setStyle(GRID)
    table.setStyle(TableStyle([("LINEBELOW", (0, 0), (-1, 0), 1, colors.black)]))
    return [*flow, table]


def build_minutes_pdf(
    meeting, *, items, decisions, tasks, participants, compress: bool = True, invariant: bool = False
) -> bytes:
    """The minutes as PDF bytes. `invariant` and `compress=False` make the output reproducible and the
    page content readable (tests)."""
    s = _styles()
    buffer = BytesIO()
    title = _("Protokoll: %(type)s, %(site)s, %(date)s") % {
        "type": meeting.get_type_display(),
        "site": meeting.site.name,
        "date": _day(timezone.localtime(meeting.starts_at).date()),
    }
    footer = pdf_safe(title)

    def on_page(canvas, document):
        canvas.saveState()
        canvas.setFont(FONT, 8)
        canvas.drawString(20 * mm, 10 * mm, footer)
        canvas.drawRightString(A4[0] - 20 * mm, 10 * mm, pdf_safe(_("Sida %(n)s") % {"n": document.page}))
        canvas.restoreState()

    document = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=20 * mm,
        rightMargin=20 * mm,
        topMargin=18 * mm,
        bottomMargin=18 * mm,
        title=pdf_safe(title),
        author="GVI",
        subject=pdf_safe(_("Mötesprotokoll")),
        lang="sv",
        invariant=1 if invariant else 0,
        pageCompression=1 if compress else 0,
    )
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
    document.build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
