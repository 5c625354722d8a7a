"""What the data-protection officer sees of the access log: its organisation's users' rows and the rows
about its organisation's records and accounts, whoever wrote them; nothing else."""

from datetime import timedelta

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.audit import verify_chain
from gvi.access.models import AccessLog, Disclosure
from gvi.access.permissions import ACTIONS, PERMISSIONS, role_may
from gvi.access.services import append_log_entry, create_account, request_membership
from gvi.logreview.selectors import organisation_log, search_log
from gvi.partnership.models import Membership, Organisation, Role
from tests.factories import GroupMembershipFactory, PersonFactory, UserFactory, verified_login

DPO = Role.DATA_PROTECTION_OFFICER
POLICE, MUNI = Organisation.Type.POLICE, Organisation.Type.MUNICIPALITY


def _membership(user):
    return user.memberships.active().first()


def _log(user, record, action=AccessLog.Action.VIEW, purpose=""):
    return append_log_entry(user, record, action, purpose, _membership(user))


def _dpo_client(world):
    return verified_login(Client(), world.users[DPO])


@pytest.mark.django_db
def test_the_officer_sees_own_users_rows_and_reads_of_own_records_by_others(world):
    police = world.orgs[("a", POLICE)]
    police_person = world.records[("person", "a", POLICE)]
    muni_person = world.records[("person", "a", MUNI)]
    own_read = _log(world.users[Role.ANALYST], muni_person)  # a police user reads (through a disclosure)
    read_of_own = _log(world.users[Role.CASEWORKER], police_person)  # another organisation reads police's
    unrelated = _log(world.users[Role.CASEWORKER], muni_person)  # the municipality's own business
    seen = set(organisation_log([police.pk]).values_list("seq", flat=True))
    assert own_read.seq in seen
    assert read_of_own.seq in seen
    assert unrelated.seq not in seen


@pytest.mark.django_db
def test_rows_about_a_removed_record_stay_visible_through_its_history(world):
    police = world.orgs[("a", POLICE)]
    person = PersonFactory(site=world.site_a, owner=police)
    row = _log(world.users[Role.CASEWORKER], person)
    person.delete()
    assert organisation_log([police.pk]).filter(seq=row.seq).exists()


@pytest.mark.django_db
def test_who_has_read_this_person_covers_the_records_that_name_the_person(world):
    police = world.orgs[("a", POLICE)]
    person = PersonFactory(site=world.site_a, owner=police)
    membership = GroupMembershipFactory(person=person, site=world.site_a, owner=police)
    other = PersonFactory(site=world.site_a, owner=police)
    rows = [_log(world.users[Role.ANALYST], person), _log(world.users[Role.CASEWORKER], membership)]
    noise = _log(world.users[Role.ANALYST], other)
    found = list(search_log([police.pk], {"person": person}).values_list("seq", flat=True))
    assert sorted(found) == sorted(row.seq for row in rows)
    assert noise.seq not in found


@pytest.mark.django_db
def test_search_by_period_uses_local_dates_both_included(world):
    police = world.orgs[("a", POLICE)]
    person = world.records[("person", "a", POLICE)]
    inside = _log(world.users[Role.ANALYST], person)
    before = _log(world.users[Role.ANALYST], person)
    day = timezone.localdate(inside.at)
    AccessLog.objects.filter(seq=before.seq).update(at=inside.at - timedelta(days=2))
    found = set(search_log([police.pk], {"fran": day, "till": day}).values_list("seq", flat=True))
    assert inside.seq in found and before.seq not in found


@pytest.mark.django_db
def test_the_administrators_grants_appear_in_the_officers_search_and_cannot_be_hidden(world):
    admin_user = world.users[Role.ADMINISTRATOR]
    police = world.orgs[("a", POLICE)]
    new_user, _link = create_account(admin_user, username="ny.polis")
    granted = request_membership(
        admin_user, new_user, organisation=police, role=Role.ANALYST, site=world.site_a
    )
    response = _dpo_client(world).get(reverse("logreview:search"), {"anvandare": admin_user.username})
    assert response.status_code == 200
    shown = {(row.action, row.record_type, row.record_id) for row in response.context["rows"]}
    assert (AccessLog.Action.GRANT, "partnership.membership", str(granted.pk)) in shown
    assert (AccessLog.Action.ACCOUNT, "auth.user", str(new_user.pk)) in shown
    # Grants in another organisation are that organisation's business.
    muni_user = UserFactory()
    request_membership(
        admin_user, muni_user, organisation=world.orgs[("a", MUNI)], role=Role.CASEWORKER, site=world.site_a
    )
    shown = {row.record_id for row in _dpo_client(world).get(reverse("logreview:search")).context["rows"]}
    assert str(muni_user.pk) not in shown
    # No page or admin screen edits or deletes log rows: the log is not in the admin, the chain is whole.
    assert AccessLog not in admin.site._registry
    assert verify_chain().ok


@pytest.mark.django_db
def test_the_officer_holds_no_grant_on_records_and_needs_approval(world):
    assert not any(role_may(DPO, record_type, action) for record_type in PERMISSIONS for action in ACTIONS)
    membership = Membership(role=DPO, organisation=world.orgs[("a", POLICE)])
    assert membership.needs_approval
    admin_user = world.users[Role.ADMINISTRATOR]
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        request_membership(admin_user, admin_user, organisation=world.orgs[("a", POLICE)], role=DPO)
    pending = request_membership(admin_user, UserFactory(), organisation=world.orgs[("a", POLICE)], role=DPO)
    assert pending.is_pending and pending.site_id is None


@pytest.mark.django_db
def test_the_officer_reads_no_person_page(world):
    client = _dpo_client(world)
    person = world.records[("person", "a", POLICE)]
    assert client.get(reverse("groups:person_detail", args=[person.pk])).status_code == 403


@pytest.mark.django_db
def test_person_lookup_shows_aliases_of_own_organisation_only_and_is_logged(world):
    client = _dpo_client(world)
    own = world.records[("person", "a", POLICE)]
    other = world.records[("person", "a", MUNI)]
    found = client.get(reverse("logreview:persons"), {"q": own.alias}).context["page"].object_list
    assert [person.pk for person in found] == [own.pk]
    assert (
        list(client.get(reverse("logreview:persons"), {"q": other.alias}).context["page"].object_list) == []
    )
    assert client.get(reverse("logreview:search"), {"person": other.pk}).context["form"].errors["person"]
    before = AccessLog.objects.count()
    response = client.get(reverse("logreview:search"), {"person": own.pk})
    assert response.status_code == 200
    lookup = AccessLog.objects.order_by("-seq").first()
    assert AccessLog.objects.count() == before + 1
    assert (lookup.action, lookup.record_id, lookup.role) == (AccessLog.Action.LOOKUP, str(own.pk), DPO)


@pytest.mark.django_db
def test_a_disclosure_read_shows_up_for_the_owner_with_the_alias(world):
    police = world.orgs[("a", POLICE)]
    person = world.records[("person", "a", POLICE)]
    Disclosure.objects.create(
        from_organisation=police,
        to_organisation=world.orgs[("a", MUNI)],
        content_type_id=ContentType.objects.get_for_model(person).pk,
        object_id=person.pk,
        legal_ground=Disclosure.LegalGround.OSL_10_2,
        purpose="Test",
        decided_by=world.users[Role.ANALYST],
        expires_at=timezone.now() + timedelta(days=30),
    )
    row = _log(world.users[Role.CASEWORKER], person)
    response = _dpo_client(world).get(
        reverse("logreview:search"), {"postid": person.pk, "posttyp": "groups.person"}
    )
    rows = {r.seq: r for r in response.context["rows"]}
    assert rows[row.seq].alias == person.alias
