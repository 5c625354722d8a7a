"""Text with positions and vector shapes from a PDF, page by page (pdfminer.six; tests only)."""

from dataclasses import dataclass, field
from io import BytesIO

from pdfminer.high_level import extract_pages
from pdfminer.layout import LTChar, LTCurve, LTImage, LTLine, LTPage, LTRect, LTTextLine


@dataclass
class Page:
    number: int
    height: float
    chars: list[LTChar] = field(default_factory=list)
    lines: list[LTTextLine] = field(default_factory=list)
    rects: list[LTRect] = field(default_factory=list)
    curves: list[LTCurve] = field(default_factory=list)  # polylines (not rectangles or straight lines)
    strokes: list[LTLine] = field(default_factory=list)
    images: list[LTImage] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "\n".join(line.get_text().rstrip("\n") for line in self.lines)


def _walk(item, page: Page) -> None:
    if isinstance(item, LTChar):
        if item.get_text().strip():
            page.chars.append(item)
        return
    if isinstance(item, LTTextLine):
        page.lines.append(item)
    elif isinstance(item, LTRect):
        page.rects.append(item)
    elif isinstance(item, LTLine):
        page.strokes.append(item)
    elif isinstance(item, LTCurve):
        page.curves.append(item)
    elif isinstance(item, LTImage):
        page.images.append(item)
    if hasattr(item, "__iter__"):
        for child in item:
            _walk(child, page)


def pages(pdf: bytes) -> list[Page]:
    found = []
    for number, layout in enumerate(extract_pages(BytesIO(pdf)), start=1):
        assert isinstance(layout, LTPage)
        page = Page(number, layout.height)
        _walk(layout, page)
        found.append(page)
    return found


def overlapping_glyphs(page: Page, tolerance: float = 0.25) -> list[tuple[str, str]]:
    """Pairs of visible characters whose boxes overlap by more than `tolerance` of the smaller box: text
    printed on top of other text (table columns run into each other, a label over a label)."""
    cells: dict[tuple[int, int], list[LTChar]] = {}
    for char in page.chars:
        for gx in range(int(char.x0 // 20), int(char.x1 // 20) + 1):
            for gy in range(int(char.y0 // 20), int(char.y1 // 20) + 1):
                cells.setdefault((gx, gy), []).append(char)
    found = set()
    for bucket in cells.values():
        for i, a in enumerate(bucket):
            for b in bucket[i + 1 :]:
                width = min(a.x1, b.x1) - max(a.x0, b.x0)
                height = min(a.y1, b.y1) - max(a.y0, b.y0)
                if width <= 0 or height <= 0:
                    continue
                smaller = min(a.width * a.height, b.width * b.height) or 1
                if width * height > tolerance * smaller:
                    found.add(
                        (f"{a.get_text()}@{a.x0:.0f},{a.y0:.0f}", f"{b.get_text()}@{b.x0:.0f},{b.y0:.0f}")
                    )
    return sorted(found)


def overlapping_lines(page: Page, margin: float = 0.5) -> list[tuple[str, str]]:
    """Pairs of text lines (a table cell's line, a label, a paragraph's line) whose boxes overlap."""
    found = []
    for index, a in enumerate(page.lines):
        for b in page.lines[index + 1 :]:
            width = min(a.x1, b.x1) - max(a.x0, b.x0)
            height = min(a.y1, b.y1) - max(a.y0, b.y0)
            if width > margin and height > margin:
                found.append((a.get_text().strip(), b.get_text().strip()))
    return found
