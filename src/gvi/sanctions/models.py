"""Sanction episodes (ökat fokus): group-level consequences that are swift, certain and predictable.

- SanctionEpisode: the partnership's focused response to one group after serious violence. Proposed by
  the platform when an incident is coded with group involvement, decided (run or dismissed) before a
  deadline, run from a start to an end date, and closed with a reason. Group-level: visible to the
  partnership at the site.
- SanctionAction: one lever one organisation pulls within an episode. Each organisation sees and updates
  its own actions; the coordinator sees them all.
- AnnouncedRule: what the partnership has told the groups will happen ("the next shooting brings ...");
  each episode is compared with the rule that applied when its triggering incident happened.

None of these records holds person data: results are counts and free text about the group.
"""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.access.models import CompartmentedRecord
from gvi.groups.models import Group
from gvi.incidents.models import Incident
from gvi.sanctions.levers import Lever

NO_PERSON_DATA = _("Skriv inga uppgifter om enskilda personer.")


class AnnouncedRule(CompartmentedRecord):
    logs_reads = False

    title = models.CharField(_("rubrik"), max_length=200)
    message = models.TextField(
        _("budskap"),
        max_length=4000,
        help_text=_("Det grupperna har fått höra, t.ex. ”Nästa skjutning leder till …”."),
    )
    announced_on = models.DateField(_("meddelat"))
    announced_how = models.CharField(
        _("hur budskapet framfördes"),
        max_length=200,
        blank=True,
        help_text=_("T.ex. stormöte, enskilda samtal, brev."),
    )
    valid_until = models.DateField(_("gäller till"), null=True, blank=True)
    trigger_types = models.JSONField(
        _("utlösande händelser"),
        default=list,
        blank=True,
        help_text=_("Tomt: all grov våldsbrottslighet."),
    )
    groups = models.ManyToManyField(
        Group,
        blank=True,
        related_name="announced_rules",
        verbose_name=_("grupper"),
        help_text=_("Tomt: alla grupper på platsen."),
    )
    levers = models.JSONField(_("utlovade åtgärder"), default=list, blank=True)
    respond_within_days = models.PositiveSmallIntegerField(
        _("första åtgärd inom (dagar)"),
        null=True,
        blank=True,
        help_text=_("Om budskapet lovade en tidsgräns: dagar från händelsen till första åtgärd."),
    )

    class Meta:
        ordering = ["-announced_on", "-pk"]
        verbose_name = _("utlovad konsekvens")
        verbose_name_plural = _("utlovade konsekvenser")

    def __str__(self) -> str:
        return self.title

    def clean(self):
        errors = {}
        if not (self.message or "").strip():
            errors["message"] = _("Skriv vad grupperna har fått höra.")
        if not isinstance(self.trigger_types, list) or not set(self.trigger_types) <= set(
            Incident.Type.values
        ):
            errors["trigger_types"] = _("Okänd typ av händelse.")
        if not isinstance(self.levers, list) or not set(self.levers) <= set(Lever.values):
            errors["levers"] = _("Okänd åtgärd.")
        if self.valid_until and self.announced_on and self.valid_until < self.announced_on:
            errors["valid_until"] = _("Slutdatum kan inte vara före datumet då budskapet meddelades.")
        if errors:
            raise ValidationError(errors)

    def trigger_type_labels(self) -> list[str]:
        labels = dict(Incident.Type.choices)
        return [str(labels.get(code, code)) for code in self.trigger_types]

    def lever_labels(self) -> list[str]:
        labels = dict(Lever.choices)
        return [str(labels.get(code, code)) for code in self.levers]

    def is_valid_on(self, day) -> bool:
        return self.announced_on <= day and (self.valid_until is None or day <= self.valid_until)


class SanctionEpisode(CompartmentedRecord):
    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Föreslagen")
        OPEN = "open", _("Pågår")
        DISMISSED = "dismissed", _("Avstått")
        CLOSED = "closed", _("Avslutad")

    class EndReason(models.TextChoices):
        EFFECT_SEEN = "effect_seen", _("Effekt uppnådd")
        TIME_LIMIT = "time_limit", _("Tidsgränsen nådd")
        OTHER = "other", _("Annat (beskriv)")

    ACTIVE_STATUSES = (Status.PROPOSED, Status.OPEN)

    logs_reads = False  # group-level, not person data

    group = models.ForeignKey(
        Group,
        on_delete=models.SET_NULL,  # removing a group from the audit keeps the episode for follow-up
        null=True,
        related_name="sanction_episodes",
        verbose_name=_("grupp"),
    )
    trigger_incidents = models.ManyToManyField(
        Incident, related_name="sanction_episodes", verbose_name=_("utlösande incidenter")
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PROPOSED)
    proposed_at = models.DateTimeField(_("föreslagen"), default=timezone.now)
    decision_deadline = models.DateTimeField(_("beslut senast"))
    decided_at = models.DateTimeField(_("beslutad"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("beslutad av"),
    )
    decision_note = models.TextField(
        _("beslutsmotivering"), blank=True, max_length=4000, help_text=NO_PERSON_DATA
    )
    start_date = models.DateField(_("startdatum"), null=True, blank=True)
    planned_end_date = models.DateField(_("planerat slutdatum"), null=True, blank=True)
    end_date = models.DateField(_("slutdatum"), null=True, blank=True)
    end_reason = models.CharField(_("skäl för avslut"), max_length=12, choices=EndReason.choices, blank=True)
    end_note = models.TextField(
        _("kommentar till avslut"), blank=True, max_length=4000, help_text=NO_PERSON_DATA
    )
    announced_rule = models.ForeignKey(
        AnnouncedRule,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="episodes",
        verbose_name=_("utlovad konsekvens"),
        help_text=_("Det budskap som episoden svarar mot. Lämna tomt för att välja det som gällde."),
    )
    communications = models.ManyToManyField(
        "communication.CommunicationBack",
        blank=True,
        related_name="sanction_episodes",
        verbose_name=_("återkoppling till grupperna"),
    )

    class Meta:
        ordering = ["-proposed_at", "-pk"]
        verbose_name = _("sanktionsepisod")
        verbose_name_plural = _("sanktionsepisoder")
        indexes = [models.Index(fields=["site", "status", "decision_deadline"])]
        constraints = [
            models.UniqueConstraint(
                fields=["group"],
                condition=Q(status__in=["proposed", "open"]),
                name="one_active_sanction_episode_per_group",
                violation_error_message=_("Gruppen har redan en föreslagen eller pågående sanktionsepisod."),
            ),
        ]

    def __str__(self) -> str:
        group = self.group.name if self.group_id else _("borttagen grupp")
        when = timezone.localtime(self.proposed_at) if self.proposed_at else None
        return f"{_('Ökat fokus')}: {group}" + (f" ({when:%Y-%m-%d})" if when else "")

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_overdue(self) -> bool:
        """A proposal not decided before its deadline."""
        return (
            self.status == self.Status.PROPOSED
            and self.decision_deadline is not None
            and self.decision_deadline < timezone.now()
        )

    def clean(self):
        errors = {}
        if self.group_id and self.site_id and self.group.site_id != self.site_id:
            errors["group"] = _("Gruppen hör till en annan plats.")
        if self.status in (self.Status.OPEN, self.Status.CLOSED) and not self.start_date:
            errors["start_date"] = _("Ange startdatum.")
        if self.start_date and self.planned_end_date and self.planned_end_date < self.start_date:
            errors["planned_end_date"] = _("Slutdatum kan inte vara före startdatum.")
        if self.status == self.Status.CLOSED:
            if not self.end_date:
                errors["end_date"] = _("Ange slutdatum.")
            elif self.start_date and self.end_date < self.start_date:
                errors["end_date"] = _("Slutdatum kan inte vara före startdatum.")
            if not self.end_reason:
                errors["end_reason"] = _("Ange skälet till att episoden avslutas.")
            elif self.end_reason == self.EndReason.OTHER and not (self.end_note or "").strip():
                errors["end_note"] = _("Beskriv skälet till att episoden avslutas.")
        if self.announced_rule_id and self.site_id and self.announced_rule.site_id != self.site_id:
            errors["announced_rule"] = _("Budskapet hör till en annan plats.")
        if errors:
            raise ValidationError(errors)


class SanctionAction(CompartmentedRecord):
    """One lever pulled by one organisation (the owner) within an episode."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planerad")
        IN_PROGRESS = "in_progress", _("Pågår")
        DONE = "done", _("Genomförd")
        CANCELLED = "cancelled", _("Inställd")

    APPLIED_STATUSES = (Status.IN_PROGRESS, Status.DONE)

    logs_reads = False

    episode = models.ForeignKey(
        SanctionEpisode, on_delete=models.CASCADE, related_name="actions", verbose_name=_("episod")
    )
    lever = models.CharField(_("åtgärd"), max_length=40, choices=Lever.choices)
    description = models.TextField(_("beskrivning"), blank=True, max_length=2000, help_text=NO_PERSON_DATA)
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ansvarig"),
    )
    due_date = models.DateField(_("klart senast"), null=True, blank=True)
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.PLANNED)
    started_on = models.DateField(
        _("påbörjad"), null=True, blank=True, help_text=_("Sätts automatiskt när åtgärden börjar.")
    )
    done_on = models.DateField(_("genomförd"), null=True, blank=True)
    result = models.TextField(_("resultat"), blank=True, max_length=4000, help_text=NO_PERSON_DATA)
    checks_made = models.PositiveIntegerField(_("genomförda kontroller"), default=0)
    seizures = models.PositiveIntegerField(_("beslag"), default=0)
    arrests = models.PositiveIntegerField(_("gripanden"), default=0)

    class Meta:
        ordering = ["episode", "owner__name", "due_date", "pk"]
        verbose_name = _("sanktionsåtgärd")
        verbose_name_plural = _("sanktionsåtgärder")

    def __str__(self) -> str:
        return f"{self.get_lever_display()} ({self.owner.short_name})" if self.owner_id else self.lever

    @property
    def is_applied(self) -> bool:
        return self.status in self.APPLIED_STATUSES

    @property
    def is_overdue(self) -> bool:
        return (
            self.status in (self.Status.PLANNED, self.Status.IN_PROGRESS)
            and self.due_date is not None
            and self.due_date < timezone.localdate()
        )

    def save(self, *args, **kwargs):
        # The dates follow the status: the first day the lever was applied and the day it was done.
        today = timezone.localdate()
        if self.status in self.APPLIED_STATUSES and not self.started_on:
            self.started_on = today
        if self.status == self.Status.DONE and not self.done_on:
            self.done_on = today
        elif self.status != self.Status.DONE:
            self.done_on = None
        super().save(*args, **kwargs)

    def clean(self):
        from gvi.sanctions.levers import levers_for

        errors = {}
        if self.episode_id and self.site_id and self.episode.site_id != self.site_id:
            errors["episode"] = _("Episoden hör till en annan plats.")
        if self.owner_id and self.lever and self.lever not in dict(levers_for(self.owner)):
            errors["lever"] = _("Åtgärden finns inte i din organisations katalog.")
        if self.lever == Lever.OTHER and not (self.description or "").strip():
            errors["description"] = _("Beskriv åtgärden.")
        if self.done_on and self.started_on and self.done_on < self.started_on:
            errors["done_on"] = _("Kan inte vara genomförd före den påbörjades.")
        if errors:
            raise ValidationError(errors)
