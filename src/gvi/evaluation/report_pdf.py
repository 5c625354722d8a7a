"""The steering group's follow-up report as a PDF: aggregates only, the same figures and charts as the
statistics page.

A4 portrait; every table cell is a Paragraph so that text wraps inside its column, and the columns of each
table add up to the frame width. The charts are vector drawings (reportlab.graphics) from the same
geometry as the page's SVG (gvi.analysis.charts). Every number goes through gvi.formatting ("39,8",
"75 000 000 kr", "−2,4 %"). The text font is Bitstream Vera (shipped with reportlab; gvi.web.pdf's SANS),
which has the minus sign and the no-break space that Swedish number format needs and the standard PDF fonts
lack. The document set-up (fonts, footer with page numbers) is gvi.web.pdf's.
"""

from dataclasses import dataclass
from datetime import date

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from reportlab.graphics.shapes import Drawing, Line, PolyLine, Rect, String
from reportlab.lib import colors
from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.platypus import KeepTogether, Paragraph, Spacer, Table, TableStyle

from gvi import formatting
from gvi.analysis.charts import BarChart, ImpactChart, value_axis
from gvi.web.pdf import SANS, SANS_BOLD, build_document, paragraph, register_sans, sans_safe

FONT, BOLD = SANS, SANS_BOLD
MARGIN = 20 * mm
FRAME_WIDTH = A4[0] - 2 * MARGIN  # 170 mm
INK = colors.HexColor("#1b1b1b")
MUTED = colors.HexColor("#4a4a4a")
ACCENT = colors.HexColor("#0b4f8a")
LIGHT = colors.HexColor("#dce7f2")
GRID = colors.HexColor("#c8c8c8")
WARN = colors.HexColor("#8a1c0b")


def _language() -> str:
    return get_language() or "sv"


def _n(value, decimals=None, sign=False) -> str:
    return formatting.number(value, decimals, sign=sign, language=_language())


def _kr(value) -> str:
    return formatting.kronor(value, language=_language())


@dataclass(frozen=True)
class ReportData:
    """What the report shows; gathered by the view from the same selectors as the statistics page."""

    site: object
    today: date
    months: list[str]  # the last 12 months, oldest first (the last one is running)
    last: dict
    previous: dict | None
    estimates: list
    impact_text: str
    surveys: list
    chart: BarChart
    group_chart: BarChart
    area_chart: BarChart
    areas: list
    impact_chart: ImpactChart | None
    impact_labels: list[str]
    process: dict | None = None


class _Styles:
    def __init__(self):
        body = ParagraphStyle("body", fontName=FONT, fontSize=9.5, leading=13, textColor=INK)
        self.body = body
        self.title = ParagraphStyle(
            "title", parent=body, fontName=BOLD, fontSize=17, leading=21, spaceAfter=4
        )
        self.h2 = ParagraphStyle(
            "h2",
            parent=body,
            fontName=BOLD,
            fontSize=12.5,
            leading=16,
            spaceBefore=10,
            spaceAfter=4,
            keepWithNext=1,
        )
        self.h3 = ParagraphStyle(
            "h3", parent=body, fontName=BOLD, fontSize=10.5, leading=14, spaceBefore=6, keepWithNext=1
        )
        self.small = ParagraphStyle("small", parent=body, fontSize=8, leading=10.5, textColor=MUTED)
        self.cell = ParagraphStyle("cell", parent=body, fontSize=8.5, leading=10.5)
        self.head = ParagraphStyle("head", parent=self.cell, fontName=BOLD)
        self.number = ParagraphStyle("number", parent=self.cell, alignment=TA_RIGHT)
        self.head_number = ParagraphStyle("head_number", parent=self.head, alignment=TA_RIGHT)


def _p(value, style) -> Paragraph:
    return paragraph(value, style, safe=sans_safe, line_breaks=False)


def _table(styles: _Styles, rows: list[list], fractions: list[float], numeric: set[int] = frozenset()):
    """A table over the whole frame width: `fractions` of it per column; cells wrap; `numeric` columns
    are right-aligned."""
    widths = [FRAME_WIDTH * share / sum(fractions) for share in fractions]
    cells = []
    for index, row in enumerate(rows):
        header = index == 0
        cells.append(
            [
                _p(
                    cell,
                    (styles.head_number if column in numeric else styles.head)
                    if header
                    else (styles.number if column in numeric else styles.cell),
                )
                for column, cell in enumerate(row)
            ]
        )
    table = Table(cells, colWidths=widths, repeatRows=1, hAlign="LEFT")
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, 0), 0.8, INK),
                ("LINEBELOW", (0, 1), (-1, -1), 0.25, GRID),
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("TOPPADDING", (0, 0), (-1, -1), 3),
                ("BOTTOMPADDING", (0, 0), (-1, -1), 3),
                ("LEFTPADDING", (0, 0), (-1, -1), 4),
                ("RIGHTPADDING", (0, 0), (-1, -1), 4),
            ]
        )
    )
    return table


# --- Charts -------------------------------------------------------------------------------------------

CHART_HEIGHT = 110.0
AXIS_LEFT = 28
TOP_PAD, BOTTOM_PAD = 8.0, 16.0


def _hatch(drawing: Drawing, x: float, y: float, width: float, height: float, step: float = 4.0) -> None:
    """Diagonal hatching inside a rectangle (lines cut at its edges): the running month's bar."""
    offset = -height
    while offset < width:
        x0, y0 = x + max(offset, 0), y + max(-offset, 0)
        length = min(width - max(offset, 0), height - max(-offset, 0))
        if length > 0:
            drawing.add(Line(x0, y0, x0 + length, y0 + length, strokeColor=ACCENT, strokeWidth=0.7))
        offset += step


def _axis(drawing: Drawing, chart_left: float, right: float, ticks, height: float, bottom: float) -> None:
    for index, tick in enumerate(ticks):
        y = bottom + height - tick.y
        drawing.add(
            Line(
                chart_left,
                y,
                right,
                y,
                strokeColor=INK if index == 0 else GRID,
                strokeWidth=0.8 if index == 0 else 0.4,
            )
        )
        drawing.add(
            String(
                chart_left - 4,
                y - 2.5,
                _n(tick.value),
                fontName=FONT,
                fontSize=7,
                textAnchor="end",
                fillColor=INK,
            )
        )
    drawing.add(Line(chart_left, bottom, chart_left, bottom + height, strokeColor=INK, strokeWidth=0.8))


def _fit(text: str, width: float, size: float) -> str:
    """`text` cut with "…" to fit `width` points."""
    text = sans_safe(text)
    if pdfmetrics.stringWidth(text, FONT, size) <= width:
        return text
    while text and pdfmetrics.stringWidth(text + "…", FONT, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def bar_drawing(chart: BarChart, labels: bool = True, bar_labels: bool = False) -> Drawing:
    """The chart as a Drawing the width of the frame (the geometry was computed in points for it)."""
    drawing = Drawing(chart.width, chart.height + TOP_PAD + BOTTOM_PAD)
    bottom = BOTTOM_PAD
    _axis(drawing, chart.left, chart.width, chart.ticks, chart.height, bottom)
    for bar in chart.bars:
        y = bottom + chart.height - bar.y - bar.height
        if bar.partial:
            drawing.add(
                Rect(
                    bar.x,
                    y,
                    bar.width,
                    bar.height,
                    fillColor=LIGHT,
                    strokeColor=ACCENT,
                    strokeWidth=0.8,
                    strokeDashArray=[2, 1.5],
                )
            )
            _hatch(drawing, bar.x, y, bar.width, bar.height)
        else:
            drawing.add(Rect(bar.x, y, bar.width, bar.height, fillColor=ACCENT, strokeColor=None))
    if bar_labels:
        for bar in chart.bars:
            text = _fit(bar.label, bar.width - 2, 7)
            drawing.add(
                String(
                    bar.x + bar.width / 2,
                    5,
                    text,
                    fontName=FONT,
                    fontSize=7,
                    textAnchor="middle",
                    fillColor=INK,
                )
            )
    elif labels and chart.bars:
        drawing.add(
            String(chart.left, 3, sans_safe(chart.first.label), fontName=FONT, fontSize=7, fillColor=INK)
        )
        if len(chart.bars) > 1:
            drawing.add(
                String(
                    chart.width,
                    3,
                    sans_safe(chart.last.label),
                    fontName=FONT,
                    fontSize=7,
                    textAnchor="end",
                    fillColor=INK,
                )
            )
    return drawing


def impact_drawing(chart: ImpactChart, labels: list[str], left: float) -> Drawing:
    """Observed bars, the fitted line (solid) and the counterfactual (dashed) from the start on; the
    geometry is computed for the width right of the value axis and shifted by `left` here."""
    width = FRAME_WIDTH
    drawing = Drawing(width, CHART_HEIGHT + TOP_PAD + BOTTOM_PAD)
    bottom = BOTTOM_PAD
    top_value, ticks = value_axis(chart.top, CHART_HEIGHT)
    # The geometry's scale runs to chart.top (not a round number): keep the ticks that fit under it.
    ticks = [
        type(tick)(tick.value, CHART_HEIGHT - CHART_HEIGHT * tick.value / chart.top)
        for tick in ticks
        if tick.value <= chart.top
    ]
    _axis(drawing, left, width, ticks, CHART_HEIGHT, bottom)
    for bar in chart.bars:
        drawing.add(
            Rect(
                left + bar.x,
                bottom,
                bar.width,
                bar.height,
                fillColor=LIGHT,
                strokeColor=ACCENT,
                strokeWidth=0.3,
            )
        )
    if chart.start_x is not None:
        drawing.add(
            Line(
                left + chart.start_x,
                bottom,
                left + chart.start_x,
                bottom + CHART_HEIGHT,
                strokeColor=MUTED,
                strokeWidth=0.8,
                strokeDashArray=[1.5, 2],
            )
        )

    def line(points: str, color, dash) -> None:
        coords = []
        for pair in points.split():
            x, y = (float(part) for part in pair.split(","))
            coords += [left + x, bottom + CHART_HEIGHT - y]
        if len(coords) >= 4:
            drawing.add(PolyLine(coords, strokeColor=color, strokeWidth=1.6, strokeDashArray=dash))

    line(chart.fitted, INK, None)
    line(chart.counterfactual, WARN, [4, 2.5])
    if labels:
        drawing.add(String(left, 3, sans_safe(labels[0]), fontName=FONT, fontSize=7, fillColor=INK))
        drawing.add(
            String(
                width, 3, sans_safe(labels[-1]), fontName=FONT, fontSize=7, textAnchor="end", fillColor=INK
            )
        )
    return drawing


def _figure(styles: _Styles, title: str, drawing: Drawing, caption: str = "") -> KeepTogether:
    parts = [_p(title, styles.h3), Spacer(1, 2 * mm), drawing]
    if caption:
        parts.append(_p(caption, styles.small))
    return KeepTogether(parts)


def _partial_caption(chart: BarChart) -> str:
    if not chart.has_partial:
        return ""
    return _("Streckad stapel: pågående månad, räknad till och med %(day)s.") % {
        "day": formatting_day(chart.through)
    }


def formatting_day(day: date | None) -> str:
    return date_format(day, "j F Y") if day else ""


# --- The report ---------------------------------------------------------------------------------------


def _count(value) -> str:
    """A published (suppressed) count: None is 1–4."""
    return "1–4" if value is None else _n(value)


def _share(ratio) -> str:
    return (
        "–" if ratio is None or not ratio.denominator else f"{_n(ratio.numerator)} / {_n(ratio.denominator)}"
    )


def _duration(summary) -> str:
    if summary is None or not summary.n:
        return "–"
    p90 = _("för få") if summary.p90_reported is None else _n(summary.p90_reported, 1)
    return f"{_n(summary.median, 1)} / {p90} (n={_n(summary.n)})"


def _process(styles: _Styles, data: ReportData) -> list:
    """Reach and deterrence, as on the statistics page; left out where the modules give nothing."""
    figures = data.process or {}
    reach, after, before = figures.get("reach"), figures.get("deterrence"), figures.get("deterrence_before")
    if not reach and not after:
        return []
    parts = [_p(_("Processmått"), styles.h2)]
    if reach:
        rows = [[_("Mått"), _("Värde")]]
        rows += [
            [_("Gruppmedlemmar"), _count(reach.members)],
            [_("Nådda senaste 12 månaderna"), _count(reach.reached_12)],
            [_("Deltog i möte (call-in)"), _count(reach.attended)],
            [_("Bad om hjälp"), _count(reach.asked_for_help)],
        ]
        parts += [_p(_("Räckvidd"), styles.h3), _table(styles, rows, [4, 1.5], numeric={1})]
    if after:
        header = [_("Mått"), *([_("Före starten"), _("Från starten")] if before else [_("Värde")])]
        measures = [
            (_("Säkerhet: incidenter med gruppkoppling som följdes av ökat fokus"), "certainty", _share),
            (_("Förutsägbarhet: åtgärder enligt utannonserad regel"), "predictability", _share),
            (_("Beslut i tid"), "decided_in_time", _share),
            (_("Dagar till beslut, median / 90:e percentil"), "to_decision", _duration),
        ]
        rows = [header]
        for label, key, show in measures:
            rows.append([label, *([show(getattr(before, key))] if before else []), show(getattr(after, key))])
        parts += [
            _p(_("Avskräckning"), styles.h3),
            _table(styles, rows, [3, 1.4, 1.4] if before else [3, 1.4], numeric={1, 2}),
        ]
    return [KeepTogether(parts)]


def _change(now, before) -> str:
    if before is None:
        return "–"
    return _n(now - before, 0, sign=True)


def report_pdf(data: ReportData) -> bytes:
    register_sans()
    styles = _Styles()
    site = data.site
    period = _("%(first)s – %(last)s (den pågående månaden räknad till och med %(day)s)") % {
        "first": data.months[0],
        "last": data.months[-1],
        "day": formatting_day(data.today),
    }
    story = [
        _p(_("Uppföljning av GVI: %(site)s") % {"site": site.name}, styles.title),
        _p(_("Plats: %(site)s") % {"site": site.name}, styles.body),
        _p(_("Period: senaste 12 månaderna, %(period)s") % {"period": period}, styles.body),
    ]
    if site.gvi_start_date:
        story.append(_p(_("GVI startade %(date)s.") % {"date": site.gvi_start_date.isoformat()}, styles.body))
    story.append(
        _p(
            _("Framtagen %(date)s. Endast summor; inga personer eller enskilda händelser.")
            % {"date": data.today.isoformat()},
            styles.small,
        )
    )

    # Goal 1
    story.append(_p(_("Mål 1: Färre fall av dödligt och grovt våld"), styles.h2))
    labels = [
        ("serious", _("Dödligt och grovt våld")),
        ("lethal", _("därav dödligt våld")),
        ("group_involved", _("med känd gruppkoppling")),
        ("shootings", _("Skjutningar")),
        ("explosions", _("Sprängningar")),
        ("dead", _("Döda")),
        ("injured", _("Skadade")),
    ]
    previous = data.previous
    rows = [[_("Mått"), _("Senaste 12 mån"), _("12 mån innan"), _("Förändring")]]
    rows += [
        [
            label,
            _n(data.last[key]),
            _n(previous[key] if previous else None),
            _change(data.last[key], previous[key] if previous else None),
        ]
        for key, label in labels
    ]
    story.append(_table(styles, rows, [3, 1.3, 1.3, 1.3], numeric={1, 2, 3}))
    story.append(Spacer(1, 2 * mm))
    story.append(
        _figure(
            styles,
            _("Dödligt och grovt våld per månad"),
            bar_drawing(data.chart),
            _partial_caption(data.chart),
        )
    )
    story.append(
        _figure(
            styles,
            _("Våld med känd gruppkoppling per månad"),
            bar_drawing(data.group_chart),
            _partial_caption(data.group_chart),
        )
    )
    story.append(_p(_("Effektskattning (avbruten tidsserie)"), styles.h3))
    story.append(_p(data.impact_text, styles.body))
    if data.impact_chart is not None and data.impact_chart.bars:
        story.append(
            _figure(
                styles,
                _(
                    "Observerat antal per månad, modellens skattning och utvecklingen utan förändring vid starten"
                ),
                impact_drawing(data.impact_chart, data.impact_labels, left=data.chart.left),
                _(
                    "Staplar: observerat antal. Heldragen svart linje: modellens skattning. Streckad röd linje "
                    "från starten: den skattade utvecklingen om inget hade ändrats vid GVI-starten "
                    "(kontrafaktisk). Den prickade lodräta linjen markerar starten."
                )
                + " "
                + _("Den pågående månaden ingår inte: modellen räknar bara hela månader."),
            )
        )
    if data.areas:
        story.append(
            _figure(
                styles,
                _("Dödligt och grovt våld per område, senaste 12 månaderna"),
                bar_drawing(data.area_chart, bar_labels=True),
                _("Staplarna i samma ordning som tabellen."),
            )
        )
        rows = [[_("Område"), _("Senaste 12 mån"), _("12 mån innan"), _("Förändring")]]
        rows += [
            [row.area, _n(row.last), _n(row.previous), _change(row.last, row.previous)] for row in data.areas
        ]
        story.append(_table(styles, rows, [3, 1.3, 1.3, 1.3], numeric={1, 2, 3}))
    else:
        story.append(_p(_("Våld per område"), styles.h3))
        story.append(_p(_("Inga incidenter de senaste 24 månaderna."), styles.body))

    # Goal 2
    story.append(_p(_("Mål 2: Ökad upplevd trygghet"), styles.h2))
    if data.surveys:
        by_indicator: dict[str, list] = {}
        for item in data.surveys:
            by_indicator.setdefault(item.indicator, []).append(item)
        for indicator, items in by_indicator.items():
            years = sorted({year for item in items for year, _value in item.points})[-6:]
            rows = [[_("Område"), *[str(year) for year in years]]]
            for item in items:
                values = dict(item.points)
                rows.append([item.area, *[_n(values.get(year)) for year in years]])
            sources = sorted({source for item in items for source in item.sources})
            story.append(_p(indicator, styles.h3))
            story.append(
                _table(styles, rows, [3, *([1] * len(years))], numeric=set(range(1, len(years) + 1)))
            )
            story.append(_p(_("Källa: %(sources)s") % {"sources": "; ".join(sources)}, styles.small))
    else:
        story.append(_p(_("Inga trygghetsmätningar är importerade ännu."), styles.body))

    # Goals 3 and 4
    rows = [[_("Post"), _("Antal"), _("Per enhet"), _("Uppskattning"), _("Spann")]]
    for line in data.estimates:
        span = (
            f"{_kr(line.low)} – {_kr(line.high)}" if line.low is not None and line.high is not None else "–"
        )
        rows.append([line.label, _n(line.count), _kr(line.unit), _kr(line.total), span])
    story.append(
        KeepTogether(
            [
                _p(_("Mål 3 och 4: Mindre resurser till polisutredningar, vård och samhälle"), styles.h2),
                _p(
                    _(
                        "Uppskattning för de senaste 12 månaderna: antal gånger enhetskostnad. Raderna "
                        "överlappar och ska inte summeras."
                    ),
                    styles.body,
                ),
                Spacer(1, 2 * mm),
                _table(styles, rows, [2.6, 0.7, 1.6, 1.8, 2.4], numeric={1, 2, 3, 4}),
            ]
        )
    )

    story += _process(styles, data)

    title = _("Uppföljning av GVI: %(site)s") % {"site": site.name}

    return build_document(
        story,
        title=title,
        footer=title,
        margin=MARGIN,
        top_margin=MARGIN,
        font=FONT,
        footer_size=7.5,
        footer_color=MUTED,
        safe=sans_safe,
        lang=_language(),
    )


def report_data(user, site) -> ReportData:
    """The report's figures from the statistics page's selectors, its charts sized for the A4 frame."""
    from gvi.evaluation import selectors as s
    from gvi.evaluation.views import _impact_chart, area_chart, month_charts

    incidents = s.site_incidents(user, site)
    rows = s.violence_by_month(incidents, months=60)
    last, previous = s.last_12_months(rows), s.previous_12_months(rows)
    impact = s.site_impact(rows, site.gvi_start_date, site=site)
    police = s.police_hours(site, incidents, [row.month for row in rows[-12:]])
    areas = s.violence_by_area(incidents)
    points = s.impact_points(rows, impact)
    size = {"width": FRAME_WIDTH, "height": CHART_HEIGHT, "left": AXIS_LEFT, "gap": 1.0}
    charts = month_charts(rows, **size)
    return ReportData(
        site=site,
        today=timezone.localdate(),
        months=[row.month for row in rows[-12:]],
        last=last,
        previous=previous,
        estimates=s.cost_estimates(last, s.unit_costs(site), police),
        impact_text=impact.result.reading if impact.result else impact.reason,
        surveys=s.survey_series(site),
        chart=charts["chart"],
        group_chart=charts["group_chart"],
        area_chart=area_chart(areas, **size),
        areas=areas,
        impact_chart=_impact_chart(points, width=FRAME_WIDTH - AXIS_LEFT, height=CHART_HEIGHT, gap=1.0),
        impact_labels=[point.month for point in points],
        process=s.process_figures(site),
    )
