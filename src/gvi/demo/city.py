"""The demo city: a fictional GVI partnership with synthetic groups, persons and incidents.

Everything is invented: the sites, districts and groups have made-up names, persons carry only codes
("Person A-017"), and police references use the non-existent region code 0000. The same seed and date
always give the same data.
"""

import math
import random
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from gvi.demo.accounts import DEMO_ACCOUNTS, DEMO_PASSWORD
from gvi.groups.models import Confidence, Group, GroupMembership, GroupRelation, Person
from gvi.incidents.models import Incident, Involvement
from gvi.partnership.models import Area, Membership, Organisation, Site

NATIONAL_ORG = ("Brå – nationellt stöd", "Brå")
OPERATOR_ORG = ("GVI-plattformens driftorganisation (demo)", "Drift")
HISTORY_DAYS = 3 * 365


class DemoCityExists(RuntimeError):
    """The demo data is already loaded (or its names are taken): loading again would duplicate it."""


@dataclass(frozen=True)
class GroupSpec:
    name: str
    aliases: str
    area: str
    status: str
    tier: int
    size: tuple[int, int]


@dataclass(frozen=True)
class RelationSpec:
    a: int
    b: int
    type: str
    intensity: int
    since_days_ago: int
    confidence: str
    basis: str


@dataclass(frozen=True)
class SiteSpec:
    name: str
    slug: str
    gvi_start_days_ago: int
    centre: tuple[float, float]
    areas: dict[str, tuple[float, float]]  # district -> offset from the centre (lat, lon)
    groups: list[GroupSpec]
    relations: list[RelationSpec]
    persons: int
    incidents: tuple[int, int]  # inclusive range for the number of incidents
    letters: str  # alias letters, distinct per site so aliases are unique across sites


# Other spellings an incident list from another system may use; the import matches them to the area.
AREA_ALIASES = {
    "Södra Exempelstad": ["Södra", "Exempelstad syd"],
    "Centrum": ["Exempelstad centrum"],
    "Norrby centrum": ["Centrala Norrby"],
}
OUTLINE_RADIUS = (0.008, 0.014)  # an area's rough outline: a hexagon this far (lat, lon) from its centre


def area_outline(centre: tuple[float, float]) -> list[list[float]]:
    """A rough hexagonal outline around an area's centre, as [latitude, longitude] pairs."""
    return [
        [
            round(centre[0] + OUTLINE_RADIUS[0] * math.sin(math.radians(60 * corner)), 6),
            round(centre[1] + OUTLINE_RADIUS[1] * math.cos(math.radians(60 * corner)), 6),
        ]
        for corner in range(6)
    ]


G = Group.Status
T = Group.Tier
R = GroupRelation.Type

SITES = [
    SiteSpec(
        name="Exempelstad",
        slug="exempelstad",
        gvi_start_days_ago=548,
        centre=(59.27, 15.21),
        areas={
            "Centrum": (0.0, 0.0),
            "Södra Exempelstad": (-0.022, 0.006),
            "Norrbacka": (0.020, -0.010),
            "Västerhöjden": (0.004, -0.034),
            "Granlunda": (-0.010, 0.032),
            "Björkdalen": (0.016, 0.026),
        },
        groups=[
            GroupSpec(
                "Exempelgänget Syd", "ES, Sydsidan", "Södra Exempelstad", G.ACTIVE, T.DRIVING, (12, 18)
            ),
            GroupSpec("Grupp Blå", "De blå", "Norrbacka", G.ACTIVE, T.HIGH, (8, 14)),
            GroupSpec("Grupp Röd", "", "Västerhöjden", G.ACTIVE, T.HIGH, (6, 10)),
            GroupSpec("Centrumnätverket", "CN", "Centrum", G.ACTIVE, T.MEDIUM, (5, 9)),
            GroupSpec("Granlundafalangen", "", "Granlunda", G.DORMANT, T.MEDIUM, (4, 7)),
            GroupSpec("Grupp Grön", "", "Björkdalen", G.DISSOLVED, T.LOW, (2, 4)),
        ],
        relations=[
            RelationSpec(
                0, 1, R.CONFLICT, 4, 820, Confidence.HIGH, "Skjutningar efter tvist om narkotikaområde"
            ),
            RelationSpec(2, 3, R.CONFLICT, 3, 420, Confidence.MEDIUM, "Hämndaktioner efter ett rån"),
            RelationSpec(
                0, 4, R.ALLIANCE, 2, 900, Confidence.MEDIUM, "Gemensam brottslighet, delade vapengömmor"
            ),
        ],
        persons=40,
        incidents=(185, 215),
        letters="ABCDEFGH",
    ),
    SiteSpec(
        name="Norrby",
        slug="norrby",
        gvi_start_days_ago=270,
        centre=(60.70, 16.90),
        areas={
            "Norrby centrum": (0.0, 0.0),
            "Älvsidan": (-0.015, 0.018),
            "Furuhöjden": (0.014, -0.020),
        },
        groups=[
            GroupSpec("Norrbygänget", "NG", "Norrby centrum", G.ACTIVE, T.HIGH, (6, 10)),
            GroupSpec("Grupp Gul", "", "Älvsidan", G.ACTIVE, T.HIGH, (5, 8)),
            GroupSpec("Furunätverket", "", "Furuhöjden", G.ACTIVE, T.LOW, (3, 6)),
        ],
        relations=[
            RelationSpec(0, 1, R.CONFLICT, 3, 520, Confidence.MEDIUM, "Konflikt om försäljningsplatser"),
            RelationSpec(1, 2, R.ALLIANCE, 1, 300, Confidence.LOW, "Enstaka gemensamma brott"),
        ],
        persons=15,
        incidents=(72, 88),
        letters="NOPRS",
    ),
]

# (age band, weight, (youngest, oldest))
AGE_BANDS = [
    (Person.AgeBand.UNDER_15, 3, (13, 14)),
    (Person.AgeBand.AGE_15_17, 20, (15, 17)),
    (Person.AgeBand.AGE_18_20, 25, (18, 20)),
    (Person.AgeBand.AGE_21_25, 27, (21, 25)),
    (Person.AgeBand.AGE_26_35, 18, (26, 35)),
    (Person.AgeBand.OVER_35, 7, (36, 45)),
]

IT = Incident.Type
MS = Involvement.MemberStatus
INCIDENT_TYPES = {
    IT.SHOOTING: 50,
    IT.EXPLOSION: 20,
    IT.AGGRAVATED_ASSAULT: 12,
    IT.ATTEMPTED_MURDER: 7,
    IT.ARSON: 5,
    IT.LETHAL: 4,
    IT.OTHER: 2,
}
# Types that police usually manage to link to a group.
GROUP_LINKED_TYPES = {IT.SHOOTING, IT.EXPLOSION, IT.LETHAL, IT.ATTEMPTED_MURDER}
# Relative frequency per hour of the day: most violence in the evening and at night.
HOUR_WEIGHTS = [5, 4, 3, 2, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 4, 5, 6, 7, 8, 8, 7]

PLACES = [
    "utanför en port",
    "mot ett bostadshus",
    "på en parkeringsplats",
    "vid ett torg",
    "på en gång- och cykelväg",
    "vid en pizzeria",
    "vid en idrottsplats",
]
SUMMARY_OPENINGS = {
    IT.SHOOTING: "Skottlossning {place} i {area}.",
    IT.EXPLOSION: "Detonation {place} i {area}, skador på fastigheten.",
    IT.LETHAL: "Dödligt våld {place} i {area}.",
    IT.ATTEMPTED_MURDER: "Försök till mord {place} i {area}.",
    IT.AGGRAVATED_ASSAULT: "Grov misshandel {place} i {area}.",
    IT.ARSON: "Anlagd brand i ett trapphus i {area}.",
    IT.OTHER: "Hot med skjutvapen {place} i {area}.",
}
MEMBERSHIP_BASES = [
    ["co_offending", "police_intelligence"],
    ["police_intelligence", "partner_information"],
    ["self_admission"],
    ["observed_with_group", "police_intelligence"],
    ["social_media", "observed_with_group"],
]


def load_demo_city(seed: int = 2026, today: date | None = None) -> dict:
    """Load the demo city into an empty database and return counts of what was created.

    Raises DemoCityExists if a demo site or demo username already exists; nothing is changed then.
    """
    today = today or timezone.localdate()
    with transaction.atomic():
        _refuse_if_loaded()
        builder = _Builder(random.Random(seed), today)
        summary = builder.build()
        compute_read_models()
        return summary


def compute_read_models() -> None:
    """What the worker computes after changes, done once here so the demo shows risk and network measures
    from the first page, before the worker has started."""
    from gvi.groups.network import recompute_site as measure_network
    from gvi.incidents.risk import recompute_site as compute_risk

    for site in Site.objects.order_by("pk"):
        measure_network(site)
        compute_risk(site)


def _refuse_if_loaded() -> None:
    slugs = [spec.slug for spec in SITES]
    names = [spec.name for spec in SITES]
    if Site.objects.filter(slug__in=slugs).exists() or Site.objects.filter(name__in=names).exists():
        raise DemoCityExists(
            "Demostaden är redan inläst (platsen Exempelstad eller Norrby finns). Använd en tom databas."
        )
    usernames = [account["username"] for account in DEMO_ACCOUNTS]
    taken = sorted(get_user_model().objects.filter(username__in=usernames).values_list("username", flat=True))
    if taken:
        raise DemoCityExists(f"Demoanvändarna finns redan: {', '.join(taken)}. Använd en tom databas.")


class _Builder:
    def __init__(self, rng: random.Random, today: date):
        self.rng = rng
        self.today = today
        self.tz = timezone.get_default_timezone()
        self.counts: dict = defaultdict(int)
        self.per_site: dict = {}

    # ----- partnership -----

    def build(self) -> dict:
        orgs: dict[str, Organisation] = {}
        sites: dict[str, Site] = {}
        national = self._organisation(*NATIONAL_ORG, Organisation.Type.NATIONAL)
        operator = self._organisation(*OPERATOR_ORG, Organisation.Type.OPERATOR)
        orgs[national.short_name] = national
        orgs[operator.short_name] = operator
        for spec in SITES:
            site = Site.objects.create(
                name=spec.name,
                slug=spec.slug,
                municipality=spec.name,
                gvi_start_date=self.today - timedelta(days=spec.gvi_start_days_ago),
            )
            self.counts["sites"] += 1
            sites[spec.slug] = site
            site_orgs = self._site_organisations(site)
            orgs.update({org.short_name: org for org in site_orgs.values()})
            self._populate_site(spec, site, site_orgs)
        self._create_users(orgs, sites)
        return {**dict(self.counts), "per_site": self.per_site}

    def _create_areas(self, spec: SiteSpec, site: Site) -> dict[str, Area]:
        """The site's list of areas (what incidents are counted by), each with a rough outline for the map."""
        areas = {}
        for name, (lat, lon) in spec.areas.items():
            areas[name] = Area.objects.create(
                site=site,
                name=name,
                aliases=AREA_ALIASES.get(name, []),
                outline=area_outline((spec.centre[0] + lat, spec.centre[1] + lon)),
            )
        self.counts["areas"] += len(areas)
        return areas

    def _organisation(self, name: str, short_name: str, type_: str, site: Site | None = None) -> Organisation:
        if site is None:
            org, created = Organisation.objects.get_or_create(
                name=name, defaults={"short_name": short_name, "type": type_}
            )
        else:
            org = Organisation.objects.create(name=name, short_name=short_name, type=type_)
            org.sites.add(site)
            created = True
        self.counts["organisations"] += int(created)
        return org

    def _site_organisations(self, site: Site) -> dict[str, Organisation]:
        n = site.name
        types = Organisation.Type
        return {
            "police": self._organisation(f"Polisen lokalpolisområde {n}", f"Polisen {n}", types.POLICE, site),
            "social": self._organisation(
                f"{n} kommun, socialtjänsten", f"Socialtjänsten {n}", types.MUNICIPALITY, site
            ),
            "coordination": self._organisation(
                f"{n} kommun, kommunledningskontoret", f"Kommunledningen {n}", types.MUNICIPALITY, site
            ),
            "probation": self._organisation(
                f"Kriminalvården frivård {n}", f"Frivården {n}", types.PROBATION, site
            ),
            "community": self._organisation(
                f"Föräldranätverket {n}", f"Föräldranätverket {n}", types.COMMUNITY, site
            ),
        }

    def _create_users(self, orgs: dict[str, Organisation], sites: dict[str, Site]) -> None:
        user_model = get_user_model()
        for account in DEMO_ACCOUNTS:
            user = user_model(
                username=account["username"],
                first_name=account["first_name"],
                last_name=account["last_name"],
                email=f"{account['username']}@demo.invalid",
                # Administration is by role: no Django staff or superuser flag, no raw permissions.
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            # The demo's memberships are in force from the start, as if approved when the demo city began.
            membership = Membership(
                user=user,
                organisation=orgs[account["organisation"]],
                site=sites[account["site"]] if account["site"] else None,
                role=account["role"],
                approves_access=account.get("approves_access", False),
                approves_entries=account.get("approves_entries", False),
                approved_at=timezone.now(),
            )
            membership.full_clean()
            membership.save()
            self.counts["users"] += 1
            self.counts["memberships"] += 1

    # ----- one site -----

    def _populate_site(self, spec: SiteSpec, site: Site, orgs: dict[str, Organisation]) -> None:
        police = orgs["police"]
        self.areas = self._create_areas(spec, site)
        groups = self._create_groups(spec, site, police)
        relations = self._create_relations(spec, site, police, groups)
        persons, memberships = self._create_persons(spec, site, orgs, groups)
        incidents, involvements = self._create_incidents(spec, site, police, groups, relations, memberships)
        self._create_audit_rounds(site, orgs)
        self.per_site[spec.slug] = {
            "groups": len(groups),
            "group_relations": len(relations),
            "persons": len(persons),
            "group_memberships": len(memberships),
            "incidents": len(incidents),
            "involvements": len(involvements),
        }
        for key, value in self.per_site[spec.slug].items():
            self.counts[key] += value

    def _create_audit_rounds(self, site: Site, orgs: dict[str, Organisation]) -> None:
        """Two earlier refreshes of the audit, so the audit page and its history have something to show."""
        from gvi.groups.models import AuditRound
        from gvi.groups.services import audit_changes

        previous = None
        for days_ago, note in [
            (120, "Halvårsgenomgång av kartläggningen (fiktiv)."),
            (30, "Kvartalsgenomgång (fiktiv)."),
        ]:
            held_on = self.today - timedelta(days=days_ago)
            audit_round = AuditRound.unscoped_all_sites.create(
                site=site,
                owner=orgs["police"],
                held_on=held_on,
                note=note,
                changes=audit_changes(site.pk, previous, held_on),
            )
            audit_round.participants.set(
                [org for key, org in orgs.items() if key in {"police", "social", "probation"}]
            )
            previous = held_on
        self.counts["audit_rounds"] += 2

    def _create_groups(self, spec: SiteSpec, site: Site, police: Organisation) -> list[Group]:
        groups = []
        for gs in spec.groups:
            last_reviewed = self.today - timedelta(days=self.rng.randint(20, 150))
            # Dormant groups are overdue for review: the demo shows the flag.
            next_review = last_reviewed + timedelta(days=120 if gs.status == G.DORMANT else 180)
            group = Group(
                site=site,
                owner=police,
                name=gs.name,
                aliases=gs.aliases,
                area=gs.area,
                status=gs.status,
                violence_tier=gs.tier,
                size_min=gs.size[0],
                size_max=gs.size[1],
                sources="Polisens underrättelseuppgifter och gemensam kartläggning i samverkan (fiktivt).",
                last_reviewed=last_reviewed,
                next_review=next_review,
            )
            group.full_clean()
            group.save()
            groups.append(group)
        return groups

    def _create_relations(
        self, spec: SiteSpec, site: Site, police: Organisation, groups: list[Group]
    ) -> list[GroupRelation]:
        relations = []
        for rs in spec.relations:
            relation = GroupRelation(
                site=site,
                owner=police,
                group_a=groups[rs.a],
                group_b=groups[rs.b],
                type=rs.type,
                intensity=rs.intensity,
                since=self.today - timedelta(days=rs.since_days_ago),
                last_evidence=self.today - timedelta(days=self.rng.randint(5, 60)),
                confidence=rs.confidence,
                basis=f"{rs.basis} (fiktivt underlag).",
                review_date=self.today + timedelta(days=self.rng.randint(30, 120)),
            )
            relation.full_clean()
            relation.save()
            relations.append(relation)
        return relations

    def _create_persons(
        self, spec: SiteSpec, site: Site, orgs: dict[str, Organisation], groups: list[Group]
    ) -> tuple[list[Person], list[GroupMembership]]:
        rng = self.rng
        numbers = rng.sample(range(1, 1000), spec.persons)
        group_weights = [sum(g.size) for g in spec.groups]
        persons: list[Person] = []
        memberships: list[GroupMembership] = []
        for index, number in enumerate(numbers):
            band, _weight, (youngest, oldest) = rng.choices(AGE_BANDS, weights=[b[1] for b in AGE_BANDS])[0]
            age = rng.randint(youngest, oldest)
            is_minor = age < 18
            owner_key = rng.choices(
                ["police", "social", "probation"], weights=[65, 35, 0] if is_minor else [75, 7, 18]
            )[0]
            # Some police entries are victims only, with no group: they show attribution without membership.
            victim_only = owner_key == "police" and rng.random() < 0.12
            flags = self._person_flags(owner_key, victim_only)
            if index % 13 == 5:
                review = self.today - timedelta(days=rng.randint(3, 40))  # overdue: the demo shows the flag
            elif is_minor:
                review = self.today + timedelta(days=rng.randint(30, 180))
            else:
                review = self.today + timedelta(days=rng.randint(60, 365))
            person = Person(
                site=site,
                owner=orgs[owner_key],
                alias=f"Person {spec.letters[index % len(spec.letters)]}-{number:03d}",
                birth_year=self.today.year - age,
                age_band=band,
                is_minor=is_minor,
                notes="Fiktiv person i demodata.",
                review_date=review,
                **flags,
            )
            person.full_clean()
            person.save()
            persons.append(person)
            if victim_only:
                continue
            group_index = rng.choices(range(len(groups)), weights=group_weights)[0]
            memberships.append(self._membership(person, groups[group_index], spec.groups[group_index]))
            if rng.random() < 0.06:  # a few associates of a second group
                other = rng.choice([i for i in range(len(groups)) if i != group_index])
                memberships.append(
                    self._membership(
                        person, groups[other], spec.groups[other], role=GroupMembership.Role.ASSOCIATE
                    )
                )
        return persons, memberships

    def _person_flags(self, owner_key: str, victim_only: bool) -> dict[str, bool]:
        rng = self.rng
        if victim_only:
            return {"is_suspected_perpetrator": False, "is_victim": True, "is_at_risk": rng.random() < 0.5}
        if owner_key == "social":
            return {
                "is_suspected_perpetrator": rng.random() < 0.3,
                "is_victim": rng.random() < 0.3,
                "is_at_risk": True,
            }
        if owner_key == "probation":
            return {"is_suspected_perpetrator": True, "is_victim": False, "is_at_risk": rng.random() < 0.3}
        flags = {
            "is_suspected_perpetrator": rng.random() < 0.9,
            "is_victim": rng.random() < 0.2,
            "is_at_risk": rng.random() < 0.35,
        }
        if not any(flags.values()):
            flags["is_at_risk"] = True
        return flags

    def _membership(
        self, person: Person, group: Group, gs: GroupSpec, role: str | None = None
    ) -> GroupMembership:
        rng = self.rng
        if role is None:
            core_share = 0.5 if gs.tier >= T.HIGH else 0.35
            role = GroupMembership.Role.CORE if rng.random() < core_share else GroupMembership.Role.ASSOCIATE
        if gs.status == G.DISSOLVED:
            valid_to = self.today - timedelta(days=rng.randint(200, 400))
            valid_from = valid_to - timedelta(days=rng.randint(200, 500))
        else:
            valid_to = None
            valid_from = self.today - timedelta(days=rng.randint(60, 900))
        if role == GroupMembership.Role.CORE:
            confidence = rng.choice([Confidence.HIGH, Confidence.HIGH, Confidence.MEDIUM])
        else:
            confidence = rng.choice([Confidence.MEDIUM, Confidence.LOW])
        membership = GroupMembership(
            site=person.site,
            owner=person.owner,
            person=person,
            group=group,
            role=role,
            valid_from=valid_from,
            valid_to=valid_to,
            criteria=list(rng.choice(MEMBERSHIP_BASES)),
            source_organisation=person.owner,
            evidence_note=(
                f"Fiktivt demounderlag: {rng.randint(2, 9)} underrättelseuppgifter, "
                f"senast {valid_from + timedelta(days=rng.randint(0, 50)):%Y-%m-%d}."
            ),
            confidence=confidence,
            review_date=min(person.review_date, self.today + timedelta(days=rng.randint(30, 240))),
        )
        membership.full_clean()
        membership.save()
        return membership

    # ----- incidents -----

    def _rate(self, day: date, gvi_start: date) -> float:
        """Relative incident rate: a late-summer peak and a decline of up to 30 % after the GVI start."""
        season = 1 + 0.15 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 220) / 365)
        effect = 1.0
        if day >= gvi_start:
            effect = 1 - 0.3 * min((day - gvi_start).days / 180, 1)
        return season * effect

    def _incident_days(self, spec: SiteSpec, gvi_start: date) -> list[date]:
        rng = self.rng
        first = self.today - timedelta(days=HISTORY_DAYS)
        days = [first + timedelta(days=i) for i in range(HISTORY_DAYS)]  # all strictly before today
        weights = [self._rate(day, gvi_start) for day in days]
        by_month: dict[tuple[int, int], list[int]] = defaultdict(list)
        for i, day in enumerate(days):
            by_month[(day.year, day.month)].append(i)
        # At least one incident every month so that monthly charts have no holes, then by the rate.
        chosen = [rng.choices(idx, weights=[weights[i] for i in idx])[0] for idx in by_month.values()]
        total = rng.randint(*spec.incidents)
        chosen += rng.choices(range(len(days)), weights=weights, k=total - len(chosen))
        return sorted(days[i] for i in chosen)

    def _create_incidents(
        self,
        spec: SiteSpec,
        site: Site,
        police: Organisation,
        groups: list[Group],
        relations: list[GroupRelation],
        memberships: list[GroupMembership],
    ) -> tuple[list[Incident], list[Involvement]]:
        rng = self.rng
        gvi_start = site.gvi_start_date
        conflicts = [r for r in relations if r.type == R.CONFLICT]
        # Police-coded involvements name only police-owned persons.
        suspects: dict[int, list[GroupMembership]] = defaultdict(list)
        victims: dict[int, list[GroupMembership]] = defaultdict(list)
        for m in memberships:
            if m.person.owner_id != police.pk:
                continue
            if m.person.is_suspected_perpetrator:
                suspects[m.group_id].append(m)
            if m.person.is_victim:
                victims[m.group_id].append(m)
        members = {m.person_id for m in memberships}
        lone_victims = list(
            Person.unscoped_all_sites.filter(site=site, owner=police, is_victim=True).exclude(pk__in=members)
        )
        area_names = list(spec.areas)
        area_weights = [max((g.tier for g in spec.groups if g.area == a), default=1) for a in area_names]
        references: dict[int, int] = {}

        incidents: list[Incident] = []
        pending: list[tuple[int, dict]] = []  # (incident index, involvement fields)
        conflict_events: list[tuple] = []  # (day, relation, attacker, target): may provoke retaliation
        for day in self._incident_days(spec, gvi_start):
            type_ = rng.choices(list(INCIDENT_TYPES), weights=list(INCIDENT_TYPES.values()))[0]
            dead, injured = self._casualties(type_)
            hour = rng.choices(range(24), weights=HOUR_WEIGHTS)[0]
            occurred_at = datetime.combine(day, time(hour, rng.randint(0, 59)), tzinfo=self.tz)
            area = rng.choices(area_names, weights=area_weights)[0]
            attributable = 0.65 if type_ in GROUP_LINKED_TYPES else 0.4
            coded: list[dict] = []
            relation = None
            if rng.random() < attributable:
                active = [c for c in conflicts if c.since <= day]
                eligible = [
                    g for g in groups if g.status != G.DISSOLVED or day < self.today - timedelta(days=365)
                ]
                if active and rng.random() < 0.55:
                    relation = rng.choices(active, weights=[c.intensity for c in active])[0]
                    attacker, target = rng.sample([relation.group_a, relation.group_b], 2)
                    conflict_events.append((day, relation, attacker, target))
                    area = target.area or area
                    coded.append(
                        self._group_involvement(attacker, Involvement.Role.SUSPECT, suspects, relation)
                    )
                    coded.append(
                        self._group_involvement(
                            target, Involvement.Role.VICTIM, victims if dead + injured else {}, relation
                        )
                    )
                elif eligible:
                    attacker = rng.choices(eligible, weights=[g.violence_tier for g in eligible])[0]
                    if rng.random() < 0.7:
                        area = attacker.area or area
                    coded.append(self._group_involvement(attacker, Involvement.Role.SUSPECT, suspects, None))
            elif dead + injured and lone_victims and rng.random() < 0.2:
                coded.append(
                    {
                        "person": rng.choice(lone_victims),
                        "group": None,
                        "role": Involvement.Role.VICTIM,
                        "member_status": MS.NONE,
                        "confidence": Confidence.MEDIUM,
                        "relation": None,
                    }
                )
            incident = Incident(
                site=site,
                owner=police,
                type=type_,
                confirmed_shooting=type_ == IT.SHOOTING and rng.random() < 0.85,
                occurred_at=occurred_at,
                area=self.areas[area],
                latitude=self._coordinate(spec.centre[0] + spec.areas[area][0]),
                longitude=self._coordinate(spec.centre[1] + spec.areas[area][1]),
                dead=dead,
                injured=injured,
                police_reference=self._reference(day, references),
                status=self._status(day),
                summary=self._summary(type_, area, dead, injured, relation),
            )
            incident.full_clean()
            pending.extend((len(incidents), fields) for fields in coded)
            incidents.append(incident)

        for day, relation, attacker, target in self._retaliations(conflict_events, conflicts):
            incident, coded = self._retaliation(
                day, relation, attacker, target, site, police, spec, suspects, references
            )
            pending.extend((len(incidents), fields) for fields in coded)
            incidents.append(incident)

        incidents = bulk_create_with_history(incidents, Incident)
        involvements = []
        for index, fields in pending:
            involvement = Involvement(site=site, owner=police, incident=incidents[index], **fields)
            involvement.full_clean()
            involvements.append(involvement)
        involvements = bulk_create_with_history(involvements, Involvement)
        return incidents, involvements

    def _retaliations(self, conflict_events: list[tuple], conflicts: list[GroupRelation]) -> list[tuple]:
        """Violence between groups in conflict begets violence: a share of attacks are answered within days,
        and the latest round in the fiercest conflict is still fresh, as it would be before a weekly review."""
        rng = self.rng
        answers = []
        for day, relation, attacker, target in conflict_events:
            if rng.random() < 0.4:
                answer = day + timedelta(days=rng.randint(2, 12))
                if answer < self.today:
                    answers.append((answer, relation, target, attacker))
        live = [
            c
            for c in conflicts
            if c.group_a.status == Group.Status.ACTIVE and c.group_b.status == Group.Status.ACTIVE
        ]
        if live:
            fiercest = max(live, key=lambda c: c.intensity)
            answers.append((self.today - timedelta(days=9), fiercest, fiercest.group_a, fiercest.group_b))
            answers.append((self.today - timedelta(days=4), fiercest, fiercest.group_b, fiercest.group_a))
        return answers

    def _retaliation(self, day, relation, attacker, target, site, police, spec, suspects, references):
        rng = self.rng
        type_ = rng.choices([IT.SHOOTING, IT.EXPLOSION, IT.AGGRAVATED_ASSAULT], weights=[70, 20, 10])[0]
        dead, injured = self._casualties(type_)
        occurred_at = datetime.combine(
            day, time(rng.choices(range(24), weights=HOUR_WEIGHTS)[0], rng.randint(0, 59)), tzinfo=self.tz
        )
        area = target.area if target.area in spec.areas else rng.choice(list(spec.areas))
        incident = Incident(
            site=site,
            owner=police,
            type=type_,
            confirmed_shooting=type_ == IT.SHOOTING and rng.random() < 0.85,
            occurred_at=occurred_at,
            area=self.areas[area],
            latitude=self._coordinate(spec.centre[0] + spec.areas[area][0]),
            longitude=self._coordinate(spec.centre[1] + spec.areas[area][1]),
            dead=dead,
            injured=injured,
            police_reference=self._reference(day, references),
            status=self._status(day),
            summary=self._summary(type_, area, dead, injured, relation),
        )
        incident.full_clean()
        coded = [
            self._group_involvement(attacker, Involvement.Role.SUSPECT, suspects, relation),
            self._group_involvement(target, Involvement.Role.VICTIM, {}, relation),
        ]
        return incident, coded

    def _group_involvement(self, group: Group, role: str, pool: dict, relation: GroupRelation | None) -> dict:
        """A group's involvement; sometimes naming a member, whose membership role sets the status."""
        rng = self.rng
        candidates = pool.get(group.pk, [])
        if candidates and rng.random() < 0.35:
            membership = rng.choice(candidates)
            core = membership.role == GroupMembership.Role.CORE
            return {
                "person": membership.person,
                "group": group,
                "role": role,
                "member_status": MS.CONFIRMED if core else MS.SUSPECTED,
                "confidence": membership.confidence,
                "relation": relation,
            }
        return {
            "person": None,
            "group": group,
            "role": role,
            "member_status": rng.choice([MS.CONFIRMED, MS.SUSPECTED]),
            "confidence": rng.choice([Confidence.HIGH, Confidence.MEDIUM, Confidence.MEDIUM, Confidence.LOW]),
            "relation": relation,
        }

    def _casualties(self, type_: str) -> tuple[int, int]:
        rng = self.rng
        if type_ == IT.SHOOTING:
            return int(rng.random() < 0.04), rng.choices([0, 1, 2], weights=[65, 30, 5])[0]
        if type_ == IT.LETHAL:
            return rng.choices([1, 2], weights=[9, 1])[0], int(rng.random() < 0.3)
        if type_ == IT.ATTEMPTED_MURDER:
            return 0, rng.choices([0, 1, 2], weights=[15, 75, 10])[0]
        if type_ == IT.AGGRAVATED_ASSAULT:
            return 0, 1
        if type_ in (IT.EXPLOSION, IT.ARSON):
            return 0, int(rng.random() < 0.1)
        return 0, 0

    def _status(self, day: date) -> str:
        age = (self.today - day).days
        status = Incident.Status
        if age <= 7:
            return status.NEW if self.rng.random() < 0.7 else status.REVIEWED
        if age <= 60:
            return status.REVIEWED if self.rng.random() < 0.7 else status.CLOSED
        return status.CLOSED if self.rng.random() < 0.85 else status.REVIEWED

    def _reference(self, day: date, references: dict[int, int]) -> str:
        """A fictional diary number: region code 0000 does not exist."""
        year = day.year % 100
        number = references.get(year, self.rng.randint(10000, 60000)) + self.rng.randint(50, 900)
        references[year] = number
        return f"0000-K{number:06d}-{year:02d}"

    def _coordinate(self, value: float) -> Decimal:
        return Decimal(f"{value + self.rng.gauss(0, 0.004):.6f}")

    def _summary(self, type_: str, area: str, dead: int, injured: int, relation: GroupRelation | None) -> str:
        text = SUMMARY_OPENINGS[type_].format(place=self.rng.choice(PLACES), area=area)
        if dead:
            text += " En person avled." if dead == 1 else f" {dead} personer avled."
        if injured:
            text += " En person skadades." if injured == 1 else f" {injured} personer skadades."
        if not dead and not injured:
            text += " Ingen person skadades."
        if relation is not None:
            text += f" Bedöms höra till konflikten mellan {relation.group_a} och {relation.group_b}."
        return text
