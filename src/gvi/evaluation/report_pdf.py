"""The steering group's follow-up report as a PDF: aggregates only, the same figures as the dashboard."""

from io import BytesIO
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gvi.partnership.minutes_pdf import BOLD, FONT, pdf_safe


def _p(value, style) -> Paragraph:
    return Paragraph(escape(pdf_safe(value)), style)


def _table(rows, widths) -> Table:
    table = Table([[pdf_safe(cell) for cell in row] for row in rows], colWidths=widths, repeatRows=1)
    table.setStyle(
        TableStyle(
            [
                ("FONT", (0, 0), (-1, -1), FONT, 9),
                ("FONT", (0, 0), (-1, 0), BOLD, 9),
                ("GRID", (0, 0), (-1, -1), 0.25, colors.grey),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ]
        )
    )
    return table


def _n(value) -> str:
    return "–" if value is None else f"{value:,}".replace(",", " ")


def report_pdf(site, last, previous, estimates, impact_text: str, surveys) -> bytes:
    body = ParagraphStyle("body", fontName=FONT, fontSize=10, leading=13)
    title = ParagraphStyle("title", parent=body, fontName=BOLD, fontSize=16, leading=20, spaceAfter=6)
    h2 = ParagraphStyle(
        "h2", parent=body, fontName=BOLD, fontSize=12, leading=15, spaceBefore=8, spaceAfter=4
    )
    story = [
        _p(_("Uppföljning av GVI: %(site)s") % {"site": site.name}, title),
        _p(
            _("Framtagen %(date)s. Endast summor; inga personer eller enskilda händelser.")
            % {"date": timezone.localdate().isoformat()},
            body,
        ),  # fmt: skip
        _p(_("Mål 1: Färre fall av dödligt och grovt våld"), h2),
    ]
    labels = [
        ("serious", _("Dödligt och grovt våld")),
        ("lethal", _("därav dödligt våld")),
        ("group_involved", _("med känd gruppkoppling")),
        ("shootings", _("Skjutningar")),
        ("explosions", _("Sprängningar")),
        ("dead", _("Döda")),
        ("injured", _("Skadade")),
    ]
    rows = [[_("Mått"), _("Senaste 12 mån"), _("12 mån innan")]]
    rows += [[label, _n(last[key]), _n(previous[key] if previous else None)] for key, label in labels]
    story += [_table(rows, [80 * mm, 40 * mm, 40 * mm]), Spacer(1, 4 * mm), _p(impact_text, body)]
    story.append(_p(_("Mål 2: Ökad upplevd trygghet"), h2))
    if surveys:
        rows = [[_("Indikator"), _("Område"), _("År och värde"), _("Källa")]]
        rows += [
            [item.indicator, item.area, ", ".join(f"{year}: {value}" for year, value in item.points),
             "; ".join(item.sources)]
            for item in surveys
        ]  # fmt: skip
        story.append(_table(rows, [45 * mm, 30 * mm, 50 * mm, 45 * mm]))
    else:
        story.append(_p(_("Inga trygghetsmätningar är importerade ännu."), body))
    story.append(_p(_("Mål 3 och 4: Mindre resurser till polisutredningar, vård och samhälle"), h2))
    story.append(_p(_("Antal gånger enhetskostnad, senaste 12 månaderna. Raderna överlappar."), body))
    rows = [[_("Post"), _("Antal"), _("Uppskattning (kr)")]]
    rows += [[line.label, _n(line.count), _n(line.total)] for line in estimates]
    story.append(_table(rows, [90 * mm, 25 * mm, 50 * mm]))
    buffer = BytesIO()
    SimpleDocTemplate(buffer, pagesize=A4, title=pdf_safe(_("Uppföljning av GVI"))).build(story)
    return buffer.getvalue()
