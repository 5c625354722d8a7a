"""A follow-up round (uppföljningsomgång) of one organisation's access log: the period, a random sample of
log rows, the flags found, the data-protection officer's note and sign-off. A signed round is immutable."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gvi.partnership.models import Organisation


class SignedRoundError(ValidationError):
    """A signed round cannot change."""


class FollowUpRound(models.Model):
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("organisation")
    )
    period_start = models.DateField(_("från och med"))
    period_end = models.DateField(_("till och med"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("påbörjad av")
    )
    created_at = models.DateTimeField(_("påbörjad"), auto_now_add=True)
    row_count = models.PositiveIntegerField(_("loggrader i perioden"), default=0)
    read_count = models.PositiveIntegerField(_("läsningar i perioden"), default=0)
    # The sample is stored as the rows' sequence numbers: the same rows are shown and exported every time.
    sample_seqs = models.JSONField(_("stickprov"), default=list, blank=True)
    # Flags as computed when the round began (gvi.logreview.flags.Flag.as_dict): kept with the round.
    flags = models.JSONField(_("flaggor"), default=list, blank=True)
    note = models.TextField(_("anteckning"), blank=True, max_length=8000)
    signed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("signerad av"),
    )
    signed_at = models.DateTimeField(_("signerad"), null=True, blank=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["-period_start", "-pk"]
        verbose_name = _("uppföljningsomgång")
        verbose_name_plural = _("uppföljningsomgångar")

    def __str__(self) -> str:
        return f"{self.organisation.short_name} {self.period_start}–{self.period_end}"

    def save(self, *args, **kwargs):
        # Signed rounds are kept as signed: no code path may change one (the sign-off itself is the last save).
        if self.pk and type(self)._base_manager.filter(pk=self.pk, signed_at__isnull=False).exists():
            raise SignedRoundError(_("Omgången är signerad och kan inte ändras."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        if self.is_signed:
            raise SignedRoundError(_("Omgången är signerad och sparas."))
        return super().delete(*args, **kwargs)

    @property
    def is_signed(self) -> bool:
        return self.signed_at is not None

    def clean(self):
        if self.period_start and self.period_end and self.period_end < self.period_start:
            raise ValidationError({"period_end": _("Periodens slut måste ligga på eller efter dess början.")})
