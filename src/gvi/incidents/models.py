"""Serious incidents and who (persons, groups) was involved."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.access.models import CompartmentedRecord
from gvi.groups.models import Confidence, Group, GroupRelation, Person


class Incident(CompartmentedRecord):
    class Type(models.TextChoices):
        SHOOTING = "shooting", _("Skjutning")
        EXPLOSION = "explosion", _("Sprängning")
        LETHAL = "lethal", _("Dödligt våld")
        ATTEMPTED_MURDER = "attempted_murder", _("Försök till mord")
        AGGRAVATED_ASSAULT = "aggravated_assault", _("Grov misshandel")
        ARSON = "arson", _("Mordbrand")
        OTHER = "other", _("Annat")

    class Status(models.TextChoices):
        NEW = "new", _("Ny")
        REVIEWED = "reviewed", _("Genomgången")
        CLOSED = "closed", _("Avslutad")

    logs_reads = False  # incident-level; the person-level part lives in Involvement

    type = models.CharField(_("typ"), max_length=20, choices=Type.choices)
    confirmed_shooting = models.BooleanField(_("konstaterad skjutning"), default=False)
    occurred_at = models.DateTimeField(_("tidpunkt"), db_index=True)
    # One of the site's areas (gvi.partnership.models.Area); an area in use cannot be deleted.
    area = models.ForeignKey(
        "partnership.Area",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="incidents",
        verbose_name=_("område"),
    )
    latitude = models.DecimalField(_("latitud"), max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField(_("longitud"), max_digits=9, decimal_places=6, null=True, blank=True)
    dead = models.PositiveSmallIntegerField(_("döda"), default=0)
    injured = models.PositiveSmallIntegerField(_("skadade"), default=0)
    police_reference = models.CharField(_("diarienummer (polis)"), max_length=40, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.NEW)
    summary = models.TextField(_("sammanfattning"), blank=True, max_length=4000)

    class Meta:
        ordering = ["-occurred_at"]
        verbose_name = _("incident")
        verbose_name_plural = _("incidenter")
        # The import's duplicate check looks police references up per site.
        indexes = [
            models.Index(fields=["site", "police_reference"], name="incident_site_police_ref"),
            # The site's incidents newest first: the list, the timeline and the risk window.
            models.Index(fields=["site", "-occurred_at"], name="incident_site_occurred"),
        ]

    def __str__(self) -> str:
        when = timezone.localtime(self.occurred_at) if self.occurred_at else None
        return (
            f"{self.get_type_display()} {when:%Y-%m-%d} {self.area_name}".strip()
            if when
            else self.get_type_display()
        )

    @property
    def area_name(self) -> str:
        return self.area.name if self.area_id else ""

    def clean(self):
        if self.area_id and self.site_id and self.area.site_id != self.site_id:
            raise ValidationError({"area": _("Välj ett av platsens egna områden.")})
        if self.confirmed_shooting and self.type != self.Type.SHOOTING:
            raise ValidationError(
                {"confirmed_shooting": _("Endast skjutningar kan vara konstaterade skjutningar.")}
            )


class Involvement(CompartmentedRecord):
    # A group-only involvement holds no person data: the partnership at the site reads it with the incident.
    shared_rows = models.Q(person__isnull=True)
    shared_record_type = "incidents.incident"

    class Role(models.TextChoices):
        SUSPECT = "suspect", _("Misstänkt gärningsperson")
        VICTIM = "victim", _("Brottsoffer")
        OTHER = "other", _("Annan")

    class MemberStatus(models.TextChoices):
        CONFIRMED = "confirmed", _("Bekräftad")
        SUSPECTED = "suspected", _("Misstänkt")
        NONE = "none", _("Ingen")
        UNKNOWN = "unknown", _("Okänd")

    # A group was involved in the incident ("gruppkoppling"): its membership is confirmed or suspected.
    # The one definition: the incident page, sanctions, the risk model, communication's suggestions and the
    # statistics' "med känd gruppkoppling" all count this set.
    GROUP_INVOLVED_STATUSES = (MemberStatus.CONFIRMED, MemberStatus.SUSPECTED)

    @classmethod
    def group_involved_q(cls, prefix: str = "") -> models.Q:
        """Involvements that name a group with a confirmed or suspected membership (`prefix`: a path to
        the involvement, e.g. "involvements__")."""
        return models.Q(
            **{f"{prefix}group__isnull": False, f"{prefix}member_status__in": cls.GROUP_INVOLVED_STATUSES}
        )

    incident = models.ForeignKey(
        Incident, on_delete=models.CASCADE, related_name="involvements", verbose_name=_("incident")
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,  # purging a person anonymises the involvement; the incident stays
        null=True,
        blank=True,
        related_name="involvements",
        verbose_name=_("person"),
    )
    group = models.ForeignKey(
        Group,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="involvements",
        verbose_name=_("grupp"),
    )
    role = models.CharField(_("roll"), max_length=10, choices=Role.choices)
    member_status = models.CharField(
        _("gruppkoppling"), max_length=10, choices=MemberStatus.choices, default=MemberStatus.UNKNOWN
    )
    confidence = models.CharField(_("tillförlitlighet"), max_length=6, choices=Confidence.choices)
    relation = models.ForeignKey(
        GroupRelation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="incident_involvements",
        verbose_name=_("konflikt"),
    )

    class Meta:
        verbose_name = _("inblandning")
        verbose_name_plural = _("inblandningar")

    def __str__(self) -> str:
        who = self.person or self.group
        return f"{who} – {self.get_role_display()}"

    def clean(self):
        if not self.person_id and not self.group_id:
            raise ValidationError(_("Ange en grupp, en person eller båda."))


class RiskSnapshot(models.Model):
    """The retaliation-risk picture of one site as one access scope sees it, computed by the worker
    (gvi.incidents.risk.recompute_site): pages only read it.

    `scope` is a digest of exactly what decides which incidents, codings, groups and conflicts a user sees
    at the site (gvi.incidents.risk.risk_scope), so users who may see different data never share a
    snapshot. `disclosures` is a digest of the active disclosures that scope rested on: when one is
    revoked or expires the snapshot is no longer shown. Group-level figures only, never a person."""

    site = models.ForeignKey("partnership.Site", on_delete=models.CASCADE, related_name="+")
    scope = models.CharField(max_length=64)
    computed_at = models.DateTimeField(_("beräknad"))
    disclosures = models.CharField(max_length=64)
    source = models.JSONField(default=list)  # the site's latest row and history ids when computed
    enough_data = models.BooleanField(default=False)
    n_events = models.PositiveIntegerField(default=0)
    n_streams = models.PositiveIntegerField(default=0)
    fit = models.JSONField(null=True)

    class Meta:
        verbose_name = _("riskbild")
        verbose_name_plural = _("riskbilder")
        constraints = [models.UniqueConstraint(fields=["site", "scope"], name="risk_snapshot_per_scope")]

    def __str__(self) -> str:
        return f"risk site {self.site_id} scope {self.scope[:8]} @ {self.computed_at:%Y-%m-%d %H:%M}"


class RiskStreamState(models.Model):
    """One group's or one conflict's state in a snapshot; `rank` orders the raised ones (largest excess
    first) and is null for the others."""

    snapshot = models.ForeignKey(RiskSnapshot, on_delete=models.CASCADE, related_name="streams")
    key = models.CharField(max_length=24)
    kind = models.CharField(max_length=10)
    group_a = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    group_b = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+", null=True)
    relation = models.ForeignKey(GroupRelation, on_delete=models.CASCADE, related_name="+", null=True)
    raised = models.BooleanField(default=False)
    rank = models.PositiveIntegerField(null=True)
    excess_ratio = models.FloatField()
    n_events = models.PositiveIntegerField()
    figures = models.JSONField()  # intensities, expectations, half-life, fade (see risk.RiskAlert)
    triggers = models.JSONField(default=list)  # incident ids with their contributions
    sparkline = models.JSONField(null=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["snapshot", "key"], name="risk_state_per_stream")]
        indexes = [
            models.Index(fields=["snapshot", "rank"], name="risk_state_raised"),
            models.Index(fields=["snapshot", "-n_events"], name="risk_state_events"),
        ]

    def __str__(self) -> str:
        return f"{self.key} in snapshot {self.snapshot_id}"
