"""Four eyes: an analyst's new person or membership entry is proposed until a second person approves it.

Proposed and rejected entries count nowhere (audit, network, risk model, reach/statistics) and are purged
when not approved within GVI_PROPOSAL_DAYS. Each consumer has a test below proving a proposal is not counted.
"""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.models import AccessLog
from gvi.access.retention import run_retention
from gvi.groups import selectors, services
from gvi.groups.models import EntryState, GroupMembership, Person
from gvi.partnership.models import Organisation, Role
from tests.factories import (
    GroupMembershipFactory,
    IncidentFactory,
    InvolvementFactory,
    MembershipFactory,
    PersonFactory,
    UserFactory,
    verified_login,
)

pytestmark = [pytest.mark.django_db]

POLICE, MUNI = Organisation.Type.POLICE, Organisation.Type.MUNICIPALITY


def police_a(world):
    return world.orgs[("a", POLICE)]


def approver(world, username="gruppchef", org_type=POLICE, role=Role.ANALYST):
    user = UserFactory(username=username)
    MembershipFactory(
        user=user,
        organisation=world.orgs[("a", org_type)],
        site=world.site_a,
        role=role,
        approves_entries=True,
    )
    return user


@pytest.fixture
def lead(world):
    return approver(world)


def propose_person(world, user=None, alias="Föreslagen T"):
    return services.create_person(
        user or world.users[Role.ANALYST], {"alias": alias, "is_suspected_perpetrator": True}
    )


def propose_membership(world, person, user=None, group=None):
    return services.create_membership(
        user or world.users[Role.ANALYST],
        {
            "person": person,
            "group": group or world.records[("group", "a", POLICE)],
            "role": GroupMembership.Role.CORE,
            "valid_from": timezone.localdate() - timedelta(days=10),
            "criteria": ["self_admission"],
            "evidence_note": "Egen uppgift vid förhör",
            "confidence": "high",
        },
    )


def proposal(world):
    person = propose_person(world)
    return person, propose_membership(world, person)


def approve_both(user, person, membership):
    services.approve_entry(user, person, person.version)
    membership.refresh_from_db()
    services.approve_entry(user, membership, membership.version)


def client_for(user):
    return verified_login(Client(), user)


# ----- who proposes, who approves -----


def test_an_analysts_new_person_and_membership_start_proposed(world):
    person, membership = proposal(world)
    for entry in (person, membership):
        assert entry.entry_state == EntryState.PROPOSED
        assert entry.proposed_by == world.users[Role.ANALYST] and entry.proposed_at is not None
    assert not Person.unscoped_all_sites.in_force().filter(pk=person.pk).exists()
    assert not GroupMembership.unscoped_all_sites.in_force().filter(pk=membership.pk).exists()


def test_entries_of_other_roles_and_of_factories_start_approved(world):
    own = services.create_person(
        world.users[Role.CASEWORKER], {"alias": "Socialtjänstens T", "is_at_risk": True}
    )
    assert own.entry_state == EntryState.APPROVED and own.proposed_by is None
    assert PersonFactory().entry_state == EntryState.APPROVED
    assert PersonFactory(proposed=True).entry_state == EntryState.PROPOSED


def test_the_proposer_cannot_approve_their_own_entry_even_with_the_approving_flag(world, lead):
    person = propose_person(world, user=lead)
    assert person.proposed_by == lead and person.is_proposed
    with pytest.raises(PermissionDenied):
        services.approve_entry(lead, person, person.version)
    assert selectors.entries_to_approve(lead)["persons"].filter(pk=person.pk).count() == 0


def test_only_an_approver_of_the_owning_organisation_at_the_site_decides(world):
    person = propose_person(world)
    colleague = UserFactory(username="kollega")  # an analyst of the same organisation without the flag
    MembershipFactory(user=colleague, organisation=police_a(world), site=world.site_a, role=Role.ANALYST)
    elsewhere = approver(world, "kommunchef", org_type=MUNI, role=Role.CASEWORKER)
    for user in (colleague, elsewhere, world.users[Role.COORDINATOR]):
        with pytest.raises(PermissionDenied):
            services.approve_entry(user, person, person.version)
        with pytest.raises(PermissionDenied):
            services.reject_entry(user, person, "Inget underlag", person.version)
    person.refresh_from_db()
    assert person.is_proposed


def test_approving_makes_the_entry_count_and_is_logged_and_versioned(world, lead):
    person, membership = proposal(world)
    approve_both(lead, person, membership)
    person.refresh_from_db()
    membership.refresh_from_db()
    for entry in (person, membership):
        assert entry.entry_state == EntryState.APPROVED
        assert entry.decided_by == lead and entry.decided_at is not None
        latest = entry.history.first()
        assert latest.entry_state == EntryState.APPROVED and latest.history_user == lead
    logged = AccessLog.objects.filter(action=AccessLog.Action.ENTRY_OK, username=lead.username)
    assert {(row.record_type, row.record_id) for row in logged} == {
        ("groups.person", str(person.pk)),
        ("groups.groupmembership", str(membership.pk)),
    }
    assert GroupMembership.unscoped_all_sites.in_force().filter(pk=membership.pk).exists()


def test_a_membership_waits_for_its_person(world, lead):
    person, membership = proposal(world)
    with pytest.raises(ValidationError, match="Godkänn personen först"):
        services.approve_entry(lead, membership, membership.version)
    membership.refresh_from_db()
    assert membership.is_proposed


def test_a_rejection_needs_a_reason_and_keeps_it(world, lead):
    person = propose_person(world)
    with pytest.raises(ValidationError):
        services.reject_entry(lead, person, "  ", person.version)
    services.reject_entry(lead, person, "Underlaget räcker inte för registrering", person.version)
    person.refresh_from_db()
    assert person.is_rejected and person.rejection_reason == "Underlaget räcker inte för registrering"
    assert AccessLog.objects.filter(action=AccessLog.Action.ENTRY_NO, record_id=str(person.pk)).count() == 1
    with pytest.raises(ValidationError):  # decided once
        services.approve_entry(lead, person, person.version)
    assert not Person.unscoped_all_sites.in_force().filter(pk=person.pk).exists()


def test_a_decision_on_a_basis_changed_since_it_was_shown_is_a_conflict(world, lead):
    from gvi.access.services import EditConflict

    person = propose_person(world)
    shown = person.version
    services.update_person(world.users[Role.ANALYST], person, {"notes": "Ny uppgift"}, shown)
    with pytest.raises(EditConflict):
        services.approve_entry(lead, person, shown)
    person.refresh_from_db()
    assert person.is_proposed


def test_approves_entries_needs_a_role_that_sees_person_records(world):
    from gvi.partnership.models import Membership

    membership = Membership(
        user=UserFactory(),
        organisation=police_a(world),
        site=world.site_a,
        role=Role.STEERING_MEMBER,
        approves_entries=True,
    )
    with pytest.raises(ValidationError):
        membership.full_clean()
    assert membership.needs_approval  # the power to approve entries is itself approved by a second person


# ----- exclusion: every consumer -----


def test_the_group_audit_does_not_count_a_proposal(world, lead):
    analyst = world.users[Role.ANALYST]
    group = world.records[("group", "a", POLICE)]

    def counted():
        found = selectors.groups_for(analyst).get(pk=group.pk).member_count
        listed = selectors.memberships_of_group(analyst, group).count()
        as_of = dict((g.pk, c) for g, c in selectors.audit_as_of(analyst, timezone.localdate())["groups"])
        added = services.audit_changes(world.site_a.pk, None, timezone.localdate())["groupmembership"]
        return found, listed, as_of[group.pk]["core"], added["added"] + added["changed"]

    before = counted()
    person, membership = proposal(world)
    assert counted() == before
    approve_both(lead, person, membership)
    found, listed, core, changes = counted()
    assert (found, listed, core) == (before[0] + 1, before[1] + 1, before[2] + 1)
    assert changes == before[3] + 1


def test_the_network_does_not_count_a_proposal(world, lead):
    from gvi.groups.network import build_member_network, current_memberships

    analyst = world.users[Role.ANALYST]
    group = world.records[("group", "a", POLICE)]
    person, membership = proposal(world)
    assert not current_memberships(analyst).filter(pk=membership.pk).exists()
    assert person.pk not in {row.person.pk for row in build_member_network(analyst, group).rows}
    approve_both(lead, person, membership)
    assert current_memberships(analyst).filter(pk=membership.pk).exists()
    assert person.pk in {row.person.pk for row in build_member_network(analyst, group).rows}


def test_the_risk_model_does_not_count_a_proposal(world, lead):
    from gvi.incidents import risk
    from gvi.incidents.services import current_memberships

    analyst = world.users[Role.ANALYST]
    group = world.records[("group", "a", POLICE)]
    person, membership = proposal(world)
    kw = {"site": world.site_a, "owner": police_a(world)}
    incident = IncidentFactory(**kw)
    InvolvementFactory(incident=incident, group=group, person=person, member_status="confirmed", **kw)
    today = timezone.localdate()
    # Attribution of an involvement to a group, and the group's stream of incidents.
    assert not current_memberships(person, today).exists()
    assert incident.pk not in risk._site_data(analyst, world.site_a, timezone.now()).events[f"g{group.pk}"]
    approve_both(lead, person, membership)
    assert list(current_memberships(person, today)) == [membership]
    assert incident.pk in risk._site_data(analyst, world.site_a, timezone.now()).events[f"g{group.pk}"]


def test_reach_and_the_statistics_do_not_count_a_proposal(world, lead):
    from gvi.communication.reach import site_reach
    from gvi.communication.selectors import active_memberships

    before = site_reach(world.site_a).members
    person, membership = proposal(world)
    assert not active_memberships().filter(pk=membership.pk).exists()
    assert site_reach(world.site_a).members == before
    approve_both(lead, person, membership)
    assert site_reach(world.site_a).members == before + 1


def test_the_audit_export_holds_approved_entries_only(world, lead):
    from gvi.groups.exports import MEMBERSHIPS, PERSONS, exportable

    analyst = world.users[Role.ANALYST]
    person, membership = proposal(world)
    assert not exportable(analyst, PERSONS).filter(pk=person.pk).exists()
    assert not exportable(analyst, MEMBERSHIPS).filter(pk=membership.pk).exists()
    approve_both(lead, person, membership)
    assert exportable(analyst, MEMBERSHIPS).filter(pk=membership.pk).exists()


def test_a_proposed_person_cannot_be_disclosed(world, lead):
    from gvi.access.models import Disclosure
    from gvi.access.services import DisclosureRequest, disclose

    person = propose_person(world)
    request = DisclosureRequest(
        to_organisation_id=world.orgs[("a", MUNI)].pk,
        legal_ground=Disclosure.LegalGround.OSL_10_2,
        purpose="Samverkan",
        expires_at=timezone.now() + timedelta(days=30),
    )
    with pytest.raises(ValidationError, match="inte är godkänd"):
        disclose(world.users[Role.ANALYST], person, request)
    services.approve_entry(lead, person, person.version)
    person.refresh_from_db()
    assert disclose(world.users[Role.ANALYST], person, request).object_id == person.pk


def test_an_approved_membership_of_a_rejected_person_does_not_count(world):
    person = PersonFactory(site=world.site_a, owner=police_a(world), entry_state=EntryState.REJECTED)
    membership = GroupMembershipFactory(person=person, site=world.site_a, owner=police_a(world))
    assert membership.entry_state == EntryState.APPROVED
    assert not GroupMembership.unscoped_all_sites.in_force().filter(pk=membership.pk).exists()


# ----- purge -----


def test_unapproved_and_rejected_proposals_are_purged_after_the_set_days(world, lead, settings):
    settings.GVI_PROPOSAL_DAYS = 14
    waiting, membership = proposal(world)
    rejected = propose_person(world, alias="Avslagen T")
    services.reject_entry(lead, rejected, "Fel person", rejected.version)
    approved = propose_person(world, alias="Godkänd T")
    services.approve_entry(lead, approved, approved.version)
    day = timezone.localdate(waiting.proposed_at)
    run_retention(today=day + timedelta(days=13))
    assert Person.unscoped_all_sites.filter(pk__in=[waiting.pk, rejected.pk]).count() == 2
    result = run_retention(today=day + timedelta(days=14))
    assert not Person.unscoped_all_sites.filter(pk__in=[waiting.pk, rejected.pk]).exists()
    assert not GroupMembership.unscoped_all_sites.filter(pk=membership.pk).exists()
    assert not Person.history.filter(id__in=[waiting.pk, rejected.pk]).exists()  # history goes too
    assert Person.unscoped_all_sites.filter(pk=approved.pk).exists()
    assert result.purged["groups.person"] >= 2


# ----- pages -----


def test_the_queue_shows_the_basis_to_the_approver_and_logs_the_read(world, lead):
    person, membership = proposal(world)
    page = client_for(lead).get(reverse("groups:entry_queue"))
    assert page.status_code == 200
    text = page.content.decode()
    assert person.alias in text and "Egen uppgift vid förhör" in text and "Egen uppgift om medlemskap" in text
    assert AccessLog.objects.filter(
        username=lead.username, action=AccessLog.Action.VIEW, record_id=str(membership.pk)
    ).exists()
    own = client_for(world.users[Role.ANALYST]).get(reverse("groups:entry_queue")).content.decode()
    assert "Egen uppgift vid förhör" not in own and "Du godkänner inte registreringar" in own


def test_approve_and_reject_through_the_queue(world, lead):
    person, membership = proposal(world)
    client = client_for(lead)
    url = reverse("groups:entry_decide", kwargs={"kind": "person", "pk": person.pk})
    refused = client.post(url, {"version": person.version, "beslut": "avsla", "reason": ""}, follow=True)
    assert "Ange skälet till avslaget." in refused.content.decode()
    person.refresh_from_db()
    assert person.is_proposed
    assert client.post(url, {"version": person.version, "beslut": "godkann"}).status_code == 302
    person.refresh_from_db()
    assert person.is_in_force
    membership_url = reverse("groups:entry_decide", kwargs={"kind": "medlemskap", "pk": membership.pk})
    reason = "Underlaget är för gammalt"
    client.post(membership_url, {"version": membership.version, "beslut": "avsla", "reason": reason})
    membership.refresh_from_db()
    assert membership.is_rejected and membership.rejection_reason == reason
    # The proposer sees the state and the reason on the person's page.
    detail = client_for(world.users[Role.ANALYST]).get(reverse("groups:person_detail", args=[person.pk]))
    assert reason in detail.content.decode()
    # The proposer cannot decide through the page either.
    other = propose_person(world, alias="Egen T")
    own_url = reverse("groups:entry_decide", kwargs={"kind": "person", "pk": other.pk})
    answer = client_for(world.users[Role.ANALYST]).post(
        own_url, {"version": other.version, "beslut": "godkann"}
    )
    assert answer.status_code == 404


def test_the_proposer_is_told_whom_to_ask(world):
    person = propose_person(world)
    page = client_for(world.users[Role.ANALYST]).get(reverse("groups:person_detail", args=[person.pk]))
    assert "Ingen i organisationen godkänner registreringar" in page.content.decode()
    approver(world, "arbetsledare")
    page = client_for(world.users[Role.ANALYST]).get(reverse("groups:person_detail", args=[person.pk]))
    assert "Kan godkännas av" in page.content.decode() and "arbetsledare" in page.content.decode()


def test_the_start_page_of_an_approver_shows_what_waits(world, lead):
    home = client_for(lead).get(reverse("partnership:home")).content.decode()
    assert "Inga registreringar väntar på godkännande." in home
    proposal(world)
    home = client_for(lead).get(reverse("partnership:home")).content.decode()
    assert "2 föreslagna registreringar väntar på ditt beslut." in home
    assert reverse("groups:entry_queue") in home
    assert (
        "Registreringar att godkänna" not in client_for(world.users[Role.ANALYST]).get("/").content.decode()
    )


def test_an_import_by_an_analyst_proposes_its_entries(world, settings, tmp_path):
    from gvi.groups.importers import import_file
    from tests.groups.test_import import PERSON_HEADER, csv_upload

    settings.DATA_DIR = tmp_path
    upload = csv_upload([PERSON_HEADER, ["P1", "Importerad I-1", "", "36+", "nej", "ja", ""]])
    report = import_file(world.users[Role.ANALYST], "personer", upload)
    assert report.ok, report.errors
    person = Person.unscoped_all_sites.get(alias="Importerad I-1")
    assert person.is_proposed and person.proposed_by == world.users[Role.ANALYST]


def test_the_api_reports_the_entry_state(world):
    from gvi.access.services import issue_api_token

    raw = issue_api_token(world.users[Role.ANALYST], "test")
    answer = Client().post(
        "/api/v1/persons",
        {"alias": "API T", "is_suspected_perpetrator": True},
        content_type="application/json",
        headers={"authorization": f"Bearer {raw}"},
    )
    assert answer.status_code == 201, answer.content
    assert answer.json()["entry_state"] == "proposed"


def test_the_administrator_grants_approves_entries_and_a_second_person_approves_the_grant(world):
    from gvi.access.services import approve_membership, request_membership

    user = UserFactory(username="blivande_chef")
    membership = request_membership(
        world.users[Role.ADMINISTRATOR],
        user,
        organisation=police_a(world),
        role=Role.ANALYST,
        site=world.site_a,
        approves_entries=True,
    )
    assert membership.approves_entries and membership.is_pending
    person = propose_person(world)
    with pytest.raises(PermissionDenied):  # not in force until approved
        services.approve_entry(user, person, person.version)
    data_protection = UserFactory(username="dso")
    MembershipFactory(
        user=data_protection,
        organisation=police_a(world),
        site=world.site_a,
        role=Role.ANALYST,
        approves_access=True,
    )
    approve_membership(data_protection, membership)
    services.approve_entry(user, person, person.version)
    person.refresh_from_db()
    assert person.is_in_force and person.decided_by == user
