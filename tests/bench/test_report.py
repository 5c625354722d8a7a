from gvi.bench.report import bar_chart


def test_bar_chart_scales_bars_and_marks_the_target():
    chart = bar_chart([("floor", 1.0), ("page", 8.0)], width=16, target=4.0).splitlines()
    assert chart[0].startswith("floor ##") and chart[0].endswith("1.0x")
    assert "|" in chart[0] and chart[1].count("#") == 16
