"""Bounded lists: the group page shows a summary and the first members and relations, with links to the
full, paginated lists; lists count at most 10,000 rows; the timeline draws a bounded number of lanes."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi import paging
from gvi.groups import views
from gvi.groups.models import GroupMembership
from gvi.incidents import selectors as incident_selectors
from gvi.partnership.models import Role
from tests.factories import (
    GroupFactory,
    GroupMembershipFactory,
    GroupRelationFactory,
    IncidentFactory,
    InvolvementFactory,
    PersonFactory,
    verified_login,
)

pytestmark = pytest.mark.django_db


def analyst_client(world):
    return verified_login(Client(), world.users[Role.ANALYST])


def crowded_group(world, core=4, associates=3, relations=4):
    police = world.orgs[("a", "police")]
    group = GroupFactory(site=world.site_a, owner=police, name="Trängda gruppen")
    for n in range(core + associates):
        person = PersonFactory(site=world.site_a, owner=police, alias=f"Medlem {n:03d}")
        role = GroupMembership.Role.CORE if n < core else GroupMembership.Role.ASSOCIATE
        GroupMembershipFactory(site=world.site_a, owner=police, person=person, group=group, role=role)
    for n in range(relations):
        other = GroupFactory(site=world.site_a, owner=police, name=f"Motpart {n:02d}")
        GroupRelationFactory(
            site=world.site_a, owner=police, group_a=group, group_b=other, intensity=1 + n % 5
        )
    return group


def test_the_group_page_shows_the_first_members_and_relations_and_links_to_all(world, monkeypatch):
    monkeypatch.setattr(views, "GROUP_PAGE_LIST", 2)
    group = crowded_group(world)
    html = analyst_client(world).get(reverse("groups:group_detail", args=[group.pk])).content.decode()
    assert "4 kärnmedlemmar och 3 associerade." in html
    assert "Medlem 000" in html and "Medlem 001" in html and "Medlem 002" not in html
    assert reverse("groups:group_members", args=[group.pk]) in html
    assert reverse("groups:group_relations", args=[group.pk]) in html and "Alla 4 relationer" in html
    assert html.count("Motpart ") == 2


def test_a_small_group_needs_no_links(world):
    group = crowded_group(world, core=1, associates=1, relations=1)
    html = analyst_client(world).get(reverse("groups:group_detail", args=[group.pk])).content.decode()
    assert reverse("groups:group_members", args=[group.pk]) not in html
    assert reverse("groups:group_relations", args=[group.pk]) not in html


def test_the_member_and_relation_lists_are_paginated(world):
    group = crowded_group(world, core=60, associates=0, relations=55)
    client = analyst_client(world)
    first = client.get(reverse("groups:group_members", args=[group.pk])).content.decode()
    second = client.get(reverse("groups:group_members", args=[group.pk]), {"sida": 2}).content.decode()
    assert "Medlem 000" in first and "Medlem 050" not in first and "Medlem 050" in second
    assert "Sida 1 av 2" in first
    relations = client.get(reverse("groups:group_relations", args=[group.pk])).content.decode()
    assert relations.count("Motpart ") == 50 and "Sida 1 av 2" in relations


def test_a_list_counts_at_most_the_cap(world, monkeypatch):
    monkeypatch.setattr(paging.CappedPaginator, "cap", 5)
    police = world.orgs[("a", "police")]
    for n in range(8):
        IncidentFactory(site=world.site_a, owner=police, occurred_at=timezone.now() - timedelta(days=n))
    paginator = paging.CappedPaginator(incident_selectors.incidents_for(world.users[Role.ANALYST]), 2)
    assert paginator.capped and paginator.count == 5 and paginator.num_pages == 3
    html = analyst_client(world).get(reverse("incidents:incident_list")).content.decode()
    assert "Över 5 incidenter" in html
    # the last reachable page says that there is more, and how to get at it
    assert "Fler än 5 träffar: smalna av urvalet" in html


def test_an_uncapped_list_gives_the_exact_count(world):
    paginator = paging.CappedPaginator(incident_selectors.incidents_for(world.users[Role.ANALYST]), 50)
    assert (
        not paginator.capped
        and paginator.count == incident_selectors.incidents_for(world.users[Role.ANALYST]).count()
    )


def test_the_timeline_draws_a_bounded_number_of_lanes(world):
    police = world.orgs[("a", "police")]
    incidents = []
    for n in range(5):
        group = GroupFactory(site=world.site_a, owner=police, name=f"Lane {n}")
        for k in range(n + 1):  # group n in n + 1 incidents
            incident = IncidentFactory(
                site=world.site_a, owner=police, occurred_at=timezone.now() - timedelta(hours=n * 10 + k)
            )
            InvolvementFactory(site=world.site_a, owner=police, incident=incident, group=group)
            incidents.append(incident)
    events = incident_selectors.timeline_events(world.users[Role.ANALYST], incidents, max_lanes=2)
    lanes = {lane for _incident, _when, lane, _kind in events}
    assert lanes == {"Lane 4", "Lane 3", incident_selectors.OTHER_GROUPS}
    assert len(events) == len(incidents)  # each incident once: its own lane or the shared one
