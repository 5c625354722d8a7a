"""The partnership: sites, partner organisations and who works where in which role."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Samordnare")
    ANALYST = "analyst", _("Analytiker")
    CASEWORKER = "caseworker", _("Socialsekreterare")
    PROBATION_OFFICER = "probation_officer", _("Frivårdsinspektör")
    COMMUNITY_PARTNER = "community_partner", _("Partner i lokalsamhället")
    STEERING_MEMBER = "steering_member", _("Styrgruppsledamot")
    NATIONAL_ANALYST = "national_analyst", _("Nationell analytiker")
    ADMINISTRATOR = "administrator", _("Administratör")


# Roles whose work is national or technical: they belong to no site.
SITELESS_ROLES = {Role.NATIONAL_ANALYST, Role.ADMINISTRATOR}


class Site(models.Model):
    """One GVI partnership: a city or district running the strategy."""

    name = models.CharField(_("namn"), max_length=120, unique=True)
    slug = models.SlugField(_("kortnamn"), max_length=60, unique=True)
    municipality = models.CharField(_("kommun"), max_length=120)
    gvi_start_date = models.DateField(_("GVI-start"), null=True, blank=True)
    is_active = models.BooleanField(_("aktiv"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("plats")
        verbose_name_plural = _("platser")

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    class Type(models.TextChoices):
        POLICE = "police", _("Polisen")
        MUNICIPALITY = "municipality", _("Kommun")
        PROBATION = "probation", _("Kriminalvården (frivården)")
        COMMUNITY = "community", _("Lokalsamhälle")
        OTHER_AUTHORITY = "other_authority", _("Annan myndighet")
        NATIONAL = "national", _("Nationellt stöd")
        OPERATOR = "operator", _("Driftorganisation")

    name = models.CharField(_("namn"), max_length=200, unique=True)
    short_name = models.CharField(_("kortnamn"), max_length=60)
    type = models.CharField(_("typ"), max_length=20, choices=Type.choices)
    sites = models.ManyToManyField(Site, verbose_name=_("platser"), related_name="organisations", blank=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("organisation")
        verbose_name_plural = _("organisationer")

    def __str__(self) -> str:
        return self.name


class MembershipQuerySet(models.QuerySet):
    def active(self):
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    """A user works for an organisation at a site in one role. A user may hold several."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="memberships",
        verbose_name=_("användare"),
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="memberships", verbose_name=_("organisation")
    )
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        related_name="memberships",
        null=True,
        blank=True,
        verbose_name=_("plats"),
        help_text=_("Tom endast för nationella analytiker och administratörer."),
    )
    role = models.CharField(_("roll"), max_length=30, choices=Role.choices)
    is_active = models.BooleanField(_("aktiv"), default=True)
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["user__username", "site__name", "role"]
        verbose_name = _("medlemskap")
        verbose_name_plural = _("medlemskap")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "organisation", "site", "role"], name="unique_membership"
            ),
        ]

    def __str__(self) -> str:
        site = self.site or _("nationellt")
        return f"{self.user} – {self.get_role_display()} – {self.organisation.short_name} – {site}"

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.role in SITELESS_ROLES and self.site_id:
            raise ValidationError({"site": _("Den här rollen hör inte till någon plats.")})
        if self.role not in SITELESS_ROLES and not self.site_id:
            raise ValidationError({"site": _("Välj en plats för den här rollen.")})
