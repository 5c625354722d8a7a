"""The impact chart keeps the observed counts readable when the counterfactual runs away."""

from gvi.analysis.charts import COUNTERFACTUAL_HEADROOM, impact_chart


def test_scale_follows_the_data_and_a_runaway_counterfactual_is_cut():
    observed = [("2025-01", 4), ("2025-02", 6), ("2025-03", 2), ("2025-04", 3)]
    fitted = [4.5, 5.0, 2.5, 2.8]
    chart = impact_chart(observed, fitted, [None, None, 10.0, 100.0], height=200)
    assert chart.clipped and chart.top == 6 * COUNTERFACTUAL_HEADROOM
    tallest = max(chart.bars, key=lambda bar: bar.value)
    assert tallest.height == 200 * 6 / chart.top  # the highest bar still fills half the chart
    heights = [float(point.split(",")[1]) for point in chart.counterfactual.split()]
    assert heights == [round(200 - 200 * 10 / 12, 1), 0.0]  # 100 is drawn at the top edge


def test_a_counterfactual_within_reach_sets_the_scale_unclipped():
    chart = impact_chart([("2025-01", 4), ("2025-02", 6)], [4.0, 5.0], [None, 9.0])
    assert not chart.clipped and chart.top == 9.0
