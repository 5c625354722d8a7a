"""Demo support cases (offer of help) for the demo city: fictional, deterministic for a given rng and date.

Call after gvi.demo.city has created the sites, organisations, persons and users:

    load_demo_support_cases(today, rng)

About 15 cases in Exempelstad and 5 in Norrby, owned by each site's social services, with needs, plans,
contacts, outcomes and a few fact disclosures (to the police and to frivården in Exempelstad). Cases that
came from a call-in, a custom notification or an agency referral are linked to the demo person entry;
self-referrals and family contacts are pseudonymous unless the person consented.
"""

import random
from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.utils import timezone

from gvi.access.models import Disclosure
from gvi.groups.models import Person
from gvi.groups.services import default_review_date
from gvi.partnership.models import Membership, Organisation, Role, Site
from gvi.support.models import (
    CLOSED_STATUSES,
    CaseStatus,
    ConsentStatus,
    Contact,
    Fact,
    IntakeRoute,
    NeedAssessment,
    NeedDomain,
    NeedStatus,
    PlanItem,
    SupportCase,
    SupportFactDisclosure,
    ThreatAssessment,
)

# (site slug, letter for working names, number of cases, statuses in order of the cases)
SITE_PLANS = [
    (
        "exempelstad",
        "E",
        [
            CaseStatus.ACTIVE,
            CaseStatus.ACTIVE,
            CaseStatus.COMPLETED,
            CaseStatus.ACTIVE,
            CaseStatus.REQUESTED,
            CaseStatus.ACTIVE,
            CaseStatus.DROPPED_OUT,
            CaseStatus.ACTIVE,
            CaseStatus.COMPLETED,
            CaseStatus.ACTIVE,
            CaseStatus.MOVED,
            CaseStatus.REQUESTED,
            CaseStatus.ACTIVE,
            CaseStatus.REOFFENDED,
            CaseStatus.COMPLETED,
        ],
    ),
    (
        "norrby",
        "N",
        [CaseStatus.ACTIVE, CaseStatus.REQUESTED, CaseStatus.ACTIVE, CaseStatus.COMPLETED, CaseStatus.ACTIVE],
    ),
]

ROUTES = [
    (IntakeRoute.CALL_IN, 3),
    (IntakeRoute.NOTIFICATION, 3),
    (IntakeRoute.HOTLINE, 2),
    (IntakeRoute.SELF_REFERRAL, 3),
    (IntakeRoute.AGENCY_REFERRAL, 2),
    (IntakeRoute.FAMILY, 2),
]
REFERRED_BY = {
    IntakeRoute.CALL_IN: "Stormöte i samverkan",
    IntakeRoute.NOTIFICATION: "Enskilt samtal (polis och socialtjänst)",
    IntakeRoute.HOTLINE: "Stödlinjen",
    IntakeRoute.SELF_REFERRAL: "",
    IntakeRoute.AGENCY_REFERRAL: "Frivården",
    IntakeRoute.FAMILY: "Förälder",
}
PROVIDERS = {
    NeedDomain.HOUSING: ("Eget boende", "Träningslägenhet via bostadsenheten", "Bostadsenheten (fiktiv)"),
    NeedDomain.PROTECTION: (
        "Trygg boendesituation",
        "Skyddat boende och flytt",
        "Avhopparverksamheten (fiktiv)",
    ),
    NeedDomain.INCOME_DEBT: (
        "Överblick över skulder",
        "Budget- och skuldrådgivning",
        "Konsumentvägledningen",
    ),
    NeedDomain.SUBSTANCE_USE: ("Drogfrihet", "Öppenvårdsbehandling", "Beroendemottagningen (fiktiv)"),
    NeedDomain.MENTAL_HEALTH: (
        "Bättre sömn och mindre oro",
        "Samtalskontakt",
        "Psykiatrins öppenvård (fiktiv)",
    ),
    NeedDomain.EDUCATION_WORK: (
        "Arbete eller studier",
        "Praktik och studievägledning",
        "Arbetsmarknadsenheten",
    ),
    NeedDomain.FAMILY: ("Stärkt relation till familjen", "Familjesamtal", "Familjebehandlarna"),
    NeedDomain.LEISURE: ("Meningsfull fritid", "Träning med mentor", "Föreningslivet (fiktivt)"),
    NeedDomain.TATTOO_REMOVAL: ("Ta bort gruppens symboler", "Laserbehandling", "Hudkliniken (fiktiv)"),
    NeedDomain.OTHER: ("Körkort", "Stöd med teoriprov", "Avhopparverksamheten (fiktiv)"),
}
CLOSING_REASONS = {
    CaseStatus.COMPLETED: "Har arbete och eget boende, ingen kontakt med gruppen sedan ett halvår (fiktivt).",
    CaseStatus.DROPPED_OUT: "Slutade komma på möten och svarar inte på kontaktförsök (fiktivt).",
    CaseStatus.MOVED: "Har flyttat till annan kommun; överlämnat till socialtjänsten där (fiktivt).",
    CaseStatus.REOFFENDED: "Misstänkt för nytt brott och häktad; ärendet avslutat (fiktivt).",
    CaseStatus.CLOSED_OTHER: "Avslutat av annan orsak (fiktivt).",
}
CONTACT_NOTES = [
    "Uppföljande samtal om planen (fiktiv anteckning).",
    "Möte tillsammans med mentor (fiktiv anteckning).",
    "Kort avstämning per telefon (fiktiv anteckning).",
    "Hembesök, träffade även förälder (fiktiv anteckning).",
]


def _aware(day: date, hour: int = 10) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour)))


def _social_services(site: Site) -> Organisation:
    orgs = Organisation.objects.filter(sites=site, type=Organisation.Type.MUNICIPALITY).order_by("pk")
    named = orgs.filter(name__icontains="socialtjänst").first()
    return named or orgs.first()


def _caseworker(site: Site, social: Organisation):
    membership = (
        Membership.objects.active()
        .filter(site=site, organisation=social, role=Role.CASEWORKER)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return membership.user if membership else None


def _save(record, user):
    record._history_user = user
    record.full_clean()
    record.save()
    return record


class _SiteLoader:
    def __init__(self, site: Site, letter: str, today: date, rng: random.Random):
        self.site, self.letter, self.today, self.rng = site, letter, today, rng
        self.social = _social_services(site)
        self.user = _caseworker(site, self.social)
        orgs = Organisation.objects.filter(sites=site).order_by("pk")
        self.police = orgs.filter(type=Organisation.Type.POLICE).first()
        self.probation = orgs.filter(type=Organisation.Type.PROBATION).first()
        persons = Person.unscoped_all_sites.filter(site=site, deactivated_at__isnull=True).order_by("pk")
        self.referable = list(persons.exclude(owner=self.social))
        self.own_persons = list(persons.filter(owner=self.social))
        rng.shuffle(self.referable)
        rng.shuffle(self.own_persons)
        self.counts = {"cases": 0, "needs": 0, "plan_items": 0, "contacts": 0, "fact_disclosures": 0}
        self.cases: list[SupportCase] = []

    def load(self, statuses: list[str]) -> dict:
        routes = [route for route, weight in ROUTES for _ in range(weight)]
        for index, status in enumerate(statuses):
            self.cases.append(self._case(index, status, routes[(index * 7 + 3) % len(routes)]))
        return self.counts

    # ----- one case -----

    def _case(self, index: int, status: str, route: str) -> SupportCase:
        rng, today = self.rng, self.today
        requested_at = today - timedelta(
            days=rng.randint(20, 300) if status in CLOSED_STATUSES else rng.randint(3, 200)
        )
        if self.site.gvi_start_date:  # the offer of help starts with the partnership
            requested_at = max(requested_at, min(self.site.gvi_start_date, today - timedelta(days=20)))
        person, consent = self._person_for(route, status)
        is_minor = person.is_minor if person else rng.random() < 0.2
        first = (
            None
            if status == CaseStatus.REQUESTED
            else requested_at + timedelta(days=rng.choice([0, 1, 2, 3, 5, 8, 14]))
        )
        first = min(first, today) if first else None
        closed_on = None
        if status in CLOSED_STATUSES:
            closed_on = min(today - timedelta(days=1), first + timedelta(days=rng.randint(40, 200)))
            closed_on = max(closed_on, first)
        threat = rng.choice(
            [
                ThreatAssessment.NOT_ASSESSED,
                ThreatAssessment.LOW,
                ThreatAssessment.ELEVATED,
                ThreatAssessment.HIGH,
            ]
        )
        relocation = threat in (ThreatAssessment.ELEVATED, ThreatAssessment.HIGH) and rng.random() < 0.6
        guardian_contacted = is_minor and rng.random() < 0.8
        last_day = closed_on or first or requested_at
        case = SupportCase(
            site=self.site,
            owner=self.social,
            pseudonym=person.alias
            if person and consent != ConsentStatus.GIVEN
            else f"Klient {self.letter}-{index + 1:02d}",
            person=person,
            intake_route=route,
            referred_by=REFERRED_BY[route],
            requested_at=requested_at,
            first_contact_date=first,
            consent_status=consent if first else ConsentStatus.NOT_ASKED,
            consent_scope=(
                "Samverkan med polis och frivård om stödinsatser och skydd (fiktivt)."
                if consent == ConsentStatus.GIVEN and first
                else ""
            ),
            consent_date=first if consent == ConsentStatus.GIVEN and first else None,
            threat_assessment=threat,
            protected_identity=relocation and rng.random() < 0.5,
            relocation=relocation,
            is_minor=is_minor,
            guardian_contacted=guardian_contacted,
            guardian_contacted_on=(first or requested_at) if guardian_contacted else None,
            guardian_note=(
                ""
                if guardian_contacted or not is_minor
                else "Vårdnadshavare nås inte; kontakt via skolkurator planeras (fiktivt)."
            ),
            mentor=self.user if self.user and rng.random() < 0.7 else None,
            mentor_name="Mentor i avhopparverksamheten (fiktiv)" if rng.random() < 0.5 else "",
            follow_up_date=None
            if status in CLOSED_STATUSES
            else today + timedelta(days=rng.randint(-12, 30)),
            notes="Fiktivt demoärende. Inga verkliga uppgifter.",
            status=status,
            closed_on=closed_on,
            closing_reason=CLOSING_REASONS.get(status, ""),
            review_date=max(default_review_date(is_minor, last_day), today + timedelta(days=14)),
        )
        _save(case, self.user)
        self.counts["cases"] += 1
        identified = self._needs(case, status)
        self._plan(case, identified, status)
        self._contacts(case)
        return case

    def _person_for(self, route: str, status: str):
        """Referral routes link the referred person entry; others link only with consent (some do)."""
        rng = self.rng
        if route in (IntakeRoute.CALL_IN, IntakeRoute.NOTIFICATION, IntakeRoute.AGENCY_REFERRAL):
            if self.referable:
                consent = rng.choice([ConsentStatus.GIVEN, ConsentStatus.GIVEN, ConsentStatus.NOT_ASKED])
                # an agency referral comes from frivården: prefer a person entry frivården owns
                from_probation = [
                    p for p in self.referable if self.probation and p.owner_id == self.probation.pk
                ]
                if route == IntakeRoute.AGENCY_REFERRAL and from_probation:
                    self.referable.remove(from_probation[-1])
                    return from_probation[-1], consent
                return self.referable.pop(), consent
        if self.own_persons and status != CaseStatus.REQUESTED and rng.random() < 0.5:
            return self.own_persons.pop(), ConsentStatus.GIVEN
        return None, rng.choice([ConsentStatus.NOT_ASKED, ConsentStatus.REFUSED, ConsentStatus.GIVEN])

    def _needs(self, case: SupportCase, status: str) -> list[str]:
        rng = self.rng
        assessed = status != CaseStatus.REQUESTED
        chosen = set(rng.sample(NeedDomain.values, rng.randint(2, 5))) if assessed else set()
        if case.relocation:
            chosen.add(NeedDomain.PROTECTION)
        identified = []
        for domain in NeedDomain.values:
            if not assessed:
                need_status = NeedStatus.NOT_ASSESSED
            elif domain in chosen:
                need_status = (
                    NeedStatus.MET
                    if status == CaseStatus.COMPLETED
                    else rng.choice([NeedStatus.IDENTIFIED, NeedStatus.IN_PROGRESS, NeedStatus.IN_PROGRESS])
                )
                identified.append(domain)
            else:
                need_status = rng.choice([NeedStatus.NO_NEED, NeedStatus.NO_NEED, NeedStatus.NOT_ASSESSED])
            _save(
                NeedAssessment(
                    case=case,
                    site=case.site,
                    owner=case.owner,
                    domain=domain,
                    status=need_status,
                    assessed_on=case.first_contact_date if need_status != NeedStatus.NOT_ASSESSED else None,
                ),
                self.user,
            )
            self.counts["needs"] += 1
        return identified

    def _plan(self, case: SupportCase, domains: list[str], status: str) -> None:
        for domain in domains[:3]:
            goal, intervention, provider = PROVIDERS[domain]
            start = case.first_contact_date + timedelta(days=self.rng.randint(3, 20))
            if start > self.today:
                start = self.today
            if status == CaseStatus.COMPLETED:
                item_status = PlanItem.Status.DONE
            elif status in CLOSED_STATUSES:
                item_status = PlanItem.Status.CANCELLED
            else:
                item_status = self.rng.choice([PlanItem.Status.PLANNED, PlanItem.Status.ONGOING])
            end = case.closed_on if status in CLOSED_STATUSES else start + timedelta(days=180)
            _save(
                PlanItem(
                    case=case,
                    site=case.site,
                    owner=case.owner,
                    domain=domain,
                    goal=goal,
                    intervention=intervention,
                    provider=provider,
                    start=start,
                    end=max(end, start),
                    status=item_status,
                ),
                self.user,
            )
            self.counts["plan_items"] += 1

    def _contacts(self, case: SupportCase) -> None:
        if case.first_contact_date is None:
            return
        last = case.closed_on or self.today
        day = case.first_contact_date
        types = list(Contact.Type.values)
        for number in range(self.rng.randint(1, 6)):
            if day > last:
                break
            _save(
                Contact(
                    case=case,
                    site=case.site,
                    owner=case.owner,
                    date=day,
                    type=Contact.Type.MEETING if number == 0 else self.rng.choice(types),
                    note="Första samtalet om stöd (fiktiv anteckning)."
                    if number == 0
                    else self.rng.choice(CONTACT_NOTES),
                    by=self.user,
                ),
                self.user,
            )
            self.counts["contacts"] += 1
            day += timedelta(days=self.rng.randint(7, 35))

    # ----- fact disclosures -----

    def disclose_facts(self) -> None:
        """A few facts from linked, consented cases, to the police and to frivården (never the case)."""
        if self.user is None:
            return
        linked = [c for c in self.cases if c.person_id and c.consent_status == ConsentStatus.GIVEN]
        plans = [
            (
                lambda c: not c.is_closed,
                Fact.ACTIVE_SUPPORT,
                self.police,
                "Undvika dubbla insatser och samordna vid förhöjd hotbild (fiktivt).",
                180,  # every disclosure ends (gvi.access.disclosure_rules)
            ),
            (
                lambda c: c.relocation,
                Fact.RELOCATION,
                self.probation,
                "Anpassa tider och platser för frivårdsmöten under flytten (fiktivt).",
                90,
            ),
            (
                lambda c: c.status == CaseStatus.COMPLETED,
                Fact.COMPLETED,
                self.probation,
                "Underlag för frivårdens planering inför villkorlig frigivning (fiktivt).",
                365,
            ),
        ]
        used: set[int] = set()
        for matches, fact, recipient, purpose, days in plans:
            if recipient is None:
                continue
            # prefer a person entry the recipient already sees, so it sees whom the fact concerns
            candidates = sorted(
                (c for c in linked if matches(c) and c.pk not in used),
                key=lambda c, r=recipient: (c.person.owner_id != r.pk, c.pk),
            )
            case = candidates[0] if candidates else None
            if case is None:
                continue
            used.add(case.pk)
            decided = self.today - timedelta(days=self.rng.randint(2, 20))
            decided = max(decided, case.consent_date or decided)
            _save(
                SupportFactDisclosure(
                    case=case,
                    site=case.site,
                    owner=case.owner,
                    fact=fact,
                    to_organisation=recipient,
                    legal_ground=Disclosure.LegalGround.CONSENT,
                    purpose=purpose,
                    decided_by=self.user,
                    decided_at=_aware(decided),
                    expires_at=_aware(decided + timedelta(days=days)),
                ),
                self.user,
            )
            self.counts["fact_disclosures"] += 1


def load_demo_support_cases(today: date, rng: random.Random) -> dict:
    """Create the demo support cases. Returns counts (support_cases, support_needs, support_plan_items,
    support_contacts, support_fact_disclosures) and the same per site under "support_per_site", so the
    result merges into load_demo_city's summary with dict.update."""
    keys = ("cases", "needs", "plan_items", "contacts", "fact_disclosures")
    totals = {f"support_{key}": 0 for key in keys}
    per_site = {}
    with transaction.atomic():
        for slug, letter, statuses in SITE_PLANS:
            site = Site.objects.filter(slug=slug).first()
            if site is None:
                continue
            loader = _SiteLoader(site, letter, today, rng)
            counts = loader.load(statuses)
            loader.disclose_facts()
            per_site[slug] = dict(counts)
            for key, value in counts.items():
                totals[f"support_{key}"] += value
    return {**totals, "support_per_site": per_site}
