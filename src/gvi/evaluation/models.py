"""Per-site evaluation settings: unit costs behind the cost estimates, and imported perceived-safety series.

Neither holds person data: unit costs are prices, survey values are published area-level statistics.
"""

from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.partnership.models import Site


class UnitCost(models.Model):
    """A site's own value for one unit cost; without one, the published default applies."""

    class Key(models.TextChoices):
        HOSPITAL_PER_GUNSHOT_PATIENT = "hospital_gunshot", _("Sjukvårdskostnad per skottskadad patient")
        SOCIETAL_PER_SHOOTING = "societal_shooting", _("Samhällskostnad per skjutning")
        STATISTICAL_LIFE = "statistical_life", _("Värdet av ett statistiskt liv")
        INVESTIGATION_HOURS = "investigation_hours", _("Utredningstimmar per incident")
        HOUR_COST = "hour_cost", _("Kostnad per utredningstimme")

    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="unit_costs", verbose_name=_("plats")
    )
    key = models.CharField(_("post"), max_length=30, choices=Key.choices)
    value = models.DecimalField(_("värde"), max_digits=14, decimal_places=0)
    source = models.CharField(_("källa"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["site", "key"], name="evaluation_unit_cost_once")]
        verbose_name = _("enhetskostnad")
        verbose_name_plural = _("enhetskostnader")

    def __str__(self) -> str:
        return f"{self.get_key_display()}: {self.value}"


class SurveyValue(models.Model):
    """One published value of a perceived-safety survey (for example trygghetsmätningen or NTU)."""

    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="survey_values", verbose_name=_("plats")
    )
    area = models.CharField(_("område"), max_length=120)
    year = models.PositiveSmallIntegerField(_("år"))
    indicator = models.CharField(_("indikator"), max_length=200)
    value = models.DecimalField(_("värde"), max_digits=10, decimal_places=2)
    source = models.CharField(_("källa"), max_length=300)
    imported_at = models.DateTimeField(_("importerad"), auto_now_add=True)

    class Meta:
        ordering = ["indicator", "area", "year"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "area", "year", "indicator"], name="evaluation_survey_value_once"
            )
        ]
        verbose_name = _("trygghetsvärde")
        verbose_name_plural = _("trygghetsvärden")

    def __str__(self) -> str:
        return f"{self.indicator} {self.area} {self.year}: {self.value}"


class InvestigationHours(models.Model):
    """Police investigation hours actually spent, per incident type and year or month (imported).

    Where present they replace the unit-figure estimate ("faktiska" rather than "uppskattade" hours).
    `month` is empty for a whole-year figure, which is spread evenly over the year's months.
    """

    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="investigation_hours", verbose_name=_("plats")
    )
    incident_type = models.CharField(_("incidenttyp"), max_length=20)
    year = models.PositiveSmallIntegerField(_("år"))
    month = models.PositiveSmallIntegerField(_("månad"), null=True, blank=True)
    hours = models.DecimalField(_("timmar"), max_digits=10, decimal_places=1)
    source = models.CharField(_("källa"), max_length=300)
    imported_at = models.DateTimeField(_("importerad"), auto_now_add=True)

    class Meta:
        ordering = ["year", "month", "incident_type"]
        # One figure per month, and one whole-year figure (month empty): two partial unique indexes, which
        # SQLite and PostgreSQL both enforce (unlike nulls_distinct=False).
        constraints = [
            models.UniqueConstraint(
                fields=["site", "incident_type", "year", "month"],
                condition=models.Q(month__isnull=False),
                name="evaluation_hours_once_a_month",
            ),
            models.UniqueConstraint(
                fields=["site", "incident_type", "year"],
                condition=models.Q(month__isnull=True),
                name="evaluation_hours_once_a_year",
            ),
        ]
        verbose_name = _("utredningstimmar")
        verbose_name_plural = _("utredningstimmar")

    def __str__(self) -> str:
        period = f"{self.year}-{self.month:02d}" if self.month else str(self.year)
        return f"{self.incident_type} {period}: {self.hours}"


class AggregatePackage(models.Model):
    """A signed aggregate package imported from another installation. It holds counts only, no person."""

    source = models.CharField(_("betrodd nyckel"), max_length=120)
    installation = models.CharField(_("installation"), max_length=200)
    key_fingerprint = models.CharField(_("nyckelns fingeravtryck"), max_length=64)
    sha256 = models.CharField(_("filens kontrollsumma"), max_length=64)
    created_at = models.DateTimeField(_("skapat"))
    imported_at = models.DateTimeField(_("importerat"), auto_now_add=True)
    imported_by = models.CharField(_("importerat av"), max_length=150, blank=True)

    class Meta:
        ordering = ["-imported_at"]
        verbose_name = _("aggregatpaket")
        verbose_name_plural = _("aggregatpaket")

    def __str__(self) -> str:
        return f"{self.installation} ({timezone.localtime(self.created_at):%Y-%m-%d})"


class ImportedAggregate(models.Model):
    """One published value of an imported national table.

    `site_name` is empty for the total over the package's sites; `period` is "YYYY-MM" for a month and
    "YYYY" for the year's total. `value` is empty where the sending installation suppressed it.
    """

    package = models.ForeignKey(
        AggregatePackage, on_delete=models.CASCADE, related_name="values", verbose_name=_("paket")
    )
    source = models.CharField(_("betrodd nyckel"), max_length=120)
    site_name = models.CharField(_("plats"), max_length=120, blank=True)
    period = models.CharField(_("period"), max_length=7)
    indicator = models.CharField(_("indikator"), max_length=30)
    value = models.PositiveIntegerField(_("värde"), null=True, blank=True)

    class Meta:
        ordering = ["source", "indicator", "site_name", "period"]
        constraints = [
            models.UniqueConstraint(
                fields=["source", "site_name", "period", "indicator"], name="evaluation_aggregate_once"
            )
        ]
        verbose_name = _("importerat aggregat")
        verbose_name_plural = _("importerade aggregat")

    def __str__(self) -> str:
        return f"{self.source} {self.site_name or '–'} {self.period} {self.indicator}: {self.value}"


class Population(models.Model):
    """The site's population for one year or month (imported, with its source, for example SCB).

    It is the exposure of the impact analysis: where every month of the series has a population, the model
    counts incidents per resident (offset log population). `month` is empty for a whole-year figure, which
    applies to every month of that year; a month's own figure wins over the year's.
    """

    site = models.ForeignKey(
        Site, on_delete=models.CASCADE, related_name="population_figures", verbose_name=_("plats")
    )
    year = models.PositiveSmallIntegerField(_("år"))
    month = models.PositiveSmallIntegerField(_("månad"), null=True, blank=True)
    population = models.PositiveIntegerField(_("folkmängd"))
    source = models.CharField(_("källa"), max_length=300)
    imported_at = models.DateTimeField(_("importerad"), auto_now_add=True)

    class Meta:
        ordering = ["year", "month"]
        constraints = [
            models.UniqueConstraint(
                fields=["site", "year", "month"],
                condition=models.Q(month__isnull=False),
                name="evaluation_population_once_a_month",
            ),
            models.UniqueConstraint(
                fields=["site", "year"],
                condition=models.Q(month__isnull=True),
                name="evaluation_population_once_a_year",
            ),
        ]
        verbose_name = _("folkmängd")
        verbose_name_plural = _("folkmängd")

    def __str__(self) -> str:
        period = f"{self.year}-{self.month:02d}" if self.month else str(self.year)
        return f"{period}: {self.population}"


class ImpactModel(models.Model):
    """The site's pre-specified impact model: written down (with its date) before the follow-up, so that
    the model is not chosen after seeing the result. The statistics page fits this model and says when
    it was specified; a specification made after the GVI start is shown as such."""

    class Change(models.TextChoices):
        STEP = "step", _("Endast nivåförändring vid starten")
        STEP_SLOPE = "step_slope", _("Nivåförändring och trendförändring")

    site = models.OneToOneField(
        Site, on_delete=models.CASCADE, related_name="impact_model", verbose_name=_("plats")
    )
    change = models.CharField(_("förändring"), max_length=12, choices=Change.choices, default=Change.STEP)
    seasonality = models.BooleanField(_("säsong"), default=True)
    comparison = models.BooleanField(_("jämförelseserier"), default=False)
    note = models.TextField(_("motivering"), blank=True, max_length=2000)
    specified_at = models.DateTimeField(_("specificerad"))
    specified_by = models.CharField(_("specificerad av"), max_length=150, blank=True)

    class Meta:
        verbose_name = _("förspecificerad effektmodell")
        verbose_name_plural = _("förspecificerade effektmodeller")

    def __str__(self) -> str:
        return f"{self.site}: {self.get_change_display()}"

    @property
    def before_start(self) -> bool | None:
        """Whether it was specified before the site's GVI start (None without a start date)."""
        start = self.site.gvi_start_date
        if start is None:
            return None
        return timezone.localdate(self.specified_at) < start


class PublishedMonth(models.Model):
    """A complete month as the national tables first published it: the sites then active and their
    counts per indicator. The month is protected from these counts (gvi.analysis.suppression.protect_month
    is deterministic), so its hidden cells and published values are the same in every later version: an
    incident registered late, or a coding changed, cannot change a published month, which would let
    consecutive versions be differenced. Counts only; no record of any person or incident."""

    month = models.DateField(_("månad"), unique=True)  # the first day
    published_at = models.DateTimeField(_("publicerad"), default=timezone.now)
    sites = models.JSONField(_("platser"))  # site names, in the table's order
    counts = models.JSONField(_("antal"))  # indicator -> one count per site, as `sites`

    class Meta:
        ordering = ["month"]
        verbose_name = _("publicerad månad")
        verbose_name_plural = _("publicerade månader")

    def __str__(self) -> str:
        return self.month.strftime("%Y-%m")
