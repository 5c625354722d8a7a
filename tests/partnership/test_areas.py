"""The site's list of areas: kept by the coordinator, matched by name or alias, never deleted in use."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from gvi.evaluation.models import SurveyValue
from gvi.incidents.forms import IncidentForm
from gvi.partnership import services
from gvi.partnership.models import Area, Role
from gvi.partnership.selectors import AreaMatcher
from tests.factories import IncidentFactory, site_area, verified_login


@pytest.fixture
def coordinator(world):
    return world.users[Role.COORDINATOR]


@pytest.mark.django_db
def test_the_coordinator_adds_an_area_and_its_name_and_aliases_are_normalised(world, coordinator):
    area = services.create_area(
        coordinator, world.site_a, "  Norra\u00a0 Hamnen ", ["N. Hamnen", "Hamnen norr"], code="NH"
    )
    assert (area.name, area.key, area.code) == ("Norra Hamnen", "norra hamnen", "NH")
    matcher = AreaMatcher(world.site_a.pk)
    assert matcher.match("NORRA HAMNEN") == area
    assert matcher.match("hamnen  NORR") == area
    assert matcher.match("Norra Hamn") is None
    assert AreaMatcher(world.site_b.pk).match("Norra Hamnen") is None  # another site's list
    assert area.history.count() == 1 and area.history.first().history_user == coordinator


@pytest.mark.django_db
def test_a_name_or_alias_another_area_is_known_by_is_refused(world, coordinator):
    with pytest.raises(ValidationError) as same_name:
        services.create_area(coordinator, world.site_a, "centrum")
    assert "Centrum heter redan så" in str(same_name.value)
    with pytest.raises(ValidationError) as same_alias:
        services.create_area(coordinator, world.site_a, "Stadskärnan", ["CENTRUM"])
    assert "aliases" in same_alias.value.message_dict
    # names are unique per site only: both test sites have their own Centrum
    assert Area.objects.filter(key="centrum").count() == 2


@pytest.mark.django_db
def test_only_the_sites_coordinator_keeps_its_areas(world, coordinator):
    for role in (Role.ANALYST, Role.CASEWORKER, Role.STEERING_MEMBER, Role.ADMINISTRATOR):
        with pytest.raises(PermissionDenied):
            services.create_area(world.users[role], world.site_a, "Nytt område")
    with pytest.raises(PermissionDenied):
        services.create_area(coordinator, world.site_b, "Nytt område")  # not their site
    assert not Area.objects.filter(name="Nytt område").exists()


@pytest.mark.django_db
def test_a_rename_keeps_the_old_name_as_alias_and_moves_the_survey_series(world, coordinator):
    area = site_area(world.site_a, "Hamnen")
    SurveyValue.objects.create(
        site=world.site_a, area="Hamnen", year=2025, indicator="Otrygg", value=30, source="NTU"
    )
    renamed = services.update_area(coordinator, area, "Hamnområdet", ["Kajen"])
    assert renamed.name == "Hamnområdet" and renamed.aliases == ["Kajen", "Hamnen"]
    assert AreaMatcher(world.site_a.pk).match("hamnen") == renamed  # old files still match
    assert SurveyValue.objects.get(site=world.site_a).area == "Hamnområdet"


@pytest.mark.django_db
def test_an_area_in_use_is_deactivated_not_deleted(world, coordinator):
    used = site_area(world.site_a, "Centrum")
    assert used.incidents.exists()
    with pytest.raises(ValidationError, match="kan inte tas bort"):
        services.delete_area(coordinator, used)
    services.set_area_active(coordinator, used, False)
    used.refresh_from_db()
    assert not used.is_active and used.incidents.exists()
    assert AreaMatcher(world.site_a.pk).match("Centrum") is None  # no longer accepted
    unused = services.create_area(coordinator, world.site_a, "Felskrivet")
    services.delete_area(coordinator, unused)
    assert not Area.objects.filter(pk=unused.pk).exists()


@pytest.mark.django_db
def test_the_incident_form_offers_the_sites_active_areas_and_keeps_an_incidents_own(world, coordinator):
    services.set_area_active(coordinator, site_area(world.site_a, "Torget"), False)
    offered = {area.name for area in IncidentForm(site_id=world.site_a.pk).fields["area"].queryset}
    assert offered == {"Centrum", "Hamnen"}
    incident = IncidentFactory(site=world.site_a, owner=world.orgs[("a", "police")], area="Torget")
    kept = {area.name for area in IncidentForm(instance=incident).fields["area"].queryset}
    assert kept == {"Centrum", "Hamnen", "Torget"}


def test_outlines_are_lat_lon_pairs_or_a_geojson_polygon():
    assert services.parse_outline("") is None
    assert services.parse_outline("[[59.27, 15.2], [59.28, 15.21], [59.27, 15.22]]") == [
        [59.27, 15.2],
        [59.28, 15.21],
        [59.27, 15.22],
    ]
    geojson = {
        "type": "Polygon",
        "coordinates": [[[15.2, 59.27], [15.21, 59.28], [15.22, 59.27], [15.2, 59.27]]],
    }
    assert services.parse_outline(json.dumps(geojson)) == [[59.27, 15.2], [59.28, 15.21], [59.27, 15.22]]
    for bad in ("[[59.27, 15.2], [59.28, 15.21]]", "[[95, 15], [59, 15], [59, 16]]", "inte json", '{"a": 1}'):
        with pytest.raises(ValidationError):
            services.parse_outline(bad)


@pytest.mark.django_db
def test_the_areas_page_lists_adds_renames_and_deactivates(world, coordinator):
    client = verified_login(Client(), coordinator)
    url = reverse("partnership:area_list")
    page = client.get(url).content.decode()
    assert "Centrum" in page and "Hamnen" in page and "Lägg till ett område" in page
    added = client.post(
        url,
        {
            "plats": "a",
            "name": "Västra staden",
            "aliases": "Väster\nVästra",
            "outline": "[[59.1, 15.1], [59.2, 15.1], [59.2, 15.2]]",
        },
    )
    assert added.status_code == 302
    area = Area.objects.get(site=world.site_a, name="Västra staden")
    assert area.aliases == ["Väster", "Västra"] and area.outline == [[59.1, 15.1], [59.2, 15.1], [59.2, 15.2]]
    duplicate = client.post(url, {"plats": "a", "name": "väster"})
    assert duplicate.status_code == 200 and "Västra staden heter redan så" in duplicate.content.decode()
    bad_outline = client.post(url, {"plats": "a", "name": "Öster", "outline": "[[1, 2]]"})
    assert "Konturen ska vara en lista" in bad_outline.content.decode()
    edit = reverse("partnership:area_edit", args=[area.pk])
    assert (
        client.post(edit, {"action": "save", "name": "Västerstaden", "aliases": "Väster"}).status_code == 302
    )
    area.refresh_from_db()
    assert area.name == "Västerstaden" and "Västra staden" in area.aliases and area.outline is None
    centrum = site_area(world.site_a, "Centrum")
    page = client.get(reverse("partnership:area_edit", args=[centrum.pk])).content.decode()
    assert "kan inte tas bort, bara inaktiveras" in page and 'value="delete"' not in page
    client.post(reverse("partnership:area_edit", args=[centrum.pk]), {"action": "deactivate"})
    centrum.refresh_from_db()
    assert not centrum.is_active
    refused = client.post(reverse("partnership:area_edit", args=[centrum.pk]), {"action": "delete"})
    assert refused.status_code == 302 and Area.objects.filter(pk=centrum.pk).exists()
