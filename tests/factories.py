"""Factories and a small two-site world for tests."""

from dataclasses import dataclass, field
from datetime import timedelta

import factory
from django.contrib.auth import get_user_model
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.plugins.otp_totp.models import TOTPDevice

from gvi.access.models import Disclosure
from gvi.groups.models import Group, GroupMembership, GroupRelation, Person
from gvi.incidents.models import Incident, Involvement
from gvi.partnership.models import SITELESS_ROLES, Area, Membership, Organisation, Role, Site

User = get_user_model()


class SiteFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Site

    name = factory.Sequence(lambda n: f"Testort {n}")
    slug = factory.Sequence(lambda n: f"testort-{n}")
    municipality = factory.LazyAttribute(lambda o: o.name)


class OrganisationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organisation

    name = factory.Sequence(lambda n: f"Organisation {n}")
    short_name = factory.LazyAttribute(lambda o: o.name[:60])
    type = Organisation.Type.POLICE


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("ett-langt-testlosenord")


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    organisation = factory.SubFactory(OrganisationFactory)
    site = factory.SubFactory(SiteFactory)
    role = Role.ANALYST
    approved_at = factory.LazyFunction(timezone.now)  # in force; tests of the approval pass None


class CompartmentFactory(factory.django.DjangoModelFactory):
    site = factory.SubFactory(SiteFactory)
    owner = factory.SubFactory(OrganisationFactory)


class PersonFactory(CompartmentFactory):
    class Meta:
        model = Person

    alias = factory.Sequence(lambda n: f"Person T-{n:03d}")
    age_band = Person.AgeBand.AGE_18_20
    is_suspected_perpetrator = True
    review_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=180))

    class Params:
        # Four eyes: an analyst's entry waiting for a second person (default: approved, as before).
        proposed = factory.Trait(entry_state="proposed", proposed_at=factory.LazyFunction(timezone.now))


class GroupFactory(CompartmentFactory):
    class Meta:
        model = Group

    name = factory.Sequence(lambda n: f"Grupp {n}")
    next_review = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=90))


class GroupMembershipFactory(CompartmentFactory):
    class Meta:
        model = GroupMembership

    person = factory.SubFactory(PersonFactory)
    group = factory.SubFactory(GroupFactory)
    role = GroupMembership.Role.CORE
    valid_from = factory.LazyFunction(timezone.localdate)
    criteria = factory.LazyFunction(lambda: ["self_admission"])
    evidence_note = "Underlag i test"
    confidence = "medium"
    review_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=180))

    class Params:
        # Four eyes: an analyst's entry waiting for a second person (default: approved, as before).
        proposed = factory.Trait(entry_state="proposed", proposed_at=factory.LazyFunction(timezone.now))


class GroupRelationFactory(CompartmentFactory):
    class Meta:
        model = GroupRelation

    group_a = factory.SubFactory(GroupFactory)
    group_b = factory.SubFactory(GroupFactory)
    type = GroupRelation.Type.CONFLICT
    confidence = "medium"
    basis = "Underlag i test"
    review_date = factory.LazyFunction(lambda: timezone.localdate() + timedelta(days=180))


class AreaFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Area
        django_get_or_create = ("site", "name")

    site = factory.SubFactory(SiteFactory)
    name = factory.Sequence(lambda n: f"Område {n}")


def site_area(site, name: str) -> Area:
    """The site's area of that name (by the import's name rules), created if the site has none."""
    from gvi.importing.text import name_key

    return Area.objects.filter(site=site, key=name_key(name)).first() or Area.objects.create(
        site=site, name=name
    )


class IncidentFactory(CompartmentFactory):
    """`area` may be given as a name: the site's area of that name is used (and created if need be)."""

    class Meta:
        model = Incident

    type = Incident.Type.SHOOTING
    occurred_at = factory.LazyFunction(lambda: timezone.now() - timedelta(days=3))
    area = "Centrum"

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if isinstance(kwargs.get("area"), str):
            kwargs["area"] = site_area(kwargs["site"], kwargs["area"]) if kwargs["area"] else None
        return super()._create(model_class, *args, **kwargs)

    @classmethod
    def _build(cls, model_class, *args, **kwargs):
        if isinstance(kwargs.get("area"), str):
            kwargs["area"] = site_area(kwargs["site"], kwargs["area"]) if kwargs["area"] else None
        return super()._build(model_class, *args, **kwargs)


class InvolvementFactory(CompartmentFactory):
    class Meta:
        model = Involvement

    incident = factory.SubFactory(IncidentFactory)
    group = factory.SubFactory(GroupFactory)
    role = Involvement.Role.SUSPECT
    confidence = "medium"


def verified_login(client, user):
    """Log in as if password and second factor were both passed."""
    device, _ = TOTPDevice.objects.get_or_create(user=user, confirmed=True, defaults={"name": "test"})
    client.force_login(user, backend="django.contrib.auth.backends.ModelBackend")
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


ROLE_ORG_TYPE = {
    Role.COORDINATOR: Organisation.Type.MUNICIPALITY,
    Role.ANALYST: Organisation.Type.POLICE,
    Role.CASEWORKER: Organisation.Type.MUNICIPALITY,
    Role.PROBATION_OFFICER: Organisation.Type.PROBATION,
    Role.COMMUNITY_PARTNER: Organisation.Type.COMMUNITY,
    Role.STEERING_MEMBER: Organisation.Type.MUNICIPALITY,
    Role.NATIONAL_ANALYST: Organisation.Type.NATIONAL,
    Role.ADMINISTRATOR: Organisation.Type.OPERATOR,
    Role.DATA_PROTECTION_OFFICER: Organisation.Type.POLICE,  # siteless, per organisation
}
SITE_TYPES = [
    Organisation.Type.POLICE,
    Organisation.Type.MUNICIPALITY,
    Organisation.Type.PROBATION,
    Organisation.Type.COMMUNITY,
]


@dataclass
class World:
    """Two sites, each with the four partner organisations, one user per role at site A, and for every
    organisation one record of each kind it owns, so tests can ask for own / other-org / other-site rows."""

    site_a: Site
    site_b: Site
    orgs: dict = field(default_factory=dict)  # (site slug, type) -> Organisation
    users: dict = field(default_factory=dict)  # role -> User
    records: dict = field(default_factory=dict)  # (kind, site slug, type) -> record

    def org_of(self, role):
        return self.users[role].memberships.first().organisation

    def record(self, kind: str, role, target: str):
        """The record of `kind` that is `target` (own / other_org / other_site) from `role`'s viewpoint."""
        own_type = ROLE_ORG_TYPE[role] if ROLE_ORG_TYPE[role] in SITE_TYPES else Organisation.Type.POLICE
        if target == "own":
            return self.records[(kind, "a", own_type)]
        if target == "other_org":
            other = (
                Organisation.Type.POLICE
                if own_type != Organisation.Type.POLICE
                else Organisation.Type.MUNICIPALITY
            )
            return self.records[(kind, "a", other)]
        return self.records[(kind, "b", own_type)]


WORLD_AREAS = ("Centrum", "Hamnen", "Torget")


def marker(kind: str, slug: str, org_type: str) -> str:
    """The recognisable name the world gives its record of `kind` owned by `org_type` at site `slug`, in
    the field lists and exports show (alias, name, summary, pseudonym, title). tests/test_list_compartments.py
    looks for them: no list may show another organisation's (owner-only kinds) or another site's markers."""
    return f"MRK-{kind.upper()}-{slug.upper()}-{org_type.upper()}"


def build_world(with_relations: bool = True) -> World:
    site_a = SiteFactory(name="Ort A", slug="a")
    site_b = SiteFactory(name="Ort B", slug="b")
    world = World(site_a, site_b)
    for site in (site_a, site_b):
        for name in WORLD_AREAS:  # each site's list of areas (incidents and imports name them)
            site_area(site, name)
        for org_type in SITE_TYPES:
            org = OrganisationFactory(name=f"{org_type} {site.slug}", type=org_type)
            org.sites.add(site)
            world.orgs[(site.slug, org_type)] = org
    world.orgs[(None, Organisation.Type.NATIONAL)] = OrganisationFactory(name="Nationellt", type="national")
    world.orgs[(None, Organisation.Type.OPERATOR)] = OrganisationFactory(name="Drift", type="operator")
    for role, org_type in ROLE_ORG_TYPE.items():
        siteless = role in SITELESS_ROLES
        org = world.orgs[(None, org_type)] if (None, org_type) in world.orgs else world.orgs[("a", org_type)]
        user = UserFactory(username=role)
        MembershipFactory(user=user, organisation=org, site=None if siteless else site_a, role=role)
        world.users[role] = user
    for (slug, org_type), org in list(world.orgs.items()):
        if slug is None:
            continue
        site = site_a if slug == "a" else site_b
        kw = {"site": site, "owner": org}
        person = PersonFactory(alias=marker("person", slug, org_type), **kw)
        group = GroupFactory(name=marker("group", slug, org_type), **kw)
        incident = IncidentFactory(summary=marker("incident", slug, org_type), **kw)
        world.records[("person", slug, org_type)] = person
        world.records[("group", slug, org_type)] = group
        world.records[("incident", slug, org_type)] = incident
        world.records[("area", slug, org_type)] = incident.area  # site-wide: the site's "Centrum"
        world.records[("membership", slug, org_type)] = GroupMembershipFactory(
            person=person, group=group, **kw
        )
        world.records[("involvement", slug, org_type)] = InvolvementFactory(
            incident=incident, group=group, **kw
        )
        if with_relations:
            world.records[("relation", slug, org_type)] = GroupRelationFactory(
                group_a=group, group_b=GroupFactory(name=f"Motpart {org.pk}", **kw), **kw
            )
        other = world.orgs[(slug, Organisation.Type.POLICE if org_type != "police" else "municipality")]
        world.records[("disclosure", slug, org_type)] = Disclosure.objects.create(
            from_organisation=org,
            to_organisation=other,
            content_type_id=_person_ct(),
            object_id=PersonFactory(alias=f"Utlämnad {org.pk}", **kw).pk,
            legal_ground=Disclosure.LegalGround.OSL_10_2,
            purpose="Test",
            decided_by=world.users[Role.ANALYST],
            expires_at=timezone.now() + timedelta(days=365),
        )
    from tests.partnership.factories import add_meeting_records  # local import: it imports this module

    add_meeting_records(world)
    from tests.communication.factories import add_communication_records

    add_communication_records(world)
    from tests.support.factories import add_support_records

    add_support_records(world)
    from tests.logreview.factories import add_logreview_records

    add_logreview_records(world)
    if with_relations:
        from tests.sanctions.factories import add_sanction_records

        add_sanction_records(world)
    from tests.dataprotection.factories import add_dataprotection_records

    add_dataprotection_records(world)
    return world


def _person_ct():
    from django.contrib.contenttypes.models import ContentType

    return ContentType.objects.get_for_model(Person).pk
