"""Geometry for simple server-rendered SVG bar charts (no script, CSP-friendly)."""

from dataclasses import dataclass


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    x: float
    y: float
    width: float
    height: float


def bar_chart(
    series: list[tuple[str, int]], width: int = 720, height: int = 200, gap: float = 2.0
) -> list[Bar]:
    if not series:
        return []
    top = max(value for _, value in series) or 1
    slot = width / len(series)
    bars = []
    for index, (label, value) in enumerate(series):
        bar_height = height * value / top
        bars.append(
            Bar(label, value, index * slot + gap / 2, height - bar_height, max(slot - gap, 1), bar_height)
        )
    return bars


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
