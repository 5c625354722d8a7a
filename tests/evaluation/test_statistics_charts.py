"""The statistics page's charts at fixed dates: value axis, start at the first data, the running month."""

import re
from datetime import date, time

import pytest
from django.urls import reverse

from gvi.partnership.models import Role
from tests.clock import add_months, local_moment
from tests.factories import (
    IncidentFactory,
    MembershipFactory,
    OrganisationFactory,
    SiteFactory,
    verified_login,
)


def _page(client, site):
    membership = MembershipFactory(site=site, role=Role.STEERING_MEMBER, organisation=OrganisationFactory())
    response = verified_login(client, membership.user).get(reverse("evaluation:site_statistics"))
    assert response.status_code == 200
    return response


def _svg(html: str, chart_id: str) -> str:
    match = re.search(rf'<svg[^>]*aria-labelledby="chart-title-{chart_id}[^"]*".*?</svg>', html, re.S)
    assert match, f"no chart {chart_id}"
    return match.group(0)


@pytest.fixture
def site(db):
    return SiteFactory()


def _incidents(site, first_month: date, months: int, per_month: int = 3, area: str = "Centrum"):
    police = OrganisationFactory()
    for offset in range(months):
        day = add_months(first_month, offset).replace(day=10)
        for _n in range(per_month):
            IncidentFactory(site=site, owner=police, occurred_at=local_moment(day), area=area)


def test_on_the_first_day_of_a_month_the_new_month_is_drawn_as_running_not_as_a_low_month(
    client, site, time_machine
):
    # 00:30 on 1 March in Stockholm is still 28 February in UTC: the running month is March.
    time_machine.move_to(local_moment(date(2026, 3, 1), time(0, 30)))
    _incidents(site, date(2025, 3, 1), 12)  # March 2025 – February 2026, three a month
    response = _page(client, site)
    chart = response.context["chart"]
    assert chart.last.label == "2026-03" and chart.last.partial and chart.last.value == 0
    assert [bar.label for bar in chart.bars if bar.partial] == ["2026-03"]
    assert chart.through == date(2026, 3, 1)
    html = response.content.decode()
    svg = _svg(html, "serious")
    assert svg.count('class="bar-partial"') == 1 and 'fill="url(#hatch-serious)"' in svg
    assert '<pattern id="hatch-serious"' in svg and "<desc" in svg
    assert "pågående månad, räknad till och med 1 mars." in html  # the legend
    # The table alternative says it too.
    assert re.search(r"<th scope=\"row\">2026-03 \(pågående månad\)</th><td>0</td>", html)
    assert "style=" not in svg  # CSP: styled by class only
    # Coordinates are written with a decimal point whatever the interface language ("44,0" breaks SVG).
    assert not re.search(r'\b(?:x|y|x1|x2|y1|y2|width|height)="[^"]*,', svg)


def test_the_60_month_chart_starts_at_the_first_month_with_data(client, site, time_machine):
    time_machine.move_to(local_moment(date(2026, 11, 17)))
    _incidents(site, date(2025, 6, 1), 5)  # June – October 2025; nothing before
    _incidents(site, date(2026, 10, 1), 1, per_month=2)
    response = _page(client, site)
    chart, group = response.context["chart"], response.context["group_chart"]
    assert chart.first.label == "2025-06" and chart.last.label == "2026-11"
    assert len(chart.bars) == 18  # June 2025 – November 2026, not 60 months of which 42 are empty
    assert [bar.label for bar in group.bars] == [bar.label for bar in chart.bars]  # one time axis
    assert [bar.value for bar in chart.bars][:5] == [3] * 5 and chart.bars[5].value == 0
    rows = re.findall(
        r"<th scope=\"row\">(\d{4}-\d\d)[^<]*</th>", _table_after(response.content.decode(), "serious")
    )
    assert rows[0] == "2025-06" and len(rows) == 18


def _table_after(html: str, chart_id: str) -> str:
    start = html.index(f'id="chart-title-{chart_id}"')
    return html[start : html.index("</table>", start)]


def test_area_bars_have_a_value_axis_with_ticks_and_labels(client, site, time_machine):
    time_machine.move_to(local_moment(date(2026, 11, 17)))
    _incidents(site, date(2026, 1, 1), 7, per_month=1, area="Centrum")  # 7 in the last 12 months
    _incidents(site, date(2026, 1, 1), 2, per_month=1, area="Norr")
    response = _page(client, site)
    svg = _svg(response.content.decode(), "areas")
    labels = re.findall(r'<text class="tick-label"[^>]*>([^<]+)</text>', svg)
    assert labels == ["0", "2", "4", "6", "8"]
    assert svg.count('class="grid"') == 4 and "<desc" in svg
    chart = response.context["area_chart"]
    assert [(bar.label, bar.value) for bar in chart.bars] == [("Centrum", 7), ("Norr", 2)]
    assert chart.bars[0].height == pytest.approx(chart.height * 7 / 8)
    assert not chart.has_partial
    # Each bar is named under it (the table beside it has the figures).
    assert re.findall(r'<text class="axis-label"[^>]*aria-hidden="true">([^<]+)</text>', svg) == [
        "Centrum",
        "Norr",
    ]


def test_the_impact_model_leaves_the_running_month_out(db, client, time_machine):
    """Two days into March, March's count is not a month's count: the model and its chart end in February."""
    time_machine.move_to(local_moment(date(2026, 3, 2)))
    site = SiteFactory(gvi_start_date=date(2025, 3, 1))
    _incidents(site, date(2023, 3, 1), 24, per_month=4)  # before the start
    _incidents(site, date(2025, 3, 1), 12, per_month=2)  # March 2025 – February 2026
    response = _page(client, site)
    impact, points = response.context["impact"], response.context["impact_points"]
    assert impact.result is not None and impact.result.months_after == 12
    assert points[-1].month == "2026-02" and len(points) == 36
    assert response.context["chart"].last.label == "2026-03"  # the bar chart still shows it, hatched
    assert "modellen räknar bara hela månader" in response.content.decode()
