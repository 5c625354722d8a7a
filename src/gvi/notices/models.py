"""Notices (one e-mail to one user about one thing, recorded so none is sent twice), each user's choice
of notices, and each user's secret calendar link (only its hash is stored)."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from gvi.notices.kinds import CHOICES


class Notice(models.Model):
    """One message to one user. (user, kind, key) is unique: the collector may find the same event every
    few minutes, but it becomes one notice. Holds no person data: the key names record ids only and the
    path is the link the message carries."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Väntar")
        SENT = "sent", _("Skickat")
        FAILED = "failed", _("Misslyckades")

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="notices",
        verbose_name=_("användare"),
    )
    kind = models.CharField(_("slag"), max_length=30, choices=CHOICES)
    key = models.CharField(_("nyckel"), max_length=120)
    path = models.CharField(_("länk"), max_length=300)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("försök"), default=0)
    queued = models.BooleanField(_("i kö"), default=False)
    next_attempt_at = models.DateTimeField(_("nästa försök"), null=True, blank=True)
    last_error = models.CharField(_("senaste fel"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    sent_at = models.DateTimeField(_("skickad"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("avisering")
        verbose_name_plural = _("aviseringar")
        constraints = [models.UniqueConstraint(fields=["user", "kind", "key"], name="unique_notice")]
        indexes = [models.Index(fields=["status", "queued", "next_attempt_at"])]

    def __str__(self) -> str:
        return f"{self.kind} → {self.user_id} ({self.status})"


class NoticeSetting(models.Model):
    """A user's own choice for one kind; without a row the default of the user's roles applies."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("användare")
    )
    kind = models.CharField(_("slag"), max_length=30, choices=CHOICES)
    enabled = models.BooleanField(_("på"))

    class Meta:
        verbose_name = _("aviseringsval")
        verbose_name_plural = _("aviseringsval")
        constraints = [models.UniqueConstraint(fields=["user", "kind"], name="unique_notice_setting")]

    def __str__(self) -> str:
        return f"{self.kind}: {'på' if self.enabled else 'av'}"


class CalendarFeed(models.Model):
    """A user's secret calendar link. Only a SHA-256 hash of the secret is stored: the link is shown once,
    when it is made or renewed, and renewing it makes the old link stop working."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="calendar_feed",
        verbose_name=_("användare"),
    )
    secret_hash = models.CharField(_("hash av hemligheten"), max_length=64, unique=True)
    created_at = models.DateTimeField(_("skapad"))
    last_used_at = models.DateTimeField(_("senast hämtad"), null=True, blank=True)

    class Meta:
        verbose_name = _("kalenderlänk")
        verbose_name_plural = _("kalenderlänkar")

    def __str__(self) -> str:
        return f"{_('kalenderlänk')} {self.user_id}"
