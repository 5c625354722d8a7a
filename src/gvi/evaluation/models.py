"""Per-site evaluation settings: unit costs behind the cost estimates, and imported perceived-safety series.

Neither holds person data: unit costs are prices, survey values are published area-level statistics.
"""

from django.db import models
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
