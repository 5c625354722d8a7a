"""Geometry for the follow-up page's server-rendered SVG charts (no script, CSP-friendly)."""

from dataclasses import dataclass
from datetime import date

WIDTH = 720
HEIGHT = 200
DEFAULT_QUARTERS = 8


@dataclass(frozen=True)
class ChartBar:
    label: str
    value: float | None  # None: nothing to measure in that quarter
    text: str
    x: float
    y: float
    width: float
    height: float

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Chart:
    bars: list[ChartBar]
    unit: str
    reference: float | None = None
    reference_y: float | None = None
    width: int = WIDTH
    height: int = HEIGHT

    @property
    def has_values(self) -> bool:
        return any(bar.value is not None for bar in self.bars)


def _text(value: float | None) -> str:
    if value is None:
        return "–"
    return f"{value:.1f}".replace(".", ",")


def bar_geometry(
    series: list[tuple[str, float | None]],
    unit: str = "",
    reference: float | None = None,
    maximum: float | None = None,
    gap: float = 8.0,
) -> Chart:
    """Bars for (label, value) pairs; the scale covers the values, the reference line and `maximum`."""
    values = [value for _label, value in series if value is not None]
    top = max([*values, reference or 0, maximum or 0, 0]) or 1
    slot = WIDTH / max(len(series), 1)
    bars = []
    for index, (label, value) in enumerate(series):
        height = HEIGHT * (value or 0) / top
        bars.append(
            ChartBar(
                label,
                value,
                _text(value),
                index * slot + gap / 2,
                HEIGHT - height,
                max(slot - gap, 1),
                height,
            )
        )
    reference_y = None if reference is None else HEIGHT - HEIGHT * reference / top
    return Chart(bars, unit, reference, reference_y)


def quarter_chart(quarters, measure, reference=None, maximum=None, unit: str = "") -> Chart:
    """One bar per quarter row (gvi.sanctions.metrics.QuarterRow) with `measure(figures)` as value."""
    return bar_geometry(
        [(row.label, measure(row.figures)) for row in quarters], unit, reference=reference, maximum=maximum
    )


def default_start(today: date, quarters: int = DEFAULT_QUARTERS) -> date:
    """First day of the quarter `quarters - 1` quarters before today's: the last `quarters` quarters."""
    index = today.year * 4 + (today.month - 1) // 3 - (quarters - 1)
    return date(index // 4, (index % 4) * 3 + 1, 1)
