"""The demo city gets support cases: fictional, valid, owned by social services, deterministic."""

import random
from datetime import date

import pytest

from gvi.demo.city import load_demo_city
from gvi.demo.support_cases import load_demo_support_cases
from gvi.partnership.models import Role
from gvi.support.models import CLOSED_STATUSES, SupportCase, SupportFactDisclosure
from gvi.support.selectors import facts_received, national_support_table
from tests.clock import local_moment

TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def _on_the_demo_day(time_machine):
    """The demo is built as of TODAY, and its pages are read on that day: the clock stands there."""
    time_machine.move_to(local_moment(TODAY))


@pytest.fixture
def demo(db):
    load_demo_city(seed=2026, today=TODAY)
    return load_demo_support_cases(TODAY, random.Random(2026))


def test_demo_support_cases(demo):
    assert (
        demo["support_per_site"]["exempelstad"]["cases"] == 15
        and demo["support_per_site"]["norrby"]["cases"] == 5
    )
    assert demo["support_cases"] == SupportCase.unscoped_all_sites.count() == 20
    assert demo["support_needs"] == 200 and demo["support_contacts"] > 20 and demo["support_plan_items"] > 10
    assert 2 <= demo["support_fact_disclosures"] <= 3
    for case in SupportCase.unscoped_all_sites.select_related("owner", "site"):
        assert "socialtjänsten" in case.owner.name
        case.full_clean()
    statuses = set(SupportCase.unscoped_all_sites.values_list("status", flat=True))
    assert {"active", "requested"} <= statuses and statuses & set(CLOSED_STATUSES)
    assert SupportCase.unscoped_all_sites.filter(person__isnull=False).exists()
    assert SupportCase.unscoped_all_sites.filter(person__isnull=True).exists()
    assert SupportCase.unscoped_all_sites.filter(is_minor=True).exists()
    rows = national_support_table()
    assert {row["site"] for row in rows} == {"Exempelstad", "Norrby"}


def test_demo_facts_reach_the_police_or_frivarden_only(demo):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects
    for fact in SupportFactDisclosure.unscoped_all_sites.select_related("to_organisation"):
        assert fact.to_organisation.type in ("police", "probation")
    community = users.get(username="lokalsamhalle")
    assert facts_received(community).count() == 0
    caseworker = users.get(username="socialsekreterare")
    assert SupportCase.objects.visible_to(caseworker).count() == 15
    for username in ("analytiker", "frivard", "styrgrupp", "samordnare", "analytiker2"):
        assert not SupportCase.objects.visible_to(users.get(username=username)).exists()
    assert caseworker.memberships.first().role == Role.CASEWORKER


def test_the_demo_is_deterministic(db):
    load_demo_city(seed=2026, today=TODAY)
    first = load_demo_support_cases(TODAY, random.Random(7))
    snapshot = list(
        SupportCase.unscoped_all_sites.order_by("pk").values_list("pseudonym", "status", "requested_at")
    )
    SupportCase.unscoped_all_sites.all().delete()
    second = load_demo_support_cases(TODAY, random.Random(7))
    again = list(
        SupportCase.unscoped_all_sites.order_by("pk").values_list("pseudonym", "status", "requested_at")
    )
    assert first == second and snapshot == again
