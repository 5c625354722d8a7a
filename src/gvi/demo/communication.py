"""Direct communication in the demo city: call-ins, custom notifications and communications back.

Runs after gvi.demo.city.load_demo_city and uses what it created in Exempelstad: the partner
organisations, the groups, the persons with their memberships and the demo users. Everything is invented.
Two call-ins were held (about eight and two months ago) and one is planned; about twenty notifications
were planned or made over the last year; the partnership communicated back three times.

Invitations and notifications belong to the organisation that owns the person (that is who may see them);
a help request goes through the same referral as on the pages (gvi.communication.services), so it becomes
an offer-of-help referral when gvi.support provides one, and waits otherwise.
"""

import random
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from gvi.communication import services
from gvi.communication.models import (
    CallIn,
    CallInChecklistItem,
    CallInInvitation,
    CallInMessagePoint,
    CallInSpeaker,
    CommunicationBack,
    Notification,
)
from gvi.groups.models import Group, GroupMembership
from gvi.incidents.models import Incident
from gvi.partnership.models import Organisation, Site

SITE_SLUG = "exempelstad"
ORGS = {
    "police": "Polisen Exempelstad",
    "social": "Socialtjänsten Exempelstad",
    "coordination": "Kommunledningen Exempelstad",
    "probation": "Frivården Exempelstad",
    "community": "Föräldranätverket Exempelstad",
}
# The demo user who acts for each person-owning organisation (gvi.demo.accounts).
ACTING_USER = {"police": "analytiker", "social": "socialsekreterare", "probation": "frivard"}

SPEAKERS = [
    ("police", "Lokalpolisområdeschef (fiktiv)", "Polisen Exempelstad"),
    ("municipality", "Kommundirektör (fiktiv)", "Exempelstads kommun"),
    ("probation", "Frivårdschef (fiktiv)", "Kriminalvården frivård Exempelstad"),
    ("healthcare", "Traumakirurg (fiktiv)", "Exempelstads universitetssjukhus"),
    ("community", "Förälder i Föräldranätverket (fiktiv)", "Föräldranätverket Exempelstad"),
    ("former_offender", "Tidigare gruppmedlem, nu avhoppare (fiktiv)", "Avhopparverksamheten"),
    ("victims_family", "Mamma till ett brottsoffer (fiktiv)", ""),
]
PROVIDERS = "Avhopparverksamheten\nArbetsförmedlingen\nBeroendemottagningen\nBostadsbolaget Exempelhem\nFritidsförvaltningen"
FOLLOW_UPS = [
    "Hembesök av polis och socialsekreterare inom en vecka.",
    "Frivården tar upp uteblivandet vid nästa övervakningsmöte.",
    "Brev med budskapet och kontaktuppgifter till avhopparverksamheten.",
]
TASKS = [
    "Avhopparverksamheten kontaktar inom tre dagar.",
    "Frivården följer upp vid nästa möte.",
    "Socialtjänsten erbjuder samtal med familjen.",
]
PLACES = [
    "Hemma hos personen",
    "Frivårdens lokaler",
    "Polisstationen i Exempelstad",
    "Fritidsgården i Norrbacka",
]
LEGAL_RISK = (
    "Du är dömd tidigare och har villkorlig frigivning: vid ny brottslighet prövas förverkande. "
    "Vid våld från din grupp prioriteras utredningar mot alla i gruppen (fiktivt riskbesked)."
)
HELP = "Avhopparverksamheten, hjälp med boende och arbete, stöd till familjen."

# The planned call-in is named after the season it falls in (the demo is dated from today).
SEASON_TITLES = ("Vinterns", "Vårens", "Sommarens", "Höstens")


def load_demo_communication(today: date | None = None, rng: random.Random | None = None) -> dict:
    """Create the demo city's direct communication; returns counts of what was created."""
    today = today or timezone.localdate()
    rng = rng or random.Random(2026)
    with transaction.atomic():
        return _Builder(today, rng).build()


class _Builder:
    def __init__(self, today: date, rng: random.Random):
        self.today = today
        self.rng = rng
        self.tz = timezone.get_default_timezone()
        self.site = Site.objects.get(slug=SITE_SLUG)
        self.orgs = {key: Organisation.objects.get(short_name=name) for key, name in ORGS.items()}
        self.owner_key = {org.pk: key for key, org in self.orgs.items()}
        users = get_user_model().objects.filter(username__in=[*ACTING_USER.values(), "samordnare"])
        self.users = {user.username: user for user in users}
        self.groups = {group.name: group for group in Group.unscoped_all_sites.filter(site=self.site)}
        self.counts = {"call_ins": 0, "invitations": 0, "notifications": 0, "communications_back": 0}

    def _user_for(self, org: Organisation):
        return self.users.get(ACTING_USER.get(self.owner_key.get(org.pk), ""), self.users.get("samordnare"))

    def _at(self, day: date, hour: int) -> datetime:
        return datetime.combine(day, time(hour, 0), tzinfo=self.tz)

    def _members(self, group_names: list[str]) -> list:
        memberships = (
            GroupMembership.unscoped_all_sites.filter(
                site=self.site,
                group__name__in=group_names,
                deactivated_at__isnull=True,
                valid_to__isnull=True,
                person__deactivated_at__isnull=True,
            )
            .select_related("person", "person__owner")
            .order_by("person__alias")
        )
        persons, seen = [], set()
        for membership in memberships:
            if membership.person_id not in seen:
                seen.add(membership.person_id)
                persons.append(membership.person)
        return persons

    def build(self) -> dict:
        self._call_in(
            "Stormöte: budskapet till grupperna i söder",
            self.today - timedelta(days=245),
            ["Exempelgänget Syd", "Grupp Blå"],
            CallIn.Status.HELD,
            invited=9,
        )
        held_2 = self._call_in(
            "Stormöte efter skjutningarna i Norrbacka",
            self.today - timedelta(days=62),
            ["Grupp Blå", "Grupp Röd", "Centrumnätverket"],
            CallIn.Status.HELD,
            invited=10,
        )
        upcoming = self.today + timedelta(days=24)
        self._call_in(
            f"{SEASON_TITLES[(upcoming.month % 12) // 3]} stormöte",
            upcoming,
            ["Exempelgänget Syd", "Grupp Röd"],
            CallIn.Status.PLANNED,
            invited=8,
        )
        self._notifications()
        self._communications_back(held_2)
        return dict(self.counts)

    # ----- call-ins -----

    def _call_in(self, title: str, day: date, group_names: list[str], status: str, invited: int) -> CallIn:
        coordinator = self.users.get("samordnare")
        call_in = CallIn(
            site=self.site,
            owner=self.orgs["coordination"],
            title=title,
            starts_at=self._at(day, 17),
            place="Medborgarhuset, stora salen (fiktivt)",
            service_providers=PROVIDERS,
            status=status,
            notes="Säkerhetsplan finns hos polisen. Lokalen öppnar 16.15 för talarna.",
        )
        call_in._history_user = coordinator
        call_in.full_clean()
        call_in.save()
        call_in.target_groups.set([self.groups[name] for name in group_names if name in self.groups])
        for order, (category, name, organisation) in enumerate(SPEAKERS):
            CallInSpeaker.objects.create(
                call_in=call_in, category=category, name=name, organisation=organisation, order=order
            )
        held = status == CallIn.Status.HELD
        community, police, probation = self.orgs["community"], self.orgs["police"], self.orgs["probation"]
        responsible = [police, self.orgs["coordination"], None, probation, community, None, probation]
        for order, text in enumerate(services.DEFAULT_CHECKLIST):
            due = day - timedelta(days=max(1, 14 - 2 * order))
            CallInChecklistItem.objects.create(
                call_in=call_in,
                text=text,
                responsible=responsible[order],
                due_date=due,
                done=held or due < self.today - timedelta(days=2) or order < 2,
                order=order,
            )
        CallInChecklistItem.objects.create(
            call_in=call_in,
            text="Föräldrar och anhöriga som talar har fått stöd inför mötet",
            responsible=community,
            due_date=day - timedelta(days=5),
            done=held,
            order=len(services.DEFAULT_CHECKLIST),
        )
        for order, text in enumerate(services.DEFAULT_MESSAGE_POINTS):
            delivered = (order != 3 or day > self.today - timedelta(days=100)) if held else None
            CallInMessagePoint.objects.create(call_in=call_in, text=text, delivered=delivered, order=order)
        self.counts["call_ins"] += 1
        self._invitations(call_in, group_names, invited, held)
        return call_in

    def _invitations(self, call_in: CallIn, group_names: list[str], count: int, held: bool) -> None:
        persons = self._members(group_names)
        chosen = self.rng.sample(persons, min(count, len(persons)))
        channel_by_owner = {
            "probation": CallInInvitation.Channel.PROBATION_CONDITION,
            "police": CallInInvitation.Channel.LETTER,
            "social": CallInInvitation.Channel.FAMILY,
        }
        helped = 0
        for person in chosen:
            key = self.owner_key.get(person.owner_id, "police")
            invitation = CallInInvitation(
                site=self.site,
                owner=person.owner,
                call_in=call_in,
                person=person,
                channel=channel_by_owner.get(key, CallInInvitation.Channel.OUTREACH),
            )
            if held:
                came = self.rng.random() < (0.85 if key == "probation" else 0.6)
                invitation.attended = (
                    CallInInvitation.Attendance.YES if came else CallInInvitation.Attendance.NO
                )
                if came:
                    invitation.attendee_tasks = self.rng.choice(TASKS)
                    if helped < 2 and self.rng.random() < 0.35:
                        invitation.asked_for_help = True
                        helped += 1
                else:
                    invitation.follow_up = self.rng.choice(FOLLOW_UPS)
                    invitation.follow_up_done = timezone.localtime(
                        call_in.starts_at
                    ).date() < self.today - timedelta(days=30)
            user = self._user_for(person.owner)
            invitation._history_user = user
            invitation.full_clean()
            services._after_help_change(user, invitation, "call_in")
            invitation.save()
            self.counts["invitations"] += 1

    # ----- notifications -----

    def _notifications(self) -> None:
        persons = [
            person
            for person in self._members(["Exempelgänget Syd", "Grupp Blå", "Grupp Röd", "Centrumnätverket"])
            if self.owner_key.get(person.owner_id) in ("police", "social", "probation")
        ]
        chosen = self.rng.sample(persons, min(17, len(persons)))
        repeated = chosen[:3]  # three persons get a second notification: repeats
        plan = [(person, self.rng.randint(20, 330)) for person in chosen]
        plan += [(person, self.rng.randint(2, 18)) for person in repeated]
        plan.sort(key=lambda item: -item[1])
        future = {id(item) for item in plan[-2:]}
        for item in plan:
            person, days_ago = item
            if id(item) in future:
                day, outcome = (
                    self.today + timedelta(days=self.rng.randint(2, 10)),
                    Notification.Outcome.PLANNED,
                )
            else:
                day = self.today - timedelta(days=days_ago)
                outcome = self.rng.choices(
                    [
                        Notification.Outcome.DELIVERED,
                        Notification.Outcome.REFUSED,
                        Notification.Outcome.NOT_FOUND,
                    ],
                    weights=[70, 15, 15],
                )[0]
            self._notification(person, day, outcome)

    def _notification(self, person, day: date, outcome: str) -> Notification:
        key = self.owner_key.get(person.owner_id, "police")
        at_probation = key == "probation"
        notification = Notification(
            site=self.site,
            owner=person.owner,
            person=person,
            date=day,
            place="Frivårdens lokaler" if at_probation else self.rng.choice(PLACES),
            delivered_by="vid möte i frivården" if at_probation else "polis + socialsekreterare",
            family_present=outcome == Notification.Outcome.DELIVERED
            and not at_probation
            and self.rng.random() < 0.4,
            message_version=self.rng.choice(
                [Notification.MessageVersion.STANDARD, Notification.MessageVersion.RETALIATION]
            )
            if not person.is_minor
            else Notification.MessageVersion.YOUTH,
            legal_risk_statement=LEGAL_RISK,
            help_offered=HELP,
            outcome=outcome,
            follow_up="Ny kontakt om en månad." if outcome != Notification.Outcome.PLANNED else "",
            notes="Fiktivt samtal i demodata.",
        )
        if outcome == Notification.Outcome.DELIVERED and self.rng.random() < 0.15:
            notification.asked_for_help = True
        notification.repeat_of = services.earlier_notification(person, day)
        user = self._user_for(person.owner)
        notification._history_user = user
        notification.full_clean()
        services._after_help_change(user, notification, "notification")
        notification.save()
        organisations = (
            [self.orgs["probation"]] if at_probation else [self.orgs["police"], self.orgs["social"]]
        )
        notification.delivering_organisations.set(organisations)
        # Social services delivering a police notification reads it: named, it is disclosed to them.
        services._sync_delivery_disclosures(user, notification, organisations)
        self.counts["notifications"] += 1
        return notification

    # ----- communicating back -----

    def _group_incident(self, before: date, groups: list[str]) -> Incident | None:
        return (
            Incident.unscoped_all_sites.filter(
                site=self.site,
                occurred_at__lt=self._at(before, 0),
                involvements__group__name__in=groups,
                type__in=[Incident.Type.SHOOTING, Incident.Type.EXPLOSION, Incident.Type.LETHAL],
            )
            .order_by("-occurred_at")
            .first()
        )

    def _communications_back(self, held_2: CallIn) -> None:
        """Three communications back; the first call-in had none (it came before the first sanction)."""
        active = [g for g in self.groups.values() if g.status == Group.Status.ACTIVE]
        entries = [
            (
                timezone.localtime(held_2.starts_at).date(),
                CommunicationBack.Channel.CALL_IN,
                held_2,
                self._group_incident(timezone.localtime(held_2.starts_at).date(), ["Grupp Blå"]),
                [
                    self.groups.get("Grupp Blå"),
                    self.groups.get("Grupp Röd"),
                    self.groups.get("Centrumnätverket"),
                ],
                "Efter skjutningarna i Norrbacka riktade polisen, frivården och kommunen ökat fokus mot hela "
                "Grupp Blå: kontroller, prioriterade utredningar och skärpta villkor. Det var vad vi sa skulle "
                "hända. Nästa gång gäller samma sak för er grupp. Hjälpen finns kvar för den som vill ta den.",
            ),
            (
                self.today - timedelta(days=30),
                CommunicationBack.Channel.PUBLIC_STATEMENT,
                None,
                self._group_incident(self.today - timedelta(days=30), ["Exempelgänget Syd", "Grupp Blå"]),
                active,
                "Samverkan i Exempelstad: efter den senaste skjutningen har alla myndigheter agerat mot den "
                "grupp som låg bakom. Vi gör samma sak varje gång. Den som vill lämna får hjälp.",
            ),
            (
                self.today - timedelta(days=9),
                CommunicationBack.Channel.NOTIFICATIONS,
                None,
                None,
                [self.groups.get("Grupp Röd"), self.groups.get("Centrumnätverket")],
                "I enskilda samtal med medlemmar i båda grupperna har vi berättat om konsekvenserna för Grupp "
                "Blå och att samma sak väntar den grupp som svarar med våld.",
            ),
        ]
        coordinator = self.users.get("samordnare")
        for day, channel, call_in, incident, groups, message in entries:
            record = CommunicationBack(
                site=self.site,
                owner=self.orgs["coordination"],
                date=day,
                channel=channel,
                call_in=call_in,
                refers_to_incident=incident,
                message=message,
            )
            record._history_user = coordinator
            record.full_clean()
            record.save()
            record.audience_groups.set([g for g in groups if g is not None])
            self.counts["communications_back"] += 1
