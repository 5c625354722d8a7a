"""The shared PDF builder: Swedish text in the standard fonts, the footer on every page, tables."""

from io import BytesIO

from pdfminer.high_level import extract_text
from reportlab.platypus import PageBreak

from gvi.web.pdf import (
    build_document,
    grid_table,
    paragraph,
    pdf_safe,
    sans_safe,
    styles,
)
from tests.partnership.pdf_text import pdf_strings


def test_pdf_safe_keeps_swedish_letters_and_strips_what_the_font_cannot_show():
    assert pdf_safe("Åsa Öberg, Älgen – 3 é") == "Åsa Öberg, Älgen – 3 é"
    assert pdf_safe("Łukasz Şahin ✓") == "Lukasz Sahin ?"
    assert pdf_safe(None) == ""


def test_sans_safe_keeps_the_minus_sign_the_embedded_font_has():
    assert sans_safe("−2,4 % Åsa") == "−2,4 % Åsa"
    assert sans_safe("✓") == "?"


def test_the_document_has_a_footer_with_page_numbers_on_every_page_and_its_title():
    s = styles()

    def build() -> bytes:
        story = [
            paragraph("Första sidan\nandra raden", s["body"]),
            PageBreak(),
            paragraph("Andra", s["body"]),
        ]
        return build_document(
            story, title="Protokoll Östra", footer="Protokoll Östra", invariant=True, compress=False
        )

    pdf = build()
    shown = pdf_strings(pdf)
    assert shown.count("Protokoll Östra") == 2 and "Sida 1" in shown and "Sida 2" in shown
    assert "Första sidan" in shown and "andra raden" in shown  # a line break is kept as a line
    assert b"/Title (Protokoll \\326stra)" in pdf and b"/Lang (sv)" in pdf
    assert build() == pdf  # invariant: reproducible


def test_the_embedded_font_document_reads_back():
    s = styles()
    pdf = build_document(
        [paragraph("Minskning −2,4 %", s["body"], safe=sans_safe)],
        title="Uppföljning",
        footer="Uppföljning av GVI: Exempelstad",
        font="GVISans",
        safe=sans_safe,
    )
    text = " ".join(extract_text(BytesIO(pdf)).split())
    assert "Uppföljning av GVI: Exempelstad" in text and "Sida 1" in text


def test_a_grid_table_with_a_header_repeats_it_and_rules_it():
    plain = grid_table([["a", "b"]], [None, None])
    headed = grid_table([["Rubrik", "Värde"], ["a", "b"]], [None, None], header=True)
    assert (plain.repeatRows, headed.repeatRows) == (0, 1)
    assert plain.hAlign == headed.hAlign == "LEFT"
    commands = [command[0:3] for command in headed._linecmds]
    assert ("LINEBELOW", (0, 0), (-1, 0)) in commands and len(headed._linecmds) == 2
    assert len(plain._linecmds) == 1
