"""Writes of the access model: access-log appends, versioned saves, disclosures."""

import re
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from gvi.access.models import (
    AccessLog,
    AccessLogHead,
    CompartmentedRecord,
    Disclosure,
    IdempotencyKey,
    membership_q,
)
from gvi.access.permissions import CHANGE, DISCLOSE, VIEW
from gvi.partnership.models import Membership


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
    head, _created = AccessLogHead.objects.select_for_update().get_or_create(pk=1)
    entry = AccessLog(
        seq=head.seq + 1,
        at=timezone.now(),
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
    entry.save()
    head.seq, head.hash = entry.seq, entry.hash
    head.save(update_fields=["seq", "hash"])
    return entry


def log_reads(user, records, action: str = AccessLog.Action.VIEW, purpose: str = "") -> None:
    for record in records:
        if getattr(record, "logs_reads", False):
            log_access(user, record, action=action, purpose=purpose)


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
    expires_at: object = None
    # Another site than the record's: only from an explicit "annan plats" choice (see Disclosure).
    to_site_id: int | None = None


@transaction.atomic
def disclose(user, record: CompartmentedRecord, request: DisclosureRequest) -> Disclosure:
    """Record a disclosure of `record` by its owner. A recipient that would gain nothing, another site's
    organisation without `to_site_id`, or another site with a ground that does not hold there is refused
    with a ValidationError naming the field (Disclosure.clean)."""
    membership = granting_membership(user, record, DISCLOSE)
    if membership is None or membership.organisation_id != record.owner_id:
        raise PermissionDenied(_("Endast den ägande organisationen kan lämna ut posten."))
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


def issue_api_token(user, name: str, expires_at=None) -> str:
    """Create a token and return it in clear text once; only its hash is kept."""
    import secrets

    from gvi.access.models import ApiToken

    raw = "gvi_" + secrets.token_urlsafe(32)
    ApiToken.objects.create(user=user, name=name, token_hash=ApiToken.hash_token(raw), expires_at=expires_at)
    return raw


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
