"""The steering group's PDF report, rendered for the demo city and read back page by page."""

import re
from datetime import date, time

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from reportlab.lib.pagesizes import A4
from reportlab.pdfgen import canvas

from gvi.demo.loader import load_demo
from gvi.evaluation.report_pdf import ACCENT
from tests.clock import local_moment
from tests.evaluation.pdf_layout import overlapping_glyphs, overlapping_lines, pages
from tests.factories import verified_login

# The second day of a month: the running month has barely begun and must not read as a very low month.
TODAY = date(2026, 3, 2)
FOOTER_HEIGHT = 20  # points above the bottom edge: the page footer (site and page number)


@pytest.fixture
def report(db, client, time_machine):
    time_machine.move_to(local_moment(TODAY, time(10, 0)))
    load_demo(today=TODAY)
    verified_login(client, get_user_model().objects.get(username="styrgrupp"))
    response = client.get(reverse("evaluation:report") + "?plats=exempelstad")
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    return pages(response.content)


def _same_colour(colour, reference) -> bool:
    values = colour if isinstance(colour, (list, tuple)) else ()
    expected = (reference.red, reference.green, reference.blue)
    return len(values) == 3 and all(abs(a - b) < 0.01 for a, b in zip(values, expected, strict=True))


def test_report_pages_are_laid_out_without_overlap_in_swedish_number_format(report):
    assert len(report) >= 2
    for page in report:
        assert not page.images, f"page {page.number} has a raster image"
        body = [line for line in page.lines if line.y0 > FOOTER_HEIGHT]
        assert body, f"page {page.number} has nothing but its footer"
        assert overlapping_glyphs(page) == [], f"text over text on page {page.number}"
        assert overlapping_lines(page) == [], f"text boxes overlap on page {page.number}"
        for char in page.chars:  # everything inside the page, nothing cut at an edge
            assert 0 <= char.x0 and char.x1 <= A4[0] and 0 <= char.y0 and char.y1 <= A4[1]

    text = "\n".join(page.text for page in report)
    assert "Uppföljning av GVI: Exempelstad" in text and "Plats: Exempelstad" in text
    assert "Period: senaste 12 månaderna, 2025-04 – 2026-03" in text
    for heading in (
        "Mål 1:",
        "Mål 2:",
        "Mål 3 och 4:",
        "Dödligt och grovt våld per månad",
        "Dödligt och grovt våld per område",
        "Processmått",
    ):
        assert heading in text
    # No decimal points and no ungrouped large numbers; a decimal comma, grouped kronor, a real minus.
    assert not re.search(r"\d\.\d", text), re.findall(r".{12}\d\.\d.{6}", text)
    assert not re.search(r"\d{5,}", text), re.findall(r".{10}\d{5,}.{4}", text)
    assert re.search(r"\b\d\d,\d\b", text)  # the survey values, "39,8"
    assert re.search(r"\b75[ \u00a0\u202f]000[ \u00a0\u202f]000 kr", text)  # the default cost of a shooting
    assert not re.search(r"(?<![\w–-])-\d", text) and "\u2212" in text  # changes written "−12", not "-12"
    # The running month is marked as such, with the day it is counted to.
    assert "pågående månad, räknad till och med 2 mars 2026" in text


def test_report_charts_are_vector_drawings(report):
    bars = [
        rect
        for page in report
        for rect in page.rects
        if rect.fill and _same_colour(rect.non_stroking_color, ACCENT)
    ]
    # The 60-month demo history, twice (all serious violence and the group-involved part), and the areas.
    assert len(bars) >= 2 * 30 + 4
    assert any(page.curves for page in report), "the impact chart's model lines are missing"
    hatched = [line for page in report for line in page.strokes if _same_colour(line.stroking_color, ACCENT)]
    assert hatched, "the running month is not hatched"
    # A value axis: tick labels 0 and up beside the plot of the first chart.
    first = report[0]
    ticks = [line.get_text().strip() for line in first.lines if line.get_text().strip().isdigit()]
    assert "0" in ticks and "5" in ticks


def test_the_overlap_checks_find_text_printed_over_text():
    """The layout checks above can fail: the old report printed the Mål 2 columns on top of each other."""
    from io import BytesIO

    buffer = BytesIO()
    pdf = canvas.Canvas(buffer, pagesize=A4)
    pdf.drawString(100, 700, "Andel som känner sig otrygga")
    pdf.drawString(150, 704, "Centrum 2022: 39.80")
    pdf.drawString(100, 600, "Apart")
    pdf.save()
    (page,) = pages(buffer.getvalue())
    assert overlapping_glyphs(page)
    assert len(overlapping_lines(page)) == 1
