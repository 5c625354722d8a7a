"""Writes of direct communication: one function per business action, transactional, scoped and versioned.

Rules kept here:
- a call-in's parts (speakers, checklist, message points) change only together with the call-in's
  version, so a stale form never silently overwrites someone else's preparations;
- the organisation responsible for a checklist item may tick it, even if its role only views call-ins;
- an invitation or a notification names a person the user may see, at the record's site; its owner is
  the user's organisation (person contacts are compartmented per organisation);
- a notification to a person who had an earlier one is a repeat: ``repeat_of`` points to the latest
  earlier notification of that person (whatever its outcome or owner) when it is saved;
- a person who asks for help at a call-in or during a notification is referred to the offer of help
  through gvi.support.services.open_case_from_referral, when that module exists; until then the request is
  recorded as waiting and sent on the next save after the module appears;
- an organisation named as delivering a notification (other than its owner) reads it through a
  disclosure made when it is named (OSL 10:2, necessary for the owner's own work: the delivery; purpose
  DELIVERY_PURPOSE; it ends after the ground's maximum, gvi.access.disclosure_rules) and revoked when it is
  no longer named: the access layer's one way to open a record to another organisation (gvi.access.models.Disclosure);
- a communication back names at least one audience group, all at its site.
"""

import logging
from datetime import date

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from gvi.access.disclosure_rules import latest_end
from gvi.access.models import NON_RECIPIENT_TYPES, CompartmentedRecord, Disclosure
from gvi.access.permissions import CHANGE, DISCLOSE
from gvi.access.services import (
    DisclosureRequest,
    disclose,
    granting_membership,
    remove_record,
    revoke_disclosure,
    save_versioned,
)
from gvi.communication.models import (
    CallIn,
    CallInChecklistItem,
    CallInInvitation,
    CallInMessagePoint,
    CallInSpeaker,
    CommunicationBack,
    Notification,
    ReferralState,
)
from gvi.groups.models import Group, Person
from gvi.groups.services import creating_membership
from gvi.partnership.models import Organisation

logger = logging.getLogger(__name__)

# Default preparations for a new call-in: what a coordinator checks before the day. Stored in Swedish (they
# may be edited); shown translated while unchanged (the `default_text` filter of gvi_format).
DEFAULT_CHECKLIST = [
    gettext_noop("Lokal bokad och säkerhetsplan klar"),
    gettext_noop("Talarna har fått budskapet och tiderna"),
    gettext_noop("Genomrepetition med alla talare"),
    gettext_noop("Kallelser skickade (frivården, brev, familjer)"),
    gettext_noop("Stödaktörer bekräftade på plats"),
    gettext_noop("Tolk beställd vid behov"),
    gettext_noop("Uppföljning planerad för dem som inte kommer"),
]
DEFAULT_MESSAGE_POINTS = [
    gettext_noop("Vi vill inte att du ska dö."),
    gettext_noop("Vi vill inte att du ska döda."),
    gettext_noop("Vi vill att du tar emot den hjälp vi erbjuder."),
    gettext_noop("Nästa allvarliga våldshandling får konsekvenser för hela gruppen."),
]

PART_MODELS = {
    "speakers": CallInSpeaker,
    "checklist": CallInChecklistItem,
    "message_points": CallInMessagePoint,
}
PART_FIELDS = {
    "speakers": ("category", "name", "organisation"),
    "checklist": ("text", "responsible", "responsible_id", "due_date", "done"),
    "message_points": ("text", "delivered"),
}


def _require(user, record: CompartmentedRecord, action: str = CHANGE) -> None:
    if granting_membership(user, record, action) is None:
        raise PermissionDenied(_("Du får inte ändra den här posten."))


def _prepare(user, record: CompartmentedRecord, site_id: int | None = None) -> CompartmentedRecord:
    """Fix the new record's site and owner from the user's creating membership, and validate it."""
    membership = creating_membership(user, type(record), site_id)
    record.site_id = membership.site_id
    record.owner_id = membership.organisation_id
    record._history_user = user
    record.full_clean()
    return record


def _create(user, record: CompartmentedRecord, site_id: int | None = None) -> CompartmentedRecord:
    _prepare(user, record, site_id)
    record.save()
    return record


def _apply(record, changes: dict) -> None:
    for field, value in changes.items():
        setattr(record, field, value)


def _same_site(objects, site_id: int, field: str, message: str) -> None:
    if any(obj.site_id != site_id for obj in objects):
        raise ValidationError({field: message})


def _check_groups(groups, site_id: int, field: str) -> list[Group]:
    groups = list(groups or [])
    _same_site(groups, site_id, field, _("Grupperna måste höra till samma plats."))
    return groups


# ----- call-ins -----


def _replace_parts(call_in: CallIn, parts: dict[str, list[dict]] | None, user) -> None:
    """Replace the given kinds of parts ("speakers", "checklist", "message_points") with new rows.

    Rows keep their id when the caller passes it (so history shows a change, not a new row)."""
    if not parts:
        return
    for kind, rows in parts.items():
        if rows is None:
            continue
        model = PART_MODELS[kind]
        existing = {part.pk: part for part in model.objects.filter(call_in=call_in)}
        keep = set()
        for order, row in enumerate(rows):
            row = {key: value for key, value in row.items() if key in (*PART_FIELDS[kind], "id")}
            part = existing.get(row.pop("id", None)) or model(call_in=call_in)
            _apply(part, row)
            part.order = order
            part._history_user = user
            part.full_clean(exclude=["call_in"])
            if kind == "checklist" and part.responsible_id:
                if not call_in.site.organisations.filter(pk=part.responsible_id).exists():
                    raise ValidationError(
                        {"checklist": _("Den ansvariga organisationen finns inte på platsen.")}
                    )
            part.save()
            keep.add(part.pk)
        for pk, part in existing.items():
            if pk not in keep:
                part._history_user = user
                part.delete()


@transaction.atomic
def plan_call_in(
    user, data: dict, target_groups=None, parts: dict | None = None, site_id: int | None = None
) -> CallIn:
    """Plan a call-in. A checklist or message points not given start from the defaults (an empty list
    gives none)."""
    call_in = _create(user, CallIn(**data), site_id)
    call_in.target_groups.set(_check_groups(target_groups, call_in.site_id, "target_groups"))
    parts = {
        "checklist": [{"text": text} for text in DEFAULT_CHECKLIST],
        "message_points": [{"text": text} for text in DEFAULT_MESSAGE_POINTS],
        **(parts or {}),
    }
    _replace_parts(call_in, parts, user)
    return call_in


@transaction.atomic
def update_call_in(
    user, call_in: CallIn, changes: dict, expected_version: int, target_groups=None, parts: dict | None = None
) -> CallIn:
    _require(user, call_in)
    _apply(call_in, changes)
    save_versioned(call_in, expected_version, user=user)
    if target_groups is not None:
        call_in.target_groups.set(_check_groups(target_groups, call_in.site_id, "target_groups"))
    _replace_parts(call_in, parts, user)
    return call_in


def may_tick(user, item: CallInChecklistItem) -> bool:
    """An item with a responsible organisation is ticked by that organisation's members at the site, or
    by whoever runs the call-in (its owning organisation, the coordinator); one without, by anyone who may
    change the call-in. Another partner does not tick what an organisation has promised to do."""
    from gvi.partnership.models import Role

    call_in = item.call_in
    if not CallIn.objects.visible_to(user).filter(pk=call_in.pk).exists():
        return False
    may_change = granting_membership(user, call_in, CHANGE) is not None
    if not item.responsible_id:
        return may_change
    here = user.memberships.active().filter(site_id=call_in.site_id)
    if here.filter(organisation_id=item.responsible_id).exists():
        return True
    return may_change and (
        here.filter(role=Role.COORDINATOR).exists() or here.filter(organisation_id=call_in.owner_id).exists()
    )


@transaction.atomic
def set_checklist_done(user, call_in: CallIn, done_ids: set[int], expected_version: int) -> CallIn:
    """Tick and untick checklist items; items the user may not tick are left as they are."""
    items = [item for item in call_in.checklist.all() if may_tick(user, item)]
    if not items:
        raise PermissionDenied(_("Du får inte bocka av något på den här checklistan."))
    # The call-in's version guards its checklist: bump it (the history records who ticked).
    save_versioned(call_in, expected_version, user=user)
    for item in items:
        done = item.pk in done_ids
        if item.done != done:
            item.done = done
            item._history_user = user
            item.save(update_fields=["done"])
    return call_in


@transaction.atomic
def record_call_in_outcome(
    user,
    call_in: CallIn,
    expected_version: int,
    delivered: dict[int, bool | None],
    attendance: dict[int, tuple[str, int]] | None = None,
    notes: str | None = None,
) -> CallIn:
    """After the call-in: it is held; which message points were delivered; who came (per invitation).

    `attendance` maps invitation id -> (attended, expected version); only invitations the user may change
    are touched (others belong to other organisations and are left to them).
    """
    _require(user, call_in)
    if call_in.starts_at and call_in.starts_at > timezone.now():
        raise ValidationError(
            _("Utfallet kan registreras först när stormötet har börjat (%(when)s).")
            % {"when": date_format(timezone.localtime(call_in.starts_at), "Y-m-d H:i")}
        )
    call_in.status = CallIn.Status.HELD
    if notes is not None:
        call_in.notes = notes
    save_versioned(call_in, expected_version, user=user)
    for point in call_in.message_points.all():
        if point.pk in delivered and point.delivered != delivered[point.pk]:
            point.delivered = delivered[point.pk]
            point._history_user = user
            point.save(update_fields=["delivered"])
    for invitation_id, (attended, version) in (attendance or {}).items():
        invitation = (
            CallInInvitation.objects.visible_to(user, CHANGE)
            .filter(call_in=call_in, pk=invitation_id)
            .first()
        )
        if invitation is None:
            continue
        if invitation.attended != attended:
            update_invitation(user, invitation, {"attended": attended}, version)
    return call_in


@transaction.atomic
def cancel_call_in(user, call_in: CallIn, expected_version: int) -> CallIn:
    _require(user, call_in)
    call_in.status = CallIn.Status.CANCELLED
    return save_versioned(call_in, expected_version, user=user)


@transaction.atomic
def remove_call_in(user, call_in: CallIn, expected_version: int) -> None:
    """A call-in without invitations may be removed; one with invitations is cancelled instead."""
    if CallInInvitation.unscoped_all_sites.filter(call_in=call_in).exists():
        raise ValidationError(_("Stormötet har inbjudningar och kan inte tas bort. Ställ in det i stället."))
    remove_record(user, call_in, expected_version)


# ----- help requests: the referral to the offer of help -----


def _referral_function():
    """gvi.support.services.open_case_from_referral, or None while the support module does not exist."""
    try:
        from gvi.support import services as support_services

        return support_services.open_case_from_referral
    except (ImportError, AttributeError):
        return None


def _refer(user, record, route: str) -> None:
    """Send a help request to the offer of help, or record it as waiting. Only the fact is kept here."""
    if not record.asked_for_help or record.referral_state == ReferralState.REFERRED:
        return
    requested_on = record.help_requested_on or _contact_date(record)
    record.help_requested_on = requested_on
    open_case = _referral_function()
    if open_case is None:
        record.referral_state = ReferralState.WAITING
        return
    try:
        with transaction.atomic():
            open_case(user, record.person, route=route, requested_at=requested_on, **_offer(record))
    except (PermissionDenied, ValidationError) as error:
        logger.warning("Referral from %s %s is waiting: %s", route, record.pk, error)
        record.referral_state = ReferralState.WAITING
        return
    record.referral_state = ReferralState.REFERRED
    record.referred_at = timezone.now()


def _offer(record) -> dict:
    """What the contact offered and agreed, carried into the support case: a notification's offered help
    and follow-up; the follow-up tasks agreed for a call-in's attendee."""
    if isinstance(record, Notification):
        return {"help_offered": record.help_offered or "", "agreed_follow_up": record.follow_up or ""}
    return {"help_offered": "", "agreed_follow_up": record.attendee_tasks or ""}


def _contact_date(record) -> date:
    if isinstance(record, CallInInvitation):
        return timezone.localdate(record.call_in.starts_at)
    return record.date or timezone.localdate()


def _after_help_change(user, record, route: str) -> None:
    if not record.asked_for_help:
        record.referral_state = ReferralState.NONE
        record.help_requested_on = None
        record.referred_at = None
        return
    _refer(user, record, route)


def _stored_help(record) -> bool:
    """The saved asked_for_help flag (a bound ModelForm has already copied the new value to the instance)."""
    stored = type(record)._base_manager.filter(pk=record.pk).values_list("asked_for_help", flat=True).first()
    return bool(stored)


def _save_help(record) -> None:
    type(record)._base_manager.filter(pk=record.pk).update(
        asked_for_help=record.asked_for_help,
        help_requested_on=record.help_requested_on,
        referral_state=record.referral_state,
        referred_at=record.referred_at,
    )


# ----- invitations -----


def _visible_person(user, person: Person) -> Person:
    if not Person.objects.visible_to(user).filter(pk=person.pk).exists():
        raise PermissionDenied(_("Du kan inte se den personen."))
    return person


@transaction.atomic
def invite(user, call_in: CallIn, person: Person, data: dict) -> CallInInvitation:
    """Invite a person to a call-in. The invitation belongs to the user's organisation."""
    if not CallIn.objects.visible_to(user).filter(pk=call_in.pk).exists():
        raise PermissionDenied(_("Du kan inte se stormötet."))
    _visible_person(user, person)
    if CallInInvitation.unscoped_all_sites.filter(call_in=call_in, person=person).exists():
        raise ValidationError({"person": _("Personen är redan inbjuden till stormötet.")})
    invitation = _prepare(user, CallInInvitation(call_in=call_in, person=person, **data), call_in.site_id)
    _after_help_change(user, invitation, "call_in")
    invitation.save()
    return invitation


@transaction.atomic
def update_invitation(
    user, invitation: CallInInvitation, changes: dict, expected_version: int
) -> CallInInvitation:
    _require(user, invitation)
    asked_before = _stored_help(invitation)
    _apply(invitation, changes)
    invitation.full_clean()
    if invitation.asked_for_help != asked_before or invitation.referral_state == ReferralState.WAITING:
        _after_help_change(user, invitation, "call_in")
    return save_versioned(invitation, expected_version, user=user)


@transaction.atomic
def remove_invitation(user, invitation: CallInInvitation, expected_version: int) -> None:
    remove_record(user, invitation, expected_version)


# ----- notifications -----


def earlier_notification(person: Person, on_date: date, exclude_pk: int | None = None) -> Notification | None:
    """The latest notification to `person` before `on_date` (the same day counts when registered earlier)."""
    earlier = Notification.unscoped_all_sites.filter(person=person).filter(
        Q(date__lt=on_date) | Q(date=on_date, pk__lt=exclude_pk or 2**62)
    )
    if exclude_pk:
        earlier = earlier.exclude(pk=exclude_pk)
    return earlier.order_by("-date", "-pk").first()


def _mark_repeat(notification: Notification) -> None:
    notification.repeat_of = earlier_notification(notification.person, notification.date, notification.pk)


# Stored as data (Swedish, like every recorded purpose): it also marks the disclosures this module manages.
DELIVERY_PURPOSE = "Organisationen framför budskapet vid det enskilda samtalet."


def _delivery_disclosures(notification: Notification):
    return Disclosure.objects.active().filter(
        content_type=ContentType.objects.get_for_model(Notification),
        object_id=notification.pk,
        to_site__isnull=True,
        purpose=DELIVERY_PURPOSE,
    )


def _sync_delivery_disclosures(user, notification: Notification, organisations: list[Organisation]) -> None:
    """Open the notification to each delivering organisation that does not own it, and close it to one
    no longer named. Organisations whose members never read person data (the community's) deliver without
    reading it here. Naming another organisation is a disclosure: it takes a role that may disclose."""
    wanted = {
        org.pk
        for org in organisations
        if org.pk != notification.owner_id and org.type not in NON_RECIPIENT_TYPES
    }
    current = {d.to_organisation_id: d for d in _delivery_disclosures(notification)}
    for org_id, disclosure in current.items():
        if org_id not in wanted:
            revoke_disclosure(user, disclosure)
    opened = set(
        Disclosure.objects.active()
        .filter(
            content_type=ContentType.objects.get_for_model(Notification),
            object_id=notification.pk,
            to_site__isnull=True,
        )
        .values_list("to_organisation_id", flat=True)
    )
    missing = wanted - opened
    if not missing:
        return
    membership = granting_membership(user, notification, DISCLOSE)
    if membership is None or membership.organisation_id != notification.owner_id:
        raise ValidationError(
            {
                "delivering_organisations": _(
                    "Att ange en annan organisation som framför budskapet lämnar ut samtalet till den, och din "
                    "roll får inte lämna ut samtal. Be en analytiker eller handläggare i %(owner)s att ange "
                    "organisationen."
                )
                % {"owner": notification.owner.name}
            }
        )
    for org_id in sorted(missing):
        disclose(
            user,
            notification,
            DisclosureRequest(
                to_organisation_id=org_id,
                legal_ground=Disclosure.LegalGround.OSL_10_2,
                purpose=DELIVERY_PURPOSE,
                expires_at=latest_end(Disclosure.LegalGround.OSL_10_2, timezone.now()),
            ),
        )


def _check_organisations(organisations, site_id: int) -> list[Organisation]:
    organisations = list(organisations or [])
    at_site = set(
        Organisation.objects.filter(sites__id=site_id, pk__in=[o.pk for o in organisations]).values_list(
            "pk", flat=True
        )
    )
    if any(o.pk not in at_site for o in organisations):
        raise ValidationError({"delivering_organisations": _("Organisationerna måste finnas på platsen.")})
    return organisations


@transaction.atomic
def plan_notification(user, person: Person, data: dict, organisations=None) -> Notification:
    """Plan (or directly record) a custom notification to one person."""
    _visible_person(user, person)
    notification = Notification(person=person, **data)
    _mark_repeat(notification)
    _prepare(user, notification, person.site_id)
    _after_help_change(user, notification, "notification")
    notification.save()
    organisations = _check_organisations(organisations, notification.site_id)
    notification.delivering_organisations.set(organisations)
    _sync_delivery_disclosures(user, notification, organisations)
    return notification


@transaction.atomic
def update_notification(
    user, notification: Notification, changes: dict, expected_version: int, organisations=None
) -> Notification:
    _require(user, notification)
    asked_before = _stored_help(notification)
    _apply(notification, changes)
    _mark_repeat(notification)
    notification.full_clean()
    if notification.asked_for_help != asked_before or notification.referral_state == ReferralState.WAITING:
        _after_help_change(user, notification, "notification")
    save_versioned(notification, expected_version, user=user)
    if organisations is not None:
        organisations = _check_organisations(organisations, notification.site_id)
        notification.delivering_organisations.set(organisations)
        _sync_delivery_disclosures(user, notification, organisations)
    return notification


@transaction.atomic
def remove_notification(user, notification: Notification, expected_version: int) -> None:
    """A removed notification leaves no open disclosure behind (the record is gone for the recipients)."""
    disclosures = list(_delivery_disclosures(notification))  # before the row (and its pk) is gone
    remove_record(user, notification, expected_version)
    for disclosure in disclosures:
        revoke_disclosure(user, disclosure)


@transaction.atomic
def retry_waiting_referrals(user) -> int:
    """Send the help requests that waited for the support module; returns how many were sent."""
    if _referral_function() is None:
        return 0
    sent = 0
    for model, route in ((CallInInvitation, "call_in"), (Notification, "notification")):
        waiting = model.objects.visible_to(user, CHANGE).filter(
            asked_for_help=True, referral_state=ReferralState.WAITING
        )
        for record in waiting.select_related("person"):
            _refer(user, record, route)
            _save_help(record)
            sent += record.referral_state == ReferralState.REFERRED
    return sent


# ----- communicating back -----


def _check_reference(refers_to, site_id: int) -> tuple[ContentType | None, int | None]:
    if refers_to is None:
        return None, None
    if not isinstance(refers_to, CompartmentedRecord) or refers_to.site_id != site_id:
        raise ValidationError(
            {"refers_to_id": _("Posten som återkopplingen gäller hör till en annan plats.")}
        )
    return ContentType.objects.get_for_model(refers_to), refers_to.pk


@transaction.atomic
def create_communication_back(user, data: dict, audience_groups, refers_to=None) -> CommunicationBack:
    """Record what the partnership told the groups; `refers_to` is e.g. a sanction episode."""
    membership = creating_membership(user, CommunicationBack)
    record = CommunicationBack(**data)
    record.refers_to_type, record.refers_to_id = _check_reference(refers_to, membership.site_id)
    groups = _check_groups(audience_groups, membership.site_id, "audience_groups")
    if not groups:
        raise ValidationError({"audience_groups": _("Välj minst en mottagande grupp.")})
    _create(user, record)
    record.audience_groups.set(groups)
    return record


@transaction.atomic
def update_communication_back(
    user, record: CommunicationBack, changes: dict, expected_version: int, audience_groups=None
) -> CommunicationBack:
    _require(user, record)
    _apply(record, changes)
    groups = None
    if audience_groups is not None:
        groups = _check_groups(audience_groups, record.site_id, "audience_groups")
        if not groups:
            raise ValidationError({"audience_groups": _("Välj minst en mottagande grupp.")})
    save_versioned(record, expected_version, user=user)
    if groups is not None:
        record.audience_groups.set(groups)
    return record


def communications_back_referring_to(record) -> "list[CommunicationBack]":
    """Every communication back that refers to `record` (e.g. a sanction episode), oldest first.

    Not scoped: a caller (the sanctions module's reminder) that already holds the record asks whether
    the partnership has communicated about it."""
    content_type = ContentType.objects.get_for_model(record)
    query = Q(refers_to_type=content_type, refers_to_id=record.pk)
    if record._meta.label_lower == "incidents.incident":
        query |= Q(refers_to_incident_id=record.pk)
    return list(CommunicationBack.unscoped_all_sites.filter(query).order_by("date", "pk"))
