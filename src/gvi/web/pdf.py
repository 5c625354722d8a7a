"""The PDF documents' shared set-up (reportlab): fonts that show Swedish text, paragraph and table styles,
and the document itself (page size, margins, metadata, a footer with a page number on every page).

Two font choices:
- the standard Helvetica fonts with WinAnsi encoding (`FONT`, `BOLD`): nothing fetched or embedded, every
  Swedish letter (å ä ö, é ü ...) renders; characters outside that encoding are written without their
  diacritics (ş → s, ł → l), or as "?" when there is no base letter, never as empty boxes (`pdf_safe`);
- Bitstream Vera, shipped with reportlab and embedded (`SANS`, `SANS_BOLD`, after `register_sans()`):
  it also has the minus sign and the no-break space that Swedish number format needs (`sans_safe`).

Each document module keeps only its content: what the story holds.
"""

import os
import unicodedata
from collections.abc import Callable
from io import BytesIO
from xml.sax.saxutils import escape

import reportlab
from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Table, TableStyle

FONT, BOLD = "Helvetica", "Helvetica-Bold"
ENCODING = "cp1252"  # WinAnsiEncoding of the standard PDF fonts
# Letters without a Unicode decomposition to a WinAnsi base letter.
FALLBACK = {"ł": "l", "Ł": "L", "đ": "d", "Đ": "D", "ı": "i", "‐": "-", "−": "-"}

SANS, SANS_BOLD = "GVISans", "GVISans-Bold"
_SANS_GLYPHS: dict[int, int] = {}


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


def register_sans() -> None:
    """Register the embedded font (once per process)."""
    if _SANS_GLYPHS:
        return
    folder = os.path.join(os.path.dirname(reportlab.__file__), "fonts")
    regular = TTFont(SANS, os.path.join(folder, "Vera.ttf"))
    pdfmetrics.registerFont(regular)
    pdfmetrics.registerFont(TTFont(SANS_BOLD, os.path.join(folder, "VeraBd.ttf")))
    pdfmetrics.registerFontFamily(SANS, normal=SANS, bold=SANS_BOLD)
    _SANS_GLYPHS.update(regular.face.charToGlyph)


def sans_safe(value) -> str:
    """Text the embedded font can show: characters it lacks lose their diacritics (as `pdf_safe`)."""
    register_sans()
    return "".join(char if ord(char) in _SANS_GLYPHS else pdf_safe(char) for char in str(value or ""))


def paragraph(
    value, style, *, safe: Callable[[object], str] = pdf_safe, line_breaks: bool = True
) -> Paragraph:
    """A paragraph of user text: escaped (reportlab parses markup), and with its line breaks kept."""
    text = escape(safe(value))
    return Paragraph(text.replace("\n", "<br/>") if line_breaks else text, style)


def styles(font: str = FONT, bold: str = BOLD) -> dict[str, ParagraphStyle]:
    """The documents' paragraph styles: title, h2, h3, body, small, cell and cell_bold."""
    base = ParagraphStyle("body", fontName=font, fontSize=10, leading=13, alignment=TA_LEFT)
    return {
        "title": ParagraphStyle("title", parent=base, fontName=bold, fontSize=18, leading=22, spaceAfter=6),
        "h2": ParagraphStyle(
            "h2", parent=base, fontName=bold, fontSize=13, leading=16, spaceBefore=10, spaceAfter=4
        ),
        "h3": ParagraphStyle("h3", parent=base, fontName=bold, fontSize=11, leading=14, spaceBefore=6),
        "body": base,
        "small": ParagraphStyle(
            "small", parent=base, fontSize=8.5, leading=11, textColor=colors.HexColor("#333333")
        ),
        "cell": ParagraphStyle("cell", parent=base, fontSize=9, leading=11),
        "cell_bold": ParagraphStyle("cell_bold", parent=base, fontName=bold, fontSize=9, leading=11),
    }


GRID = TableStyle(
    [
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("LINEBELOW", (0, 0), (-1, -1), 0.4, colors.HexColor("#999999")),
        ("LEFTPADDING", (0, 0), (-1, -1), 3),
        ("RIGHTPADDING", (0, 0), (-1, -1), 3),
    ]
)
HEADER_RULE = TableStyle([("LINEBELOW", (0, 0), (-1, 0), 1, colors.black)])


def grid_table(rows: list[list], widths: list, *, header: bool = False) -> Table:
    """A left-aligned table with a thin line under every row; with `header`, the first row is a header
    (a heavier line under it, repeated on every page)."""
    table = Table(rows, colWidths=widths, repeatRows=1 if header else 0, hAlign="LEFT")
    table.setStyle(GRID)
    if header:
        table.setStyle(HEADER_RULE)
    return table


def build_document(
    story: list,
    *,
    title: str,
    footer: str,
    pagesize=A4,
    margin: float = 20 * mm,
    top_margin: float = 18 * mm,
    footer_y: float = 10 * mm,
    font: str = FONT,
    footer_size: float = 8,
    footer_color=None,
    safe: Callable[[object], str] = pdf_safe,
    author: str | None = None,
    subject: str | None = None,
    lang: str = "sv",
    invariant: bool = False,
    compress: bool = True,
) -> bytes:
    """`story` as PDF bytes: `margin` left and right, `top_margin` above and below, and on every page
    `footer` at the left margin and "Sida n" at the right. `invariant` and `compress=False` make the
    output reproducible and the page content readable (tests)."""
    footer = safe(footer)
    width = pagesize[0]

    def on_page(canvas, document) -> None:
        canvas.saveState()
        canvas.setFont(font, footer_size)
        if footer_color is not None:
            canvas.setFillColor(footer_color)
        canvas.drawString(margin, footer_y, footer)
        canvas.drawRightString(width - margin, footer_y, safe(_("Sida %(n)s") % {"n": document.page}))
        canvas.restoreState()

    metadata = {"author": author, "subject": subject}
    buffer = BytesIO()
    SimpleDocTemplate(
        buffer,
        pagesize=pagesize,
        leftMargin=margin,
        rightMargin=margin,
        topMargin=top_margin,
        bottomMargin=top_margin,
        title=safe(title),
        lang=lang,
        invariant=1 if invariant else 0,
        pageCompression=1 if compress else 0,
        **{name: safe(value) for name, value in metadata.items() if value is not None},
    ).build(story, onFirstPage=on_page, onLaterPages=on_page)
    return buffer.getvalue()
