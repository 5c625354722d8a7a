"""Property-based tests of the access rules against a small reference model.

For random worlds — organisations, sites, users with memberships (roles, active or not), records of
person-level (OWN) and site-wide record types, and disclosures (active, time-limited, expired, revoked,
not yet decided, of another record type) — `Model.objects.visible_to(user, action)` must return exactly
the ids the reference model allows.

The reference model below is written from the documented rules (README "Roles and the access model",
DESIGN "The access model in one place") in plain Python sets. It reads the role x record-type table from
gvi.access.permissions (that table *is* the specification) but none of the query code that implements it.
"""

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gvi.access.models import Disclosure, compartment_q
from gvi.access.permissions import ACTIONS, OWN, PERMISSIONS, SITE, VIEW
from gvi.communication.models import CallIn, Notification
from gvi.groups.models import Group, GroupMembership, Person
from gvi.incidents.models import Incident, Involvement
from gvi.partnership.models import Membership, Organisation, Role, Site
from gvi.sanctions.models import SanctionAction, SanctionEpisode
from gvi.support.models import SupportCase
from tests.communication.factories import CallInFactory, NotificationFactory
from tests.factories import (
    GroupFactory,
    GroupMembershipFactory,
    IncidentFactory,
    InvolvementFactory,
    PersonFactory,
)
from tests.sanctions.factories import SanctionActionFactory, SanctionEpisodeFactory
from tests.support.factories import SupportCaseFactory
from tests.trust.budget import examples, hypothesis_settings, record_stat

User = get_user_model()

CHECKED_MODELS = [
    Person,
    GroupMembership,
    Involvement,
    Notification,
    SupportCase,
    Group,
    Incident,
    CallIn,
    SanctionEpisode,
    SanctionAction,
]
N_SITES, N_ORGS = 2, 3
# Every role appears; the roles that see compartmented rows are drawn more often.
ROLES = list(Role.values) + [Role.ANALYST, Role.CASEWORKER, Role.COORDINATOR, Role.PROBATION_OFFICER] * 2


# ----- the reference model -----


@dataclass(frozen=True)
class RefMembership:
    organisation: int
    site: int | None
    role: str
    active: bool


@dataclass(frozen=True)
class RefRow:
    id: int
    site: int
    owner: int
    names_a_person: bool = True


def reference_allows(
    record_type: str,
    row: RefRow,
    user_active: bool,
    memberships: list[RefMembership],
    disclosed_to: set[tuple[str, int, int, int | None]],
    action: str,
) -> str | None:
    """The documented rule, one membership at a time:

    - an inactive user, an inactive membership and a membership without a site grant nothing;
    - the role's grant for the record type gives `action` on the rows owned by the member's organisation at
      the member's site (scope OWN) or on every row at the member's site (scope SITE);
    - a role that may view the record type at all also views the rows actively disclosed to the member's
      organisation, at the row's own site (a disclosure naming no other site) or at the member's site when
      the disclosure names it (another site, chosen explicitly); disclosures never give more than viewing;
    - an involvement that names no person is group-level: whoever may view incidents at the site views it.

    Returns why the row is allowed ("scope", "disclosure", "disclosure_other_site", "shared") or None.
    """
    if not user_active:
        return None
    reason = None  # a scope grant from a later membership still wins: it is the stronger reason
    for membership in memberships:
        if not membership.active or membership.site is None:
            continue
        grant = PERMISSIONS.get(record_type, {}).get(membership.role)
        if grant is not None and action in grant.actions:
            if grant.scope == SITE and row.site == membership.site:
                return "scope"
            if grant.scope == OWN and (row.site, row.owner) == (membership.site, membership.organisation):
                return "scope"
        if action != VIEW:
            continue
        if grant is not None and VIEW in grant.actions:
            key = (record_type, row.id, membership.organisation)
            if (*key, None) in disclosed_to and row.site == membership.site:
                reason = "disclosure"
            elif (*key, membership.site) in disclosed_to:
                reason = "disclosure_other_site"
        if record_type == "incidents.involvement" and not row.names_a_person:
            incident_grant = PERMISSIONS["incidents.incident"].get(membership.role)
            if incident_grant is not None and VIEW in incident_grant.actions and row.site == membership.site:
                reason = "shared"
    return reason


# ----- random worlds -----

RECORD_KINDS = [
    "person",
    "membership",
    "involvement_person",
    "involvement_group",
    "notification",
    "supportcase",
    "group",
    "incident",
    "callin",
    "sanctionaction",
]
DISCLOSURE_STATES = ["active", "time_limited", "expired", "revoked", "not_yet_decided", "other_type"]

site_index = st.integers(0, N_SITES - 1)
org_index = st.integers(0, N_ORGS - 1)
mostly_true = st.sampled_from([True, True, True, False])

membership_spec = st.tuples(org_index, st.one_of(site_index, st.none()), st.sampled_from(ROLES), mostly_true)
user_spec = st.tuples(
    mostly_true, st.lists(membership_spec, min_size=0, max_size=3, unique_by=lambda m: m[:3])
)
record_spec = st.tuples(st.sampled_from(RECORD_KINDS), site_index, org_index)
disclosure_spec = st.tuples(
    st.integers(0, 1000),
    org_index,
    st.sampled_from(DISCLOSURE_STATES + ["active", "time_limited"]),
    st.one_of(st.none(), st.none(), site_index),  # to another site (by name), mostly to the record's own
)
world_spec = st.fixed_dictionaries(
    {
        "users": st.lists(user_spec, min_size=1, max_size=3),
        "records": st.lists(record_spec, min_size=1, max_size=8),
        "disclosures": st.lists(disclosure_spec, max_size=8),
    }
)


def _create_record(kind: str, site, owner):
    """One record of `kind` (and the parents it needs, in the same compartment). Returns the record."""
    kw = {"site": site, "owner": owner}
    if kind == "person":
        return PersonFactory(**kw)
    if kind == "membership":
        return GroupMembershipFactory(person=PersonFactory(**kw), group=GroupFactory(**kw), **kw)
    if kind in ("involvement_person", "involvement_group"):
        person = PersonFactory(**kw) if kind == "involvement_person" else None
        return InvolvementFactory(
            incident=IncidentFactory(**kw), group=GroupFactory(**kw), person=person, **kw
        )
    if kind == "notification":
        return NotificationFactory(person=PersonFactory(**kw), **kw)
    if kind == "supportcase":
        return SupportCaseFactory(**kw)
    if kind == "group":
        return GroupFactory(**kw)
    if kind == "incident":
        return IncidentFactory(**kw)
    if kind == "callin":
        return CallInFactory(**kw)
    if kind == "sanctionaction":
        episode = SanctionEpisodeFactory(group=GroupFactory(**kw), **kw)
        return SanctionActionFactory(episode=episode, **kw)
    raise AssertionError(kind)


def _disclosure_times(state: str, now):
    # Every disclosure has an end (disclosure_rules); "active" ends far beyond the checked moment.
    decided, expires, revoked = now - timedelta(days=1), now + timedelta(days=365), None
    if state == "time_limited":
        expires = now + timedelta(days=1)
    elif state == "expired":
        expires = now - timedelta(hours=1)
    elif state == "revoked":
        revoked = now - timedelta(hours=1)
    elif state == "not_yet_decided":
        decided = now + timedelta(days=1)
    return decided, expires, revoked


def build_and_check(spec, seen: dict) -> None:
    """Create the world, compare visible_to with the reference model for every user, model and action.

    Counts into `seen`: comparisons made, and rows allowed per reason ("scope", "disclosure", "shared") or
    withheld only because of a disclosure's state ("withheld_by_state"), so the test can show that every
    branch of the rules was exercised.
    """
    now = timezone.now()
    sites = [
        Site.objects.create(name=f"Prop ort {i}", slug=f"prop-{i}", municipality="X") for i in range(N_SITES)
    ]
    orgs = [
        Organisation.objects.create(name=f"Prop org {i}", short_name=f"P{i}", type=Organisation.Type.POLICE)
        for i in range(N_ORGS)
    ]
    decider = User.objects.create(username="prop-decider")
    users = []
    for number, (user_active, memberships) in enumerate(spec["users"]):
        user = User.objects.create(username=f"prop-user-{number}", is_active=user_active)
        ref = []
        for org_i, site_i, role, active in memberships:
            site = sites[site_i] if site_i is not None else None
            Membership.objects.create(  # approved: waiting grants are tested in tests/access
                user=user,
                organisation=orgs[org_i],
                site=site,
                role=role,
                is_active=active,
                approved_at=timezone.now(),
            )
            ref.append(RefMembership(orgs[org_i].pk, site.pk if site else None, role, active))
        users.append((user, user_active, ref))

    records = [_create_record(kind, sites[s], orgs[o]) for kind, s, o in spec["records"]]
    disclosed_to: set[tuple[str, int, int, int | None]] = set()
    ever_disclosed: set[tuple[str, int, int, int | None]] = (
        set()
    )  # whatever the state: what the state withholds
    content_types = {model: ContentType.objects.get_for_model(model) for model in CHECKED_MODELS}
    for index, to_org_i, state, to_site_i in spec["disclosures"]:
        record = records[index % len(records)]
        model = type(record)
        content_type = content_types[model]
        if state == "other_type":
            # An active disclosure of whatever record of another type has the same id: it opens that record
            # (if it exists), never this one. Visibility is keyed by (record type, id), not by id alone.
            others = [m for m in CHECKED_MODELS if m is not model]
            content_type = content_types[others[index % len(others)]]
        decided, expires, revoked = _disclosure_times(state, now)
        Disclosure.objects.create(
            from_organisation_id=record.owner_id,
            to_organisation=orgs[to_org_i],
            content_type=content_type,
            object_id=record.pk,
            legal_ground=Disclosure.LegalGround.OSL_10_18A,
            purpose="Egenskapstest",
            decided_by=decider,
            decided_at=decided,
            expires_at=expires,
            revoked_at=revoked,
            site=record.site,
            to_site=sites[to_site_i] if to_site_i is not None else None,
        )
        to_site = sites[to_site_i].pk if to_site_i is not None else None
        key = (content_type.model_class()._meta.label_lower, record.pk, orgs[to_org_i].pk, to_site)
        ever_disclosed.add(key)
        if state in ("active", "time_limited", "other_type"):
            disclosed_to.add(key)

    for model in CHECKED_MODELS:
        record_type = model._meta.label_lower
        fields = ["id", "site_id", "owner_id"] + (["person_id"] if model is Involvement else [])
        rows = [
            RefRow(v["id"], v["site_id"], v["owner_id"], v.get("person_id", 1) is not None)
            for v in model._base_manager.values(*fields)
        ]
        for user, user_active, memberships in users:
            for action in ACTIONS:
                expected = set()
                for row in rows:
                    reason = reference_allows(
                        record_type, row, user_active, memberships, disclosed_to, action
                    )
                    if reason:
                        expected.add(row.id)
                        seen[reason] += 1
                    elif reference_allows(record_type, row, user_active, memberships, ever_disclosed, action):
                        seen["withheld_by_state"] += 1
                actual = set(model.objects.visible_to(user, action).values_list("id", flat=True))
                assert actual == expected, (
                    f"{record_type} {action} for {user.username} {memberships}: "
                    f"leaked {sorted(actual - expected)}, withheld {sorted(expected - actual)}"
                )
                seen["comparisons"] += 1
            # The same rules scope the version history (the audit "as of a date" reads it).
            history = [
                (
                    v["history_id"],
                    RefRow(v["id"], v["site_id"], v["owner_id"], v.get("person_id", 1) is not None),
                )
                for v in model.history.values("history_id", *fields)
            ]
            expected = {
                history_id
                for history_id, row in history
                if reference_allows(record_type, row, user_active, memberships, disclosed_to, VIEW)
            }
            visible = model.history.filter(compartment_q(user, model, VIEW))
            actual = set(visible.values_list("history_id", flat=True))
            assert actual == expected, f"history of {record_type} for {user.username}: {actual ^ expected}"
            seen["history_comparisons"] += 1


# Worlds that always run first: each branch of the rules at least once, whatever the random draw.
KNOWN_WORLDS = [
    {  # a caseworker at site 0 of org 1 sees org 0's person only while the disclosure is active
        "users": [(True, [(1, 0, Role.CASEWORKER, True)]), (True, [(2, 1, Role.ANALYST, True)])],
        "records": [("person", 0, 0), ("membership", 1, 0), ("involvement_group", 0, 0)],
        "disclosures": [
            (0, 1, "active", None),
            (1, 2, "expired", None),
            (1, 2, "revoked", None),
            (2, 1, "other_type", None),
        ],
    },
    {  # group-level involvements are shared at the site; person-level ones are not
        "users": [(True, [(0, 0, Role.PROBATION_OFFICER, True), (1, None, Role.NATIONAL_ANALYST, True)])],
        "records": [("involvement_group", 0, 1), ("involvement_person", 0, 1), ("supportcase", 0, 0)],
        "disclosures": [(0, 0, "not_yet_decided", None), (2, 0, "time_limited", None)],
    },
    {  # a site is a compartment: a disclosure opens its record at the record's site, or at a named other site
        "users": [(True, [(1, 1, Role.ANALYST, True)]), (True, [(1, 0, Role.CASEWORKER, True)])],
        "records": [("person", 0, 0), ("notification", 0, 0), ("membership", 1, 2)],
        "disclosures": [(0, 1, "active", None), (1, 1, "active", 1), (2, 1, "expired", 0)],
    },
]


@pytest.mark.django_db
def test_visible_to_matches_the_reference_model():
    budget = examples(30)
    seen = dict.fromkeys(
        [
            "examples",
            "comparisons",
            "history_comparisons",
            "scope",
            "disclosure",
            "disclosure_other_site",
            "shared",
            "withheld_by_state",
        ],
        0,
    )

    @settings(
        max_examples=budget,
        **hypothesis_settings(),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(spec=world_spec)
    @example(spec=KNOWN_WORLDS[0])
    @example(spec=KNOWN_WORLDS[1])
    @example(spec=KNOWN_WORLDS[2])
    def check(spec):
        with transaction.atomic():
            try:
                build_and_check(spec, seen)
                seen["examples"] += 1
            finally:
                transaction.set_rollback(True)

    check()
    record_stat("hypothesis_access", **seen)
    # The random worlds must have exercised every branch of the rules, not only the easy ones.
    assert all(
        seen[key] > 0
        for key in ("scope", "disclosure", "disclosure_other_site", "shared", "withheld_by_state")
    ), seen


@pytest.mark.django_db
def test_reference_model_sanity():
    """The reference model itself, on hand-picked cases (so a wrong model cannot pass silently)."""
    police_analyst = [RefMembership(1, 10, Role.ANALYST, True)]
    own = RefRow(1, 10, 1)
    other_org = RefRow(2, 10, 2)
    other_site = RefRow(3, 20, 1)
    allows = reference_allows
    assert allows("groups.person", own, True, police_analyst, set(), VIEW)
    assert not allows("groups.person", other_org, True, police_analyst, set(), VIEW)
    assert not allows("groups.person", other_site, True, police_analyst, set(), VIEW)
    assert allows("groups.group", other_org, True, police_analyst, set(), "change")
    assert not allows("groups.group", other_site, True, police_analyst, set(), VIEW)
    disclosed = {("groups.person", 2, 1, None)}
    assert allows("groups.person", other_org, True, police_analyst, disclosed, VIEW)
    assert not allows("groups.person", other_org, True, police_analyst, disclosed, "change")
    assert not allows("groups.person", own, False, police_analyst, set(), VIEW)
    # A site is a compartment: another site's record opens only when the disclosure names this site.
    elsewhere = RefRow(6, 20, 2)
    assert not allows("groups.person", elsewhere, True, police_analyst, {("groups.person", 6, 1, None)}, VIEW)
    assert not allows("groups.person", elsewhere, True, police_analyst, {("groups.person", 6, 1, 30)}, VIEW)
    assert allows("groups.person", elsewhere, True, police_analyst, {("groups.person", 6, 1, 10)}, VIEW)
    community = [RefMembership(1, 10, Role.COMMUNITY_PARTNER, True)]
    assert not allows("groups.person", own, True, community, {("groups.person", 1, 1, None)}, VIEW)
    assert allows("communication.callin", other_org, True, community, set(), VIEW)
    group_only = RefRow(4, 10, 2, names_a_person=False)
    caseworker = [RefMembership(1, 10, Role.CASEWORKER, True)]
    assert allows("incidents.involvement", group_only, True, caseworker, set(), VIEW)
    assert not allows("incidents.involvement", RefRow(5, 10, 2), True, caseworker, set(), VIEW)
    assert not allows("support.supportcase", own, True, police_analyst, set(), VIEW)
    assert not allows("groups.person", own, True, [RefMembership(1, None, Role.ANALYST, True)], set(), VIEW)
