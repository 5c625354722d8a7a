"""The access model: compartmented records, disclosures and the hash-chained access log."""

import hashlib
import hmac
import json

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.db.models.query import EmptyQuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from simple_history import register
from simple_history.models import HistoricalRecords

from gvi.access import disclosure_rules
from gvi.access.permissions import OWN, VIEW, grant_for
from gvi.partnership.models import Organisation, Site

# Accounts are versioned like every record: who changed a user (activation, names, e-mail) and when. The
# password hash and the last login are not copied into the history.
register(
    User,
    app="gvi.access",
    excluded_fields=["password", "last_login"],
)


def membership_q(membership, model, action: str = VIEW) -> Q:
    """The rows of `model` one membership (organisation x site x role) may act on."""
    allowed = Q(pk__in=[])
    if membership.site_id is None:
        return allowed
    shared_rows = getattr(model, "shared_rows", None)
    if shared_rows is not None and action == VIEW:
        shared = grant_for(membership.role, model.shared_record_type)
        if shared is not None and VIEW in shared.actions:
            allowed |= Q(site_id=membership.site_id) & shared_rows
    found = grant_for(membership.role, model._meta.label_lower)
    if found is None:
        return allowed
    if action in found.actions:
        if found.scope == OWN:
            allowed |= Q(site_id=membership.site_id, owner_id=membership.organisation_id)
        else:
            allowed |= Q(site_id=membership.site_id)
    if VIEW in found.actions and action == VIEW:
        allowed |= Disclosure.objects.active().opened_for(model, membership)
    return allowed


def compartment_q(user, model, action: str = VIEW) -> Q:
    """The rows of `model` that `user` may act on, as a filter on `site_id`, `owner_id` and `id`.

    Also applies to the model's historical rows, which carry the same columns.
    """
    allowed = Q(pk__in=[])
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return allowed
    for membership in user.memberships.active():
        allowed |= membership_q(membership, model, action)
    return allowed


class UnscopedQueryError(RuntimeError):
    """A query on person data that went through neither `visible_to(user)` nor the unscoped manager.

    A programming error, not a refusal to a user: the access door (README "Åtkomstdörren") fails closed.
    """


# The unscoped manager's name, loud on purpose: site-wide and system-level code only (retention, national
# aggregation, the worker's read models, backups, demo, bench). tests/access/test_door.py allows it only
# in named modules.
UNSCOPED_MANAGER = "unscoped_all_sites"


class CompartmentQuerySet(models.QuerySet):
    """Querysets of person data. From `Model.objects` they refuse to read (UnscopedQueryError) until
    `visible_to(user, action)` scoped them; from `Model.unscoped_all_sites` (and Django's related managers,
    which derive from the default manager) they read the whole database. Writes without a read (`create`,
    `bulk_create`) are allowed on both."""

    _door_open = False

    def visible_to(self, user, action: str = VIEW):
        """The rows `user` may act on: the single entry point for views, exports and the API."""
        if not getattr(user, "is_authenticated", False) or not user.is_active:
            scoped = self.none()
        else:
            scoped = self.filter(compartment_q(user, self.model, action))
        return self._opened(scoped)

    @staticmethod
    def _opened(scoped):
        """Mark a queryset scoped to one user (a `visible_to` override or another per-user scope)."""
        scoped._door_open = True
        return scoped

    def none(self):
        """An empty queryset reads nothing, so it may be evaluated (a form field's initial choices)."""
        return self._opened(super().none())

    def _door(self):
        if self._door_open:
            return
        label = self.model._meta.label
        raise UnscopedQueryError(
            f"Unscoped query on {label}: use {self.model.__name__}.objects.visible_to(user, action), or "
            f"{self.model.__name__}.{UNSCOPED_MANAGER} in site-wide code allowed in tests/access/test_door.py."
        )

    def _clone(self):
        clone = super()._clone()
        clone._door_open = self._door_open
        return clone

    def _fetch_all(self):
        if self._result_cache is None:
            self._door()
        super()._fetch_all()

    def iterator(self, *args, **kwargs):
        self._door()
        return super().iterator(*args, **kwargs)

    def aiterator(self, *args, **kwargs):
        self._door()
        return super().aiterator(*args, **kwargs)

    def count(self):
        if self._result_cache is None:
            self._door()
        return super().count()

    def exists(self):
        if self._result_cache is None:
            self._door()
        return super().exists()

    def contains(self, obj):
        if self._result_cache is None:
            self._door()
        return super().contains(obj)

    def aggregate(self, *args, **kwargs):
        self._door()
        return super().aggregate(*args, **kwargs)

    def in_bulk(self, *args, **kwargs):
        self._door()
        return super().in_bulk(*args, **kwargs)

    def update(self, **kwargs):
        self._door()
        return super().update(**kwargs)

    def _update(self, values):
        self._door()
        return super()._update(values)

    def delete(self):
        self._door()
        return super().delete()

    def _raw_delete(self, using):
        self._door()
        return super()._raw_delete(using)

    def explain(self, *args, **kwargs):
        self._door()
        return super().explain(*args, **kwargs)

    def resolve_expression(self, *args, **kwargs):
        # Used as a subquery (`id__in=qs`): the inner query must be scoped too.
        self._door()
        return super().resolve_expression(*args, **kwargs)

    def _combined(self, combined, others):
        """A combination of querysets reads only if every part was scoped (an empty one counts as scoped)."""
        combined = combined._chain()
        combined._door_open = all(
            isinstance(part, EmptyQuerySet) or getattr(part, "_door_open", True) for part in (self, *others)
        )
        return combined

    def __and__(self, other):
        return self._combined(super().__and__(other), [other])

    def __or__(self, other):
        return self._combined(super().__or__(other), [other])

    def __xor__(self, other):
        return self._combined(super().__xor__(other), [other])

    def _combinator_query(self, combinator, *other_qs, all=False):
        return self._combined(super()._combinator_query(combinator, *other_qs, all=all), other_qs)


class _UnscopedManagerMixin:
    """The querysets of the unscoped manager (and of the related managers Django derives from it) read."""

    def get_queryset(self):
        queryset = super().get_queryset()
        queryset._door_open = True
        return queryset


def door_managers(queryset_class):
    """(unscoped, refusing) managers for a compartmented model, created in this order so that the
    unscoped one is the model's default manager (Django internals: unique validation, related managers,
    serializers, dumpdata) and `objects` is the refusing one. Declare them in this order:

        unscoped_all_sites, objects = door_managers(MyQuerySet)
    """
    base = models.Manager.from_queryset(queryset_class)
    unscoped = type(f"Unscoped{base.__name__}", (_UnscopedManagerMixin, base), {})()
    return unscoped, base()


class CompartmentedRecord(models.Model):
    """Abstract base of every record with person or operational data: owned by one organisation at one site.

    `version` carries optimistic locking; `history` versions every change (who, when, what).
    `logs_reads` says whether reading one record writes an access-log row (person-level records).
    """

    site = models.ForeignKey(Site, on_delete=models.PROTECT, related_name="+", verbose_name=_("plats"))
    owner = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="+", verbose_name=_("ägande organisation")
    )
    version = models.PositiveIntegerField(_("version"), default=1, editable=False)
    created_at = models.DateTimeField(_("skapad"), auto_now_add=True)
    updated_at = models.DateTimeField(_("ändrad"), auto_now=True)

    history = HistoricalRecords(inherit=True)
    # The access door: `objects` refuses unscoped reads, `unscoped_all_sites` is for site-wide code only.
    unscoped_all_sites, objects = door_managers(CompartmentQuerySet)

    logs_reads = True
    # Rows matching `shared_rows` (a Q) are readable by whoever may read `shared_record_type` at the site:
    # used where part of a record type holds no person data (an involvement that names only a group).
    shared_rows = None
    shared_record_type = ""

    class Meta:
        abstract = True


class RetainedRecord(CompartmentedRecord):
    """A record that must not live forever: reviewed by a date, deactivated when overdue, then purged.

    The retention engine (gvi.access.retention) walks every concrete subclass.
    """

    review_date = models.DateField(_("omprövas senast"))
    deactivated_at = models.DateTimeField(_("inaktiverad"), null=True, blank=True, db_index=True)

    class Meta:
        abstract = True

    @property
    def is_deactivated(self) -> bool:
        return self.deactivated_at is not None


class DisclosureQuerySet(models.QuerySet):
    def active(self, at=None):
        at = at or timezone.now()
        return self.filter(revoked_at__isnull=True, decided_at__lte=at).filter(
            Q(expires_at__isnull=True) | Q(expires_at__gt=at)
        )

    def opened_for(self, model, membership) -> Q:
        """The rows of `model` these disclosures open to one membership (organisation x site). A site is a
        compartment: a disclosure opens its record to the receiving organisation at the record's own site,
        or, when it names another site (`to_site`, an explicit "annan plats" choice), at that site."""
        # The disclosed ids are fetched first, in one small query (disclosures are few, and this one is
        # served by the (content_type, to_organisation, object_id) index), and put into the filter as a
        # list. An `id IN (subquery)` inside an OR cannot be pulled up into a join: PostgreSQL then plans it
        # as a subplan tested on every row and scans the whole record table, where `id = ANY(list)` lets
        # it OR the (site, ...) index with the primary key's (tests/access/test_disclosure_plan.py). The
        # filter names only `site_id` and `id`, so it applies to the historical rows too.
        rows = self.filter(
            Q(to_site__isnull=True) | Q(to_site_id=membership.site_id),
            content_type=ContentType.objects.get_for_model(model),
            to_organisation_id=membership.organisation_id,
        ).values_list("object_id", "to_site_id")
        same_site, other_site = set(), set()
        for object_id, to_site_id in rows:
            (same_site if to_site_id is None else other_site).add(object_id)
        return Q(site_id=membership.site_id, id__in=sorted(same_site)) | Q(id__in=sorted(other_site))


# Organisations whose members never read person data (the community partner's, the national layer's, the
# operator's): a disclosure to them would grant nothing, so it is refused.
NON_RECIPIENT_TYPES = (Organisation.Type.COMMUNITY, Organisation.Type.NATIONAL, Organisation.Type.OPERATOR)


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Skriftligt")
    ORAL = "oral", _("Muntligt (antecknat)")
    DIGITAL = "digital", _("Digitalt")


class Disclosure(models.Model):
    """An explicit, recorded act of sharing one record with another organisation (utlämnande).

    A site is a compartment. A disclosure opens the record to the receiving organisation's members at the
    record's own site (`site`). It reaches another site only when it names that site (`to_site`): an
    explicit "annan plats" choice, with a legal ground in CROSS_SITE_GROUNDS; the coordinators of both
    sites see such disclosures on *Utlämnanden*.
    """

    class LegalGround(models.TextChoices):
        OSL_10_2 = "osl_10_2", _("OSL 10 kap. 2 § (nödvändigt utlämnande)")
        OSL_10_18A = "osl_10_18a", _("OSL 10 kap. 18 a § (förebygga brott, samverkan)")
        OSL_10_27 = "osl_10_27", _("OSL 10 kap. 27 § (generalklausulen)")
        OSL_10_28 = "osl_10_28", _("OSL 10 kap. 28 § (uppgiftsskyldighet)")
        DUTY_2025 = "duty_2025", _("Lagen (2025) om uppgiftsskyldighet")
        CONSENT = "consent", _("Samtycke från den enskilde")
        OTHER = "other", _("Annan grund (beskriv)")

    # Grounds that hold whatever the site: a duty to disclose laid down in law, consent, a necessary
    # disclosure or the general clause (each assessed for the case). Not OSL 10:18 a, which serves the
    # crime-prevention partnership a site is, nor an unnamed "other" ground.
    CROSS_SITE_GROUNDS = frozenset(
        {
            LegalGround.OSL_10_2,
            LegalGround.OSL_10_27,
            LegalGround.OSL_10_28,
            LegalGround.DUTY_2025,
            LegalGround.CONSENT,
        }
    )

    from_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="disclosures_made", verbose_name=_("från")
    )
    to_organisation = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, related_name="disclosures_received", verbose_name=_("till")
    )
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    record = GenericForeignKey("content_type", "object_id")
    site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("postens plats"),
    )
    to_site = models.ForeignKey(
        Site,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("annan plats"),
        help_text=_(
            "Tom: mottagaren läser posten på postens egen plats. Anges bara vid utlämnande till en annan plats."
        ),
    )
    legal_ground = models.CharField(_("rättslig grund"), max_length=20, choices=LegalGround.choices)
    legal_ground_text = models.TextField(_("rättslig grund, fritext"), blank=True, max_length=2000)
    purpose = models.TextField(_("ändamål"), max_length=2000)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("beslutad av")
    )
    decided_at = models.DateTimeField(_("beslutad"), default=timezone.now)
    # Required: no disclosure lasts until further notice; the ground's maximum (disclosure_rules) caps it.
    expires_at = models.DateTimeField(_("upphör"))
    revoked_at = models.DateTimeField(_("återkallad"), null=True, blank=True)
    # A consent, when it is the ground: when and how the person gave it, and who recorded it.
    consent_given_on = models.DateField(_("samtycke lämnat"), null=True, blank=True)
    consent_method = models.CharField(
        _("samtycket lämnades"), max_length=10, choices=ConsentMethod.choices, blank=True
    )
    consent_recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("samtycket registrerat av"),
    )

    objects = DisclosureQuerySet.as_manager()
    history = HistoricalRecords()

    class Meta:
        ordering = ["-decided_at"]
        verbose_name = _("utlämnande")
        verbose_name_plural = _("utlämnanden")
        indexes = [models.Index(fields=["content_type", "to_organisation", "object_id"])]

    def __str__(self) -> str:
        return f"{self.from_organisation.short_name} → {self.to_organisation.short_name} ({self.get_legal_ground_display()})"

    @property
    def crosses_sites(self) -> bool:
        return self.to_site_id is not None

    def clean(self):
        errors = self.recipient_errors()
        for field, message in self.ground_errors().items():
            errors.setdefault(field, message)
        if (
            self.consent_given_on
            and self.decided_at
            and self.consent_given_on > timezone.localdate(self.decided_at)
        ):
            errors.setdefault("consent_given_on", _("Samtycket kan inte vara lämnat efter beslutet."))
        if errors:
            raise ValidationError(errors)

    def ground_errors(self) -> dict:
        """Why the legal ground does not fit who discloses to whom, and about whom (disclosure_rules)."""
        types = dict(
            Organisation.objects.filter(
                pk__in=[self.from_organisation_id, self.to_organisation_id]
            ).values_list("pk", "type")
        )
        sender, recipient = types.get(self.from_organisation_id), types.get(self.to_organisation_id)
        if sender is None or recipient is None or not self.legal_ground:
            return {}  # the fields' own validation says what is missing
        return disclosure_rules.errors_for(self.legal_ground, sender, recipient, self.ground_facts())

    def ground_facts(self) -> disclosure_rules.Facts:
        decided = self.decided_at or timezone.now()
        person = self.concerned_person()
        under_21 = None
        if person is not None:
            under_21 = disclosure_rules.is_under_21(
                person.birth_year, person.age_band, person.is_minor, timezone.localdate(decided)
            )
        return disclosure_rules.Facts(
            under_21=under_21,
            consent_recorded=bool(
                self.consent_given_on and self.consent_method and self.consent_recorded_by_id
            ),
            ground_text=self.legal_ground_text,
            decided_at=decided,
            expires_at=self.expires_at,
        )

    def concerned_person(self):
        """The person entry the disclosed record is about: the record itself, or the person it names."""
        if not (self.content_type_id and self.object_id):
            return None
        record = self.record
        if record is None:
            return None
        if record._meta.label_lower == "groups.person":
            return record
        person = getattr(record, "person", None)
        if person is not None and person._meta.label_lower == "groups.person":
            return person
        return None

    def recipient_errors(self) -> dict:
        """Why the recipient (organisation and site) cannot receive the record, by field; {} if it can."""
        recipient = Organisation.objects.filter(pk=self.to_organisation_id).first()
        if recipient is None:
            return {}  # no or an unknown organisation: the field's own validation says so
        if recipient.type == Organisation.Type.COMMUNITY:
            return {
                "to_organisation": _(
                    "Lokalsamhällets organisationer kan inte ta emot uppgifter om enskilda: partner i "
                    "lokalsamhället ser aldrig personuppgifter, så utlämnandet skulle inte ge någon åtkomst. "
                    "Dela i stället det som behövs på gruppnivå, till exempel inför ett stormöte."
                )
            }
        if recipient.type in NON_RECIPIENT_TYPES:
            return {
                "to_organisation": _(
                    "%(org)s kan inte ta emot uppgifter om enskilda: organisationen arbetar inte med "
                    "personuppgifter."
                )
                % {"org": recipient.name}
            }
        if not self.to_site_id:
            if recipient.pk == self.from_organisation_id:
                return {
                    "to_organisation": _(
                        "Posten kan inte lämnas ut till den organisation som redan äger den."
                    )
                }
            if self.site_id and not recipient.sites.filter(pk=self.site_id).exists():
                return {
                    "to_organisation": _(
                        "%(org)s ingår inte i samverkan på %(site)s, där posten finns. Ett utlämnande till en "
                        "annan plats kräver att du uttryckligen väljer ”annan plats” och en rättslig grund som "
                        "gäller oberoende av plats."
                    )
                    % {"org": recipient.name, "site": self.site.name}
                }
            return {}
        if self.to_site_id == self.site_id:
            return {"to_site": _("Välj en annan plats än postens egen, eller lämna ut utan ”annan plats”.")}
        if not recipient.sites.filter(pk=self.to_site_id).exists():
            return {
                "to_organisation": _("%(org)s ingår inte i samverkan på %(site)s.")
                % {"org": recipient.name, "site": self.to_site.name}
            }
        if self.legal_ground and self.legal_ground not in self.CROSS_SITE_GROUNDS:
            return {
                "legal_ground": _(
                    "%(ground)s räcker inte för ett utlämnande till en annan plats: grunden gäller samverkan "
                    "på platsen eller är inte angiven. Välj uppgiftsskyldighet, samtycke, nödvändigt "
                    "utlämnande eller generalklausulen (OSL 10 kap. 2, 27 eller 28 §, lagen (2025) om "
                    "uppgiftsskyldighet)."
                )
                % {"ground": self.get_legal_ground_display()}
            }
        return {}


class AccessLog(models.Model):
    """One read (or export) of person-level data. Rows are hash-chained: tampering breaks the chain."""

    class Action(models.TextChoices):
        VIEW = "view", _("Läsning")
        EXPORT = "export", _("Export")
        API = "api", _("API-läsning")
        REVEAL = "reveal", _("Visning av skyddad uppgift")
        # Account administration (gvi.access.services): every grant, approval and account action.
        GRANT = "grant", _("Behörighet begärd")
        APPROVE = "approve", _("Behörighet godkänd")
        REJECT = "reject", _("Behörighet avslagen")
        END = "end", _("Behörighet avslutad")
        ACCOUNT = "account", _("Konto skapat")
        DEACTIVATE = "deactivate", _("Konto inaktiverat")
        REACTIVATE = "reactivate", _("Konto aktiverat")
        RESET_OTP = "reset_otp", _("Autentiseringsapp återställd")
        RESET_PW = "reset_pw", _("Lösenord återställt")
        PASSWORD = "password", _("Eget lösenord bytt")
        UNLOCK = "unlock", _("Konto upplåst")
        TOKEN = "token", _("API-nyckel utfärdad")
        TOKEN_END = "token_end", _("API-nyckel återkallad")
        # Log follow-up (gvi.logreview): the data-protection officer's own acts are in the same chain.
        FOLLOWUP = "followup", _("Logguppföljning påbörjad")
        SIGNOFF = "signoff", _("Logguppföljning signerad")
        LOOKUP = "log_lookup", _("Loggsökning om person")
        # Four eyes (gvi.groups.services): a second person's decision on a proposed entry.
        ENTRY_OK = "entry_ok", _("Registrering godkänd")
        ENTRY_NO = "entry_no", _("Registrering avslagen")

    seq = models.PositiveBigIntegerField(_("löpnummer"), unique=True)
    at = models.DateTimeField(_("tidpunkt"))
    user_id_logged = models.BigIntegerField(_("användar-id"))
    username = models.CharField(_("användare"), max_length=150)
    organisation_id_logged = models.BigIntegerField(_("organisations-id"), null=True)
    role = models.CharField(_("roll"), max_length=30)
    record_type = models.CharField(_("posttyp"), max_length=100)
    record_id = models.CharField(_("post-id"), max_length=64)
    action = models.CharField(_("åtgärd"), max_length=10, choices=Action.choices)
    purpose = models.CharField(_("ändamål"), max_length=500, blank=True)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    # Keyed rows carry an HMAC-SHA256 with GVI_AUDIT_KEY, a key the database's operators do not hold: whoever
    # can write to the database cannot recompute the chain. Rows written before the key (plain SHA-256)
    # stay as they were; the first keyed row's MAC covers their last hash, so they cannot be rebuilt either.
    keyed = models.BooleanField(default=True, db_default=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("åtkomstlogg")
        verbose_name_plural = _("åtkomstlogg")
        indexes = [
            models.Index(fields=["record_type", "record_id"]),
            models.Index(fields=["user_id_logged", "at"]),
        ]

    def __str__(self) -> str:
        return f"#{self.seq} {self.username} {self.action} {self.record_type}:{self.record_id}"

    def canonical(self) -> str:
        return json.dumps(
            {
                "seq": self.seq,
                "at": self.at.isoformat(timespec="microseconds"),
                "user": self.user_id_logged,
                "username": self.username,
                "organisation": self.organisation_id_logged,
                "role": self.role,
                "record_type": self.record_type,
                "record_id": str(self.record_id),
                "action": self.action,
                "purpose": self.purpose,
                "prev": self.prev_hash,
            },
            sort_keys=True,
            ensure_ascii=False,
        )

    def compute_hash(self) -> str:
        if self.keyed:
            from gvi.access.identity import audit_key

            return hmac.new(audit_key(), self.canonical().encode(), hashlib.sha256).hexdigest()
        return hashlib.sha256(self.canonical().encode()).hexdigest()


GENESIS_HASH = "0" * 64


class AccessLogHead(models.Model):
    """The chain's head (a single row). Locking it serialises appends; it also anchors the tail."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.PositiveBigIntegerField(default=0)
    hash = models.CharField(max_length=64, default=GENESIS_HASH)

    class Meta:
        verbose_name = _("loggkedjans huvud")

    def __str__(self) -> str:
        return f"head #{self.seq}"


class ApiTokenQuerySet(models.QuerySet):
    def usable(self):
        """Keys that authenticate now: not revoked, not expired, of an active user."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=timezone.now(), user__is_active=True)


class ApiToken(models.Model):
    """A bearer token for a system that calls the API on behalf of one user. Only its hash is stored.

    It acts as its user, narrowed to its scopes (gvi.access.scopes), and expires at the latest
    GVI_API_TOKEN_MAX_DAYS after it is issued. A revoked key stays as a row (revoked_at, revoked_by)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("namn"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(_("behörigheter"), default=list)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(_("upphör"))
    last_used_at = models.DateTimeField(null=True, blank=True)
    # Issued or revoked at the shell (`gvi api-token`): the operator's own words (--by), as there is no account.
    issued_by_operator = models.CharField(max_length=200, blank=True)
    revoked_at = models.DateTimeField(_("återkallad"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    revoked_by_operator = models.CharField(max_length=200, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("API-nyckel")
        verbose_name_plural = _("API-nycklar")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.name} ({self.user})"

    @staticmethod
    def hash_token(raw: str) -> str:
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None

    @property
    def is_expired(self) -> bool:
        return self.expires_at <= timezone.now()

    @property
    def is_usable(self) -> bool:
        return not self.is_revoked and not self.is_expired

    @property
    def revoked_by_name(self) -> str:
        if self.revoked_by_id:
            return self.revoked_by.get_username()
        return self.revoked_by_operator


class IdempotencyKey(models.Model):
    """A client's key for one write through the API (header `Idempotency-Key`): a retried request with the
    same key answers with the record the first one created instead of creating it twice. Holds no person
    data; kept IDEMPOTENCY_DAYS days."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    operation = models.CharField(max_length=60)
    object_id = models.PositiveBigIntegerField(null=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="idempotency_key_per_user")]

    def __str__(self) -> str:
        return f"{self.operation} {self.key}"


class RetentionRun(models.Model):
    """What one retention run did, by count only: nothing about the content of purged records."""

    ran_at = models.DateTimeField(_("körd"), default=timezone.now)
    today = models.DateField(_("datum"))
    deactivated = models.JSONField(_("inaktiverade"), default=dict)
    purged = models.JSONField(_("gallrade"), default=dict)
    history_purged = models.PositiveIntegerField(_("gallrade historikrader"), default=0)
    triggered_by = models.CharField(_("startad av"), max_length=30, default="command")

    class Meta:
        ordering = ["-ran_at"]
        verbose_name = _("gallringskörning")
        verbose_name_plural = _("gallringskörningar")

    def __str__(self) -> str:
        return f"{timezone.localtime(self.ran_at):%Y-%m-%d %H:%M} {self.triggered_by}"


class AccountLink(models.Model):
    """A one-time link for one account: set a password (a new account, or after an administrator's reset),
    or unlock a locked account (sent by e-mail). Only the token's hash is stored; used once, then void."""

    class Purpose(models.TextChoices):
        SET_PASSWORD = "set_password", _("Välj lösenord")
        UNLOCK = "unlock", _("Lås upp kontot")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=20, choices=Purpose.choices)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=timezone.now)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("engångslänk")
        verbose_name_plural = _("engångslänkar")

    def __str__(self) -> str:
        return f"{self.purpose} #{self.pk}"

    @property
    def is_usable(self) -> bool:
        return self.used_at is None and self.expires_at > timezone.now()
