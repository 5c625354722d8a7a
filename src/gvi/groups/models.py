"""The group audit: persons, groups, memberships and relations between groups. All compartmented."""

from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from gvi.access.models import CompartmentedRecord


class Confidence(models.TextChoices):
    HIGH = "high", _("Hög")
    MEDIUM = "medium", _("Medel")
    LOW = "low", _("Låg")


class Person(CompartmentedRecord):
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
    review_date = models.DateField(_("omprövas senast"))

    class Meta:
        ordering = ["alias"]
        verbose_name = _("person")
        verbose_name_plural = _("personer")

    def __str__(self) -> str:
        return self.alias

    def clean(self):
        if self.birth_year and not 1900 <= self.birth_year <= 2100:
            raise ValidationError({"birth_year": _("Ange ett rimligt födelseår.")})
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
        if self.size_min and self.size_max and self.size_min > self.size_max:
            raise ValidationError({"size_max": _("Övre gränsen kan inte vara mindre än den undre.")})


class GroupMembership(CompartmentedRecord):
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
    basis = models.CharField(_("grund för registrering"), max_length=300)
    evidence_note = models.TextField(_("underlag"), max_length=4000)
    confidence = models.CharField(_("tillförlitlighet"), max_length=6, choices=Confidence.choices)
    review_date = models.DateField(_("omprövas senast"))

    class Meta:
        ordering = ["group__name", "person__alias"]
        verbose_name = _("gruppmedlemskap")
        verbose_name_plural = _("gruppmedlemskap")

    def __str__(self) -> str:
        return f"{self.person} – {self.group}"


class GroupRelation(CompartmentedRecord):
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
    review_date = models.DateField(_("omprövas senast"))

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
