"""Incident pages: registration, filters, coding, timeline and map (no external tiles by default)."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.incidents.models import Incident, Involvement
from gvi.partnership.models import Role
from tests.factories import GroupFactory, IncidentFactory, site_area, verified_login


@pytest.fixture
def analyst(world):
    return verified_login(Client(), world.users[Role.ANALYST])


@pytest.mark.django_db
def test_register_an_incident_with_validation(analyst, world):
    url = reverse("incidents:incident_create")
    bad = analyst.post(
        url,
        {
            "type": "explosion",
            "confirmed_shooting": "on",
            "occurred_at": "2026-02-01T22:15",
            "latitude": "59.3",
        },
    )
    html = bad.content.decode()
    assert "Endast skjutningar kan vara konstaterade skjutningar." in html
    assert "Ange både latitud och longitud" in html
    good = analyst.post(
        url,
        {
            "type": "shooting",
            "confirmed_shooting": "on",
            "occurred_at": "2026-02-01T22:15",
            "area": site_area(world.site_a, "Centrum").pk,
            "dead": 0,
            "injured": 1,
            "status": "new",
        },
    )
    incident = Incident.unscoped_all_sites.get(area__name="Centrum", type="shooting", confirmed_shooting=True)
    assert good.status_code == 302 and good.url == f"/incidenter/{incident.pk}/"
    assert (incident.site, incident.owner) == (world.site_a, world.orgs[("a", "police")])


@pytest.mark.django_db
def test_filters_by_period_type_area_and_group(analyst, world):
    police = world.orgs[("a", "police")]
    kw = {"site": world.site_a, "owner": police}
    group = GroupFactory(name="Filtergruppen", **kw)
    old = IncidentFactory(occurred_at=timezone.now() - timedelta(days=400), area="Hamnen", **kw)
    new = IncidentFactory(type="explosion", area="Torget", **kw)
    Involvement.unscoped_all_sites.create(incident=new, group=group, role="suspect", confidence="low", **kw)

    def listed(query):
        html = analyst.get(reverse("incidents:incident_list") + query).content.decode()
        return {i.pk for i in (old, new) if f"/incidenter/{i.pk}/" in html}

    assert listed("") == {old.pk, new.pk}
    since = (timezone.localdate() - timedelta(days=30)).isoformat()
    assert listed(f"?fran={since}") == {new.pk}
    assert listed("?typ=explosion") == {new.pk}
    assert listed("?omrade=hamn") == {old.pk}
    assert listed(f"?grupp={group.pk}") == {new.pk}
    assert listed("?fran=not-a-date&typ=bogus") == {old.pk, new.pk}


@pytest.mark.django_db
def test_coding_involvement_from_the_incident_page(analyst, world):
    incident = world.record("incident", Role.ANALYST, "own")
    group = world.record("group", Role.ANALYST, "own")
    page = analyst.get(reverse("incidents:incident_detail", args=[incident.pk])).content.decode()
    assert "Koda inblandning" in page
    response = analyst.post(
        reverse("incidents:involvement_create", args=[incident.pk]),
        {"group": group.pk, "role": "suspect", "member_status": "confirmed", "confidence": "high"},
    )
    assert response.status_code == 302
    assert Involvement.unscoped_all_sites.filter(
        incident=incident, group=group, member_status="confirmed"
    ).exists()
    empty = analyst.post(
        reverse("incidents:involvement_create", args=[incident.pk]), {"role": "suspect", "confidence": "high"}
    )
    assert "Ange en grupp, en person eller båda." in empty.content.decode()


@pytest.mark.django_db
def test_timeline_draws_one_lane_per_group_and_a_table(analyst, world):
    incident = world.record("incident", Role.ANALYST, "own")
    html = analyst.get(reverse("incidents:timeline")).content.decode()
    assert "<svg" in html and world.record("group", Role.ANALYST, "own").name in html
    assert f"/incidenter/{incident.pk}/" in html and "Visa som tabell" in html


@pytest.mark.django_db
def test_map_uses_no_external_tiles_by_default(analyst, world, settings):
    incident = world.record("incident", Role.ANALYST, "own")
    Incident.unscoped_all_sites.filter(pk=incident.pk).update(
        latitude=Decimal("59.274"), longitude=Decimal("15.207")
    )
    other_site = world.record("incident", Role.ANALYST, "other_site")
    Incident.unscoped_all_sites.filter(pk=other_site.pk).update(
        latitude=Decimal("59.3"), longitude=Decimal("15.3")
    )
    html = analyst.get(reverse("incidents:map")).content.decode()
    assert "<circle" in html and f"/incidenter/{incident.pk}/" in html
    assert f"/incidenter/{other_site.pk}/" not in html
    assert "<image" not in html and "http" not in html.split("<svg", 1)[1].split("</svg>", 1)[0]
    assert "saknar koordinater" in html  # the other own-site incidents have none


@pytest.mark.django_db
def test_map_with_a_configured_tile_server(analyst, world, settings):
    settings.GVI_MAP_TILE_URL = "https://kartor.example.se/{z}/{x}/{y}.png"
    incident = world.record("incident", Role.ANALYST, "own")
    Incident.unscoped_all_sites.filter(pk=incident.pk).update(
        latitude=Decimal("59.274"), longitude=Decimal("15.207")
    )
    html = analyst.get(reverse("incidents:map")).content.decode()
    assert '<image href="https://kartor.example.se/16/' in html
