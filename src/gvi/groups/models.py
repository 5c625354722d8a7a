"""The group audit: persons, groups, memberships and relations between groups. All compartmented."""

from contextvars import ContextVar
from datetime import datetime, time, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.access.models import CompartmentedRecord, CompartmentQuerySet, RetainedRecord, door_managers
from gvi.importing.text import contains_personal_number, name_key, normalise_name
from gvi.partnership.models import Organisation

PERSONAL_NUMBER_IN_TEXT = _(
    "Texten innehåller ett personnummer. Skriv personnummer bara i fältet för personnummer (kolumnen "
    "personnummer vid import), där det lagras krypterat – aldrig i alias eller anteckningar."
)


class Confidence(models.TextChoices):
    HIGH = "high", _("Hög")
    MEDIUM = "medium", _("Medel")
    LOW = "low", _("Låg")


class EntryState(models.TextChoices):
    """Four eyes: an analyst's new person or membership entry is proposed until a second person approves it."""

    PROPOSED = "proposed", _("Föreslagen")
    APPROVED = "approved", _("Godkänd")
    REJECTED = "rejected", _("Avslagen")


class EntryQuerySet(CompartmentQuerySet):
    """`in_force()` is the one filter every count, network, risk and statistics read goes through: proposed
    and rejected entries exist for their owner and approver only."""

    def in_force(self):
        return self.filter(self.model.in_force_q())


class ProposedEntry(RetainedRecord):
    """The four-eyes state of an entry (gvi.groups.services.approve_entry / reject_entry). Existing and
    non-analyst entries are approved from the start; see README "Fyra ögon"."""

    entry_state = models.CharField(
        _("registreringsstatus"),
        max_length=10,
        choices=EntryState.choices,
        default=EntryState.APPROVED,
        db_index=True,
    )
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("föreslagen av"),
    )
    proposed_at = models.DateTimeField(_("föreslagen"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("beslutad av"),
    )
    decided_at = models.DateTimeField(_("beslutad"), null=True, blank=True)
    rejection_reason = models.TextField(_("skäl för avslag"), blank=True, max_length=2000)

    unscoped_all_sites, objects = door_managers(EntryQuerySet)

    class Meta:
        abstract = True

    @classmethod
    def in_force_q(cls, prefix: str = "") -> Q:
        return Q(**{f"{prefix}entry_state": EntryState.APPROVED})

    @property
    def is_in_force(self) -> bool:
        return self.entry_state == EntryState.APPROVED

    @property
    def is_proposed(self) -> bool:
        return self.entry_state == EntryState.PROPOSED

    @property
    def is_rejected(self) -> bool:
        return self.entry_state == EntryState.REJECTED

    def proposal_expires_at(self):
        """The moment a proposed (or rejected) entry is purged: GVI_PROPOSAL_DAYS calendar days after it
        was proposed, at the start of that local day."""
        if self.proposed_at is None:
            return None
        day = timezone.localtime(self.proposed_at).date() + timedelta(days=settings.GVI_PROPOSAL_DAYS)
        return timezone.make_aware(datetime.combine(day, time.min))

    @classmethod
    def expired_proposals(cls, today):
        """Entries never approved whose proposal time is over (used by gvi.access.retention)."""
        # By local calendar day: proposed on day D, purged by the run on day D + N (whatever the hour).
        day_after_last = today - timedelta(days=settings.GVI_PROPOSAL_DAYS) + timedelta(days=1)
        cutoff = timezone.make_aware(datetime.combine(day_after_last, time.min))
        return cls._base_manager.filter(
            entry_state__in=[EntryState.PROPOSED, EntryState.REJECTED], proposed_at__lt=cutoff
        )


class Person(ProposedEntry):
    """A person entry exists only where an operational step needs it; never a permanent list."""

    class AgeBand(models.TextChoices):
        UNDER_15 = "u15", _("under 15")
        AGE_15_17 = "15-17", _("15–17")
        AGE_18_20 = "18-20", _("18–20")
        AGE_21_25 = "21-25", _("21–25")
        AGE_26_35 = "26-35", _("26–35")
        OVER_35 = "36+", _("36 eller äldre")

    alias = models.CharField(_("visningsalias"), max_length=80)
    birth_year = models.PositiveSmallIntegerField(_("födelseår"), null=True, blank=True)
    age_band = models.CharField(_("åldersgrupp"), max_length=6, choices=AgeBand.choices, blank=True)
    is_minor = models.BooleanField(_("under 18"), default=False)
    is_suspected_perpetrator = models.BooleanField(_("misstänkt gärningsperson"), default=False)
    is_victim = models.BooleanField(_("brottsoffer"), default=False)
    is_at_risk = models.BooleanField(_("i riskzon"), default=False)
    notes = models.TextField(_("anteckning"), blank=True, max_length=4000)
    # The personal identity number is never stored in clear text: a keyed hash for matching across
    # records, and an encrypted value that authorised roles may reveal (each reveal is logged).
    personal_number_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    personal_number_encrypted = models.TextField(blank=True, editable=False)

    class Meta:
        ordering = ["alias"]
        verbose_name = _("person")
        verbose_name_plural = _("personer")

    def __str__(self) -> str:
        return self.alias

    def clean(self):
        if self.birth_year and not 1900 <= self.birth_year <= 2100:
            raise ValidationError({"birth_year": _("Ange ett rimligt födelseår.")})
        errors = {
            name: PERSONAL_NUMBER_IN_TEXT
            for name in ("alias", "notes")
            if contains_personal_number(getattr(self, name))
        }
        if errors:
            raise ValidationError(errors)
        if not (self.is_suspected_perpetrator or self.is_victim or self.is_at_risk):
            raise ValidationError(
                _("Ange minst en status: misstänkt gärningsperson, brottsoffer eller i riskzon.")
            )


class Group(CompartmentedRecord):
    class Status(models.TextChoices):
        ACTIVE = "active", _("Aktiv")
        DORMANT = "dormant", _("Vilande")
        DISSOLVED = "dissolved", _("Upplöst")

    class Tier(models.IntegerChoices):
        LOW = 1, _("1 – låg")
        MEDIUM = 2, _("2 – medel")
        HIGH = 3, _("3 – hög")
        DRIVING = 4, _("4 – driver våldet")

    logs_reads = False  # group-level, not person data

    name = models.CharField(_("namn"), max_length=120)
    aliases = models.CharField(_("andra namn"), max_length=300, blank=True)
    area = models.CharField(_("område"), max_length=120, blank=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.ACTIVE)
    size_min = models.PositiveSmallIntegerField(_("storlek från"), null=True, blank=True)
    size_max = models.PositiveSmallIntegerField(_("storlek till"), null=True, blank=True)
    violence_tier = models.PositiveSmallIntegerField(_("våldsnivå"), choices=Tier.choices, default=Tier.LOW)
    sources = models.TextField(_("källor"), blank=True, max_length=4000)
    last_reviewed = models.DateField(_("senast granskad"), null=True, blank=True)
    next_review = models.DateField(_("nästa granskning"))

    class Meta:
        ordering = ["name"]
        verbose_name = _("grupp")
        verbose_name_plural = _("grupper")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        self.name = normalise_name(self.name)
        if self.size_min and self.size_max and self.size_min > self.size_max:
            raise ValidationError({"size_max": _("Övre gränsen kan inte vara mindre än den undre.")})
        if self.site_id and self.name and not NAMES_CHECKED.get() and self.same_name_at_site().exists():
            raise ValidationError(
                {
                    "name": _(
                        "Det finns redan en grupp med det namnet på platsen (skiftläge och mellanslag räknas inte)."
                    )
                }
            )

    def same_name_at_site(self):
        """The other groups at the site whose name is this one's, compared by `name_key` (NFC, white space
        collapsed, case-folded – SQLite's own case-insensitive match knows no å, ä, ö)."""
        return groups_named(
            Group.unscoped_all_sites.filter(site_id=self.site_id).exclude(pk=self.pk), self.name
        )


# Set by an import that checks the names of its groups itself (against one lookup of the site's names,
# extended as it creates groups), so that a large file is not compared against every name once per row.
NAMES_CHECKED: ContextVar[bool] = ContextVar("group_names_checked", default=False)


def groups_named(queryset, name: str):
    """The groups of `queryset` whose name is `name` by `name_key`. Compared in Python over the names
    alone: a site has tens or hundreds of groups, and the database's case folding differs by backend."""
    key = name_key(name)
    return queryset.filter(
        pk__in=[pk for pk, other in queryset.values_list("pk", "name") if name_key(other) == key]
    )


class MembershipCriterion(models.TextChoices):
    SELF_ADMISSION = "self_admission", _("Egen uppgift om medlemskap")
    POLICE_INTELLIGENCE = "police_intelligence", _("Underrättelseinformation")
    OBSERVED_WITH_GROUP = "observed_with_group", _("Upprepat iakttagen med gruppen")
    CO_OFFENDING = "co_offending", _("Misstänkt för brott tillsammans med medlemmar")
    SOCIAL_MEDIA = "social_media", _("Öppna sociala medier")
    SYMBOLS = "symbols", _("Gruppens symboler eller tatueringar")
    VICTIM_OF_RIVALS = "victim_of_rivals", _("Utsatt för våld av rivaliserande grupp")
    PARTNER_INFORMATION = "partner_information", _("Uppgift från samverkanspart")
    OTHER = "other", _("Annat (beskrivs i underlaget)")


class GroupMembership(ProposedEntry):
    class Role(models.TextChoices):
        CORE = "core", _("Kärnmedlem")
        ASSOCIATE = "associate", _("Associerad")

    person = models.ForeignKey(
        Person, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("person")
    )
    group = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="memberships", verbose_name=_("grupp")
    )
    role = models.CharField(_("roll"), max_length=10, choices=Role.choices)
    valid_from = models.DateField(_("från"))
    valid_to = models.DateField(_("till"), null=True, blank=True)
    criteria = models.JSONField(_("grund för registrering"), default=list)
    evidence_note = models.TextField(_("underlag"), max_length=4000)
    source_organisation = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("källa (organisation)"),
    )
    confidence = models.CharField(_("tillförlitlighet"), max_length=6, choices=Confidence.choices)

    class Meta:
        ordering = ["group__name", "person__alias"]
        verbose_name = _("gruppmedlemskap")
        verbose_name_plural = _("gruppmedlemskap")

    def __str__(self) -> str:
        return f"{self.person} – {self.group}"

    def clean(self):
        errors = {}
        if not self.criteria:
            errors["criteria"] = _("Ange minst en grund för registreringen.")
        elif not set(self.criteria) <= set(MembershipCriterion.values):
            errors["criteria"] = _("Okänd grund för registrering.")
        if not (self.evidence_note or "").strip():
            errors["evidence_note"] = _("Beskriv underlaget.")
        elif contains_personal_number(self.evidence_note):
            errors["evidence_note"] = PERSONAL_NUMBER_IN_TEXT
        if self.valid_to and self.valid_from and self.valid_to < self.valid_from:
            errors["valid_to"] = _("Slutdatum kan inte vara före startdatum.")
        if self.group_id and self.person_id and self.site_id:
            if self.group.site_id != self.site_id or self.person.site_id != self.site_id:
                errors["group"] = _("Person, grupp och medlemskap måste höra till samma plats.")
        if errors:
            raise ValidationError(errors)

    @classmethod
    def in_force_q(cls, prefix: str = "") -> Q:
        # A membership counts only when it and its person are both approved.
        return super().in_force_q(prefix) & Person.in_force_q(f"{prefix}person__")

    def criteria_labels(self) -> list[str]:
        labels = dict(MembershipCriterion.choices)
        return [str(labels.get(code, code)) for code in self.criteria]


class GroupRelation(RetainedRecord):
    class Type(models.TextChoices):
        CONFLICT = "conflict", _("Konflikt")
        ALLIANCE = "alliance", _("Allians")
        UNKNOWN = "unknown", _("Okänd")

    logs_reads = False

    group_a = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="relations_as_a", verbose_name=_("grupp A")
    )
    group_b = models.ForeignKey(
        Group, on_delete=models.CASCADE, related_name="relations_as_b", verbose_name=_("grupp B")
    )
    type = models.CharField(_("typ"), max_length=10, choices=Type.choices)
    intensity = models.PositiveSmallIntegerField(_("intensitet (1–5)"), default=1)
    since = models.DateField(_("sedan"), null=True, blank=True)
    last_evidence = models.DateField(_("senaste belägg"), null=True, blank=True)
    confidence = models.CharField(_("tillförlitlighet"), max_length=6, choices=Confidence.choices)
    basis = models.TextField(_("underlag"), max_length=4000)

    class Meta:
        ordering = ["-intensity"]
        verbose_name = _("grupprelation")
        verbose_name_plural = _("grupprelationer")

    def __str__(self) -> str:
        return f"{self.group_a} – {self.group_b} ({self.get_type_display()})"

    def clean(self):
        if self.group_a_id and self.group_a_id == self.group_b_id:
            raise ValidationError(_("En grupp kan inte ha en relation till sig själv."))
        if not 1 <= (self.intensity or 0) <= 5:
            raise ValidationError({"intensity": _("Intensiteten anges från 1 till 5.")})
        if not (self.basis or "").strip():
            raise ValidationError({"basis": _("Beskriv underlaget för relationen.")})

    def other(self, group):
        return self.group_b if group.pk == self.group_a_id else self.group_a


class AuditRound(CompartmentedRecord):
    """A dated refresh of the whole group audit: who took part and what changed since the last round."""

    logs_reads = False

    held_on = models.DateField(_("datum"))
    participants = models.ManyToManyField(
        Organisation, related_name="+", verbose_name=_("deltagande organisationer")
    )
    note = models.TextField(_("anteckning"), blank=True, max_length=4000)
    changes = models.JSONField(_("förändringar"), default=dict, editable=False)

    class Meta:
        ordering = ["-held_on"]
        verbose_name = _("kartläggningsomgång")
        verbose_name_plural = _("kartläggningsomgångar")

    def __str__(self) -> str:
        return f"{self.held_on:%Y-%m-%d}"


class NetworkSnapshot(models.Model):
    """The network measures of one site's groups and relations, computed by the worker
    (gvi.groups.network.recompute_site): the pages only read them. Groups and relations are visible to
    every group-level role at their site, so one snapshot per site serves all of them; a user who sees
    only some of a site's groups (through disclosures) gets measures of just those, computed on the spot."""

    site = models.OneToOneField("partnership.Site", on_delete=models.CASCADE, related_name="+")
    computed_at = models.DateTimeField(_("beräknad"))
    source = models.JSONField(default=list)  # the site's latest group and relation ids when computed
    group_count = models.PositiveIntegerField(default=0)
    edge_count = models.PositiveIntegerField(default=0)
    ranked_count = models.PositiveIntegerField(default=0)
    total_conflict_intensity = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("nätverksbild")
        verbose_name_plural = _("nätverksbilder")

    def __str__(self) -> str:
        return f"network site {self.site_id} @ {self.computed_at:%Y-%m-%d %H:%M}"


class NetworkGroupMetrics(models.Model):
    """One group's measures in a snapshot, and its place in the drawing."""

    snapshot = models.ForeignKey(NetworkSnapshot, on_delete=models.CASCADE, related_name="groups")
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="+")
    degree = models.PositiveIntegerField()
    degree_centrality = models.FloatField()
    betweenness = models.FloatField()
    component = models.PositiveIntegerField()
    community = models.PositiveIntegerField()
    conflict_rank = models.PositiveIntegerField(null=True)
    exposure = models.JSONField()  # analysis.network.ConflictExposure's fields
    x = models.FloatField()
    y = models.FloatField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["snapshot", "group"], name="network_metrics_per_group")
        ]
        indexes = [models.Index(fields=["snapshot", "community"], name="network_metrics_community")]

    def __str__(self) -> str:
        return f"group {self.group_id} in snapshot {self.snapshot_id}"


class ImportMapping(models.Model):
    """A saved mapping of the import assistant (gvi.groups.assistant): how a practitioner's workbook maps
    onto the import columns, reused for the next audit round. It holds no person data: the header row, the
    sheet's column headings -> fields, the sheet's choice values -> allowed values, and the defaults."""

    site = models.ForeignKey("partnership.Site", on_delete=models.CASCADE, related_name="+")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("namn"), max_length=100)
    header_row = models.PositiveIntegerField(_("rubrikrad"), default=1)
    columns = models.JSONField(_("kolumner"), default=dict)  # folded heading -> field key
    values = models.JSONField(_("värden"), default=dict)  # field key -> {folded value: allowed value}
    defaults = models.JSONField(_("standardvärden"), default=dict)  # field key -> value
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "organisation", "name"], name="import_mapping_unique_name"
            )
        ]
        verbose_name = _("sparad importmappning")
        verbose_name_plural = _("sparade importmappningar")

    def __str__(self) -> str:
        return self.name
