"""Invented data at demo, small or national scale, loaded through bulk paths.

PostgreSQL gets every table through COPY (psycopg 3 `cursor.copy()`); other databases (SQLite in the test
suite) get `executemany`. Rows are generated column-wise with NumPy from one seed, so the same scale always
gives the same world. Violence is concentrated: sites and groups are drawn with Zipf-like weights, so a
few groups drive most incidents, as in the Swedish picture.
"""

import json
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

import numpy as np
from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Max
from django.utils import timezone

from gvi.access.models import AccessLog, AccessLogHead
from gvi.groups.models import Group, GroupMembership, GroupRelation, Person
from gvi.incidents.models import Incident, Involvement
from gvi.partnership.models import Area, Membership, Organisation, Role, Site
from gvi.sanctions.models import SanctionAction, SanctionEpisode
from gvi.support.models import SupportCase

BENCH_PASSWORD = "bench-gvi-2026-lösen"
BENCH_USERNAME = "bench_analytiker"
TODAY = date(2026, 11, 29)
EPOCH = datetime(2026, 11, 29, tzinfo=UTC)


@dataclass(frozen=True)
class Scale:
    name: str
    sites: int
    persons: int
    groups: int
    memberships: int
    relations: int
    incidents: int
    support_cases: int
    sanction_actions: int
    access_log: int
    years: int = 10


SCALES = {
    "tiny": Scale("tiny", 2, 60, 8, 120, 10, 300, 20, 10, 100, years=3),
    "demo": Scale("demo", 3, 600, 30, 1_500, 200, 5_000, 500, 200, 5_000),
    "small": Scale("small", 5, 2_000, 100, 5_000, 700, 20_000, 1_500, 700, 20_000),
    "national": Scale("national", 30, 60_000, 3_000, 150_000, 20_000, 1_000_000, 50_000, 20_000, 2_000_000),
}

ORG_TYPES = [
    Organisation.Type.POLICE,
    Organisation.Type.MUNICIPALITY,
    Organisation.Type.PROBATION,
    Organisation.Type.COMMUNITY,
]
AREAS = ["Centrum", "Norr", "Söder", "Öster", "Väster", "Hamnen", "Parken", "Torget"]
INCIDENT_TYPES = np.array(
    ["shooting", "explosion", "lethal", "attempted_murder", "aggravated_assault", "arson", "other"]
)
INCIDENT_TYPE_P = [0.3, 0.12, 0.05, 0.08, 0.3, 0.1, 0.05]
AGE_BANDS = np.array(["u15", "15-17", "18-20", "21-25", "26-35", "36+"])
CONFIDENCES = np.array(["high", "medium", "low"])
LEVERS = np.array(["targeted_controls", "prioritised_investigations", "warrants", "weapons_searches"])


def zipf_weights(n: int, exponent: float) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1) ** exponent
    return weights / weights.sum()


@dataclass
class SeedReport:
    scale: Scale
    rows: dict = field(default_factory=dict)  # table -> rows written
    seconds: dict = field(default_factory=dict)  # table -> seconds
    total_seconds: float = 0.0
    method: str = ""

    @property
    def total_rows(self) -> int:
        return sum(self.rows.values())


class _Writer:
    """Writes (column tuple, row iterable) into a table by the fastest path the database offers."""

    def __init__(self, report: SeedReport):
        self.report = report
        self.postgres = connection.vendor == "postgresql"
        report.method = "PostgreSQL COPY" if self.postgres else "executemany"

    def write(self, model, values: dict, count: int) -> None:
        """`values`: field name -> sequence of length `count` (or a constant). Other columns get defaults."""
        started = time.perf_counter()
        columns, sources = [], []
        for model_field in model._meta.concrete_fields:
            name = model_field.attname if model_field.is_relation else model_field.name
            if name in values or model_field.name in values:
                value = values.get(name, values.get(model_field.name))
            elif model_field.has_default():
                value = model_field.get_default()
            elif model_field.null:
                value = None
            elif getattr(model_field, "auto_now", False) or getattr(model_field, "auto_now_add", False):
                value = EPOCH
            else:
                value = ""
            if model_field.get_internal_type() == "JSONField" and not isinstance(
                value, list | tuple | np.ndarray
            ):
                value = json.dumps(value)
            elif model_field.get_internal_type() == "JSONField" and isinstance(value, list) and not value:
                value = "[]"
            columns.append(model_field.column)
            if isinstance(value, np.ndarray):
                value = value.tolist()
            sources.append(value if isinstance(value, list) else None)
            if not isinstance(value, list):
                sources[-1] = _Constant(value)
        rows = zip(
            *(source if isinstance(source, list) else source.repeat(count) for source in sources), strict=True
        )
        table = model._meta.db_table
        with connection.cursor() as cursor:
            if self.postgres:
                quoted = ", ".join(f'"{c}"' for c in columns)
                with cursor.cursor.copy(f'COPY "{table}" ({quoted}) FROM STDIN') as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                marks = ", ".join(["%s"] * len(columns))
                quoted = ", ".join(f'"{c}"' for c in columns)
                cursor.executemany(f'INSERT INTO "{table}" ({quoted}) VALUES ({marks})', list(rows))
        self.report.rows[table] = self.report.rows.get(table, 0) + count
        self.report.seconds[table] = self.report.seconds.get(table, 0.0) + time.perf_counter() - started


class _Constant:
    def __init__(self, value):
        self.value = value

    def repeat(self, count: int):
        return [self.value] * count


def _next_id(model) -> int:
    return (model._default_manager.aggregate(top=Max("pk"))["top"] or 0) + 1


def _timestamps(rng, count: int, days: int) -> list:
    """`count` aware datetimes spread over the last `days` days (seconds resolution), ascending."""
    offsets = np.sort(rng.integers(0, days * 86_400, size=count))
    return [EPOCH - timedelta(seconds=int(s)) for s in offsets[::-1]]


def _dates(rng, count: int, low_days: int, high_days: int) -> list:
    """Dates between TODAY + low_days and TODAY + high_days (either may be negative)."""
    offsets = rng.integers(low_days, high_days, size=count)
    base = TODAY.toordinal()
    return [date.fromordinal(base + int(o)) for o in offsets]


def _pick(rng, choices: np.ndarray, count: int, p=None) -> list:
    return choices[rng.choice(len(choices), size=count, p=p)].tolist()


def seed(scale: Scale, rng_seed: int = 2026, log=None) -> SeedReport:
    """Write one invented world of the given scale into the default database, in one transaction."""
    report = SeedReport(scale)
    started = time.perf_counter()
    rng = np.random.default_rng(rng_seed)
    writer = _Writer(report)
    say = log or (lambda message: None)
    with transaction.atomic():
        sites, orgs = _sites_and_organisations(scale)
        _bench_users(sites, orgs)
        site_ids = np.array([s.pk for s in sites])
        # Each site's list of areas (the same names everywhere); incidents refer to them.
        area_ids = np.array([[Area.objects.create(site=s, name=name).pk for name in AREAS] for s in sites])
        site_weight = zipf_weights(len(sites), 0.8)
        police = np.array([orgs[(s.pk, Organisation.Type.POLICE)].pk for s in sites])
        municipality = np.array([orgs[(s.pk, Organisation.Type.MUNICIPALITY)].pk for s in sites])
        probation = np.array([orgs[(s.pk, Organisation.Type.PROBATION)].pk for s in sites])

        # Groups: each site's groups ranked; a group's violence weight falls with its rank (Zipf).
        n = scale.groups
        group_site = np.sort(rng.choice(len(sites), size=n, p=site_weight))
        group_id0 = _next_id(Group)
        group_ids = np.arange(group_id0, group_id0 + n)
        group_weight = zipf_weights(n, 1.1)[rng.permutation(n)]
        writer.write(
            Group,
            {
                "id": group_ids,
                "site_id": site_ids[group_site],
                "owner_id": police[group_site],
                "created_at": EPOCH,
                "updated_at": EPOCH,
                "name": [f"Grupp {i}" for i in group_ids.tolist()],
                "area": _pick(rng, np.array(AREAS), n),
                "status": _pick(rng, np.array(["active", "dormant", "dissolved"]), n, [0.7, 0.2, 0.1]),
                "violence_tier": rng.integers(1, 5, size=n),
                "next_review": _dates(rng, n, -30, 365),
            },
            n,
        )
        say(f"groups: {n}")

        # Persons: owned mostly by the police, some by social services and probation.
        n = scale.persons
        person_site = np.sort(rng.choice(len(sites), size=n, p=site_weight))
        person_id0 = _next_id(Person)
        person_ids = np.arange(person_id0, person_id0 + n)
        owner_kind = rng.choice(3, size=n, p=[0.7, 0.2, 0.1])
        owners = np.where(
            owner_kind == 0,
            police[person_site],
            np.where(owner_kind == 1, municipality[person_site], probation[person_site]),
        )
        bands = rng.choice(len(AGE_BANDS), size=n, p=[0.03, 0.12, 0.25, 0.3, 0.2, 0.1])
        writer.write(
            Person,
            {
                "id": person_ids,
                "site_id": site_ids[person_site],
                "owner_id": owners,
                "created_at": EPOCH,
                "updated_at": EPOCH,
                "review_date": _dates(rng, n, -20, 365),
                "alias": [f"Person {i}" for i in person_ids.tolist()],
                "birth_year": (2026 - 14 - bands * 4).tolist(),
                "age_band": AGE_BANDS[bands].tolist(),
                "is_minor": (bands < 2).tolist(),
                "is_suspected_perpetrator": (rng.random(n) < 0.8).tolist(),
                "is_victim": (rng.random(n) < 0.15).tolist(),
                "is_at_risk": (rng.random(n) < 0.3).tolist(),
                "personal_number_hash": "",
            },
            n,
        )
        say(f"persons: {n}")

        # Memberships: a person joins groups at their own site; big groups attract more members.
        n = scale.memberships
        member_person = rng.integers(0, scale.persons, size=n)
        member_site = person_site[member_person]
        member_group = _group_at_site(rng, member_site, group_site, group_weight)
        id0 = _next_id(GroupMembership)
        writer.write(
            GroupMembership,
            {
                "id": np.arange(id0, id0 + n),
                "site_id": site_ids[member_site],
                "owner_id": owners[member_person],
                "created_at": EPOCH,
                "updated_at": EPOCH,
                "review_date": _dates(rng, n, -20, 365),
                "person_id": person_ids[member_person],
                "group_id": group_ids[member_group],
                "role": _pick(rng, np.array(["core", "associate"]), n, [0.35, 0.65]),
                "valid_from": _dates(rng, n, -3650, -1),
                "criteria": json.dumps(["egen_uppgift"]),
                "confidence": _pick(rng, CONFIDENCES, n),
            },
            n,
        )
        say(f"memberships: {n}")

        # Relations between two groups at the same site; violent groups are in more conflicts.
        n = scale.relations
        # Draw extra pairs: a violent group often draws itself as its own counterpart, which is dropped.
        rel_a = rng.choice(scale.groups, size=2 * n, p=group_weight)
        rel_b = _group_at_site(rng, group_site[rel_a], group_site, group_weight)
        distinct = rel_a != rel_b
        rel_a, rel_b = rel_a[distinct][:n], rel_b[distinct][:n]
        n = int(rel_a.size)
        relation_id0 = _next_id(GroupRelation)
        relation_ids = np.arange(relation_id0, relation_id0 + n)
        relation_type = _pick(rng, np.array(["conflict", "alliance", "unknown"]), n, [0.5, 0.4, 0.1])
        writer.write(
            GroupRelation,
            {
                "id": relation_ids,
                "site_id": site_ids[group_site[rel_a]],
                "owner_id": police[group_site[rel_a]],
                "created_at": EPOCH,
                "updated_at": EPOCH,
                "review_date": _dates(rng, n, -20, 365),
                "group_a_id": group_ids[rel_a],
                "group_b_id": group_ids[rel_b],
                "type": relation_type,
                "intensity": rng.integers(1, 4, size=n),
                "since": _dates(rng, n, -3650, -30),
                "last_evidence": _dates(rng, n, -365, 0),
                "confidence": _pick(rng, CONFIDENCES, n),
                "basis": "Syntetisk",
            },
            n,
        )
        say(f"relations: {n}")

        # Incidents over `years` years, each attributed to a suspect group drawn by violence weight.
        n = scale.incidents
        suspect = rng.choice(scale.groups, size=n, p=group_weight)
        incident_site = group_site[suspect]
        incident_id0 = _next_id(Incident)
        incident_ids = np.arange(incident_id0, incident_id0 + n)
        types = rng.choice(len(INCIDENT_TYPES), size=n, p=INCIDENT_TYPE_P)
        dead = ((rng.random(n) < 0.08) | (types == 2)).astype(int)
        writer.write(
            Incident,
            {
                "id": incident_ids,
                "site_id": site_ids[incident_site],
                "owner_id": police[incident_site],
                "created_at": EPOCH,
                "updated_at": EPOCH,
                "type": INCIDENT_TYPES[types].tolist(),
                "confirmed_shooting": (types == 0).tolist(),
                "occurred_at": _timestamps(rng, n, 365 * scale.years),
                "area_id": area_ids[incident_site, rng.choice(len(AREAS), size=n)],
                "dead": dead,
                "injured": rng.poisson(0.6, size=n),
                "police_reference": [f"5000-K{i}" for i in incident_ids.tolist()],
                "status": _pick(rng, np.array(["new", "reviewed", "closed"]), n, [0.05, 0.25, 0.7]),
            },
            n,
        )
        say(f"incidents: {n}")

        # Involvements: the suspect group always; a victim group for a third of incidents; a named
        # person (a member of the suspect group's site) for a tenth.
        victim = rng.random(n) < 0.33
        victim_group = _group_at_site(rng, incident_site[victim], group_site, group_weight)
        named = np.flatnonzero(rng.random(n) < 0.1)
        named_person = _person_at_site(rng, incident_site[named], person_site)
        inv_incident = np.concatenate([incident_ids, incident_ids[victim], incident_ids[named]])
        inv_site = np.concatenate([incident_site, incident_site[victim], incident_site[named]])
        inv_group = np.concatenate([group_ids[suspect], group_ids[victim_group], group_ids[suspect[named]]])
        inv_person = [None] * int(n + victim.sum()) + person_ids[named_person].tolist()
        inv_owner = np.concatenate(
            [police[incident_site], police[incident_site[victim]], owners[named_person]]
        )
        m = int(inv_incident.size)
        roles = ["suspect"] * n + ["victim"] * int(victim.sum()) + ["suspect"] * int(named.size)
        id0 = _next_id(Involvement)
        writer.write(
            Involvement,
            {
                "id": np.arange(id0, id0 + m),
                "site_id": site_ids[inv_site],
                "owner_id": inv_owner,
                "created_at": EPOCH,
                "updated_at": EPOCH,
                "incident_id": inv_incident,
                "person_id": inv_person,
                "group_id": inv_group,
                "role": roles,
                "member_status": _pick(rng, np.array(["confirmed", "suspected", "unknown"]), m),
                "confidence": _pick(rng, CONFIDENCES, m),
            },
            m,
        )
        say(f"involvements: {m}")

        # Support cases, owned by social services at the person's site.
        n = scale.support_cases
        case_person = rng.integers(0, scale.persons, size=n)
        case_site = person_site[case_person]
        id0 = _next_id(SupportCase)
        writer.write(
            SupportCase,
            {
                "id": np.arange(id0, id0 + n),
                "site_id": site_ids[case_site],
                "owner_id": municipality[case_site],
                "created_at": EPOCH,
                "updated_at": EPOCH,
                "review_date": _dates(rng, n, -20, 365),
                "pseudonym": [f"Ärende {i}" for i in range(id0, id0 + n)],
                "person_id": person_ids[case_person],
                "intake_route": _pick(
                    rng,
                    np.array(["call_in", "notification", "hotline", "self_referral", "agency_referral"]),
                    n,
                ),
                "requested_at": _dates(rng, n, -3650, -1),
                "status": _pick(
                    rng, np.array(["requested", "active", "completed", "dropped_out", "closed_other"]), n
                ),
            },
            n,
        )
        say(f"support cases: {n}")

        # Sanction episodes (four actions each), closed except at most one open per group.
        n_actions = scale.sanction_actions
        n_episodes = max(1, -(-n_actions // 4))
        episode_group = rng.choice(scale.groups, size=n_episodes, p=group_weight)
        episode_site = group_site[episode_group]
        episode_id0 = _next_id(SanctionEpisode)
        episode_ids = np.arange(episode_id0, episode_id0 + n_episodes)
        proposed = _timestamps(rng, n_episodes, 365 * scale.years)
        _, first = np.unique(episode_group, return_index=True)
        status = np.full(n_episodes, "closed", dtype=object)
        status[first[: max(1, first.size // 10)]] = "open"
        writer.write(
            SanctionEpisode,
            {
                "id": episode_ids,
                "site_id": site_ids[episode_site],
                "owner_id": police[episode_site],
                "created_at": EPOCH,
                "updated_at": EPOCH,
                "group_id": group_ids[episode_group],
                "status": status.tolist(),
                "proposed_at": proposed,
                "decision_deadline": [p + timedelta(hours=48) for p in proposed],
                "decided_at": proposed,
                "start_date": [p.date() for p in proposed],
            },
            n_episodes,
        )
        action_episode = np.repeat(np.arange(n_episodes), 4)[:n_actions]
        id0 = _next_id(SanctionAction)
        writer.write(
            SanctionAction,
            {
                "id": np.arange(id0, id0 + n_actions),
                "site_id": site_ids[episode_site[action_episode]],
                "owner_id": police[episode_site[action_episode]],
                "created_at": EPOCH,
                "updated_at": EPOCH,
                "episode_id": episode_ids[action_episode],
                "lever": _pick(rng, LEVERS, n_actions),
                "status": "done",
                "checks_made": rng.poisson(3, size=n_actions),
            },
            n_actions,
        )
        say(f"sanction episodes: {n_episodes}, actions: {n_actions}")

        _access_log(writer, rng, scale.access_log, person_ids)
        say(f"access log: {scale.access_log}")
        _reset_sequences(report)
    report.total_seconds = time.perf_counter() - started
    return report


def _group_at_site(
    rng, sites_wanted: np.ndarray, group_site: np.ndarray, group_weight: np.ndarray
) -> np.ndarray:
    """For each wanted site index, one group of that site drawn by violence weight (vectorised per site)."""
    out = np.empty(sites_wanted.size, dtype=np.int64)
    for site in np.unique(sites_wanted):
        where = np.flatnonzero(sites_wanted == site)
        candidates = np.flatnonzero(group_site == site)
        if candidates.size == 0:
            candidates = np.arange(group_site.size)
        p = group_weight[candidates] / group_weight[candidates].sum()
        out[where] = rng.choice(candidates, size=where.size, p=p)
    return out


def _person_at_site(rng, sites_wanted: np.ndarray, person_site: np.ndarray) -> np.ndarray:
    out = np.empty(sites_wanted.size, dtype=np.int64)
    for site in np.unique(sites_wanted):
        where = np.flatnonzero(sites_wanted == site)
        candidates = np.flatnonzero(person_site == site)
        if candidates.size == 0:
            candidates = np.arange(person_site.size)
        out[where] = rng.choice(candidates, size=where.size)
    return out


def _access_log(writer: _Writer, rng, count: int, person_ids: np.ndarray) -> None:
    """Person reads over the last year, hash-chained exactly as access.audit writes them."""
    head, _ = AccessLogHead.objects.select_for_update().get_or_create(pk=1)
    seq0, prev = head.seq, head.hash
    user = get_user_model().objects.get(username=BENCH_USERNAME)
    organisation_id = user.memberships.first().organisation_id
    record_ids = rng.choice(person_ids, size=count).tolist()
    times = _timestamps(rng, count, 365)[::-1]
    seqs, hashes, prevs = [], [], []
    entry = AccessLog(
        user_id_logged=user.pk,
        username=user.username,
        organisation_id_logged=organisation_id,
        role=Role.ANALYST,
        record_type="person",
        action="view",
        purpose="",
    )
    for index in range(count):
        entry.seq, entry.at, entry.record_id, entry.prev_hash = (
            seq0 + index + 1,
            times[index],
            str(record_ids[index]),
            prev,
        )
        prev = entry.compute_hash()
        seqs.append(entry.seq)
        prevs.append(entry.prev_hash)
        hashes.append(prev)
    id0 = _next_id(AccessLog)
    writer.write(
        AccessLog,
        {
            "id": list(range(id0, id0 + count)),
            "seq": seqs,
            "at": times,
            "user_id_logged": user.pk,
            "username": user.username,
            "organisation_id_logged": organisation_id,
            "role": Role.ANALYST,
            "record_type": "person",
            "record_id": [str(r) for r in record_ids],
            "action": "view",
            "purpose": "",
            "prev_hash": prevs,
            "hash": hashes,
            "keyed": True,
        },
        count,
    )
    if count:
        AccessLogHead.objects.filter(pk=1).update(seq=seqs[-1], hash=hashes[-1])


def _reset_sequences(report: SeedReport) -> None:
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in report.rows:
            cursor.execute(
                f"SELECT setval(pg_get_serial_sequence('\"{table}\"', 'id'), "
                f'(SELECT COALESCE(MAX(id), 1) FROM "{table}"))'
            )
            cursor.execute(f'ANALYZE "{table}"')


def _sites_and_organisations(scale: Scale):
    start = Site.objects.count()
    sites, orgs = [], {}
    for index in range(start + 1, start + scale.sites + 1):
        site = Site.objects.create(
            name=f"Benchort {index}",
            slug=f"benchort-{index}",
            municipality=f"Kommun {index}",
            gvi_start_date=date(2022, 1, 1),
        )
        sites.append(site)
        for org_type in ORG_TYPES:
            org = Organisation.objects.create(
                name=f"{org_type.label} Benchort {index}", short_name=f"{org_type[:4]}{index}", type=org_type
            )
            org.sites.add(site)
            orgs[(site.pk, org_type)] = org
    return sites, orgs


def _bench_users(sites, orgs) -> None:
    """One analyst (police) and one coordinator at the largest site: the users the load test signs in as."""
    User = get_user_model()
    site = sites[0]
    for username, role, org_type in (
        (BENCH_USERNAME, Role.ANALYST, Organisation.Type.POLICE),
        ("bench_samordnare", Role.COORDINATOR, Organisation.Type.MUNICIPALITY),
    ):
        user, created = User.objects.get_or_create(username=username)
        if created:
            user.set_password(BENCH_PASSWORD)
            user.save()
        Membership.objects.get_or_create(
            user=user,
            organisation=orgs[(site.pk, org_type)],
            site=site,
            role=role,
            defaults={"approved_at": timezone.now()},
        )
