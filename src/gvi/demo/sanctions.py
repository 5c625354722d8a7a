"""Demo sanctions: announced rules, sanction episodes and the partners' actions in the demo city.

Runs after gvi.demo.city.load_demo_city (same `today`). Everything is invented. Exempelstad gets eight
episodes over the last 18 months (most closed, one dismissed, one running and one proposal past its
decision deadline), Norrby two. Actions come from the police, frivården, the municipality and
Kronofogden (an "other authority" created here, with the analyst login `kronofogden`).
"""

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gvi.demo.accounts import DEMO_PASSWORD, KRONOFOGDEN_ACCOUNT
from gvi.incidents.models import Incident, Involvement
from gvi.partnership.models import Membership, Organisation, Site
from gvi.sanctions.models import AnnouncedRule, SanctionAction, SanctionEpisode
from gvi.sanctions.selectors import applicable_rule
from gvi.sanctions.services import ANSWERABLE_ROLES, decision_hours

KRONOFOGDEN = ("Kronofogdemyndigheten", "Kronofogden")

# (days before today of the triggering incident, outcome)
PLAN = {
    "exempelstad": [
        (520, "closed"),
        (440, "closed"),
        (360, "closed"),
        (280, "dismissed"),
        (200, "closed"),
        (120, "closed"),
        (30, "open"),
        (6, "proposed"),
    ],
    "norrby": [(150, "closed"), (20, "open")],
}
# Hours from the incident to the decision: mostly one to three days, sometimes slower.
DECISION_HOURS = [(24, 3), (30, 3), (40, 3), (45, 2), (52, 2), (66, 2), (110, 1)]
RESULTS = {
    "targeted_controls": "Kontroller av gruppens medlemmar och fordon i området (fiktivt).",
    "prioritised_investigations": "Gruppens pågående ärenden prioriterade hos utredningen (fiktivt).",
    "weapons_searches": "Vapensök i gruppens tillhåll (fiktivt).",
    "warrants": "Efterlysningar och obetalda böter verkställda (fiktivt).",
    "tightened_conditions": "Skärpta föreskrifter för klienter med koppling till gruppen (fiktivt).",
    "warning": "Varningar utdelade efter misskötsamhet (fiktivt).",
    "drug_tests": "Fler oanmälda drogtester (fiktivt).",
    "benefit_checks": "Kontroll av ekonomiskt bistånd till hushåll med koppling till gruppen (fiktivt).",
    "housing_checks": "Kontroll av hyresförhållanden tillsammans med bostadsbolaget (fiktivt).",
    "debt_enforcement": "Utmätning av fordon och tillgångar (fiktivt).",
}


def load_demo_sanctions(today: date | None = None, rng: random.Random | None = None) -> dict:
    """Load the demo sanctions into a database holding the demo city; return counts of what was created."""
    today = today or timezone.localdate()
    rng = rng or random.Random(2026)
    with transaction.atomic():
        return _Loader(today, rng).load()


class _Loader:
    def __init__(self, today: date, rng: random.Random):
        self.today = today
        self.rng = rng
        self.counts = {
            "announced_rules": 0,
            "sanction_episodes": 0,
            "sanction_actions": 0,
            "communications": 0,
        }
        self.users = {u.username: u for u in get_user_model().objects.all()}

    def load(self) -> dict:
        sites = {site.slug: site for site in Site.objects.filter(slug__in=list(PLAN))}
        kronofogden = self._kronofogden(list(sites.values()))
        for slug, plan in PLAN.items():
            site = sites.get(slug)
            if site is None:
                continue
            orgs = {org.short_name: org for org in Organisation.objects.filter(sites=site)}
            self._rules(site, orgs)
            self._episodes(site, orgs, kronofogden, plan)
        return dict(self.counts)

    # ----- Kronofogden and its login -----

    def _kronofogden(self, sites: list[Site]) -> Organisation:
        name, short_name = KRONOFOGDEN
        org, _created = Organisation.objects.get_or_create(
            name=name, defaults={"short_name": short_name, "type": Organisation.Type.OTHER_AUTHORITY}
        )
        org.sites.add(*sites)
        account = KRONOFOGDEN_ACCOUNT
        user = self.users.get(account["username"])
        if user is None:
            user = get_user_model()(
                username=account["username"],
                first_name=account["first_name"],
                last_name=account["last_name"],
                email=f"{account['username']}@demo.invalid",
            )
            user.set_password(DEMO_PASSWORD)
            user.save()
            self.users[user.username] = user
        site = next((s for s in sites if s.slug == account["site"]), None)
        if site is not None:
            membership, created = Membership.objects.get_or_create(
                user=user,
                organisation=org,
                site=site,
                role=account["role"],
                defaults={"approved_at": timezone.now()},  # in force from the start, as the demo city's own
            )
            if created:
                membership.full_clean()
        return org

    # ----- announced rules -----

    def _rules(self, site: Site, orgs: dict) -> None:
        owner = orgs.get(f"Kommunledningen {site.name}") or orgs.get(f"Polisen {site.name}")
        start = site.gvi_start_date or self.today - timedelta(days=365)
        serious = [
            Incident.Type.SHOOTING,
            Incident.Type.EXPLOSION,
            Incident.Type.LETHAL,
            Incident.Type.ATTEMPTED_MURDER,
        ]
        self._rule(
            site,
            owner,
            title="Nästa skjutning eller sprängning",
            message=(
                "Vid stormötet fick grupperna höra: nästa skjutning eller sprängning leder till ökat fokus mot "
                "hela gruppen – polisen kontrollerar och prioriterar gruppens brott, frivården skärper "
                "villkoren och kommunen kontrollerar bidrag. Det sker inom tre dagar. (Fiktivt.)"
            ),
            announced_on=start + timedelta(days=10),
            announced_how="Stormöte",
            trigger_types=serious,
            levers=[
                "targeted_controls",
                "prioritised_investigations",
                "tightened_conditions",
                "benefit_checks",
            ],
            respond_within_days=3,
        )
        if site.slug == "exempelstad":
            self._rule(
                site,
                owner,
                title="Skuldindrivning vid nästa våldsbrott",
                message=(
                    "I enskilda samtal fick gruppernas medlemmar höra att också Kronofogden kommer att driva in "
                    "skulder vid nästa allvarliga våldsbrott. (Fiktivt.)"
                ),
                announced_on=self.today - timedelta(days=230),
                announced_how="Enskilda samtal",
                trigger_types=[],
                levers=["targeted_controls", "tightened_conditions", "benefit_checks", "debt_enforcement"],
                respond_within_days=5,
            )

    def _rule(self, site, owner, **fields) -> AnnouncedRule:
        rule = AnnouncedRule(site=site, owner=owner, **fields)
        rule.full_clean()
        rule.save()
        self.counts["announced_rules"] += 1
        return rule

    # ----- episodes and actions -----

    def _sanctionable(self, site: Site) -> list[tuple[Incident, int]]:
        """(incident, group id) for every incident with an answerable group, oldest first."""
        rows = (
            Involvement.unscoped_all_sites.filter(
                Involvement.group_involved_q(), site=site, role__in=ANSWERABLE_ROLES
            )
            .select_related("incident")
            .order_by("incident__occurred_at", "pk")
        )
        seen, found = set(), []
        for row in rows:
            if (row.incident_id, row.group_id) not in seen:
                seen.add((row.incident_id, row.group_id))
                found.append((row.incident, row.group_id))
        return found

    def _episodes(self, site: Site, orgs: dict, kronofogden: Organisation, plan) -> None:
        candidates = self._sanctionable(site)
        active_groups: set[int] = set()
        used: set[int] = set()
        for days_ago, outcome in plan:
            target = self.today - timedelta(days=days_ago)
            choice = next(
                (
                    (incident, group_id)
                    for incident, group_id in candidates
                    if timezone.localtime(incident.occurred_at).date() >= target
                    and incident.pk not in used
                    and group_id not in active_groups
                ),
                None,
            )
            if choice is None:
                continue
            incident, group_id = choice
            used.add(incident.pk)
            if outcome in ("open", "proposed"):
                active_groups.add(group_id)
            self._episode(site, orgs, kronofogden, incident, group_id, outcome, candidates)

    def _decider(self, site: Site):
        return self.users.get("samordnare") if site.slug == "exempelstad" else self.users.get("analytiker2")

    def _episode(self, site, orgs, kronofogden, incident, group_id, outcome, candidates) -> None:
        rng = self.rng
        police = orgs[f"Polisen {site.name}"]
        occurred = incident.occurred_at
        hours = rng.choices([h for h, _w in DECISION_HOURS], weights=[w for _h, w in DECISION_HOURS])[0]
        decided_at = occurred + timedelta(hours=hours + rng.randint(0, 4))
        now = timezone.now()
        episode = SanctionEpisode(
            site=site,
            owner=police,
            group_id=group_id,
            status=SanctionEpisode.Status.PROPOSED,
            proposed_at=occurred + timedelta(hours=rng.randint(2, 10)),
            decision_deadline=occurred + timedelta(hours=decision_hours()),
        )
        if outcome == "proposed" or decided_at >= now:
            episode.save()
            episode.trigger_incidents.add(incident)
            self.counts["sanction_episodes"] += 1
            return
        episode.decided_at = decided_at
        episode.decided_by = self._decider(site)
        if outcome == "dismissed":
            episode.status = SanctionEpisode.Status.DISMISSED
            episode.decision_note = (
                "Gruppen var redan föremål för omfattande insatser; avstår denna gång (fiktivt)."
            )
            episode.save()
            episode.trigger_incidents.add(incident)
            self.counts["sanction_episodes"] += 1
            return
        start = timezone.localtime(decided_at).date()
        episode.status = SanctionEpisode.Status.OPEN
        episode.start_date = start
        episode.planned_end_date = start + timedelta(weeks=8)
        episode.decision_note = "Beslut vid veckogenomgången (fiktivt)."
        end = None
        if outcome == "closed":
            end = min(start + timedelta(days=rng.randint(35, 63)), self.today - timedelta(days=1))
            episode.status = SanctionEpisode.Status.CLOSED
            episode.end_date = end
            episode.end_reason = rng.choice(
                [SanctionEpisode.EndReason.EFFECT_SEEN, SanctionEpisode.EndReason.TIME_LIMIT]
            )
        episode.full_clean()
        episode.save()
        # Later incidents of the same group while the episode ran join it.
        until = end or self.today
        triggers = [incident] + [
            other
            for other, other_group in candidates
            if other_group == group_id
            and other.pk != incident.pk
            and occurred < other.occurred_at
            and timezone.localtime(other.occurred_at).date() <= until
        ]
        episode.trigger_incidents.set(triggers)
        episode.announced_rule = applicable_rule(episode)
        episode.save(update_fields=["announced_rule"])
        self.counts["sanction_episodes"] += 1
        self._actions(site, orgs, kronofogden, episode, start, end)
        if end is not None and rng.random() < 0.75:
            self._communicate(site, orgs, episode, incident, end)

    def _actions(self, site, orgs, kronofogden, episode, start: date, end: date | None) -> None:
        rng = self.rng
        n = site.name
        police = "analytiker" if site.slug == "exempelstad" else "analytiker2"
        # Most of the time every partner pulls the levers that were announced; sometimes not.
        as_announced = rng.random() < 0.7
        plan = [
            (orgs[f"Polisen {n}"], "targeted_controls", police),
            (
                orgs[f"Polisen {n}"],
                "prioritised_investigations"
                if as_announced
                else rng.choice(["weapons_searches", "warrants", "visible_presence"]),
                police,
            ),
            (orgs[f"Frivården {n}"], "tightened_conditions" if as_announced else "warning", "frivard"),
            (
                orgs[f"Socialtjänsten {n}"],
                "benefit_checks" if as_announced else "housing_checks",
                "socialsekreterare",
            ),
        ]
        if rng.random() < 0.35:
            plan.append((orgs[f"Frivården {n}"], "drug_tests", "frivard"))
        if site.slug == "exempelstad" and (as_announced or rng.random() < 0.4):
            plan.append((kronofogden, "debt_enforcement", "kronofogden"))
        skip = 0.0 if as_announced else 0.25
        for owner, lever, username in plan:
            if rng.random() < skip:
                continue  # not every organisation delivers every time: the figures show it
            responsible = self.users.get(username)
            if (
                responsible is not None
                and not Membership.objects.filter(
                    user=responsible, organisation=owner, site=site, is_active=True
                ).exists()
            ):
                responsible = None
            started = start + timedelta(days=rng.choices([0, 1, 2, 3, 5, 8], weights=[3, 4, 3, 2, 1, 1])[0])
            if started > self.today:
                status, started = SanctionAction.Status.PLANNED, None
            elif end is None:
                status = rng.choice([SanctionAction.Status.IN_PROGRESS, SanctionAction.Status.DONE])
            else:
                status = SanctionAction.Status.DONE
            done = None
            if status == SanctionAction.Status.DONE:
                done = min(started + timedelta(days=rng.randint(3, 30)), end or self.today, self.today)
                done = max(done, started)
            action = SanctionAction(
                site=site,
                owner=owner,
                episode=episode,
                lever=lever,
                responsible=responsible,
                due_date=start + timedelta(days=14),
                status=status,
                started_on=started,
                done_on=done,
                result=RESULTS.get(lever, "") if started else "",
                checks_made=rng.randint(4, 60) if started else 0,
                seizures=rng.randint(0, 4) if started and owner.type == Organisation.Type.POLICE else 0,
                arrests=rng.randint(0, 3) if started and owner.type == Organisation.Type.POLICE else 0,
            )
            action.full_clean()
            action.save()
            self.counts["sanction_actions"] += 1

    def _communicate(self, site, orgs, episode, incident, end: date) -> None:
        """A communication back to the groups, linked from the episode and referring to it."""
        from django.contrib.contenttypes.models import ContentType

        from gvi.communication.models import CommunicationBack

        owner = orgs.get(f"Kommunledningen {site.name}") or episode.owner
        # Communicated back once the levers had been pulled, usually two to three weeks after the decision.
        day = min(episode.start_date + timedelta(days=self.rng.randint(8, 24)), end, self.today)
        communication = CommunicationBack(
            site=site,
            owner=owner,
            date=day,
            message=(
                "Vi sa att nästa skjutning skulle få konsekvenser för hela gruppen. Så blev det: kontroller, "
                "skärpta villkor och kontroller av bidrag. Vi vill att ni lever – hjälpen finns kvar. (Fiktivt.)"
            ),
            channel=self.rng.choice(["call_in", "notifications"]),
            refers_to_incident=incident,
            refers_to_type=ContentType.objects.get_for_model(SanctionEpisode),
            refers_to_id=episode.pk,
        )
        communication.full_clean()
        communication.save()
        if episode.group_id:
            communication.audience_groups.add(episode.group_id)
        episode.communications.add(communication)
        self.counts["communications"] += 1
