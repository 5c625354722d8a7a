"""Writes of the access model: access-log appends, versioned saves, disclosures."""

import re
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import User
from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.access.models import (
    AccessLog,
    AccessLogHead,
    AccountLink,
    ApiToken,
    CompartmentedRecord,
    Disclosure,
    IdempotencyKey,
    membership_q,
)
from gvi.access.permissions import CHANGE, DISCLOSE, VIEW
from gvi.access.scopes import ALL_SCOPES, SCOPES
from gvi.partnership.models import Membership, Role


class EditConflict(Exception):
    """A write based on a stale version: someone else saved the record in between."""

    def __init__(self, record, expected_version: int):
        self.record = record
        self.expected_version = expected_version
        super().__init__(
            _(
                "Posten har ändrats av någon annan sedan du öppnade den (version %(expected)s, nu %(current)s)."
            )
            % {"expected": expected_version, "current": type(record)._base_manager.get(pk=record.pk).version}
        )


def granting_membership(user, record: CompartmentedRecord, action: str = VIEW) -> Membership | None:
    """The membership through which `user` may act on `record`, or None. Same rules as `visible_to`."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    rows = type(record)._base_manager.filter(pk=record.pk)
    for membership in user.memberships.active().select_related("organisation").order_by("pk"):
        if rows.filter(membership_q(membership, type(record), action)).exists():
            return membership
    return None


@transaction.atomic
def log_access(
    user, record, action: str = AccessLog.Action.VIEW, purpose: str = "", membership=None
) -> AccessLog:
    """Append one row to the access-log chain, in the caller's transaction."""
    membership = membership or granting_membership(user, record)
    return append_log_entry(user, record, action, purpose, membership)


@transaction.atomic
def append_log_entry(user, record, action: str, purpose: str, membership) -> AccessLog:
    head, _created = AccessLogHead.objects.select_for_update().get_or_create(pk=1)
    entry = _chained_entry(head, user, record, action, purpose, membership, timezone.now())
    entry.save()
    head.save(update_fields=["seq", "hash"])
    return entry


def _chained_entry(head, user, record, action: str, purpose: str, membership, at) -> AccessLog:
    """The next row of the chain after `head` (locked by the caller), hashed; `head` moves on to it."""
    entry = AccessLog(
        seq=head.seq + 1,
        at=at,
        user_id_logged=user.pk,
        username=user.get_username(),
        organisation_id_logged=membership.organisation_id if membership else None,
        role=membership.role if membership else "",
        record_type=record._meta.label_lower,
        record_id=str(record.pk),
        action=action,
        purpose=purpose[:500],
        prev_hash=head.hash,
    )
    entry.hash = entry.compute_hash()
    head.seq, head.hash = entry.seq, entry.hash
    return entry


def granting_memberships(user, records, action: str = VIEW) -> dict:
    """(model, pk) -> the membership through which `user` may act on each record (as `granting_membership`:
    the first in force, by id, that opens it), in one query per model and membership, not per record."""
    granted: dict = {}
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return granted
    by_model: dict = {}
    for record in records:
        by_model.setdefault(type(record), set()).add(record.pk)
    memberships = list(user.memberships.active().select_related("organisation").order_by("pk"))
    for model, pks in by_model.items():
        for membership in memberships:
            if not pks:
                break
            opened = set(
                model._base_manager.filter(pk__in=pks)
                .filter(membership_q(membership, model, action))
                .values_list("pk", flat=True)
            )
            for pk in opened:
                granted[(model, pk)] = membership
            pks -= opened
    return granted


@transaction.atomic
def log_reads(user, records, action: str = AccessLog.Action.VIEW, purpose: str = "") -> list[AccessLog]:
    """One access-log row per person-level record (`logs_reads`) in `records`, appended to the chain in one
    bulk insert under one lock of its head, in the caller's transaction (no log, no data)."""
    shown = [record for record in records if getattr(record, "logs_reads", False)]
    if not shown:
        return []
    memberships = granting_memberships(user, shown)
    head, _created = AccessLogHead.objects.select_for_update().get_or_create(pk=1)
    at = timezone.now()
    entries = [
        _chained_entry(head, user, record, action, purpose, memberships.get((type(record), record.pk)), at)
        for record in shown
    ]
    AccessLog.objects.bulk_create(entries)
    head.save(update_fields=["seq", "hash"])
    return entries


@transaction.atomic
def save_versioned(record: CompartmentedRecord, expected_version: int, user=None) -> CompartmentedRecord:
    """Save `record` only if nobody saved it since `expected_version`; otherwise raise EditConflict."""
    model = type(record)
    bumped = model._base_manager.filter(pk=record.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if bumped != 1:
        raise EditConflict(record, expected_version)
    record.version = expected_version + 1
    if user is not None:
        record._history_user = user
    record.full_clean()
    record.save()
    return record


@transaction.atomic
def remove_record(user, record: CompartmentedRecord, expected_version: int) -> None:
    """Removing is as easy as adding: the row goes, its history records who removed it and when."""
    if granting_membership(user, record, CHANGE) is None:
        raise PermissionDenied(_("Du får inte ändra den här posten."))
    if not type(record)._base_manager.filter(pk=record.pk, version=expected_version).exists():
        raise EditConflict(record, expected_version)
    record._history_user = user
    record.delete()


@dataclass
class DisclosureRequest:
    to_organisation_id: int
    legal_ground: str
    purpose: str
    legal_ground_text: str = ""
    expires_at: object = None  # required: Disclosure.clean refuses a disclosure without an end
    # Another site than the record's: only from an explicit "annan plats" choice (see Disclosure).
    to_site_id: int | None = None
    # With the consent ground: when and how the person consented (the deciding user records it).
    consent_given_on: object = None
    consent_method: str = ""


@transaction.atomic
def disclose(user, record: CompartmentedRecord, request: DisclosureRequest) -> Disclosure:
    """Record a disclosure of `record` by its owner. A recipient that would gain nothing, another site's
    organisation without `to_site_id`, another site with a ground that does not hold there, a ground that
    does not fit who discloses to whom (gvi.access.disclosure_rules), a missing consent record or an end
    beyond the ground's maximum is refused with a ValidationError naming the field (Disclosure.clean)."""
    membership = granting_membership(user, record, DISCLOSE)
    if membership is None or membership.organisation_id != record.owner_id:
        raise PermissionDenied(_("Endast den ägande organisationen kan lämna ut posten."))
    if not getattr(record, "is_in_force", True):  # four eyes (gvi.groups): only an approved entry leaves
        raise ValidationError(_("En registrering som inte är godkänd kan inte lämnas ut."))
    disclosure = Disclosure(
        from_organisation_id=record.owner_id,
        to_organisation_id=request.to_organisation_id,
        site_id=record.site_id,
        to_site_id=request.to_site_id,
        content_type=ContentType.objects.get_for_model(record),
        object_id=record.pk,
        legal_ground=request.legal_ground,
        legal_ground_text=request.legal_ground_text,
        purpose=request.purpose,
        decided_by=user,
        expires_at=request.expires_at,
    )
    if request.legal_ground == Disclosure.LegalGround.CONSENT:
        disclosure.consent_given_on = request.consent_given_on
        disclosure.consent_method = request.consent_method or ""
        disclosure.consent_recorded_by = user
    disclosure._history_user = user
    disclosure.full_clean()
    disclosure.save()
    return disclosure


@transaction.atomic
def revoke_disclosure(user, disclosure: Disclosure) -> Disclosure:
    if not user.memberships.active().filter(organisation_id=disclosure.from_organisation_id).exists():
        raise PermissionDenied(_("Endast den utlämnande organisationen kan återkalla utlämnandet."))
    disclosure.revoked_at = timezone.now()
    disclosure._history_user = user
    disclosure.save(update_fields=["revoked_at"])
    return disclosure


@dataclass(frozen=True)
class Operator:
    """Someone at the shell (`gvi api-token`, `gvi approve-first-member`), who has no account here: the
    access log records the words they give with --by (a name and a reason)."""

    by: str
    pk = 0
    is_authenticated = False

    def __post_init__(self):
        if len(self.by.strip()) < 3:
            raise ValidationError(_('Ange vem som gör det och varför (--by "namn, skäl").'))

    def get_username(self) -> str:
        return f"shell: {self.by.strip()}"[:150]


def token_lifetime_limit():
    return timezone.now() + timedelta(days=settings.GVI_API_TOKEN_MAX_DAYS)


def _token_purpose(token: ApiToken) -> str:
    expires = timezone.localtime(token.expires_at).strftime("%Y-%m-%d %H:%M")
    return f"{token.name} · {token.user.get_username()} · {', '.join(token.scopes)} · {_('upphör')} {expires}"


def issue_api_token(user, name: str, expires_at=None, scopes=ALL_SCOPES, actor=None) -> str:
    """The clear text of a new key (see create_api_token)."""
    return create_api_token(user, name, expires_at=expires_at, scopes=scopes, actor=actor)[1]


@transaction.atomic
def create_api_token(user, name: str, expires_at=None, scopes=ALL_SCOPES, actor=None) -> tuple[ApiToken, str]:
    """Create a key for `user`; returns it and its clear text, shown once (only its hash is kept). The key acts as
    `user` narrowed to `scopes`, and expires at `expires_at` (at most GVI_API_TOKEN_MAX_DAYS from now; by
    default the maximum). `actor` is the user itself (the page *API-nycklar*), or an Operator at the shell;
    nobody issues a key for another account, which would let them act as its user. Logged."""
    actor = user if actor is None else actor
    if not isinstance(actor, Operator) and actor.pk != user.pk:
        raise PermissionDenied(_("Du kan bara utfärda API-nycklar åt dig själv."))
    if not user.is_active:
        raise ValidationError(_("Kontot är inaktiverat."))
    limit = token_lifetime_limit()
    expires_at = limit if expires_at is None else expires_at
    if expires_at > limit:
        raise ValidationError(
            {
                "expires_at": _("En API-nyckel gäller högst %(days)s dagar.")
                % {"days": settings.GVI_API_TOKEN_MAX_DAYS}
            }
        )
    scopes = list(dict.fromkeys(scopes))
    unknown = [scope for scope in scopes if scope not in SCOPES]
    if unknown or not scopes:
        raise ValidationError(
            {
                "scopes": _("Välj minst en behörighet bland de kända: %(known)s.")
                % {"known": ", ".join(SCOPES)}
            }
        )
    raw = "gvi_" + secrets.token_urlsafe(32)
    token = ApiToken(
        user=user,
        name=name,
        token_hash=ApiToken.hash_token(raw),
        scopes=scopes,
        expires_at=expires_at,
        issued_by_operator=actor.by[:200] if isinstance(actor, Operator) else "",
    )
    token.full_clean(exclude=["token_hash"])
    token.save()
    append_log_entry(actor, token, AccessLog.Action.TOKEN, _token_purpose(token), None)
    return token, raw


@transaction.atomic
def revoke_api_token(actor, token: ApiToken) -> ApiToken:
    """The key stops working now; its row stays (revoked_at, revoked_by). Its own user, an administrator
    (any user's key) or an Operator at the shell. Logged."""
    membership = None
    if not isinstance(actor, Operator) and actor.pk != token.user_id:
        membership = administrator_membership(actor)
    locked = ApiToken.objects.select_for_update().select_related("user").get(pk=token.pk)
    if locked.is_revoked:
        raise ValidationError(_("API-nyckeln är redan återkallad."))
    locked.revoked_at = timezone.now()
    if isinstance(actor, Operator):
        locked.revoked_by_operator = actor.by[:200]
    else:
        locked.revoked_by = actor
    locked.save(update_fields=["revoked_at", "revoked_by", "revoked_by_operator"])
    append_log_entry(actor, locked, AccessLog.Action.TOKEN_END, _token_purpose(locked), membership)
    return locked


IDEMPOTENCY_KEY_PATTERN = r"^[A-Za-z0-9._:\-]{1,100}$"


def claim_idempotency_key(user, key: str, operation: str) -> tuple[IdempotencyKey | None, int | None]:
    """Claim `key` for a write, in the caller's transaction. Returns (claim, None) for a new key: the caller
    writes and then calls `settle_idempotency_key`; or (None, id) when an earlier request with this key
    already created record `id`. A key of another operation is a ValidationError."""
    if not re.fullmatch(IDEMPOTENCY_KEY_PATTERN, key):
        raise ValidationError(_("Idempotency-Key ska vara 1–100 tecken: bokstäver a–z, siffror och . _ : -"))
    try:
        with transaction.atomic():
            return IdempotencyKey.objects.create(user=user, key=key, operation=operation), None
    except IntegrityError:
        # Another request with this key committed first (PostgreSQL waits for it): answer with its record.
        earlier = IdempotencyKey.objects.get(user=user, key=key)
    if earlier.operation != operation or earlier.object_id is None:
        raise ValidationError(_("Idempotency-Key har redan använts för en annan begäran."))
    return None, earlier.object_id


def settle_idempotency_key(claim: IdempotencyKey | None, record) -> None:
    if claim is not None:
        claim.object_id = record.pk
        claim.save(update_fields=["object_id"])


# ----- account administration: accounts, memberships and their approval, second factor, unlock -----
#
# Nobody is above the rules: the administrator manages accounts but never grants itself person data, and a
# membership that reads person data (or approves such grants) takes effect only once a second person of its
# organisation approves it. Every action is a row in the access-log chain (record type auth.user or
# partnership.membership), visible to the organisation concerned on *Behörigheter*.

SETUP_LINK_DAYS = 3
UNLOCK_LINK_MINUTES = 60


def administrator_membership(user) -> Membership:
    found = (
        user.memberships.active().filter(role=Role.ADMINISTRATOR).select_related("organisation").first()
        if getattr(user, "is_authenticated", False) and user.is_active
        else None
    )
    if found is None:
        raise PermissionDenied(_("Endast administratörer hanterar konton."))
    return found


def approving_membership(user, membership: Membership) -> Membership | None:
    """The user's membership through which it may approve `membership`, or None. A second person of the
    same organisation: its coordinator at the membership's site, or its data-protection role (a membership
    that approves access); never the person the grant is for, nor the one who requested it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    if user.pk in {membership.user_id, membership.requested_by_id}:
        return None
    candidates = user.memberships.active().filter(organisation_id=membership.organisation_id)
    return (
        candidates.filter(Q(approves_access=True) | Q(role=Role.COORDINATOR, site_id=membership.site_id))
        .exclude(pk=membership.pk)
        .order_by("pk")
        .first()
    )


def approver_memberships(user):
    """The user's memberships that approve grants (coordinator, or data-protection role)."""
    if not getattr(user, "is_authenticated", False):
        return Membership.objects.none()
    return user.memberships.active().filter(Q(approves_access=True) | Q(role=Role.COORDINATOR))


def _log_account(actor, record, action: str, membership: Membership | None, purpose: str = "") -> None:
    append_log_entry(actor, record, action, purpose, membership)


def _membership_purpose(membership: Membership) -> str:
    site = membership.site.name if membership.site_id else _("nationellt")
    extra = f" · {_('godkänner behörigheter')}" if membership.approves_access else ""
    if membership.approves_entries:
        extra += f" · {_('godkänner registreringar')}"
    return f"{membership.get_role_display()} · {membership.organisation.short_name} · {site}{extra}"


def log_idp_membership(user, membership: Membership, action: str, provider_key: str) -> None:
    """A membership an identity provider's claims gave, gave back or ended at a sign-in: written to the
    same log as an administrator's grants (the IdP's configuration is who decided; the user signing in is
    who was there), so the organisation's log follow-up sees IdP-given access like any other."""
    append_log_entry(
        user, membership, action, f"IdP {provider_key} · {_membership_purpose(membership)}", membership
    )


def _issue_link(actor, user, purpose: str, lifetime) -> str:
    raw = secrets.token_urlsafe(32)
    AccountLink.objects.filter(user=user, purpose=purpose, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    AccountLink.objects.create(
        user=user,
        purpose=purpose,
        token_hash=ApiToken.hash_token(raw),
        created_by=actor,
        expires_at=timezone.now() + lifetime,
    )
    return raw


@transaction.atomic
def create_account(actor, *, username: str, first_name: str = "", last_name: str = "", email: str = ""):
    """A new account without a password: the administrator hands the person a one-time link (returned
    once) on which they choose their password; the second factor is enrolled at the first sign-in."""
    admin = administrator_membership(actor)
    user = User(username=username, first_name=first_name, last_name=last_name, email=email)
    user.set_unusable_password()
    user.full_clean(exclude=["password"])
    user._history_user = actor
    user.save()
    _log_account(actor, user, AccessLog.Action.ACCOUNT, admin)
    return user, _issue_link(actor, user, AccountLink.Purpose.SET_PASSWORD, timedelta(days=SETUP_LINK_DAYS))


@transaction.atomic
def request_membership(
    actor,
    user,
    *,
    organisation,
    role: str,
    site=None,
    approves_access: bool = False,
    approves_entries: bool = False,
) -> Membership:
    """The administrator records a membership. One that reads person data (or approves such grants) waits
    for a second person of the organisation; an administrator can never request one for itself."""
    admin = administrator_membership(actor)
    membership = Membership(
        user=user,
        organisation=organisation,
        site=site,
        role=role,
        approves_access=approves_access,
        approves_entries=approves_entries,
        requested_by=actor,
    )
    if membership.needs_approval and user.pk == actor.pk:
        raise PermissionDenied(
            _("Du kan inte ge dig själv en roll som ger personuppgifter eller godkänner behörigheter.")
        )
    if not membership.needs_approval:
        membership.approved_at = timezone.now()
    membership.full_clean()
    membership._history_user = actor
    membership.save()
    _log_account(actor, membership, AccessLog.Action.GRANT, admin, _membership_purpose(membership))
    if membership.approved_at is not None:
        _log_account(actor, membership, AccessLog.Action.APPROVE, admin, _("Ger inga personuppgifter"))
    return membership


@transaction.atomic
def approve_membership(actor, membership: Membership) -> Membership:
    approver = approving_membership(actor, membership)
    if approver is None:
        raise PermissionDenied(_("Du kan inte godkänna den här behörigheten."))
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if not locked.is_pending:
        raise ValidationError(_("Behörigheten väntar inte på godkännande."))
    locked.approved_at, locked.approved_by = timezone.now(), actor
    locked._history_user = actor
    locked.save(update_fields=["approved_at", "approved_by"])
    _log_account(actor, locked, AccessLog.Action.APPROVE, approver, _membership_purpose(locked))
    return locked


def is_approving(membership: Membership) -> bool:
    """A membership through which its holder approves grants (see approving_membership)."""
    return membership.approves_access or membership.role == Role.COORDINATOR


@transaction.atomic
def approve_first_member(operator: "Operator", membership: Membership) -> Membership:
    """A new organisation has nobody to approve its first coordinator (or data-protection role): an
    operator at the shell approves that one membership, and only while the organisation has no approved
    membership that approves grants; from then on its own people approve. Logged with the operator's words."""
    if not isinstance(operator, Operator):
        raise PermissionDenied(_("Den första godkännaren godkänns bara från kommandoraden."))
    # Lock the organisation's memberships: two operators cannot both approve a "first" one.
    rows = list(
        Membership.objects.select_for_update(of=("self",)).filter(organisation_id=membership.organisation_id)
    )
    locked = next(row for row in rows if row.pk == membership.pk)
    if not locked.is_pending:
        raise ValidationError(_("Behörigheten väntar inte på godkännande."))
    if not is_approving(locked):
        raise ValidationError(
            _(
                "Endast en samordnare eller dataskyddsansvarig kan godkännas som organisationens första godkännare."
            )
        )
    existing = (
        Membership.objects.active()
        .filter(organisation_id=locked.organisation_id)
        .filter(Q(approves_access=True) | Q(role=Role.COORDINATOR))
    )
    if existing.exists():
        raise ValidationError(
            _("Organisationen har redan någon som godkänner behörigheter; den godkänner på Behörigheter.")
        )
    locked.approved_at, locked.approved_by = timezone.now(), None
    locked.save(update_fields=["approved_at", "approved_by"])
    _log_account(
        operator,
        locked,
        AccessLog.Action.APPROVE,
        None,
        f"{_membership_purpose(locked)} · {_('första godkännaren, från kommandoraden')}",
    )
    return locked


@transaction.atomic
def reject_membership(actor, membership: Membership) -> Membership:
    approver = approving_membership(actor, membership)
    if approver is None:
        raise PermissionDenied(_("Du kan inte avslå den här behörigheten."))
    locked = Membership.objects.select_for_update().get(pk=membership.pk)
    if not locked.is_pending:
        raise ValidationError(_("Behörigheten väntar inte på godkännande."))
    locked.is_active = False
    locked._history_user = actor
    locked.save(update_fields=["is_active"])
    _log_account(actor, locked, AccessLog.Action.REJECT, approver, _membership_purpose(locked))
    return locked


@transaction.atomic
def end_membership(actor, membership: Membership) -> Membership:
    """Ends a membership (the administrator, or an approver of its organisation). Never deleted: a new
    grant is a new membership, approved again."""
    acting = approving_membership(actor, membership)
    if acting is None:
        acting = administrator_membership(actor)
    membership.is_active = False
    membership._history_user = actor
    membership.save(update_fields=["is_active"])
    _log_account(actor, membership, AccessLog.Action.END, acting, _membership_purpose(membership))
    return membership


@transaction.atomic
def set_account_active(actor, user, active: bool):
    """Accounts are deactivated, never deleted: the history keeps its author."""
    admin = administrator_membership(actor)
    if user.pk == actor.pk:
        raise PermissionDenied(_("Du kan inte inaktivera ditt eget konto."))
    user.is_active = active
    user._history_user = actor
    user.save(update_fields=["is_active"])
    action = AccessLog.Action.REACTIVATE if active else AccessLog.Action.DEACTIVATE
    _log_account(actor, user, action, admin)
    return user


@transaction.atomic
def reset_authenticator(actor, user) -> None:
    """A lost phone: the user's devices go and the next sign-in enrols a new one. The user is told."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = administrator_membership(actor)
    TOTPDevice.objects.filter(user=user).delete()
    _log_account(actor, user, AccessLog.Action.RESET_OTP, admin)
    _notify(user, "authenticator_reset")


@transaction.atomic
def reset_password(actor, user) -> str:
    """A forgotten password: the old one stops working (and with it every session), the second factor must
    be enrolled again, and every membership that reads person data waits for its organisation's approval
    again, so that whoever holds the new link gains no person data alone. Returns the one-time link's token;
    the user is told by e-mail."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    admin = administrator_membership(actor)
    if user.pk == actor.pk:
        raise PermissionDenied(_("Byt ditt eget lösenord under Mitt konto."))
    user.set_unusable_password()
    user._history_user = actor
    user.save(update_fields=["password"])
    TOTPDevice.objects.filter(user=user).delete()
    for membership in user.memberships.filter(is_active=True, approved_at__isnull=False):
        if membership.needs_approval:
            membership.approved_at, membership.approved_by = None, None
            membership._history_user = actor
            membership.save(update_fields=["approved_at", "approved_by"])
    _log_account(actor, user, AccessLog.Action.RESET_PW, admin)
    _notify(user, "password_reset")
    return _issue_link(actor, user, AccountLink.Purpose.SET_PASSWORD, timedelta(days=SETUP_LINK_DAYS))


@transaction.atomic
def unlock_account(actor, user) -> None:
    from gvi.access.throttle import clear_account

    admin = administrator_membership(actor)
    clear_account(user.get_username())
    _log_account(actor, user, AccessLog.Action.UNLOCK, admin)


def usable_link(raw: str, purpose: str) -> AccountLink | None:
    link = (
        AccountLink.objects.select_related("user")
        .filter(token_hash=ApiToken.hash_token(raw or ""), purpose=purpose)
        .first()
    )
    return link if link is not None and link.is_usable and link.user.is_active else None


@transaction.atomic
def set_password_with_link(link: AccountLink, password: str) -> None:
    user = link.user
    user.set_password(password)
    user._history_user = user
    user.save(update_fields=["password"])
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    _log_account(user, user, AccessLog.Action.PASSWORD, None, _("Med engångslänk"))


@transaction.atomic
def change_own_password(user, password: str) -> None:
    user.set_password(password)
    user._history_user = user
    user.save(update_fields=["password"])
    _log_account(user, user, AccessLog.Action.PASSWORD, None)
    _notify(user, "password_changed")


def _notify(user, kind: str) -> None:
    """An e-mail telling the user what happened to the account, sent by the worker; it names no person."""
    if user.email:
        from gvi.access.tasks import send_account_notice

        transaction.on_commit(lambda: send_account_notice.enqueue(user.pk, kind))


@transaction.atomic
def send_unlock_link(user, build_url) -> None:
    """The user's own unlock: a one-time link (UNLOCK_LINK_MINUTES) to the account's e-mail address, sent
    by the worker. `build_url(raw)` makes the absolute link. The message names no person."""
    from gvi.access.tasks import send_unlock_link as task

    raw = _issue_link(None, user, AccountLink.Purpose.UNLOCK, timedelta(minutes=UNLOCK_LINK_MINUTES))
    url = build_url(raw)
    transaction.on_commit(lambda: task.enqueue(user.pk, url))


@transaction.atomic
def unlock_with_link(link: AccountLink) -> None:
    from gvi.access.throttle import clear_account

    clear_account(link.user.get_username())
    link.used_at = timezone.now()
    link.save(update_fields=["used_at"])
    _log_account(link.user, link.user, AccessLog.Action.UNLOCK, None, _("Med länk per e-post"))
