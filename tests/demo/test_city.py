"""The demo city loads completely, deterministically and only once."""

import re
from datetime import date

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models.functions import TruncMonth
from django.utils import timezone

from gvi.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from gvi.demo.city import DemoCityExists, load_demo_city
from gvi.groups.models import Group, GroupMembership, GroupRelation, Person
from gvi.incidents.models import Incident, Involvement
from gvi.partnership.models import SITELESS_ROLES, Membership, Organisation, Role, Site
from tests.clock import local_moment

TODAY = date(2026, 3, 15)


@pytest.fixture(autouse=True)
def _on_the_demo_day(time_machine):
    """The demo is built as of TODAY, and its pages are read on that day: the clock stands there."""
    time_machine.move_to(local_moment(TODAY))


ALIAS = re.compile(r"^Person [A-Z]-\d{3}$")


@pytest.fixture
def city(db):
    return load_demo_city(seed=2026, today=TODAY)


def test_accounts_cover_every_role_once_for_exempelstad():
    roles = [
        a["role"]
        for a in DEMO_ACCOUNTS
        if a["site"] in ("exempelstad", None) and not a.get("approves_entries")
    ]
    assert sorted(roles) == sorted(Role.values)
    # Beside them, the police analysts' supervisor, so that a demo analyst's entries can be approved.
    [supervisor] = [a for a in DEMO_ACCOUNTS if a.get("approves_entries")]
    assert (supervisor["role"], supervisor["site"]) == (Role.ANALYST, "exempelstad")
    assert any(a["role"] == Role.ANALYST and a["site"] == "norrby" for a in DEMO_ACCOUNTS)
    assert all((a["site"] is None) == (a["role"] in SITELESS_ROLES) for a in DEMO_ACCOUNTS)


def test_every_demo_account_exists_with_its_membership_and_password(city):
    user_model = get_user_model()
    for account in DEMO_ACCOUNTS:
        user = user_model.objects.get(username=account["username"])
        assert user.check_password(DEMO_PASSWORD)
        assert not user.is_superuser
        membership = Membership.objects.get(user=user)
        assert membership.role == account["role"]
        assert membership.organisation.short_name == account["organisation"]
        assert (membership.site.slug if membership.site else None) == account["site"]
        membership.full_clean()
        assert Membership.objects.active().filter(pk=membership.pk).exists()  # approved, in force
    admin = user_model.objects.get(username="admin")
    # Administration is by role: no staff or superuser flag and no raw permissions.
    assert not admin.is_staff and not admin.is_superuser
    assert not admin.user_permissions.exists()
    assert Organisation.objects.get(short_name="Brå").type == Organisation.Type.NATIONAL
    assert Organisation.objects.get(short_name="Drift").type == Organisation.Type.OPERATOR


def test_both_sites_exist_with_their_partner_organisations(city):
    exempelstad = Site.objects.get(slug="exempelstad")
    assert exempelstad.name == "Exempelstad"
    assert exempelstad.municipality == "Exempelstad"
    assert 500 <= (TODAY - exempelstad.gvi_start_date).days <= 600
    assert Site.objects.filter(slug="norrby").exists()
    for site in Site.objects.all():
        types = set(site.organisations.values_list("type", flat=True))
        assert {"police", "municipality", "probation", "community"} <= types
    assert city["sites"] == 2


def test_incident_counts_and_spread_per_site(city):
    ranges = {"exempelstad": (150, 250), "norrby": (60, 100)}
    for slug, (low, high) in ranges.items():
        incidents = Incident.unscoped_all_sites.filter(site__slug=slug)
        assert low <= incidents.count() <= high
        assert city["per_site"][slug]["incidents"] == incidents.count()
        months = incidents.annotate(month=TruncMonth("occurred_at")).values("month").distinct()
        assert months.count() >= 30
        assert all(timezone.localtime(i.occurred_at).date() < TODAY for i in incidents)
    types = Incident.unscoped_all_sites.values_list("type", flat=True)
    shootings = sum(t == Incident.Type.SHOOTING for t in types)
    assert shootings == max(sum(t == kind for t in types) for kind in Incident.Type.values)
    assert (
        not Incident.unscoped_all_sites.exclude(type=Incident.Type.SHOOTING)
        .filter(confirmed_shooting=True)
        .exists()
    )
    assert Incident.unscoped_all_sites.filter(dead__gt=0).count() < Incident.unscoped_all_sites.count() * 0.15


def test_violence_declines_after_gvi_start(city):
    site = Site.objects.get(slug="exempelstad")
    start = site.gvi_start_date
    before = Incident.unscoped_all_sites.filter(site=site, occurred_at__date__lt=start)
    after = Incident.unscoped_all_sites.filter(site=site, occurred_at__date__gte=start)
    days_before = (start - date(TODAY.year - 3, TODAY.month, TODAY.day)).days
    days_after = (TODAY - start).days
    assert after.count() / days_after < before.count() / days_before


def test_every_record_is_valid_and_compartmented(city):
    for model in (Person, Group, GroupMembership, GroupRelation, Involvement):
        assert model._default_manager.exists()
        for record in model._default_manager.all():
            record.full_clean()
            assert record.site_id and record.owner_id
    for incident in Incident.unscoped_all_sites.all()[:50]:
        incident.full_clean()
    for involvement in Involvement.unscoped_all_sites.select_related(
        "incident", "group", "person", "relation"
    ):
        assert involvement.incident.site_id == involvement.site_id
        if involvement.group:
            assert involvement.group.site_id == involvement.site_id
        if involvement.person:
            assert involvement.person.site_id == involvement.site_id
        if involvement.relation:
            assert involvement.relation.type == GroupRelation.Type.CONFLICT
            assert involvement.group_id in (involvement.relation.group_a_id, involvement.relation.group_b_id)


def test_persons_are_fictional_codes_with_minors_and_mixed_owners(city):
    persons = Person.unscoped_all_sites.all()
    assert 35 <= persons.filter(site__slug="exempelstad").count() <= 45
    assert 10 <= persons.filter(site__slug="norrby").count() <= 20
    aliases = list(persons.values_list("alias", flat=True))
    assert all(ALIAS.match(alias) for alias in aliases), aliases
    assert len(set(aliases)) == len(aliases)
    minors = persons.filter(is_minor=True)
    assert minors.exists()
    assert set(minors.values_list("age_band", flat=True)) <= {"u15", "15-17"}
    owner_types = set(persons.values_list("owner__type", flat=True))
    assert owner_types == {"police", "municipality", "probation"}
    assert GroupRelation.unscoped_all_sites.filter(type=GroupRelation.Type.CONFLICT).count() >= 2
    assert GroupRelation.unscoped_all_sites.filter(type=GroupRelation.Type.ALLIANCE).exists()


def test_history_is_recorded_for_bulk_created_rows(city):
    assert Incident.history.count() == Incident.unscoped_all_sites.count()
    assert Involvement.history.count() == Involvement.unscoped_all_sites.count()


def _snapshot(seed: int) -> tuple[dict, list]:
    """Load in a savepoint that is rolled back, so the next load starts from the same empty state."""
    with transaction.atomic():
        counts = load_demo_city(seed=seed, today=TODAY)
        rows = list(
            Incident.unscoped_all_sites.order_by("occurred_at", "police_reference").values_list(
                "occurred_at", "type", "area__name", "police_reference", "dead", "injured"
            )
        )
        transaction.set_rollback(True)
    return counts, rows


@pytest.mark.django_db
def test_same_seed_gives_same_data():
    first = _snapshot(7)
    assert first == _snapshot(7)
    assert first[1] != _snapshot(8)[1]
    assert not Site.objects.exists()


def test_loading_twice_refuses_and_changes_nothing(city):
    counts = {
        model: model._default_manager.count() for model in (Site, Organisation, Person, Incident, Involvement)
    }
    users = get_user_model().objects.count()
    with pytest.raises(DemoCityExists):
        load_demo_city(seed=2026, today=TODAY)
    with pytest.raises(DemoCityExists):
        load_demo_city(seed=99, today=TODAY)
    assert {model: model._default_manager.count() for model in counts} == counts
    assert get_user_model().objects.count() == users


def test_the_demo_sites_define_their_areas_with_outlines_and_every_incident_names_one(city):
    from gvi.demo.city import SITES
    from gvi.partnership.models import Area
    from gvi.partnership.selectors import AreaMatcher

    for spec in SITES:
        site = Site.objects.get(slug=spec.slug)
        areas = Area.objects.filter(site=site)
        assert sorted(areas.values_list("name", flat=True)) == sorted(spec.areas)
        assert all(area.is_active and len(area.outline) >= 3 for area in areas)
        incidents = Incident.unscoped_all_sites.filter(site=site)
        assert not incidents.filter(area__isnull=True).exists()
        assert not incidents.exclude(area__site=site).exists()
    assert AreaMatcher(Site.objects.get(slug="exempelstad").pk).match("södra").name == "Södra Exempelstad"
    assert city["areas"] == sum(len(spec.areas) for spec in SITES)
