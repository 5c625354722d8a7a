"""Attribution rules applied when an incident's involvement is coded."""

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from gvi.groups.models import GroupRelation
from gvi.incidents.models import Involvement
from gvi.incidents.services import code_involvement, group_involved
from gvi.partnership.models import Role
from tests.factories import (
    GroupFactory,
    GroupMembershipFactory,
    GroupRelationFactory,
    IncidentFactory,
    PersonFactory,
)


@pytest.fixture
def scene(world):
    police = world.orgs[("a", "police")]
    kw = {"site": world.site_a, "owner": police}
    north, south = GroupFactory(name="Norr", **kw), GroupFactory(name="Söder", **kw)
    incident = IncidentFactory(occurred_at=timezone.now() - timedelta(days=1), **kw)
    person = PersonFactory(**kw)
    return {
        "police": police,
        "kw": kw,
        "north": north,
        "south": south,
        "incident": incident,
        "person": person,
    }


def _member(scene, group, **extra):
    extra.setdefault("valid_from", timezone.localdate() - timedelta(days=60))
    return GroupMembershipFactory(person=scene["person"], group=group, **scene["kw"], **extra)


def _code(world, scene, **data):
    data.setdefault("role", Involvement.Role.SUSPECT)
    data.setdefault("confidence", "medium")
    return code_involvement(world.users[Role.ANALYST], scene["incident"], data)


@pytest.mark.django_db
def test_person_with_a_high_confidence_membership_is_a_confirmed_member(world, scene):
    _member(scene, scene["north"], confidence="high")
    involvement = _code(world, scene, person=scene["person"], group=scene["north"])
    assert involvement.member_status == Involvement.MemberStatus.CONFIRMED
    assert group_involved(scene["incident"])


@pytest.mark.django_db
def test_person_with_a_lower_confidence_membership_is_suspected(world, scene):
    _member(scene, scene["north"], confidence="low")
    involvement = _code(world, scene, person=scene["person"], group=scene["north"])
    assert involvement.member_status == Involvement.MemberStatus.SUSPECTED


@pytest.mark.django_db
def test_person_without_group_gets_their_single_current_group(world, scene):
    _member(scene, scene["south"])
    GroupMembershipFactory(
        person=scene["person"],
        group=scene["north"],
        valid_from=timezone.localdate() - timedelta(days=400),
        valid_to=timezone.localdate() - timedelta(days=100),
        **scene["kw"],
    )
    involvement = _code(world, scene, person=scene["person"])
    assert involvement.group == scene["south"]
    assert involvement.member_status == Involvement.MemberStatus.SUSPECTED


@pytest.mark.django_db
def test_person_without_membership_stays_unknown_and_explicit_choice_wins(world, scene):
    involvement = _code(world, scene, person=scene["person"], group=scene["north"])
    assert involvement.member_status == Involvement.MemberStatus.UNKNOWN
    assert not group_involved(scene["incident"])
    _member(scene, scene["north"], confidence="high")
    explicit = _code(world, scene, person=scene["person"], group=scene["north"], member_status="none")
    assert explicit.member_status == Involvement.MemberStatus.NONE


@pytest.mark.django_db
def test_suspect_and_victim_groups_in_conflict_are_linked_and_evidence_dated(world, scene):
    conflict = GroupRelationFactory(
        group_a=scene["north"], group_b=scene["south"], last_evidence=date(2020, 1, 1), **scene["kw"]
    )
    _code(world, scene, group=scene["north"], member_status="suspected")
    victim = _code(
        world, scene, group=scene["south"], role=Involvement.Role.VICTIM, member_status="suspected"
    )
    assert victim.relation == conflict
    assert Involvement.unscoped_all_sites.get(group=scene["north"]).relation == conflict
    conflict.refresh_from_db()
    assert conflict.last_evidence == timezone.localtime(scene["incident"].occurred_at).date()


@pytest.mark.django_db
def test_alliances_are_not_linked_as_conflicts(world, scene):
    GroupRelationFactory(
        group_a=scene["north"], group_b=scene["south"], type=GroupRelation.Type.ALLIANCE, **scene["kw"]
    )
    _code(world, scene, group=scene["north"])
    victim = _code(world, scene, group=scene["south"], role=Involvement.Role.VICTIM)
    assert victim.relation is None


@pytest.mark.django_db
def test_relation_must_involve_the_group_and_site_must_match(world, scene):
    other = GroupFactory(name="Annan", **scene["kw"])
    conflict = GroupRelationFactory(group_a=scene["north"], group_b=scene["south"], **scene["kw"])
    with pytest.raises(ValidationError, match="inte part"):
        _code(world, scene, group=other, relation=conflict)
    foreign = GroupFactory(site=world.site_b, owner=world.orgs[("b", "police")])
    with pytest.raises(ValidationError, match="samma plats"):
        _code(world, scene, group=foreign)
    with pytest.raises(ValidationError, match="Ange gruppen"):
        _code(world, scene, person=scene["person"], member_status="confirmed")
    assert not Involvement.unscoped_all_sites.filter(incident=scene["incident"]).exists()


@pytest.mark.django_db
def test_a_person_the_coder_cannot_see_cannot_be_linked(world, scene):
    hidden = PersonFactory(site=world.site_a, owner=world.orgs[("a", "municipality")])
    with pytest.raises(PermissionDenied):
        _code(world, scene, person=hidden)
