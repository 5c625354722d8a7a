"""The partnership: sites, partner organisations and who works where in which role."""

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

from gvi.importing.text import name_key, normalise_name
from gvi.partnership.agenda_text import from_data, render


class Role(models.TextChoices):
    COORDINATOR = "coordinator", _("Samordnare")
    ANALYST = "analyst", _("Analytiker")
    CASEWORKER = "caseworker", _("Socialsekreterare")
    PROBATION_OFFICER = "probation_officer", _("Frivårdsinspektör")
    COMMUNITY_PARTNER = "community_partner", _("Partner i lokalsamhället")
    STEERING_MEMBER = "steering_member", _("Styrgruppsledamot")
    NATIONAL_ANALYST = "national_analyst", _("Nationell analytiker")
    ADMINISTRATOR = "administrator", _("Administratör")
    # Per organisation, no site: follows up its organisation's access log (gvi.logreview); no person data.
    DATA_PROTECTION_OFFICER = "data_protection_officer", _("Dataskyddsombud")


# Roles whose work is national or technical: they belong to no site.
SITELESS_ROLES = {Role.NATIONAL_ANALYST, Role.ADMINISTRATOR, Role.DATA_PROTECTION_OFFICER}
# Roles that read person data (gvi.access.permissions): a membership in one of them takes effect only once a
# second person of its organisation has approved it (gvi.access.accounts).
PERSON_DATA_ROLES = {Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER}
# Roles that need a second person's approval although they read no person data: the data-protection officer
# sees who read which record of its organisation (an administrator must not give itself that view).
APPROVAL_ROLES = PERSON_DATA_ROLES | {Role.DATA_PROTECTION_OFFICER}


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


class Area(models.Model):
    """One area (område) of a site: what incidents and statistics are counted by. The coordinator keeps the
    site's list (gvi.partnership.services); imports match an area by its name or one of its aliases with the
    import's name rules (gvi.importing.text.name_key), so a typo cannot split the statistics.

    `outline` is an optional polygon in the site's coordinate system (WGS 84, as incident coordinates):
    a list of [latitude, longitude] pairs, drawn on the incident map. An area in use is never deleted, only
    deactivated (it is then no longer offered in forms or accepted by imports)."""

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="areas", verbose_name=_("plats"))
    name = models.CharField(_("namn"), max_length=120)
    key = models.CharField(max_length=120, editable=False)  # name_key(name): unique per site
    code = models.CharField(_("kod"), max_length=20, blank=True)
    aliases = models.JSONField(_("andra stavningar"), default=list, blank=True)
    outline = models.JSONField(_("kontur"), null=True, blank=True)
    is_active = models.BooleanField(_("aktivt"), default=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["site", "name"]
        verbose_name = _("område")
        verbose_name_plural = _("områden")
        constraints = [models.UniqueConstraint(fields=["site", "key"], name="area_name_once_per_site")]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs):
        self.name = normalise_name(self.name)
        self.key = name_key(self.name)
        super().save(*args, **kwargs)

    def keys(self) -> set[str]:
        """Every form the area is matched by: its name and its aliases, compared as import names are."""
        return {name_key(self.name)} | {name_key(alias) for alias in self.aliases or [] if name_key(alias)}


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
        """Memberships in force: active, of an active user, and approved (see Membership.approved_at)."""
        return self.filter(is_active=True, user__is_active=True, approved_at__isnull=False)

    def pending(self):
        return self.filter(is_active=True, approved_at__isnull=True)


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
    approves_access = models.BooleanField(
        _("godkänner behörigheter"),
        default=False,
        help_text=_(
            "Dataskyddsansvarig: godkänner medlemskap i den egna organisationen som ger personuppgifter."
        ),
    )
    approves_entries = models.BooleanField(
        _("godkänner registreringar"),
        default=False,
        help_text=_(
            "Gruppledare eller arbetsledare: godkänner de personer och gruppmedlemskap som analytiker "
            "i den egna organisationen föreslår på platsen (fyra ögon)."
        ),
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("begärt av"),
    )
    # None: waiting for approval, the membership grants nothing yet. A membership that reads no person data
    # and gives no approval power is approved when it is created (approved_by empty).
    approved_at = models.DateTimeField(_("godkänt"), null=True, blank=True)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("godkänt av"),
    )

    objects = MembershipQuerySet.as_manager()
    history = HistoricalRecords()

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

    @property
    def needs_approval(self) -> bool:
        """Grants person data or the power to approve such grants: takes effect only when approved."""
        return self.role in APPROVAL_ROLES or self.approves_access or self.approves_entries

    @property
    def is_pending(self) -> bool:
        return self.is_active and self.approved_at is None

    def clean(self):
        from django.core.exceptions import ValidationError

        if self.role in SITELESS_ROLES and self.site_id:
            raise ValidationError({"site": _("Den här rollen hör inte till någon plats.")})
        if self.role not in SITELESS_ROLES and not self.site_id:
            raise ValidationError({"site": _("Välj en plats för den här rollen.")})
        if self.approves_entries and self.role not in PERSON_DATA_ROLES:
            raise ValidationError(
                {"approves_entries": _("Bara en roll som ser personposter kan godkänna registreringar.")}
            )


# ----- the governance cycle: meetings, agenda, decisions and tasks -----


def is_active_member(user_id, site_id, organisation_id=None) -> bool:
    memberships = Membership.objects.active().filter(user_id=user_id, site_id=site_id)
    if organisation_id is not None:
        memberships = memberships.filter(organisation_id=organisation_id)
    return memberships.exists()


#
# These are partnership records, not person data: they belong to a site (not to one organisation) and are
# visible by role (see gvi.partnership.selectors). Tasks may reference a group but never a person.


class Meeting(models.Model):
    """A meeting of the partnership at one site: the weekly incident review, the steering group, or an
    extra meeting after an incident. Versioned (optimistic locking) and historised."""

    class Type(models.TextChoices):
        WEEKLY_REVIEW = "weekly_review", _("Veckovis incidentgenomgång")
        STEERING_GROUP = "steering_group", _("Styrgruppsmöte")
        EXTRA = "extra", _("Extra möte efter incident")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planerat")
        HELD = "held", _("Pågår")  # opened ("Öppna mötet") and not yet closed
        CLOSED = "closed", _("Avslutat")

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("plats"))
    type = models.CharField(_("typ av möte"), max_length=20, choices=Type.choices, default=Type.WEEKLY_REVIEW)
    starts_at = models.DateTimeField(_("datum och tid"), db_index=True)
    place = models.CharField(_("lokal"), max_length=200, blank=True)
    chair = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("ordförande"),
    )
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    participants = models.ManyToManyField(
        Organisation, related_name="+", blank=True, verbose_name=_("deltagande organisationer")
    )
    attendees = models.TextField(
        _("närvarande"),
        blank=True,
        max_length=2000,
        help_text=_("Valfritt: namn på de närvarande, ett per rad."),
    )
    notes = models.TextField(_("anteckningar"), blank=True, max_length=8000)
    agenda_since = models.DateTimeField(_("dagordningen omfattar tiden från"), null=True, blank=True)
    agenda_generated_at = models.DateTimeField(_("dagordningen skapad"), null=True, blank=True)
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skapat av"),
    )
    created_at = models.DateTimeField(_("skapat"), auto_now_add=True)
    updated_at = models.DateTimeField(_("ändrat"), auto_now=True)

    history = HistoricalRecords(m2m_fields=[participants])

    class Meta:
        ordering = ["-starts_at"]
        verbose_name = _("möte")
        verbose_name_plural = _("möten")
        indexes = [models.Index(fields=["site", "type", "status", "starts_at"])]

    def __str__(self) -> str:
        when = timezone.localtime(self.starts_at) if self.starts_at else None
        return f"{self.get_type_display()} {when:%Y-%m-%d %H:%M}" if when else self.get_type_display()

    def chair_errors(self) -> dict:
        """Checked when the chair is set or changed (a chair who later leaves keeps the old minutes valid)."""
        if self.chair_id and self.site_id and not is_active_member(self.chair_id, self.site_id):
            return {"chair": _("Ordföranden måste ha en aktiv roll på platsen.")}
        return {}

    @property
    def is_planned(self) -> bool:
        return self.status == self.Status.PLANNED

    @property
    def is_closed(self) -> bool:
        return self.status == self.Status.CLOSED


class AgendaItem(models.Model):
    """One point on a meeting's agenda. Generated points are snapshots: title, summary and facts are
    copied when the agenda is generated (at the latest when the meeting is opened), so the minutes stay
    stable when the underlying records change or are purged.

    A point without `audience` is the partnership's: everyone who reads the meeting reads it, in meeting
    mode and in the minutes. A point with an `audience` holds that organisation's own detail (its exact
    figures): only its members at the site read it, on the meeting page (gvi.partnership.selectors)."""

    class Kind(models.TextChoices):
        RISK = "risk", _("Förhöjd risk")
        INCIDENT = "incident", _("Incident sedan förra genomgången")
        SANCTION = "sanction", _("Sanktionsepisod")
        NOTIFICATION = "notification", _("Pågående enskilt samtal")
        OVERDUE_TASK = "overdue_task", _("Försenad uppgift")
        REVIEW_DUE = "review_due", _("Omprövning inom två veckor")
        MANUAL = "manual", _("Övrig punkt")

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="agenda_items", verbose_name=_("möte")
    )
    order = models.PositiveIntegerField(_("ordning"), default=0)
    kind = models.CharField(_("slag"), max_length=20, choices=Kind.choices, default=Kind.MANUAL)
    title = models.CharField(_("rubrik"), max_length=300)
    summary = models.TextField(_("sammanfattning"), blank=True, max_length=4000)
    content_type = models.ForeignKey(
        ContentType, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    object_id = models.PositiveBigIntegerField(null=True, blank=True)
    data = models.JSONField(_("fakta"), default=dict, blank=True)
    is_generated = models.BooleanField(_("skapad automatiskt"), default=False)
    audience = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("visas bara för"),
        help_text=_("Tom: hela samverkan läser punkten. Annars bara den organisationens medlemmar."),
    )

    class Meta:
        ordering = ["order", "pk"]
        verbose_name = _("dagordningspunkt")
        verbose_name_plural = _("dagordningspunkter")

    def __str__(self) -> str:
        return f"{self.order}. {self.title}"

    @property
    def is_shared(self) -> bool:
        return self.audience_id is None

    # Generated points keep their words as text trees (gvi.partnership.agenda_text) in data["_text"] and
    # in their facts, read in the reader's language; `title` and `summary` hold the Swedish snapshot
    # (and are all a point added by hand has).
    @property
    def shown_title(self) -> str:
        return self._shown("title", self.title)

    @property
    def shown_summary(self) -> str:
        return self._shown("summary", self.summary)

    @property
    def shown_data(self) -> dict:
        return {
            name: render(from_data(value)) if is_text_tree(value) else value
            for name, value in (self.data or {}).items()
            if name != "_text"
        }

    def _shown(self, part: str, stored: str) -> str:
        tree = ((self.data or {}).get("_text") or {}).get(part)
        return render(from_data(tree)) if tree is not None else stored

    @property
    def kind_label(self) -> str:
        """What the point is, in words that fit it: a risk point for one group is not a conflict, and a
        proposal awaiting its decision is not an episode under way."""
        data = self.data or {}
        if self.kind == self.Kind.RISK:
            groups = data.get("groups") or []
            if len(groups) >= 2:
                return str(_("Konflikt med förhöjd risk"))
            if len(groups) == 1:
                return str(_("Grupp med förhöjd risk"))
        if self.kind == self.Kind.SANCTION and data.get("state") in SANCTION_POINT_LABELS:
            return str(SANCTION_POINT_LABELS[data["state"]])
        return str(self.get_kind_display())

    @property
    def reference_label(self) -> str:
        return f"{self.content_type.app_label}.{self.content_type.model}" if self.content_type_id else ""

    @property
    def link(self) -> str:
        """The page of the record the point is about ("" if none); that page checks access itself."""
        from django.urls import NoReverseMatch, reverse

        url = (self.data or {}).get("url", "")
        if isinstance(url, str) and url.startswith("/") and not url.startswith("//"):
            return url  # a provider's own link to its record (e.g. a sanction episode)
        route = REFERENCE_ROUTES.get(self.reference_label)
        if not route or not self.object_id:
            return ""
        try:
            return reverse(route, args=[self.object_id])
        except NoReverseMatch:
            return ""


def is_text_tree(value) -> bool:
    """Whether a stored fact is a text tree of gvi.partnership.agenda_text (a dict tagged "$…")."""
    return isinstance(value, dict) and any(key.startswith("$") for key in value)


# Sanction points by the episode's status (the sanctions provider stores it as data["state"]).
SANCTION_POINT_LABELS = {
    "proposed": _("Föreslagen sanktionsepisod – väntar på beslut"),
    "open": _("Pågående sanktionsepisod"),
    "closed": _("Avslutad sanktionsepisod"),
    "dismissed": _("Avstådd sanktionsepisod"),
}

# Pages for the records an agenda point may reference, by "app_label.model".
REFERENCE_ROUTES = {
    "incidents.incident": "incidents:incident_detail",
    "sanctions.sanctionepisode": "sanctions:episode_detail",
    "groups.group": "groups:group_detail",
    "partnership.task": "meetings:task_edit",
}


class Decision(models.Model):
    """A decision taken at a meeting, optionally under one agenda item."""

    meeting = models.ForeignKey(
        Meeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("möte")
    )
    agenda_item = models.ForeignKey(
        AgendaItem,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="decisions",
        verbose_name=_("dagordningspunkt"),
    )
    text = models.TextField(_("beslut"), max_length=4000)
    decided_at = models.DateTimeField(_("beslutat"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("registrerat av"),
    )

    history = HistoricalRecords()

    class Meta:
        ordering = ["decided_at", "pk"]
        verbose_name = _("beslut")
        verbose_name_plural = _("beslut")

    def __str__(self) -> str:
        return self.text[:80]

    def clean(self):
        if not (self.text or "").strip():
            raise ValidationError({"text": _("Skriv vad som beslutades.")})
        if self.agenda_item_id and self.meeting_id and self.agenda_item.meeting_id != self.meeting_id:
            raise ValidationError({"agenda_item": _("Punkten hör inte till det här mötet.")})
        if self.agenda_item_id and not self.agenda_item.is_shared:
            raise ValidationError(
                {
                    "agenda_item": _(
                        "Beslut registreras under samverkans gemensamma punkter, inte under en organisations egna underlag."
                    )
                }
            )


class Task(models.Model):
    """An action the partnership assigned to one organisation at a site, with a responsible member and a
    due date. Free of person data: it may reference a group, never a person. Versioned and historised."""

    class Status(models.TextChoices):
        OPEN = "open", _("Ej påbörjad")
        IN_PROGRESS = "in_progress", _("Pågår")
        DONE = "done", _("Klar")
        CANCELLED = "cancelled", _("Avbruten")

    ACTIVE_STATUSES = (Status.OPEN, Status.IN_PROGRESS)

    decision = models.ForeignKey(
        Decision,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="tasks",
        verbose_name=_("beslut"),
    )
    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("plats"))
    owner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("ansvarig organisation")
    )
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="gvi_tasks",
        verbose_name=_("ansvarig person"),
    )
    group = models.ForeignKey(
        "groups.Group",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("grupp"),
        help_text=_("Valfritt: den grupp uppgiften gäller."),
    )
    title = models.CharField(
        _("uppgift"), max_length=300, help_text=_("Skriv inga uppgifter om enskilda personer.")
    )
    due_date = models.DateField(_("klart senast"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    done_at = models.DateTimeField(_("klar"), null=True, blank=True)
    note = models.TextField(
        _("anteckning"),
        blank=True,
        max_length=4000,
        help_text=_("Skriv inga uppgifter om enskilda personer."),
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("skapad av"),
    )
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)

    history = HistoricalRecords()

    class Meta:
        ordering = ["due_date", "pk"]
        verbose_name = _("uppgift")
        verbose_name_plural = _("uppgifter")
        indexes = [models.Index(fields=["site", "status", "due_date"])]

    def __str__(self) -> str:
        return self.title

    def save(self, *args, **kwargs):
        # done_at follows the status: set when the task becomes done, cleared when it is reopened.
        if self.status == self.Status.DONE and not self.done_at:
            self.done_at = timezone.now()
        elif self.status != self.Status.DONE:
            self.done_at = None
        super().save(*args, **kwargs)

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE_STATUSES

    @property
    def is_overdue(self) -> bool:
        return self.is_active and self.due_date is not None and self.due_date < timezone.localdate()

    def clean(self):
        errors = {}
        if not (self.title or "").strip():
            errors["title"] = _("Beskriv uppgiften.")
        if self.owner_id and self.site_id and not self.owner.sites.filter(pk=self.site_id).exists():
            errors["owner"] = _("Organisationen är inte med i samverkan på den här platsen.")
        if self.decision_id and self.site_id and self.decision.meeting.site_id != self.site_id:
            errors["decision"] = _("Beslutet hör till en annan plats.")
        if self.group_id and self.site_id and self.group.site_id != self.site_id:
            errors["group"] = _("Gruppen hör till en annan plats.")
        if errors:
            raise ValidationError(errors)

    def responsible_errors(self) -> dict:
        """Checked when the task is assigned or reassigned: the responsible user must be an active member
        of the owning organisation at the task's site. (A member who later leaves does not block closing.)"""
        if not self.responsible_id:
            return {"responsible": _("Välj en ansvarig person.")}
        if self.owner_id and self.site_id:
            if not is_active_member(self.responsible_id, self.site_id, self.owner_id):
                return {
                    "responsible": _(
                        "Den ansvariga måste vara aktiv medlem i den ansvariga organisationen på platsen."
                    )
                }
        return {}
