"""The coding form's search pickers (gvi.pickers): no select of every visible row, searches scoped by
visible_to, the no-JavaScript fallback, and posted ids still validated (issues 15 and 19)."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from gvi.access.models import AccessLog
from gvi.groups.models import Person
from gvi.incidents.models import Involvement
from gvi.partnership.models import Role
from gvi.pickers import LIMIT
from tests.factories import (
    GroupFactory,
    GroupRelationFactory,
    InvolvementFactory,
    PersonFactory,
    verified_login,
)


@pytest.fixture
def analyst(world):
    return verified_login(Client(), world.users[Role.ANALYST])


@pytest.fixture
def kalles(world):
    """Three persons named Kalle: the analyst's own (police, site A), the social services' at site A and
    the police's at site B. Only the first is visible to the police analyst."""
    police_a, social_a = world.orgs[("a", "police")], world.orgs[("a", "municipality")]
    return {
        "own": PersonFactory(site=world.site_a, owner=police_a, alias="Kalle Synlig"),
        "other_org": PersonFactory(site=world.site_a, owner=social_a, alias="Kalle Socialtjänst"),
        "other_site": PersonFactory(
            site=world.site_b, owner=world.orgs[("b", "police")], alias="Kalle Ort B"
        ),
    }


def _search(client, kind, text, site=None, **extra):
    params = {"falt": kind, f"sok_{kind}": text, **extra}
    if site is not None:
        params["plats"] = site.pk
    url = {
        "person": "incidents:pick_person",
        "group": "incidents:pick_group",
        "relation": "incidents:pick_relation",
    }
    return client.get(reverse(url[kind]), params)


def _person_reads():
    return AccessLog.objects.filter(record_type="groups.person", action=AccessLog.Action.VIEW)


@pytest.mark.django_db
def test_the_coding_form_holds_no_option_per_person_group_or_conflict(analyst, world):
    incident = world.record("incident", Role.ANALYST, "own")
    police = world.orgs[("a", "police")]
    for n in range(30):
        PersonFactory(site=world.site_a, owner=police, alias=f"Massperson {n}")
        GroupFactory(site=world.site_a, owner=police, name=f"Massgrupp {n}")
    html = analyst.get(reverse("incidents:involvement_create", args=[incident.pk])).content.decode()
    assert "Massperson" not in html and "Massgrupp" not in html
    # Only the fixed choices (role, member status, confidence) are options: far fewer than the 60 rows.
    assert html.count("<option") < 20
    for name in ("person", "group", "relation"):
        search = re.search(rf'<input type="search" name="sok_{name}"[^>]*>', html, re.S).group(0)
        assert 'role="combobox"' in search and 'aria-autocomplete="list"' in search
        assert f'aria-controls="id_{name}_results"' in search and f'id="id_{name}"' in search
        assert 'form="picker-search"' in search and "hx-get=" in search
        assert f'<label for="id_{name}">' in html
        assert f'<input type="hidden" name="{name}" value="" id="id_{name}_value">' in html
    assert '<form id="picker-search" method="get"' in html


@pytest.mark.django_db
def test_the_person_search_returns_only_visible_rows_and_logs_each_shown(analyst, world, kalles):
    before = _person_reads().count()
    html = _search(analyst, "person", "kalle", site=world.site_a).content.decode()
    assert "Kalle Synlig" in html
    assert "Kalle Socialtjänst" not in html and "Kalle Ort B" not in html
    assert f"vald={kalles['own'].pk}" in html
    shown = _person_reads()[: _person_reads().count() - before]
    assert [row.record_id for row in shown] == [str(kalles["own"].pk)]  # one row per person shown
    # Without a site the search is still scoped by visible_to: the other site's Kalle stays hidden.
    assert "Kalle Ort B" not in _search(analyst, "person", "kalle").content.decode()
    # The plain `q` parameter works too.
    assert "Kalle Synlig" in analyst.get(reverse("incidents:pick_person"), {"q": "Kalle"}).content.decode()


@pytest.mark.django_db
def test_short_text_asks_nothing_and_many_matches_are_capped(analyst, world):
    police = world.orgs[("a", "police")]
    Person.objects.bulk_create(
        PersonFactory.build(site=world.site_a, owner=police, alias=f"Nilsson {n:02d}")
        for n in range(LIMIT + 5)
    )
    short = _search(analyst, "person", "n", site=world.site_a).content.decode()
    assert "Skriv minst 2 tecken." in short and "Nilsson" not in short
    many = _search(analyst, "person", "nilsson", site=world.site_a).content.decode()
    assert many.count("<li>") == LIMIT and "Nilsson 00" in many and f"Nilsson {LIMIT:02d}" not in many
    assert "skriv mer för att begränsa" in many


@pytest.mark.django_db
def test_groups_and_conflicts_are_found_by_the_normalised_name(analyst, world):
    police = world.orgs[("a", "police")]
    kw = {"site": world.site_a, "owner": police}
    blue = GroupFactory(name="Grupp BLÅ", **kw)
    red = GroupFactory(name="Röda gänget", **kw)
    conflict = GroupRelationFactory(group_a=blue, group_b=red, **kw)
    elsewhere = GroupFactory(name="Blå Ort B", site=world.site_b, owner=world.orgs[("b", "police")])
    groups = _search(analyst, "group", "grupp\u00a0 blå", site=world.site_a).content.decode()
    assert "Grupp BLÅ" in groups and f"vald={blue.pk}" in groups and "Röda" not in groups
    assert "Blå Ort B" not in _search(analyst, "group", "blå").content.decode()
    assert elsewhere.pk  # exists, only not visible
    conflicts = _search(analyst, "relation", "RÖDA", site=world.site_a).content.decode()
    assert f"vald={conflict.pk}" in conflicts


@pytest.mark.django_db
def test_choosing_a_match_gives_the_hidden_input_and_a_hidden_id_gives_nothing(analyst, world, kalles):
    chosen = _search(analyst, "person", "", site=world.site_a, vald=kalles["own"].pk).content.decode()
    assert f'<input type="hidden" name="person" value="{kalles["own"].pk}" id="id_person_value">' in chosen
    assert "Kalle Synlig" in chosen
    hidden = _search(analyst, "person", "", site=world.site_a, vald=kalles["other_org"].pk).content.decode()
    assert '<input type="hidden" name="person" value="" id="id_person_value">' in hidden
    assert "Kalle Socialtjänst" not in hidden


@pytest.mark.django_db
def test_without_javascript_the_search_reloads_the_form_with_radio_buttons(analyst, world, kalles):
    incident = world.record("incident", Role.ANALYST, "own")
    url = reverse("incidents:involvement_create", args=[incident.pk])
    before = _person_reads().count()
    html = analyst.get(url, {"sok_person": "Kalle"}).content.decode()
    assert f'<input type="radio" name="person" value="{kalles["own"].pk}"' in html
    assert "Kalle Socialtjänst" not in html and "Kalle Ort B" not in html
    assert _person_reads().count() == before + 1
    response = analyst.post(
        url, {"person": kalles["own"].pk, "role": "suspect", "member_status": "unknown", "confidence": "high"}
    )
    assert response.status_code == 302, response.content.decode()
    assert Involvement.unscoped_all_sites.filter(incident=incident, person=kalles["own"]).exists()


@pytest.mark.django_db
def test_a_posted_id_the_user_may_not_see_is_refused(analyst, world, kalles):
    incident = world.record("incident", Role.ANALYST, "own")
    url = reverse("incidents:involvement_create", args=[incident.pk])
    for hidden in (kalles["other_site"], kalles["other_org"]):
        response = analyst.post(url, {"person": hidden.pk, "role": "suspect", "confidence": "high"})
        assert response.status_code == 200
        html = response.content.decode()
        assert "Välj ett giltigt alternativ" in html and hidden.alias not in html
    assert not Involvement.unscoped_all_sites.filter(incident=incident, person__isnull=False).exists()


@pytest.mark.django_db
def test_the_edit_form_shows_the_current_choice_by_its_label(analyst, world, kalles):
    incident = world.record("incident", Role.ANALYST, "own")
    police = world.orgs[("a", "police")]
    involvement = InvolvementFactory(incident=incident, person=kalles["own"], site=world.site_a, owner=police)
    html = analyst.get(reverse("incidents:involvement_edit", args=[involvement.pk])).content.decode()
    assert f'<input type="hidden" name="person" value="{kalles["own"].pk}" id="id_person_value">' in html
    assert "<strong>Kalle Synlig</strong>" in html
