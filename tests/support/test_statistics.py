"""Aggregates of the offer of help: help uptake for reach figures, the partnership's site figures and the
national table. Exact values on small fixtures; small counts suppressed outside the owner."""

from datetime import date, timedelta

import pytest
from django.utils import timezone

from gvi.partnership.models import Organisation
from gvi.support.models import SupportCase
from gvi.support.selectors import help_uptake, national_support_table
from gvi.support.statistics import site_figures, suppress_breakdown
from tests.factories import PersonFactory
from tests.support.factories import SupportCaseFactory

MUNICIPALITY = Organisation.Type.MUNICIPALITY


def test_breakdown_suppression_protects_a_lone_small_cell():
    assert suppress_breakdown([0, 7, 12], 19) == ([0, 7, 12], 19)
    # one small cell: the next smallest published cell is hidden too, so 3 cannot be derived from 22
    assert suppress_breakdown([3, 7, 12], 22) == ([None, None, 12], 22)
    assert suppress_breakdown([3, 2, 12], 17) == ([None, None, 12], 17)
    assert suppress_breakdown([3, 0, 0], 3) == ([None, 0, 0], None)


@pytest.fixture
def site(world):
    SupportCase.unscoped_all_sites.all().delete()
    return world.site_a


def _case(world, person=None, requested=None, first=None, **extra):
    return SupportCaseFactory(
        site=world.site_a,
        owner=world.orgs[("a", MUNICIPALITY)],
        person=person,
        intake_route=extra.pop("intake_route", "call_in"),
        requested_at=requested,
        first_contact_date=first,
        status=extra.pop("status", "active" if first else "requested"),
        **extra,
    )


@pytest.mark.django_db
def test_help_uptake_counts_requests_on_or_after_the_communication(world, site):
    today = timezone.localdate()
    reached = today - timedelta(days=60)
    persons = [PersonFactory(site=site, owner=world.orgs[("a", Organisation.Type.POLICE)]) for _ in range(10)]
    delays = [2, 4, 6, 8, 10, 30]  # days from the communication to first contact
    for person, delay in zip(persons, delays, strict=False):
        _case(world, person, requested=reached + timedelta(days=1), first=reached + timedelta(days=delay))
    _case(world, persons[6], requested=reached + timedelta(days=3))  # asked, no contact yet
    _case(
        world, persons[7], requested=reached - timedelta(days=10), first=reached - timedelta(days=9)
    )  # before
    # a second, later case of an already counted person does not count twice, and its earlier contact wins
    _case(world, persons[0], requested=reached + timedelta(days=20), first=reached + timedelta(days=21))
    contacted_on = {p.pk: reached for p in persons}
    result = help_uptake([p.pk for p in persons], contacted_on)
    assert result == {
        "persons": 10,
        "asked_for_help": 7,
        "with_first_contact": 6,
        "median_days_to_first_contact": 7.0,
    }
    assert all(not isinstance(value, list | dict) for value in result.values())


@pytest.mark.django_db
def test_help_uptake_suppresses_what_would_reveal_a_person(world, site):
    today = timezone.localdate()
    persons = [PersonFactory(site=site, owner=world.orgs[("a", Organisation.Type.POLICE)]) for _ in range(6)]
    _case(world, persons[0], requested=today - timedelta(days=5), first=today - timedelta(days=2))
    contacted = {p.pk: today - timedelta(days=10) for p in persons}
    small = help_uptake([p.pk for p in persons], contacted)
    assert small == {
        "persons": 6,
        "asked_for_help": None,
        "with_first_contact": None,
        "median_days_to_first_contact": None,
    }
    for person in persons[1:]:
        _case(world, person, requested=today - timedelta(days=5), first=today - timedelta(days=4))
    everyone = help_uptake([p.pk for p in persons], contacted)
    assert everyone["asked_for_help"] is None  # all six: would say each of them has a support case
    assert everyone["median_days_to_first_contact"] == 6.0
    assert help_uptake([], {}) == {
        "persons": 0,
        "asked_for_help": 0,
        "with_first_contact": 0,
        "median_days_to_first_contact": None,
    }
    # persons without a communication date are not counted
    assert help_uptake([persons[0].pk], {})["asked_for_help"] == 0


@pytest.mark.django_db
def test_site_figures_exact_for_the_owner_and_suppressed_for_others(world, site):
    today = date(2026, 6, 15)
    for day, first in [(1, 3), (2, 2), (5, None), (10, 20), (12, 13), (14, 15), (20, None)]:
        _case(
            world,
            requested=date(2026, 6, day) if day <= 15 else date(2026, 5, day),
            first=(date(2026, 6, first) if day <= 15 else date(2026, 5, first)) if first else None,
            intake_route="hotline" if day < 10 else "call_in",
        )
    _case(
        world,
        requested=date(2026, 1, 10),
        first=date(2026, 1, 12),
        status="completed",
        closed_on=date(2026, 5, 30),
        closing_reason="Klar",
    )
    exact = site_figures(site, suppressed=False, today=today)
    assert exact.requests == 8
    assert dict(exact.months)["2026-06"] == 6 and dict(exact.months)["2026-05"] == 1
    assert dict(exact.months)["2026-01"] == 1
    assert exact.open_cases == 7 and exact.awaiting_first_contact == 2
    assert exact.closed == 1 and dict(exact.outcomes)["Avslutat – har lämnat den kriminella livsstilen"] == 1
    # delays: 2, 0, 10, 1, 1 (June) and 2 (January) -> median 1.5 over six cases
    assert exact.median_days == 1.5 and exact.median_cases == 6

    hidden = site_figures(site, suppressed=True, today=today)
    assert hidden.requests == 8 and hidden.open_cases == 7
    assert hidden.awaiting_first_contact is None and hidden.closed is None
    assert dict(hidden.months)["2026-06"] == 6  # 6 published ...
    assert dict(hidden.months)["2026-05"] is None and dict(hidden.months)["2026-01"] is None
    assert hidden.median_days == 1.5 and hidden.median_cases == 6  # six cases: enough for a median
    routes = dict(hidden.routes)
    assert routes["Stödlinjen"] is None and routes["Stormöte (call-in)"] is None  # 3 and 5: secondary
    assert [value for _label, value in hidden.outcomes] == [None, 0, 0, 0, 0]


@pytest.mark.django_db
def test_the_monthly_chart_has_a_value_axis_and_marks_the_running_month(world, site, client, time_machine):
    from django.urls import reverse

    from gvi.partnership.models import Role
    from tests.clock import local_moment
    from tests.factories import verified_login

    SupportCase.unscoped_all_sites.filter(site=site).delete()
    for day in (1, 2, 3, 4, 5, 6):
        _case(world, requested=date(2026, 6, day))
    _case(world, requested=date(2026, 5, 3))
    figures = site_figures(site, suppressed=False, today=date(2026, 6, 15))
    chart = figures.chart
    assert [tick.value for tick in chart.ticks] == [0, 2, 4, 6]  # whole steps up to a round top
    assert [bar.partial for bar in chart.bars] == [False] * 11 + [True]
    assert chart.bars[-1].label == "2026-06" and chart.bars[-1].height == pytest.approx(chart.height)
    assert chart.through == date(2026, 6, 15)
    # Outside the owner May's single request reads "1–4" and has no bar.
    hidden = site_figures(site, suppressed=True, today=date(2026, 6, 15))
    may = hidden.bars[-2]
    assert may["suppressed"] and may["bar"].height == 0

    time_machine.move_to(local_moment(date(2026, 6, 15)))
    verified_login(client, world.users[Role.COORDINATOR])
    html = client.get(reverse("support:statistics")).content.decode()
    assert 'class="bar-partial"' in html and "räknad till och med 15 juni" in html
    assert 'class="tick-label"' in html and "2026-06 (pågående månad)" in html
    assert "<title>2026-05: 1</title>" in html and "Dolda månader saknar stapel." not in html
    verified_login(client, world.users[Role.ANALYST])  # the police: the cases are not its own
    html = client.get(reverse("support:statistics")).content.decode()
    assert "Dolda månader saknar stapel." in html and "<title>2026-05: 1–4</title>" in html


@pytest.mark.django_db
def test_national_table_is_suppressed_per_site_and_year(world, site):
    for n in range(6):
        _case(world, requested=date(2025, 3, 1 + n), first=date(2025, 3, 2 + n * 2))
    _case(
        world,
        requested=date(2025, 4, 1),
        first=date(2025, 4, 2),
        status="completed",
        closed_on=date(2025, 9, 1),
        closing_reason="Klar",
    )
    SupportCaseFactory(
        site=world.site_b, owner=world.orgs[("b", MUNICIPALITY)], requested_at=date(2025, 5, 1)
    )
    rows = national_support_table()
    assert [(row["site"], row["year"]) for row in rows] == [("Ort A", 2025), ("Ort B", 2025)]
    site_a, site_b = rows
    assert site_a["requests"] == 7 and site_a["first_contacts"] == 7
    assert site_a["closed"] is None and site_a["completed"] is None
    assert site_a["median_days_to_first_contact"] == 3.0  # delays 1, 2, 3, 4, 5, 6, 1
    assert site_b["requests"] is None and site_b["first_contacts"] is None
    assert site_b["median_days_to_first_contact"] is None
    assert set(site_a) == {
        "site",
        "year",
        "requests",
        "first_contacts",
        "closed",
        "completed",
        "median_days_to_first_contact",
    }
