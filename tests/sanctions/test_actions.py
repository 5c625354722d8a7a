"""Actions are each organisation's own: it adds, sees and updates them; the coordinator sees them all."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.partnership.models import Organisation, Role
from gvi.sanctions import services
from gvi.sanctions.levers import catalogue_key, levers_for
from gvi.sanctions.models import SanctionAction
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, verified_login
from tests.sanctions.factories import add_sanction_records

C, A, CW, P = Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER


@pytest.fixture
def records(world):
    add_sanction_records(world)
    return world


def police_action(world):
    return world.records[("sanctionaction", "a", "police")]


@pytest.mark.django_db
def test_a_probation_officer_cannot_update_a_police_action(records):
    officer = records.users[P]
    action = police_action(records)
    with pytest.raises(PermissionDenied):
        services.update_action(officer, action, {"status": "done"}, action.version)
    client = verified_login(Client(), officer)
    assert client.get(reverse("sanctions:action_edit", args=[action.pk])).status_code == 404
    post = client.post(reverse("sanctions:action_edit", args=[action.pk]), {"version": action.version})
    assert post.status_code == 404
    api = client.patch(
        f"/api/v1/sanctions/actions/{action.pk}",
        json.dumps({"version": action.version, "status": "done"}),
        content_type="application/json",
    )
    assert api.status_code == 404
    action.refresh_from_db()
    assert action.status == "planned" and action.version == 1


@pytest.mark.django_db
def test_each_organisation_updates_its_own_action(records):
    officer = records.users[P]
    own = records.records[("sanctionaction", "a", "probation")]
    client = verified_login(Client(), officer)
    response = client.post(
        reverse("sanctions:action_edit", args=[own.pk]),
        {
            "version": own.version,
            "lever": "tightened_conditions",
            "status": "done",
            "result": "Skärpta villkor för tre klienter",
            "checks_made": "3",
            "seizures": "0",
            "arrests": "0",
        },
    )
    assert response.status_code == 302
    own.refresh_from_db()
    today = timezone.localdate()
    assert own.status == "done" and own.started_on == today and own.done_on == today
    assert own.checks_made == 3 and own.version == 2


@pytest.mark.django_db
def test_the_coordinator_sees_all_actions_others_only_their_own(records):
    episode = records.records[("sanctionepisode", "a", "police")]
    url = reverse("sanctions:episode_detail", args=[episode.pk])
    coordinator = verified_login(Client(), records.users[C]).get(url).content.decode()
    for org_type in ("police", "municipality", "probation", "community"):
        assert records.orgs[("a", org_type)].name in coordinator
    assert "samordnaren ser alla" not in coordinator
    assert reverse("sanctions:action_edit", args=[police_action(records).pk]) not in coordinator

    officer = verified_login(Client(), records.users[P]).get(url).content.decode()
    assert records.orgs[("a", "probation")].name in officer
    assert records.orgs[("a", "police")].name not in officer
    assert "Episoden har 4 åtgärder totalt; samordnaren ser alla." in officer
    own = records.records[("sanctionaction", "a", "probation")]
    assert reverse("sanctions:action_edit", args=[own.pk]) in officer

    api = verified_login(Client(), records.users[C]).get(f"/api/v1/sanctions/actions?episode={episode.pk}")
    assert api.json()["count"] == 4
    api = verified_login(Client(), records.users[A]).get(f"/api/v1/sanctions/actions?episode={episode.pk}")
    assert [item["owner_id"] for item in api.json()["items"]] == [records.orgs[("a", "police")].pk]


@pytest.mark.django_db
def test_an_organisation_adds_only_levers_from_its_catalogue(records):
    episode = records.records[("sanctionepisode", "a", "municipality")]
    caseworker = records.users[CW]
    with pytest.raises(ValidationError) as error:
        services.create_action(caseworker, episode, {"lever": "targeted_controls"})
    assert "lever" in error.value.message_dict
    action = services.create_action(
        caseworker, episode, {"lever": "housing_checks", "responsible": caseworker}
    )
    assert action.owner == records.orgs[("a", "municipality")] and action.site == records.site_a

    client = verified_login(Client(), caseworker)
    page = client.get(reverse("sanctions:action_create", args=[episode.pk])).content.decode()
    assert 'value="benefit_checks"' in page and 'value="targeted_controls"' not in page
    with pytest.raises(PermissionDenied):
        services.create_action(records.users[C], episode, {"lever": "other", "description": "x"})


@pytest.mark.django_db
def test_the_responsible_must_belong_to_the_organisation(records):
    episode = records.records[("sanctionepisode", "a", "police")]
    with pytest.raises(ValidationError) as error:
        services.create_action(
            records.users[A], episode, {"lever": "warrants", "responsible": records.users[P]}
        )
    assert "responsible" in error.value.message_dict


@pytest.mark.django_db
def test_no_new_actions_on_closed_episodes(records):
    coordinator = records.users[C]
    episode = records.records[("sanctionepisode", "a", "police")]
    episode = services.close_episode(coordinator, episode, episode.version, end_reason="effect_seen")
    with pytest.raises(ValidationError):
        services.create_action(records.users[A], episode, {"lever": "warrants"})


@pytest.mark.django_db
def test_removing_an_action_keeps_history_and_checks_the_version(records):
    analyst = records.users[A]
    action = police_action(records)
    client = verified_login(Client(), analyst)
    url = reverse("sanctions:action_remove", args=[action.pk])
    page = client.get(url).content.decode()
    assert "data-confirm=" in page
    stale = client.post(url, {"version": action.version + 5})
    assert stale.status_code == 409 and "Konflikt" in stale.content.decode()
    assert client.post(url, {"version": action.version}).status_code == 302
    assert not SanctionAction.unscoped_all_sites.filter(pk=action.pk).exists()
    assert SanctionAction.history.filter(id=action.pk, history_type="-", history_user=analyst).exists()


@pytest.mark.django_db
def test_a_stale_action_form_is_a_409_conflict(records):
    client = verified_login(Client(), records.users[A])
    action = police_action(records)
    services.update_action(records.users[A], action, {"status": "in_progress"}, action.version)
    response = client.post(
        reverse("sanctions:action_edit", args=[action.pk]),
        {
            "version": 1,
            "lever": "targeted_controls",
            "status": "done",
            "checks_made": 0,
            "seizures": 0,
            "arrests": 0,
        },
    )
    assert response.status_code == 409
    assert "Dina ändringar är inte sparade" in response.content.decode()


@pytest.mark.django_db
def test_catalogue_follows_type_and_name():
    def org(name, type_):
        return OrganisationFactory.build(name=name, short_name=name, type=type_)

    assert catalogue_key(org("Polisen", Organisation.Type.POLICE)) == "police"
    assert catalogue_key(org("Kronofogden Mitt", Organisation.Type.OTHER_AUTHORITY)) == "kronofogden"
    assert catalogue_key(org("Skatteverket", Organisation.Type.OTHER_AUTHORITY)) == "skatteverket"
    assert catalogue_key(org("Tullverket", Organisation.Type.OTHER_AUTHORITY)) == "tullverket"
    assert catalogue_key(org("Exempelstads Bostäder AB", Organisation.Type.OTHER_AUTHORITY)) == "housing"
    assert catalogue_key(org("Länsstyrelsen", Organisation.Type.OTHER_AUTHORITY)) == "licensing"
    assert catalogue_key(org("Okänd myndighet", Organisation.Type.OTHER_AUTHORITY)) == "other_authority"
    assert catalogue_key(org("Föreningen", Organisation.Type.COMMUNITY)) == "community"
    kfm = [code for code, _label in levers_for(org("Kronofogden", Organisation.Type.OTHER_AUTHORITY))]
    assert kfm == ["debt_enforcement", "asset_investigation", "other"]
    probation = [code for code, _ in levers_for(org("Frivården", Organisation.Type.PROBATION))]
    assert {"tightened_conditions", "warning", "drug_tests"} <= set(probation)
    municipality = [code for code, _ in levers_for(org("Kommunen", Organisation.Type.MUNICIPALITY))]
    assert {"benefit_checks", "housing_checks", "school_measures"} <= set(municipality)


@pytest.mark.django_db
def test_an_other_authority_analyst_pulls_its_own_levers(records):
    kfm = OrganisationFactory(name="Kronofogden", type=Organisation.Type.OTHER_AUTHORITY)
    kfm.sites.add(records.site_a)
    user = UserFactory(username="kronofogden")
    MembershipFactory(user=user, organisation=kfm, site=records.site_a, role=Role.ANALYST)
    episode = records.records[("sanctionepisode", "a", "police")]
    action = services.create_action(user, episode, {"lever": "debt_enforcement", "status": "in_progress"})
    assert action.owner == kfm and action.started_on == timezone.localdate()
    with pytest.raises(ValidationError):
        services.create_action(user, episode, {"lever": "targeted_controls"})
