"""Bar chart geometry: a value axis in round steps, the series from its first data, the running month."""

from datetime import date

import pytest

from gvi.analysis.charts import axis_bar_chart, from_first_data, value_axis


@pytest.mark.parametrize(
    ("highest", "top", "values"),
    [
        (0, 1, [0, 1]),
        (1, 1, [0, 1]),
        (3, 3, [0, 1, 2, 3]),
        (7, 8, [0, 2, 4, 6, 8]),
        (14, 15, [0, 5, 10, 15]),
        (23, 25, [0, 5, 10, 15, 20, 25]),
        (61, 80, [0, 20, 40, 60, 80]),
        (1234, 1500, [0, 500, 1000, 1500]),
    ],
)
def test_value_axis_runs_in_round_steps_to_a_top_at_or_above_the_highest_value(highest, top, values):
    got_top, ticks = value_axis(highest, 200)
    assert got_top == top and [tick.value for tick in ticks] == values
    assert ticks[0].y == 200 and ticks[-1].y == 0  # 0 at the bottom, the top at the top of the plot


def test_the_series_starts_at_its_first_month_with_data():
    series = [("2025-01", 0), ("2025-02", 0), ("2025-03", 2), ("2025-04", 0), ("2025-05", 1)]
    assert from_first_data(series) == series[2:]  # a zero after the first data stays
    empty = [("2025-01", 0), ("2025-02", 0)]
    assert from_first_data(empty) == empty


def test_bars_sit_right_of_the_value_axis_on_its_scale_and_the_running_month_is_partial():
    series = [("2026-01", 7), ("2026-02", 4), ("2026-03", 1)]
    chart = axis_bar_chart(
        series, width=720, height=200, left=44, running="2026-03", through=date(2026, 3, 2)
    )
    assert chart.top == 8 and chart.left == 44
    assert all(44 <= bar.x and bar.x + bar.width <= 720 for bar in chart.bars)
    tallest = chart.bars[0]
    assert tallest.height == pytest.approx(200 * 7 / 8) and tallest.y + tallest.height == pytest.approx(200)
    assert [bar.partial for bar in chart.bars] == [False, False, True]
    assert chart.has_partial and chart.through == date(2026, 3, 2)
    # Without a running month (areas) nothing is partial and no day is named.
    areas = axis_bar_chart([("Centrum", 3), ("Norr", 1)])
    assert not areas.has_partial and areas.through is None and [t.value for t in areas.ticks] == [0, 1, 2, 3]
