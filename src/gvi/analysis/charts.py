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
