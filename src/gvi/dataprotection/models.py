"""Register extracts (GDPR art. 15, brottsdatalagen 5 kap.) and requests for rectification, erasure or
restriction, answered by the organisation that owns the person entry.

`RegisterExtract` records that an extract was produced: who, when, why, and counts per kind. Never the
content: the PDF is handed over and not kept. `DataSubjectRequest` is the request and its decision. It
outlives the person entry: when the person is purged or removed, the free texts (what was asked, the
reasoning, what was done) are cleared, in the history too, and kind, dates, outcome and counts remain
(gvi.dataprotection.services.forget_persons_in_requests).
"""

import calendar
from datetime import date

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from gvi.access.models import CompartmentedRecord
from gvi.groups.models import Person
from gvi.partnership.models import Organisation, Site

# GDPR art. 12(3): answer without undue delay and at the latest within one month of receipt.
ANSWER_MONTHS = 1


def months_after(day: date, months: int) -> date:
    """The same day `months` calendar months later (the month's last day when it has fewer days)."""
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


class WithholdingGround(models.TextChoices):
    SECRECY = "secrecy", _("Sekretess enligt offentlighets- och sekretesslagen (OSL)")
    INVESTIGATION = "investigation", _("Pågående förundersökning")
    OTHER = "other", _("Annan grund (beskriv)")


class RegisterExtract(models.Model):
    """One produced register extract: metadata and counts only, never the content."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("plats"))
    owner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("ägande organisation")
    )
    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,  # the record of the answer outlives the person entry
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    person_ref = models.PositiveBigIntegerField(_("personpostens nummer"))
    produced_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("framställt av")
    )
    produced_at = models.DateTimeField(_("framställt"), default=timezone.now)
    reason = models.CharField(_("skäl"), max_length=500)
    reference = models.CharField(_("ärende- eller diarienummer"), max_length=80, blank=True)
    counts = models.JSONField(_("antal per slag"), default=dict)
    withheld_count = models.PositiveIntegerField(_("antal undantagna"), default=0)
    withheld_grounds = models.JSONField(_("undantag per grund"), default=dict)

    class Meta:
        ordering = ["-produced_at", "-pk"]
        verbose_name = _("registerutdrag")
        verbose_name_plural = _("registerutdrag")

    def __str__(self) -> str:
        return f"extract {self.pk} person {self.person_ref}"

    @property
    def item_count(self) -> int:
        return sum(self.counts.values())


class DataSubjectRequest(CompartmentedRecord):
    """A request for rectification, erasure or restriction, recorded and decided by the owner."""

    class Kind(models.TextChoices):
        RECTIFICATION = "rectification", _("Rättelse")
        ERASURE = "erasure", _("Radering")
        RESTRICTION = "restriction", _("Begränsning av behandling")

    class Decision(models.TextChoices):
        NONE = "", _("Inte beslutad")
        GRANTED = "granted", _("Bifall")
        PARTLY = "partly", _("Delvis bifall")
        REJECTED = "rejected", _("Avslag")

    person = models.ForeignKey(
        Person,
        on_delete=models.SET_NULL,  # the decision survives the purge of the person
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("person"),
    )
    case_number = models.CharField(
        _("ärende- eller diarienummer"),
        max_length=80,
        blank=True,
        help_text=_("Organisationens eget nummer för begäran. Inga namn eller personnummer."),
    )
    kind = models.CharField(_("slag av begäran"), max_length=14, choices=Kind.choices)
    received_on = models.DateField(_("begäran inkom"))
    request_text = models.TextField(_("vad begäran gäller"), max_length=4000)
    decision = models.CharField(
        _("beslut"), max_length=10, choices=Decision.choices, blank=True, default=Decision.NONE
    )
    decision_reasoning = models.TextField(_("motivering"), max_length=4000, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("beslutad av"),
    )
    decided_at = models.DateTimeField(_("beslutad"), null=True, blank=True)
    done_at = models.DateTimeField(_("utförd"), null=True, blank=True)
    done_text = models.TextField(_("vad som gjordes"), max_length=4000, blank=True)
    records_changed = models.PositiveIntegerField(_("antal ändrade eller raderade poster"), default=0)
    # Set when the person entry was purged or removed: the free texts are gone, the decision remains.
    person_forgotten_at = models.DateTimeField(_("personuppgifterna gallrade"), null=True, blank=True)

    class Meta:
        ordering = ["received_on", "pk"]
        verbose_name = _("begäran om rättelse, radering eller begränsning")
        verbose_name_plural = _("begäranden om rättelse, radering eller begränsning")
        indexes = [models.Index(fields=["owner", "site", "done_at"])]

    def __str__(self) -> str:
        return f"request {self.pk} ({self.kind})"

    @property
    def due_on(self) -> date:
        return months_after(self.received_on, ANSWER_MONTHS)

    def days_left(self, today: date | None = None) -> int:
        return (self.due_on - (today or timezone.localdate())).days

    @property
    def is_open(self) -> bool:
        return self.done_at is None and self.decision != self.Decision.REJECTED

    def clean(self):
        errors = {}
        if self.received_on and self.received_on > timezone.localdate():
            errors["received_on"] = _("Datumet kan inte ligga i framtiden.")
        if not (self.request_text or "").strip() and self.person_forgotten_at is None:
            errors["request_text"] = _("Beskriv vad begäran gäller.")
        if self.decision and not (self.decision_reasoning or "").strip() and self.person_forgotten_at is None:
            errors["decision_reasoning"] = _("Motivera beslutet.")
        if self.done_at and self.decision not in (self.Decision.GRANTED, self.Decision.PARTLY):
            errors["done_text"] = _("Endast en bifallen begäran kan markeras som utförd.")
        if self.person_id and self.site_id and self.person.site_id != self.site_id:
            errors["person"] = _("Personen hör till en annan plats.")
        if errors:
            raise ValidationError(errors)
