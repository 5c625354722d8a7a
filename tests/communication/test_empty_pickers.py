"""A person picker left empty by the access rules says why and whom to ask, instead of an empty list."""

import pytest
from django.test import Client
from django.urls import reverse

from gvi.partnership.models import Organisation, Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, verified_login

WHY = "Du ser bara personer som din organisation"


def _client(user):
    return verified_login(Client(), user)


@pytest.mark.django_db
def test_caseworker_planning_a_notification_for_a_police_group_is_told_whom_to_ask(comm_world):
    world = comm_world
    police_group = world.record("group", Role.ANALYST, "own")  # its member is a police person
    caseworker = _client(world.users[Role.CASEWORKER])
    page = caseworker.get(reverse("communication:notification_create"), {"grupp": police_group.pk})
    assert page.status_code == 200
    text = page.content.decode()
    assert WHY in text and world.org_of(Role.CASEWORKER).name in text
    assert f"Ingen av de aktiva medlemmarna i {police_group.name}" in text
    assert f"Be gruppens ansvariga analytiker ({police_group.owner.name})" in text
    assert 'name="person"' not in text, "an empty picker is not offered"

    # The caseworker's own group: its member is offered, and no explanation is shown.
    own_group = world.record("group", Role.CASEWORKER, "own")
    page = caseworker.get(reverse("communication:notification_create"), {"grupp": own_group.pk})
    text = page.content.decode()
    assert WHY not in text and 'name="person"' in text


@pytest.mark.django_db
def test_coordinator_without_persons_of_its_own_is_told_why_the_invitation_list_is_empty(comm_world):
    world = comm_world
    coordination = OrganisationFactory(name="Samordningen A", type=Organisation.Type.MUNICIPALITY)
    coordination.sites.add(world.site_a)
    user = UserFactory(username="samordnare-utan-personer")
    MembershipFactory(user=user, organisation=coordination, site=world.site_a, role=Role.COORDINATOR)
    call_in = world.record("callin", Role.ANALYST, "own")
    group = world.record("group", Role.ANALYST, "own")
    call_in.target_groups.set([group])

    page = _client(user).get(reverse("communication:invitation_create", args=[call_in.pk]))
    assert page.status_code == 200
    text = page.content.decode()
    assert WHY in text and "Samordningen A" in text
    assert f"Be målgruppernas ansvariga analytiker ({group.owner.name})" in text
    assert 'name="person"' not in text

    # The analyst who owns persons at the site gets the picker as before.
    page = _client(world.users[Role.ANALYST]).get(
        reverse("communication:invitation_create", args=[call_in.pk])
    )
    text = page.content.decode()
    assert 'name="person"' in text and WHY not in text


@pytest.mark.django_db
def test_the_explanation_is_translated(comm_world, settings, back_to_swedish):
    world = comm_world
    caseworker = _client(world.users[Role.CASEWORKER])
    caseworker.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    group = world.record("group", Role.ANALYST, "own")
    text = caseworker.get(reverse("communication:notification_create"), {"grupp": group.pk}).content.decode()
    assert "There is no person to choose." in text
    assert "You see only persons your organisation" in text
    assert f"None of the active members of {group.name} is such a person" in text
