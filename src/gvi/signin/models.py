"""Who an IdP's user is here, and the second factor an IdP's assurance stands for."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django_otp.models import Device

from gvi.partnership.models import Membership


class ExternalIdentity(models.Model):
    """One user of one IdP (provider key + the configured user-id claim's value) and the local user.

    `memberships` are those this IdP's claims created: they follow the claims at every sign-in
    (activated while mapped, deactivated when no longer mapped). Memberships an administrator created
    are not touched."""

    provider = models.CharField(_("IdP"), max_length=40)
    subject = models.CharField(_("användar-id hos IdP"), max_length=255)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="external_identities",
        verbose_name=_("användare"),
    )
    memberships = models.ManyToManyField(
        Membership, blank=True, related_name="+", verbose_name=_("medlemskap")
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    last_sign_in_at = models.DateTimeField(_("senaste inloggning"), null=True, blank=True)

    class Meta:
        verbose_name = _("extern identitet")
        verbose_name_plural = _("externa identiteter")
        constraints = [
            models.UniqueConstraint(fields=["provider", "subject"], name="unique_external_identity")
        ]

    def __str__(self) -> str:
        return f"{self.provider}: {self.user_id}"


class IdPAssurance(Device):
    """The second factor as the IdP vouched for it (acr/amr, when configured for that IdP). It verifies
    no codes: it only marks a session as verified by `django_otp.login` after such a sign-in."""

    provider = models.CharField(_("IdP"), max_length=40)

    class Meta:
        verbose_name = _("tvåfaktor via IdP")
        verbose_name_plural = _("tvåfaktor via IdP")

    def verify_token(self, token) -> bool:
        return False
