"""Geometry for simple server-rendered SVG bar charts (no script, CSP-friendly).

The same geometry draws the charts of the PDF report (reportlab's y axis points up: it flips y itself)."""

import math
from dataclasses import dataclass
from datetime import date


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float
    partial: bool = False  # the running month: counted so far, not a whole month

    @property
    def centre(self) -> float:
        return self.x + self.width / 2


@dataclass(frozen=True)
class Tick:
    """A line of the value axis: `value` at height `y` (0 at the top of the plot)."""

    value: int
    y: float


@dataclass(frozen=True)
class BarChart:
    """Bars in the plot area x = `left` … `width`, y = 0 … `height`, with a value axis on the left."""

    bars: list[Bar]
    ticks: list[Tick]
    top: int  # the value at y = 0
    left: int  # whole points: templates print it as is (a float would print with a decimal comma)
    width: int
    height: int
    through: date | None = None  # the last day counted in the running month

    @property
    def first(self) -> Bar | None:
        return self.bars[0] if self.bars else None

    @property
    def last(self) -> Bar | None:
        return self.bars[-1] if self.bars else None

    @property
    def label_chars(self) -> int:
        """How many characters of 12 px text fit under one bar (for labels under each bar)."""
        narrowest = min((bar.width for bar in self.bars), default=0)
        return max(int(narrowest / 7), 3)

    @property
    def has_partial(self) -> bool:
        return any(bar.partial for bar in self.bars)


def value_axis(highest: float, height: float, most: int = 5) -> tuple[int, list[Tick]]:
    """A scale from 0 to a round top at or above `highest`, in whole steps of 1, 2 or 5 × 10^k, with at
    most `most` steps; returns the top and a tick per step (counts: whole numbers only)."""
    highest = max(highest, 0)
    if highest <= 0:
        return 1, [Tick(0, height), Tick(1, 0.0)]
    step = 1
    while True:
        for factor in (1, 2, 5):
            candidate = factor * step
            if math.ceil(highest / candidate) <= most:
                top = candidate * math.ceil(highest / candidate)
                return top, [
                    Tick(value, height - height * value / top) for value in range(0, top + 1, candidate)
                ]
        step *= 10


def from_first_data(series: list[tuple[str, int]]) -> list[tuple[str, int]]:
    """The series from its first non-zero value on (a chart is not half empty before the data begins);
    an all-zero series is kept whole."""
    for index, (_label, value) in enumerate(series):
        if value:
            return series[index:]
    return series


def axis_bar_chart(
    series: list[tuple[str, int]],
    width: int = 720,
    height: int = 200,
    left: int = 44,
    gap: float = 2.0,
    running: str | None = None,
    through: date | None = None,
) -> BarChart:
    """Bars with a value axis. The bar labelled `running` (the running month) is marked partial."""
    top, ticks = value_axis(max((value for _label, value in series), default=0), height)
    slot = (width - left) / max(len(series), 1)
    bars = []
    for index, (label, value) in enumerate(series):
        bar_height = height * value / top
        bars.append(
            Bar(
                label,
                value,
                left + index * slot + gap / 2,
                height - bar_height,
                max(slot - gap, 1),
                bar_height,
                partial=running is not None and label == running,
            )
        )
    return BarChart(bars, ticks, top, left, width, height, through if running else None)


@dataclass(frozen=True)
class TimelineMark:
    key: object
    lane: int
    x: float
    y: float
    kind: str


def timeline(
    events: list[tuple[object, object, str, str]],
    start,
    end,
    width: int = 760,
    lane_height: int = 28,
    left: int = 160,
) -> tuple[list[str], list[TimelineMark]]:
    """Events (key, date, lane label, kind) placed on a horizontal time axis, one lane per label.

    Returns the lane labels in order of first appearance and the marks; x runs from `left` to `width`.
    """
    lanes: list[str] = []
    marks = []
    span = max((end - start).total_seconds(), 1.0)
    for key, when, lane, kind in sorted(events, key=lambda event: event[1]):
        if lane not in lanes:
            lanes.append(lane)
        fraction = min(max((when - start).total_seconds() / span, 0.0), 1.0)
        index = lanes.index(lane)
        marks.append(
            TimelineMark(key, index, left + fraction * (width - left), (index + 0.5) * lane_height, kind)
        )
    return lanes, marks


@dataclass(frozen=True)
class ImpactChart:
    """Observed counts as bars, model lines as SVG polyline point strings, and the start marker."""

    bars: list[Bar]
    fitted: str  # "x,y x,y ..." for <polyline points>
    counterfactual: str  # from the start on only
    start_x: float | None
    top: float
    clipped: bool = False  # the counterfactual line leaves the chart and is cut at its top edge


# The scale follows the observed counts and the fitted line; a counterfactual that runs away (a steep
# pre-start trend carried forward) is cut at this multiple of them instead of flattening everything else.
COUNTERFACTUAL_HEADROOM = 2.0


def impact_chart(
    observed: list[tuple[str, int]],
    fitted: list[float],
    counterfactual: list[float | None],
    width: int = 720,
    height: int = 200,
    gap: float = 2.0,
) -> ImpactChart:
    """Bars of the monthly counts with the fitted line and the counterfactual (no-change) line over them,
    all on one scale; each line point sits in the middle of its month's bar."""
    if not observed:
        return ImpactChart([], "", "", None, 0)
    values = [value for _label, value in observed]
    shown = max([*values, *fitted]) or 1
    highest = max([*values, *fitted, *(v for v in counterfactual if v is not None)]) or 1
    top = min(highest, shown * COUNTERFACTUAL_HEADROOM)
    clipped = highest > top
    counterfactual = [None if value is None else min(value, top) for value in counterfactual]
    slot = width / len(observed)
    bars = [
        Bar(
            label,
            value,
            i * slot + gap / 2,
            height - height * value / top,
            max(slot - gap, 1),
            height * value / top,
        )
        for i, (label, value) in enumerate(observed)
    ]

    def points(series) -> str:
        return " ".join(
            f"{i * slot + slot / 2:.1f},{height - height * value / top:.1f}"
            for i, value in enumerate(series)
            if value is not None
        )

    first = next((i for i, value in enumerate(counterfactual) if value is not None), None)
    return ImpactChart(
        bars, points(fitted), points(counterfactual), None if first is None else first * slot, top, clipped
    )
