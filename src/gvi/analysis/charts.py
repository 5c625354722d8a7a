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
