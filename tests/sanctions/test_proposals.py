"""The proposal rule: which incidents propose an episode, no duplicates, the decision deadline, overdue."""

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.incidents.models import Involvement
from gvi.partnership.models import Role
from gvi.sanctions import selectors, services
from gvi.sanctions.models import SanctionEpisode
from tests.factories import GroupFactory, IncidentFactory, InvolvementFactory, verified_login

MS, R = Involvement.MemberStatus, Involvement.Role


@pytest.fixture
def police(world):
    return world.orgs[("a", "police")]


def incident_with(world, police, *involvements, hours_ago=3):
    incident = IncidentFactory(
        site=world.site_a, owner=police, occurred_at=timezone.now() - timedelta(hours=hours_ago)
    )
    for group, role, status in involvements:
        InvolvementFactory(
            site=world.site_a, owner=police, incident=incident, group=group, role=role, member_status=status
        )
    return incident


@pytest.mark.django_db
@pytest.mark.parametrize(
    "role, status, proposes",
    [
        (R.SUSPECT, MS.CONFIRMED, True),
        (R.SUSPECT, MS.SUSPECTED, True),
        (R.OTHER, MS.SUSPECTED, True),
        (R.VICTIM, MS.CONFIRMED, False),  # the victim's group is not sanctioned for being hit
        (R.SUSPECT, MS.NONE, False),
        (R.SUSPECT, MS.UNKNOWN, False),
    ],
)
def test_which_involvements_propose(world, police, role, status, proposes):
    group = GroupFactory(site=world.site_a, owner=police)
    incident = incident_with(world, police, (group, role, status))
    created = services.propose_episodes(incident)
    assert bool(created) is proposes
    assert SanctionEpisode.unscoped_all_sites.filter(group=group).exists() is proposes


@pytest.mark.django_db
def test_a_proposal_has_the_group_the_trigger_and_the_48_hour_deadline(world, police):
    group = GroupFactory(site=world.site_a, owner=police)
    incident = incident_with(world, police, (group, R.SUSPECT, MS.CONFIRMED))
    [episode] = services.propose_episodes(incident)
    episode.refresh_from_db()
    assert episode.status == SanctionEpisode.Status.PROPOSED
    assert episode.group == group and episode.site == world.site_a and episode.owner == police
    assert list(episode.trigger_incidents.all()) == [incident]
    assert episode.decision_deadline == incident.occurred_at + timedelta(hours=48)
    assert not episode.is_overdue
    assert episode.history.count() == 1


@pytest.mark.django_db
def test_the_deadline_follows_the_setting(world, police, settings):
    settings.GVI_SANCTION_DECISION_HOURS = 24
    group = GroupFactory(site=world.site_a, owner=police)
    incident = incident_with(world, police, (group, R.SUSPECT, MS.SUSPECTED))
    [episode] = services.propose_episodes(incident)
    assert episode.decision_deadline == incident.occurred_at + timedelta(hours=24)


@pytest.mark.django_db
def test_no_duplicates_a_later_incident_joins_the_proposed_or_running_episode(world, police):
    group = GroupFactory(site=world.site_a, owner=police)
    first = incident_with(world, police, (group, R.SUSPECT, MS.CONFIRMED), hours_ago=30)
    [episode] = services.propose_episodes(first)
    assert services.propose_episodes(first) == []  # proposing again for the same incident changes nothing
    second = incident_with(world, police, (group, R.SUSPECT, MS.SUSPECTED), hours_ago=2)
    assert services.propose_episodes(second) == []
    assert SanctionEpisode.unscoped_all_sites.filter(group=group).count() == 1
    assert set(episode.trigger_incidents.all()) == {first, second}
    episode.refresh_from_db()
    assert episode.decision_deadline == first.occurred_at + timedelta(hours=48)  # unchanged

    coordinator = world.users[Role.COORDINATOR]
    services.decide_episode(coordinator, episode, episode.version, run=True)
    third = incident_with(world, police, (group, R.SUSPECT, MS.CONFIRMED), hours_ago=1)
    assert services.propose_episodes(third) == []
    assert third in episode.trigger_incidents.all()


@pytest.mark.django_db
@pytest.mark.parametrize("ended", ["dismissed", "closed"])
def test_after_a_dismissed_or_closed_episode_a_new_incident_proposes_again(world, police, ended):
    coordinator = world.users[Role.COORDINATOR]
    group = GroupFactory(site=world.site_a, owner=police)
    [episode] = services.propose_episodes(incident_with(world, police, (group, R.SUSPECT, MS.CONFIRMED)))
    if ended == "dismissed":
        services.decide_episode(
            coordinator, episode, episode.version, run=False, note="Inte proportionerligt"
        )
    else:
        episode = services.decide_episode(coordinator, episode, episode.version, run=True)
        services.close_episode(coordinator, episode, episode.version, end_reason="time_limit")
    created = services.propose_episodes(incident_with(world, police, (group, R.SUSPECT, MS.CONFIRMED)))
    assert len(created) == 1 and created[0].pk != episode.pk


@pytest.mark.django_db
def test_each_answerable_group_of_an_incident_gets_its_own_proposal(world, police):
    one, two, victim = (GroupFactory(site=world.site_a, owner=police) for _ in range(3))
    incident = incident_with(
        world,
        police,
        (one, R.SUSPECT, MS.CONFIRMED),
        (two, R.SUSPECT, MS.SUSPECTED),
        (one, R.OTHER, MS.SUSPECTED),
        (victim, R.VICTIM, MS.CONFIRMED),
    )
    created = services.propose_episodes(incident)
    assert sorted(e.group_id for e in created) == sorted([one.pk, two.pk])


@pytest.mark.django_db
def test_incidents_coded_long_after_they_happened_propose_nothing(world, police):
    group = GroupFactory(site=world.site_a, owner=police)
    old = incident_with(world, police, (group, R.SUSPECT, MS.CONFIRMED), hours_ago=31 * 24)
    assert services.propose_episodes(old) == []


@pytest.mark.django_db
def test_the_rule_works_after_coding_through_the_incident_service(world, police):
    from gvi.incidents.services import code_involvement

    analyst = world.users[Role.ANALYST]
    group = GroupFactory(site=world.site_a, owner=police)
    incident = incident_with(world, police)
    code_involvement(
        analyst,
        incident,
        {"group": group, "role": R.SUSPECT, "member_status": MS.SUSPECTED, "confidence": "low"},
    )
    services.propose_episodes(incident)  # a no-op once code_involvement calls the rule itself
    assert SanctionEpisode.unscoped_all_sites.filter(group=group, status="proposed").count() == 1


@pytest.mark.django_db
def test_a_manual_proposal_takes_its_deadline_from_the_earliest_trigger_and_refuses_a_duplicate(
    world, police
):
    analyst = world.users[Role.ANALYST]
    group = GroupFactory(site=world.site_a, owner=police)
    early = incident_with(world, police, hours_ago=100)
    late = incident_with(world, police, hours_ago=5)
    episode = services.create_episode(analyst, group, [late, early], "Från veckogenomgången")
    assert episode.decision_deadline == early.occurred_at + timedelta(hours=48)
    assert episode.is_overdue
    with pytest.raises(ValidationError):
        services.create_episode(analyst, group, [late])
    with pytest.raises(ValidationError):
        services.create_episode(analyst, GroupFactory(site=world.site_a, owner=police), [])
    other_site = IncidentFactory(site=world.site_b, owner=world.orgs[("b", "police")])
    with pytest.raises(ValidationError):
        services.create_episode(analyst, GroupFactory(site=world.site_a, owner=police), [other_site])


@pytest.mark.django_db
def test_overdue_proposals_are_flagged_on_the_list_and_through_the_selector(world, police):
    coordinator = world.users[Role.COORDINATOR]
    late_group = GroupFactory(site=world.site_a, owner=police, name="Sengruppen")
    fresh_group = GroupFactory(site=world.site_a, owner=police, name="Färskgruppen")
    [late] = services.propose_episodes(
        incident_with(world, police, (late_group, R.SUSPECT, MS.CONFIRMED), hours_ago=50)
    )
    [fresh] = services.propose_episodes(
        incident_with(world, police, (fresh_group, R.SUSPECT, MS.CONFIRMED), hours_ago=2)
    )
    assert late.is_overdue and not fresh.is_overdue
    assert list(selectors.overdue_proposals(coordinator)) == [late]
    assert list(selectors.open_proposals(coordinator)) == [late, fresh]
    # another site's partnership does not see it
    other_site_user = world.users[Role.ANALYST]
    other_site_user.memberships.update(site=world.site_b)
    assert list(selectors.overdue_proposals(other_site_user)) == []
    assert list(selectors.overdue_proposals(coordinator, now=timezone.now() - timedelta(days=3))) == []

    client = verified_login(Client(), coordinator)
    late_url = reverse("sanctions:episode_detail", args=[late.pk])
    fresh_url = reverse("sanctions:episode_detail", args=[fresh.pk])
    html = client.get(reverse("sanctions:episode_list")).content.decode()
    assert late_url in html and fresh_url in html
    assert html.count("beslutet är försenat") == 1
    assert "1 förslag har passerat beslutsfristen" in html
    overdue_only = client.get(reverse("sanctions:episode_list") + "?visa=forsenade").content.decode()
    assert late_url in overdue_only and fresh_url not in overdue_only

    services.decide_episode(coordinator, late, late.version, run=False, note="Avstår")
    assert list(selectors.overdue_proposals(coordinator)) == []


@pytest.mark.django_db
def test_the_start_page_partial(world, police):
    coordinator = world.users[Role.COORDINATOR]
    group = GroupFactory(site=world.site_a, owner=police, name="Sengruppen")
    services.propose_episodes(incident_with(world, police, (group, R.SUSPECT, MS.CONFIRMED), hours_ago=50))
    html = render_to_string(
        "sanctions/_overdue_proposals.html", {"overdue_proposals": selectors.overdue_proposals(coordinator)}
    )
    assert "Försenade beslut om ökat fokus" in html and "Sengruppen" in html and "försenat" in html
    empty = render_to_string("sanctions/_overdue_proposals.html", {"overdue_proposals": []})
    assert "Inga förslag om ökat fokus har passerat beslutsfristen." in empty
    assert render_to_string("sanctions/_overdue_proposals.html", {}).strip() == ""
