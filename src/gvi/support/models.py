"""Support cases (offer of help) inside the social-services compartment (26 kap. OSL).

A support case belongs to the social-services organisation that runs it: only that organisation's
caseworkers and its coordinator see it (see gvi.access.permissions, SOCIAL_SERVICES_ONLY). Its parts
(needs, plan, contacts) are compartmented the same way. Nothing of a case is shared through the generic
access.Disclosure; instead a caseworker may disclose one *fact* from a fixed list to a named organisation
(SupportFactDisclosure). The recipients see that fact statement only, and every view of it is logged.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.access import disclosure_rules
from gvi.access.models import (
    NON_RECIPIENT_TYPES,
    CompartmentedRecord,
    CompartmentQuerySet,
    Disclosure,
    RetainedRecord,
    door_managers,
)
from gvi.access.permissions import VIEW
from gvi.groups.models import Person
from gvi.partnership.models import Membership, Organisation, Role


class IntakeRoute(models.TextChoices):
    CALL_IN = "call_in", _("Stormöte (call-in)")
    NOTIFICATION = "notification", _("Enskilt samtal eller hembesök")
    HOTLINE = "hotline", _("Stödlinjen")
    SELF_REFERRAL = "self_referral", _("Egen ansökan")
    AGENCY_REFERRAL = "agency_referral", _("Hänvisning från myndighet")
    FAMILY = "family", _("Via familj eller närstående")


# Routes through which the referring partner already knows who asked for help: the case may be linked to
# the person entry before consent is asked. Other routes stay pseudonymous until the person consents.
REFERRAL_ROUTES = frozenset({IntakeRoute.CALL_IN, IntakeRoute.NOTIFICATION, IntakeRoute.AGENCY_REFERRAL})


class ConsentStatus(models.TextChoices):
    NOT_ASKED = "not_asked", _("Inte tillfrågad")
    GIVEN = "given", _("Samtycke lämnat")
    REFUSED = "refused", _("Samtycke nekat")
    WITHDRAWN = "withdrawn", _("Samtycket återkallat")


class ThreatAssessment(models.TextChoices):
    NOT_ASSESSED = "not_assessed", _("Inte bedömd")
    REQUESTED = "requested", _("Hotbedömning begärd")
    LOW = "low", _("Bedömd – låg hotbild")
    ELEVATED = "elevated", _("Bedömd – förhöjd hotbild")
    HIGH = "high", _("Bedömd – hög hotbild")


class CaseStatus(models.TextChoices):
    REQUESTED = "requested", _("Inkommen förfrågan")
    ACTIVE = "active", _("Pågående")
    COMPLETED = "completed", _("Avslutat – har lämnat den kriminella livsstilen")
    DROPPED_OUT = "dropped_out", _("Avslutat – avbröt")
    MOVED = "moved", _("Avslutat – flyttade")
    REOFFENDED = "reoffended", _("Avslutat – återfall i brott")
    CLOSED_OTHER = "closed_other", _("Avslutat – annan orsak")


OPEN_STATUSES = (CaseStatus.REQUESTED, CaseStatus.ACTIVE)
CLOSED_STATUSES = (
    CaseStatus.COMPLETED,
    CaseStatus.DROPPED_OUT,
    CaseStatus.MOVED,
    CaseStatus.REOFFENDED,
    CaseStatus.CLOSED_OTHER,
)


class NeedDomain(models.TextChoices):
    HOUSING = "housing", _("Boende")
    PROTECTION = "protection", _("Skydd och flytt")
    INCOME_DEBT = "income_debt", _("Försörjning och skulder")
    SUBSTANCE_USE = "substance_use", _("Missbruk")
    MENTAL_HEALTH = "mental_health", _("Psykisk hälsa")
    EDUCATION_WORK = "education_work", _("Utbildning och arbete")
    FAMILY = "family", _("Familj")
    LEISURE = "leisure", _("Fritid")
    TATTOO_REMOVAL = "tattoo_removal", _("Borttagning av tatueringar")
    OTHER = "other", _("Annat")


class NeedStatus(models.TextChoices):
    NOT_ASSESSED = "not_assessed", _("Inte bedömt")
    NO_NEED = "no_need", _("Inget behov")
    IDENTIFIED = "identified", _("Behov finns")
    IN_PROGRESS = "in_progress", _("Insats pågår")
    MET = "met", _("Behovet tillgodosett")


def _not_in_future(value, field: str, errors: dict, message) -> None:
    if value and value > timezone.localdate():
        errors.setdefault(field, message)


class SupportCase(RetainedRecord):
    """One person's offer of help: intake, consent, protection, needs, plan, contacts and outcome.

    A case is retained while it is worked on: logging a contact or closing it moves the review date on.
    A case nobody has touched past its review date is flagged, then deactivated and purged like every
    other person entry (its needs, plan, contacts and fact disclosures go with it, history included).
    """

    logs_reads = True

    # Intake
    pseudonym = models.CharField(
        _("arbetsnamn"),
        max_length=80,
        help_text=_("Ett arbetsnamn eller en kod. Inga namn eller personnummer här."),
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="support_cases",
        verbose_name=_("personpost"),
        help_text=_(
            "Koppling till kartläggningens personpost. Lämna tomt så länge personen inte har samtyckt, "
            "om inte ärendet kom via stormöte, enskilt samtal eller hänvisning från myndighet."
        ),
    )
    intake_route = models.CharField(_("väg in"), max_length=20, choices=IntakeRoute.choices)
    referred_by = models.CharField(
        _("hänvisad av"), max_length=200, blank=True, help_text=_("Organisation eller funktion, inget namn.")
    )
    requested_at = models.DateField(_("förfrågan inkom"))
    first_contact_date = models.DateField(_("första kontakt"), null=True, blank=True)

    # Consent
    consent_status = models.CharField(
        _("samtycke"), max_length=12, choices=ConsentStatus.choices, default=ConsentStatus.NOT_ASKED
    )
    consent_scope = models.TextField(
        _("samtyckets omfattning"),
        max_length=1000,
        blank=True,
        help_text=_("Vilka uppgifter får lämnas till vilka, och för vilket ändamål."),
    )
    consent_date = models.DateField(_("samtycke daterat"), null=True, blank=True)

    # Protection
    threat_assessment = models.CharField(
        _("hotbedömning"),
        max_length=14,
        choices=ThreatAssessment.choices,
        default=ThreatAssessment.NOT_ASSESSED,
    )
    protected_identity = models.BooleanField(_("skyddade personuppgifter"), default=False)
    relocation = models.BooleanField(_("flytt eller skyddat boende pågår"), default=False)

    # Children
    is_minor = models.BooleanField(_("under 18"), default=False)
    guardian_contacted = models.BooleanField(_("vårdnadshavare kontaktad"), default=False)
    guardian_contacted_on = models.DateField(_("vårdnadshavare kontaktad datum"), null=True, blank=True)
    guardian_note = models.TextField(
        _("skäl om vårdnadshavare inte kontaktats"),
        max_length=1000,
        blank=True,
        help_text=_("Till exempel att kontakten skulle utsätta barnet för fara."),
    )

    # Contact person
    mentor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("kontaktperson"),
    )
    mentor_name = models.CharField(
        _("mentor eller kontaktperson utanför systemet"),
        max_length=120,
        blank=True,
        help_text=_("Till exempel en mentor i avhopparverksamheten. Funktion eller förnamn räcker."),
    )
    follow_up_date = models.DateField(_("nästa uppföljning"), null=True, blank=True)
    # From the contact the case was born of (a custom notification or a call-in): what was offered, and
    # what was agreed to happen next.
    help_offered = models.TextField(_("erbjuden hjälp"), max_length=4000, blank=True)
    agreed_follow_up = models.TextField(_("överenskommen uppföljning"), max_length=4000, blank=True)
    notes = models.TextField(_("anteckning"), max_length=4000, blank=True)

    # Outcome
    status = models.CharField(
        _("status"), max_length=14, choices=CaseStatus.choices, default=CaseStatus.REQUESTED, db_index=True
    )
    closed_on = models.DateField(_("avslutat"), null=True, blank=True)
    closing_reason = models.TextField(_("skäl för avslut"), max_length=2000, blank=True)

    class Meta:
        ordering = ["-requested_at", "-pk"]
        verbose_name = _("stödärende")
        verbose_name_plural = _("stödärenden")
        indexes = [models.Index(fields=["site", "owner", "status"]), models.Index(fields=["requested_at"])]

    def __str__(self) -> str:
        return self.pseudonym or f"#{self.pk}"

    @property
    def is_closed(self) -> bool:
        return self.status in CLOSED_STATUSES

    @property
    def awaits_first_contact(self) -> bool:
        return not self.is_closed and self.first_contact_date is None

    def follow_up_overdue(self, today=None) -> bool:
        today = today or timezone.localdate()
        return not self.is_closed and self.follow_up_date is not None and self.follow_up_date < today

    def clean(self):
        errors: dict = {}
        future = _("Datumet kan inte ligga i framtiden.")
        if not (self.pseudonym or "").strip():
            errors["pseudonym"] = _("Ange ett arbetsnamn.")
        _not_in_future(self.requested_at, "requested_at", errors, future)
        _not_in_future(self.first_contact_date, "first_contact_date", errors, future)
        _not_in_future(self.consent_date, "consent_date", errors, future)
        _not_in_future(self.guardian_contacted_on, "guardian_contacted_on", errors, future)
        _not_in_future(self.closed_on, "closed_on", errors, future)
        if self.requested_at and self.first_contact_date and self.first_contact_date < self.requested_at:
            errors.setdefault("first_contact_date", _("Första kontakten kan inte vara före förfrågan."))
        if self.consent_status == ConsentStatus.GIVEN and not self.consent_date:
            errors.setdefault("consent_date", _("Ange när samtycket lämnades."))
        if self.person_id:
            if self.consent_status != ConsentStatus.GIVEN and self.intake_route not in REFERRAL_ROUTES:
                errors.setdefault(
                    "person",
                    _(
                        "Ärendet får kopplas till en personpost först när personen har samtyckt. "
                        "Ta bort kopplingen eller registrera samtycket."
                    ),
                )
            elif self.site_id and self.person.site_id != self.site_id:
                errors.setdefault("person", _("Personposten hör till en annan plats."))
        if self.guardian_contacted and not self.guardian_contacted_on:
            errors.setdefault("guardian_contacted_on", _("Ange när vårdnadshavaren kontaktades."))
        if (
            self.is_minor
            and self.status == CaseStatus.ACTIVE
            and not self.guardian_contacted
            and not (self.guardian_note or "").strip()
        ):
            errors.setdefault(
                "guardian_contacted",
                _(
                    "Personen är under 18: ett pågående ärende kräver att vårdnadshavaren är kontaktad, "
                    "eller att skälet till att den inte kontaktats är dokumenterat."
                ),
            )
        if self.status in CLOSED_STATUSES:
            if not self.closed_on:
                errors.setdefault("closed_on", _("Ange när ärendet avslutades."))
            if not (self.closing_reason or "").strip():
                errors.setdefault("closing_reason", _("Ange skälet till att ärendet avslutas."))
            if self.closed_on and self.requested_at and self.closed_on < self.requested_at:
                errors.setdefault("closed_on", _("Ärendet kan inte avslutas före förfrågan."))
        elif self.closed_on:
            errors.setdefault("closed_on", _("Ett öppet ärende har inget avslutsdatum."))
        if self.mentor_id and self.site_id and self.owner_id:
            employed = Membership.objects.active().filter(
                user_id=self.mentor_id,
                site_id=self.site_id,
                organisation_id=self.owner_id,
                role=Role.CASEWORKER,
            )
            if not employed.exists():
                errors.setdefault(
                    "mentor", _("Kontaktpersonen måste vara socialsekreterare i den ägande organisationen.")
                )
        if errors:
            raise ValidationError(errors)


class CasePart(CompartmentedRecord):
    """A part of a support case: same site and owner as its case."""

    class Meta:
        abstract = True

    def clean(self):
        if self.case_id and (self.site_id, self.owner_id) != (self.case.site_id, self.case.owner_id):
            raise ValidationError(_("En del av ett ärende måste ha samma plats och ägare som ärendet."))


class NeedAssessment(CasePart):
    case = models.ForeignKey(
        SupportCase, on_delete=models.CASCADE, related_name="needs", verbose_name=_("ärende")
    )
    domain = models.CharField(_("område"), max_length=20, choices=NeedDomain.choices)
    status = models.CharField(
        _("bedömning"), max_length=14, choices=NeedStatus.choices, default=NeedStatus.NOT_ASSESSED
    )
    note = models.TextField(_("kommentar"), max_length=1000, blank=True)
    assessed_on = models.DateField(_("bedömt"), null=True, blank=True)

    class Meta:
        ordering = ["case", "domain"]
        verbose_name = _("behovsbedömning")
        verbose_name_plural = _("behovsbedömningar")
        constraints = [models.UniqueConstraint(fields=["case", "domain"], name="support_need_one_per_domain")]

    def __str__(self) -> str:
        return f"{self.get_domain_display()}: {self.get_status_display()}"

    @property
    def order(self) -> int:
        return NeedDomain.values.index(self.domain)


class PlanItem(CasePart):
    class Status(models.TextChoices):
        PLANNED = "planned", _("Planerad")
        ONGOING = "ongoing", _("Pågår")
        DONE = "done", _("Genomförd")
        CANCELLED = "cancelled", _("Avbruten")

    case = models.ForeignKey(
        SupportCase, on_delete=models.CASCADE, related_name="plan_items", verbose_name=_("ärende")
    )
    domain = models.CharField(_("område"), max_length=20, choices=NeedDomain.choices, blank=True)
    goal = models.CharField(_("mål"), max_length=300)
    intervention = models.CharField(_("insats"), max_length=300)
    provider = models.CharField(_("utförare"), max_length=200, blank=True)
    start = models.DateField(_("start"), null=True, blank=True)
    end = models.DateField(_("slut"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)

    class Meta:
        ordering = ["start", "pk"]
        verbose_name = _("planpunkt")
        verbose_name_plural = _("planpunkter")

    def __str__(self) -> str:
        return self.goal

    def clean(self):
        super().clean()
        if self.start and self.end and self.end < self.start:
            raise ValidationError({"end": _("Slutdatum kan inte vara före startdatum.")})
        if not (self.goal or "").strip():
            raise ValidationError({"goal": _("Ange ett mål.")})


class Contact(CasePart):
    class Type(models.TextChoices):
        MEETING = "meeting", _("Möte")
        CALL = "call", _("Telefonsamtal")
        MESSAGE = "message", _("Meddelande")
        HOME_VISIT = "home_visit", _("Hembesök")

    case = models.ForeignKey(
        SupportCase, on_delete=models.CASCADE, related_name="contacts", verbose_name=_("ärende")
    )
    date = models.DateField(_("datum"))
    type = models.CharField(_("typ av kontakt"), max_length=12, choices=Type.choices)
    note = models.TextField(_("anteckning"), max_length=2000, blank=True)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registrerad av"),
    )

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("kontakt")
        verbose_name_plural = _("kontakter")

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.date:%Y-%m-%d}" if self.date else self.get_type_display()

    def clean(self):
        super().clean()
        if self.date and self.date > timezone.localdate():
            raise ValidationError({"date": _("Kontakten kan inte ligga i framtiden.")})
        if self.date and self.case_id and self.case.requested_at and self.date < self.case.requested_at:
            raise ValidationError({"date": _("Kontakten kan inte vara före förfrågan.")})


class Fact(models.TextChoices):
    ACTIVE_SUPPORT = "active_support", _("Har en aktiv stödkontakt hos socialtjänsten")
    PROTECTED_HOUSING = "protected_housing", _("Behöver skyddat boende")
    RELOCATION = "relocation", _("Är i en flyttprocess")
    COMPLETED = "completed", _("Har fullföljt programmet")
    OTHER = "other", _("Annan uppgift (beskrivs kort)")


# Organisation members who may read a fact disclosed to their organisation at the case's site.
RECIPIENT_ROLES = frozenset({Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER})
# Organisation types that never receive a fact (NON_RECIPIENT_TYPES, from the access model): national
# support, the operator, and community partners (who work without person data).


def recipient_memberships(user):
    """The user's memberships through which facts disclosed to their organisation may be read."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Membership.objects.none()
    return user.memberships.active().filter(role__in=list(RECIPIENT_ROLES), site__isnull=False)


def active_fact_q(at=None) -> Q:
    at = at or timezone.now()
    return Q(revoked_at__isnull=True, decided_at__lte=at, case__deactivated_at__isnull=True) & (
        Q(expires_at__isnull=True) | Q(expires_at__gt=at)
    )


class FactQuerySet(CompartmentQuerySet):
    def active(self, at=None):
        return self.filter(active_fact_q(at))

    def received_by(self, user, at=None):
        """Active facts disclosed to one of the user's organisations at the case's site (recipient side)."""
        allowed = Q(pk__in=[])
        for membership in recipient_memberships(user):
            allowed |= Q(site_id=membership.site_id, to_organisation_id=membership.organisation_id)
        return self._opened(self.filter(allowed).filter(active_fact_q(at)))

    def visible_to(self, user, action: str = VIEW):
        """Owner side: the disclosures of cases the user may see (or change, for anything but viewing).
        Recipient side (view only): active facts disclosed to the user's organisation at the site."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            return self._opened(self.none())
        case_action = VIEW if action == VIEW else "change"
        owned = Q(case_id__in=SupportCase.objects.visible_to(user, case_action).values("pk"))
        if action != VIEW:
            return self._opened(self.filter(owned))
        received = self.received_by(user).values("pk")
        return self._opened(self.filter(owned | Q(pk__in=received)))


class SupportFactDisclosure(CasePart):
    """One fact about a support case disclosed to one named organisation, with legal ground and purpose.

    Not the generic access.Disclosure (which opens a whole record): the recipients see the fact statement
    and, if they may already see the person entry, its alias. Never the case, its needs, plan or contacts.
    """

    logs_reads = True

    case = models.ForeignKey(
        SupportCase, on_delete=models.CASCADE, related_name="fact_disclosures", verbose_name=_("ärende")
    )
    fact = models.CharField(_("uppgift"), max_length=20, choices=Fact.choices)
    statement_text = models.CharField(
        _("kort beskrivning"),
        max_length=200,
        blank=True,
        help_text=_(
            "Högst 200 tecken. Bara det som behövs för ändamålet: inga behov, planer eller anteckningar."
        ),
    )
    to_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("mottagande organisation")
    )
    legal_ground = models.CharField(
        _("rättslig grund"), max_length=20, choices=Disclosure.LegalGround.choices
    )
    legal_ground_text = models.TextField(_("rättslig grund, fritext"), max_length=2000, blank=True)
    purpose = models.TextField(_("ändamål"), max_length=2000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("beslutad av")
    )
    decided_at = models.DateTimeField(_("beslutad"), default=timezone.now)
    expires_at = models.DateTimeField(_("upphör"), null=True, blank=True)
    revoked_at = models.DateTimeField(_("återkallad"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("återkallad av"),
    )

    unscoped_all_sites, objects = door_managers(FactQuerySet)

    class Meta:
        ordering = ["-decided_at", "-pk"]
        verbose_name = _("utlämnad uppgift")
        verbose_name_plural = _("utlämnade uppgifter")
        indexes = [models.Index(fields=["to_organisation", "site", "revoked_at"])]

    def __str__(self) -> str:
        return self.statement

    @property
    def statement(self) -> str:
        text = (self.statement_text or "").strip()
        if self.fact == Fact.OTHER:
            return text
        label = str(self.get_fact_display())
        return f"{label}: {text}" if text else label

    def is_active(self, at=None) -> bool:
        at = at or timezone.now()
        return (
            self.revoked_at is None
            and self.decided_at <= at
            and (self.expires_at is None or self.expires_at > at)
            and self.case.deactivated_at is None
        )

    def clean(self):
        super().clean()
        errors: dict = {}
        if self.fact == Fact.OTHER and not (self.statement_text or "").strip():
            errors["statement_text"] = _("Beskriv uppgiften kort (högst 200 tecken).")
        if self.legal_ground == Disclosure.LegalGround.OTHER and not (self.legal_ground_text or "").strip():
            errors["legal_ground_text"] = _("Beskriv den rättsliga grunden.")
        if not (self.purpose or "").strip():
            errors["purpose"] = _("Ange ändamålet med utlämnandet.")
        if self.to_organisation_id and self.to_organisation_id == self.owner_id:
            errors["to_organisation"] = _("Uppgiften kan inte lämnas ut till den egna organisationen.")
        elif self.to_organisation_id and self.to_organisation.type in NON_RECIPIENT_TYPES:
            errors["to_organisation"] = _("Den här organisationen kan inte ta emot uppgifter om enskilda.")
        elif self.to_organisation_id and self.site_id:
            if not self.to_organisation.sites.filter(pk=self.site_id).exists():
                errors["to_organisation"] = _("Mottagaren måste ingå i samverkan på ärendets plats.")
        if self.expires_at and self.decided_at and self.expires_at <= self.decided_at:
            errors["expires_at"] = _("Slutdatumet måste ligga efter beslutet.")
        if self.case_id and self._state.adding:
            case = self.case
            if not case.person_id:
                errors.setdefault(
                    "fact", _("Koppla ärendet till en personpost innan en uppgift om personen lämnas ut.")
                )
            if (
                self.legal_ground == Disclosure.LegalGround.CONSENT
                and case.consent_status != ConsentStatus.GIVEN
            ):
                errors.setdefault("legal_ground", _("Personen har inte lämnat samtycke i ärendet."))
            if self.fact == Fact.ACTIVE_SUPPORT and case.is_closed:
                errors.setdefault("fact", _("Ärendet är avslutat: det finns ingen aktiv stödkontakt."))
            if self.fact == Fact.COMPLETED and case.status != CaseStatus.COMPLETED:
                errors.setdefault("fact", _("Ärendet är inte avslutat som fullföljt."))
            if self.fact == Fact.RELOCATION and not case.relocation:
                errors.setdefault("fact", _("Ärendet har ingen pågående flytt registrerad."))
            for field, message in self.ground_errors(case).items():
                # The case's recorded consent stands for the consent record of a generic disclosure.
                errors.setdefault("legal_ground" if field == "consent_given_on" else field, message)
        if errors:
            raise ValidationError(errors)

    def ground_errors(self, case) -> dict:
        """The legal ground must fit who discloses to whom, about whom, and the fact must end within the
        ground's maximum (gvi.access.disclosure_rules), as for every disclosure."""
        if not (self.to_organisation_id and self.owner_id and self.legal_ground):
            return {}
        decided = self.decided_at or timezone.now()
        person = case.person if case.person_id else None
        facts = disclosure_rules.Facts(
            under_21=disclosure_rules.is_under_21(
                person.birth_year, person.age_band, person.is_minor, timezone.localdate(decided)
            )
            if person is not None
            else None,
            consent_recorded=case.consent_status == ConsentStatus.GIVEN,
            ground_text=self.legal_ground_text,
            decided_at=decided,
            expires_at=self.expires_at,
        )
        return disclosure_rules.errors_for(
            self.legal_ground, self.owner.type, self.to_organisation.type, facts
        )
