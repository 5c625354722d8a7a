"""Direct communication: call-ins, custom notifications and communicating back.

Three compartments, as in gvi.access.permissions:

- ``CallIn`` (communication.callin) is call-in *logistics*: date, place, target groups, speakers, service
  providers, the rehearsal checklist and the message points. No person data: the whole partnership at the
  site sees it, community partners included. Its parts (speakers, checklist items, message points) are
  child rows edited through the call-in, so the call-in's ``version`` guards them too.
- ``CallInInvitation`` and ``Notification`` are person data of the owning organisation (scope OWN): who
  was invited or visited, how, whether they came or listened, whether they asked for help. Every read of
  one is logged.
- ``CommunicationBack`` is addressed to groups, never to persons (site-wide).

Purging a person (gvi.access.retention) removes their invitations and notifications with their history
(CASCADE): contacts with a person do not outlive the person entry.

Versioning: every row is historised (simple-history, inherited from CompartmentedRecord). The many-to-many
choices (target groups, delivering organisations, audience groups) are not part of the historical rows,
because the inherited history cannot be re-registered with m2m tracking; each change of them bumps the
record's version through the services, so the history shows who changed the record and when.
"""

from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from simple_history.models import HistoricalRecords

from gvi.access.models import CompartmentedRecord
from gvi.groups.models import Group, Person
from gvi.incidents.models import Incident
from gvi.partnership.models import Organisation

NO_PERSON_DATA = _("Skriv inga uppgifter om enskilda personer: alla parter i samverkan ser detta.")


class ReferralState(models.TextChoices):
    """What became of a request for help made at a call-in or during a notification."""

    NONE = "", _("Ingen begäran")
    REFERRED = "referred", _("Skickad till stödverksamheten")
    WAITING = "waiting", _("Registreras när stödmodulen finns")


class HelpRequest(models.Model):
    """Fields shared by the two person contacts: the person may ask for help there and then.

    When ``asked_for_help`` is set, gvi.communication.services refers the person to the offer of help
    (gvi.support.services.open_case_from_referral). The support case itself lives in social services'
    compartment: only the fact that a referral was sent is stored here, never the case or its id.
    """

    asked_for_help = models.BooleanField(_("bad om hjälp"), default=False)
    help_requested_on = models.DateField(_("bad om hjälp datum"), null=True, blank=True)
    referral_state = models.CharField(
        _("hänvisning till stöd"), max_length=10, choices=ReferralState.choices, blank=True, default=""
    )
    referred_at = models.DateTimeField(_("hänvisad"), null=True, blank=True, editable=False)

    class Meta:
        abstract = True


class CallIn(CompartmentedRecord):
    """A call-in (stormöte): group members meet police, municipality, community voices and services."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planerat")
        HELD = "held", _("Genomfört")
        CANCELLED = "cancelled", _("Inställt")

    logs_reads = False  # logistics only: who is invited lives in CallInInvitation

    title = models.CharField(_("rubrik"), max_length=200)
    starts_at = models.DateTimeField(_("datum och tid"), db_index=True)
    place = models.CharField(_("plats för mötet"), max_length=200)
    target_groups = models.ManyToManyField(
        Group, related_name="call_ins", blank=True, verbose_name=_("målgrupper")
    )
    service_providers = models.TextField(
        _("stödaktörer på plats"),
        blank=True,
        max_length=4000,
        help_text=_(
            "En per rad, t.ex. 'Avhopparverksamheten', 'Arbetsförmedlingen', 'Beroendemottagningen'."
        ),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    notes = models.TextField(_("anteckningar"), blank=True, max_length=8000, help_text=NO_PERSON_DATA)

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("stormöte")
        verbose_name_plural = _("stormöten")

    def __str__(self) -> str:
        return f"{self.title} {timezone.localtime(self.starts_at):%Y-%m-%d}" if self.starts_at else self.title

    @property
    def is_planned(self) -> bool:
        return self.status == self.Status.PLANNED

    @property
    def is_held(self) -> bool:
        return self.status == self.Status.HELD

    @property
    def has_started(self) -> bool:
        """Its outcome can be recorded only once it has begun."""
        return self.starts_at is not None and self.starts_at <= timezone.now()

    def clean(self):
        if self.pk and self.status != self.Status.HELD:
            recorded = CallInInvitation.unscoped_all_sites.filter(call_in_id=self.pk).exclude(
                attended=CallInInvitation.Attendance.UNKNOWN
            )
            if recorded.exists():
                raise ValidationError(
                    {"status": _("Närvaro är registrerad för stormötet: det kan bara ha status genomfört.")}
                )

    def provider_lines(self) -> list[str]:
        return [line.strip() for line in (self.service_providers or "").splitlines() if line.strip()]


class CallInSpeaker(models.Model):
    """Someone who speaks at the call-in, by category (the partnership's voices)."""

    class Category(models.TextChoices):
        POLICE = "police", _("Polisen")
        MUNICIPALITY = "municipality", _("Kommunen")
        PROBATION = "probation", _("Frivården")
        HEALTHCARE = "healthcare", _("Hälso- och sjukvården")
        COMMUNITY = "community", _("Moralisk röst från lokalsamhället")
        FORMER_OFFENDER = "former_offender", _("Tidigare kriminell")
        VICTIMS_FAMILY = "victims_family", _("Anhörig till brottsoffer")
        OTHER = "other", _("Annan")

    call_in = models.ForeignKey(CallIn, on_delete=models.CASCADE, related_name="speakers")
    category = models.CharField(_("kategori"), max_length=20, choices=Category.choices)
    name = models.CharField(_("namn"), max_length=120, blank=True)
    organisation = models.CharField(_("organisation eller roll"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("ordning"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("talare")
        verbose_name_plural = _("talare")

    def __str__(self) -> str:
        who = ", ".join(part for part in (self.name, self.organisation) if part)
        return f"{self.get_category_display()}: {who}" if who else str(self.get_category_display())


class CallInChecklistItem(models.Model):
    """One step of the rehearsal checklist, optionally assigned to an organisation with a due date.

    Members of the responsible organisation may tick their own items even when their role only views
    call-ins (the community partner organising the venue, say): see services.set_checklist_done.
    """

    call_in = models.ForeignKey(CallIn, on_delete=models.CASCADE, related_name="checklist")
    text = models.CharField(_("förberedelse"), max_length=300)
    responsible = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ansvarig organisation"),
    )
    due_date = models.DateField(_("klart senast"), null=True, blank=True)
    done = models.BooleanField(_("klar"), default=False)
    order = models.PositiveSmallIntegerField(_("ordning"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("förberedelse")
        verbose_name_plural = _("checklista")

    def __str__(self) -> str:
        return self.text


class CallInMessagePoint(models.Model):
    """A point of the joint message; whether it was delivered is recorded after the call-in."""

    call_in = models.ForeignKey(CallIn, on_delete=models.CASCADE, related_name="message_points")
    text = models.CharField(_("budskap"), max_length=500)
    delivered = models.BooleanField(_("framfört"), null=True, blank=True)
    order = models.PositiveSmallIntegerField(_("ordning"), default=0)

    history = HistoricalRecords()

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("budskapspunkt")
        verbose_name_plural = _("budskapspunkter")

    def __str__(self) -> str:
        return self.text


class CallInInvitation(CompartmentedRecord, HelpRequest):
    """One person invited to a call-in, by the organisation that brings them (person data, OWN scope)."""

    class Channel(models.TextChoices):
        PROBATION_CONDITION = "probation", _("Villkor i frivården")
        LETTER = "letter", _("Brev")
        FAMILY = "family", _("Via familjen")
        OUTREACH = "outreach", _("Uppsökande arbete")
        OTHER = "other", _("Annat")

    class Attendance(models.TextChoices):
        UNKNOWN = "unknown", _("Ej registrerat")
        YES = "yes", _("Kom")
        NO = "no", _("Kom inte")

    call_in = models.ForeignKey(
        CallIn,
        on_delete=models.PROTECT,  # a call-in with invitations is cancelled, not removed
        related_name="invitations",
        verbose_name=_("stormöte"),
    )
    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="call_in_invitations", verbose_name=_("person")
    )
    channel = models.CharField(_("kanal"), max_length=10, choices=Channel.choices)
    attended = models.CharField(
        _("närvaro"), max_length=10, choices=Attendance.choices, default=Attendance.UNKNOWN
    )
    follow_up = models.TextField(_("uppföljning vid utebliven närvaro"), blank=True, max_length=2000)
    follow_up_done = models.BooleanField(_("uppföljningen klar"), default=False)
    attendee_tasks = models.TextField(
        _("uppföljningsuppgifter"),
        blank=True,
        max_length=4000,
        help_text=_("En per rad: vad som ska göras för deltagaren efter mötet, och av vem."),
    )

    class Meta:
        ordering = ["call_in", "person__alias"]
        verbose_name = _("inbjudan till stormöte")
        verbose_name_plural = _("inbjudningar till stormöte")
        constraints = [
            models.UniqueConstraint(fields=["call_in", "person"], name="one_invitation_per_person"),
        ]

    def __str__(self) -> str:
        return f"{self.person} – {self.call_in}"

    def clean(self):
        errors = {}
        if self.call_in_id and self.person_id and self.site_id:
            if self.call_in.site_id != self.site_id or self.person.site_id != self.site_id:
                errors["person"] = _("Person, stormöte och inbjudan måste höra till samma plats.")
        if self.call_in_id and self.attended != self.Attendance.UNKNOWN and not self.call_in.is_held:
            errors["attended"] = _("Närvaro registreras när stormötet är genomfört.")
        if self.asked_for_help and self.attended != self.Attendance.YES:
            errors["asked_for_help"] = _("Endast den som kom till stormötet kan ha bett om hjälp där.")
        if self.follow_up_done and not (self.follow_up or "").strip():
            errors["follow_up"] = _("Beskriv uppföljningen innan den markeras som klar.")
        if errors:
            raise ValidationError(errors)

    @property
    def needs_follow_up(self) -> bool:
        return self.attended == self.Attendance.NO and not self.follow_up_done

    def task_lines(self) -> list[str]:
        return [line.strip() for line in (self.attendee_tasks or "").splitlines() if line.strip()]


class Notification(CompartmentedRecord, HelpRequest):
    """A custom notification (enskilt samtal / hembesök): the message delivered to one person."""

    class Outcome(models.TextChoices):
        PLANNED = "planned", _("Planerat")
        DELIVERED = "delivered", _("Genomfört")
        REFUSED = "refused", _("Personen avböjde")
        NOT_FOUND = "not_found", _("Personen påträffades inte")

    class MessageVersion(models.TextChoices):
        STANDARD = "standard", _("Standardbudskap (dö inte, döda inte, ta emot hjälp)")
        RETALIATION = "retaliation", _("Efter våldshändelse: risk för hämnd")
        SANCTION = "sanction", _("Varning om ökat fokus mot gruppen")
        VICTIM = "victim", _("Till utsatt person: skydd och stöd")
        YOUTH = "youth", _("Till person under 18 (med vårdnadshavare)")
        OTHER = "other", _("Annat (beskrivs i anteckningen)")

    FINISHED = (Outcome.DELIVERED, Outcome.REFUSED, Outcome.NOT_FOUND)

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="notifications", verbose_name=_("person")
    )
    date = models.DateField(_("datum"), db_index=True)
    place = models.CharField(pgettext_lazy("lokal där något äger rum", "plats"), max_length=200, blank=True)
    delivered_by = models.CharField(
        _("vem framför budskapet"),
        max_length=200,
        help_text=_("T.ex. 'polis + socialsekreterare' eller 'vid möte i frivården'."),
    )
    delivering_organisations = models.ManyToManyField(
        Organisation, related_name="+", blank=True, verbose_name=_("organisationer som framför budskapet")
    )
    family_present = models.BooleanField(_("familj närvarande"), default=False)
    message_version = models.CharField(
        _("budskap"), max_length=20, choices=MessageVersion.choices, default=MessageVersion.STANDARD
    )
    legal_risk_statement = models.TextField(
        _("individuellt rättsligt riskbesked"),
        blank=True,
        max_length=4000,
        help_text=_("Vad just den här personen riskerar rättsligt om våldet fortsätter."),
    )
    help_offered = models.TextField(_("erbjuden hjälp"), blank=True, max_length=4000)
    outcome = models.CharField(_("utfall"), max_length=10, choices=Outcome.choices, default=Outcome.PLANNED)
    follow_up = models.TextField(_("uppföljning"), blank=True, max_length=4000)
    repeat_of = models.ForeignKey(
        "self",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="repeats",
        editable=False,
        verbose_name=_("upprepar"),
    )
    notes = models.TextField(_("anteckning"), blank=True, max_length=4000)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("enskilt samtal")
        verbose_name_plural = _("enskilda samtal")

    def __str__(self) -> str:
        return f"{self.person} {self.date:%Y-%m-%d}" if self.date else str(self.person)

    def clean(self):
        errors = {}
        if self.person_id and self.site_id and self.person.site_id != self.site_id:
            errors["person"] = _("Personen hör till en annan plats.")
        if self.asked_for_help and self.outcome != self.Outcome.DELIVERED:
            errors["asked_for_help"] = _("Endast den som tog emot budskapet kan ha bett om hjälp.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_repeat(self) -> bool:
        return self.repeat_of_id is not None

    @property
    def is_finished(self) -> bool:
        return self.outcome in self.FINISHED


class CommunicationBack(CompartmentedRecord):
    """Communicating back (återkoppling): what the partnership told the groups after an event.

    It refers to the incident it answers (``refers_to_incident``) and/or to any other compartmented record
    at the same site through ``refers_to`` (content type + id). The sanctions module links its sanction
    episodes through ``refers_to`` (or adds its own ``sanction_episode`` FK in a migration of this app
    agreed with the lead); services.communications_back_referring_to(record) finds the communications of
    an episode, which is what the reminder "sanction episode ended without a communication" needs.
    """

    class Channel(models.TextChoices):
        CALL_IN = "call_in", _("Stormöte")
        NOTIFICATIONS = "notifications", _("Enskilda samtal")
        PUBLIC_STATEMENT = "public_statement", _("Offentligt uttalande")
        SOCIAL_MEDIA = "social_media", _("Sociala medier")
        OTHER = "other", _("Annat")

    logs_reads = False  # addressed to groups, not persons

    date = models.DateField(_("datum"), db_index=True)
    message = models.TextField(_("budskap"), max_length=8000, help_text=NO_PERSON_DATA)
    audience_groups = models.ManyToManyField(
        Group, related_name="communications_back", verbose_name=_("mottagande grupper")
    )
    channel = models.CharField(_("kanal"), max_length=20, choices=Channel.choices)
    call_in = models.ForeignKey(
        CallIn,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communications_back",
        verbose_name=_("vid stormöte"),
    )
    refers_to_incident = models.ForeignKey(
        Incident,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="communications_back",
        verbose_name=_("gäller incident"),
    )
    # The slot for a sanction episode (or any other record at the site the message answers).
    refers_to_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+", editable=False
    )
    refers_to_id = models.PositiveBigIntegerField(null=True, blank=True, editable=False)
    refers_to = GenericForeignKey("refers_to_type", "refers_to_id")

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("återkoppling")
        verbose_name_plural = _("återkopplingar")
        indexes = [models.Index(fields=["refers_to_type", "refers_to_id"])]

    def __str__(self) -> str:
        return (
            f"{self.get_channel_display()} {self.date:%Y-%m-%d}" if self.date else self.get_channel_display()
        )

    def clean(self):
        errors = {}
        if self.refers_to_incident_id and self.site_id and self.refers_to_incident.site_id != self.site_id:
            errors["refers_to_incident"] = _("Incidenten hör till en annan plats.")
        if self.call_in_id and self.site_id and self.call_in.site_id != self.site_id:
            errors["call_in"] = _("Stormötet hör till en annan plats.")
        if self.call_in_id and self.channel != self.Channel.CALL_IN:
            errors["call_in"] = _("Ange stormöte endast när kanalen är stormöte.")
        if (self.refers_to_type_id is None) != (self.refers_to_id is None):
            errors["refers_to_id"] = _("Ange både typ och id för posten som återkopplingen gäller.")
        if not (self.message or "").strip():
            errors["message"] = _("Skriv budskapet.")
        if errors:
            raise ValidationError(errors)
