"""Reads of compartmented records. Every read starts from `visible_to(user)`; single reads are logged."""

from django.db.models import Q
from django.http import Http404

from gvi.access.models import AccessLog, CompartmentedRecord, Disclosure
from gvi.access.permissions import CREATE, grant_for
from gvi.access.services import log_access, log_reads
from gvi.partnership.models import Role


def parse_id(raw) -> int:
    """Ids arrive from URLs and JSON; anything but a positive integer is 'not found', never a 500."""
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise Http404 from None
    if value <= 0 or value > 2**63 - 1:
        raise Http404
    return value


def may(user, model, action: str) -> bool:
    """Whether any of the user's site roles may `action` records of `model` at all (to offer a link or a
    button; the record itself is still checked by `visible_to` when it is opened or written)."""
    record_type = model._meta.label_lower
    return any(
        (found := grant_for(m.role, record_type)) and action in found.actions and m.site_id
        for m in user.memberships.active()
    )


def may_create(user, model) -> bool:
    """Whether the user may create records of `model` at one of their sites."""
    return may(user, model, CREATE)


def visible_record(user, model: type[CompartmentedRecord], pk, action: str = "view"):
    """The record if `user` may act on it, else 404 (never reveal that a hidden record exists)."""
    try:
        return model.objects.visible_to(user, action).get(pk=parse_id(pk))
    except model.DoesNotExist:
        raise Http404 from None


def read_record(
    user, model: type[CompartmentedRecord], pk, *, purpose: str = "", via: str = AccessLog.Action.VIEW
):
    """Fetch one record for display and log the read in the same transaction. No log, no data."""
    record = visible_record(user, model, pk)
    if record.logs_reads:
        log_access(user, record, action=via, purpose=purpose)
    return record


# Stored in the log as written (the log's rows are data, not interface text).
LIST_PURPOSE = "Listvisning"


def logged_list(user, records, *, via: str = AccessLog.Action.VIEW) -> list:
    """The rule for every list of person-level records, HTML page or API page alike: each record shown
    (those with `logs_reads`; group-level records log nothing) gets one access-log row, action `via`
    ("view" on a page, "api" in the API) and purpose LIST_PURPOSE, written in one bulk append before the
    page is rendered. Returns the records as a list (evaluated once, so what is logged is what is shown)."""
    shown = list(records)
    log_reads(user, shown, action=via, purpose=LIST_PURPOSE)
    return shown


def access_log_for_record(record) -> list[AccessLog]:
    return list(
        AccessLog.objects.filter(record_type=record._meta.label_lower, record_id=str(record.pk)).order_by(
            "-seq"
        )[:50]
    )


def received_disclosures(user):
    """Active disclosures that open a record to one of the user's memberships: to its organisation at the
    record's own site, or by name to its site (Disclosure.objects.opened_for). Metadata only."""
    allowed = Q(pk__in=[])
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Disclosure.objects.none()
    for membership in user.memberships.active().filter(site__isnull=False):
        # A disclosure made before its site was recorded (site empty) is listed; its record checks itself.
        at_site = Q(to_site_id=membership.site_id) | Q(
            Q(site_id=membership.site_id) | Q(site__isnull=True), to_site__isnull=True
        )
        allowed |= Q(to_organisation_id=membership.organisation_id) & at_site
    return Disclosure.objects.active().filter(allowed)


def cross_site_disclosures(user):
    """Disclosures to another site that concern a site where `user` is coordinator, made from there or to
    there, whatever the organisations: each site's coordinators see what leaves and enters it."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return Disclosure.objects.none()
    site_ids = list(
        user.memberships.active()
        .filter(role=Role.COORDINATOR, site__isnull=False)
        .values_list("site_id", flat=True)
    )
    return (
        Disclosure.objects.filter(to_site__isnull=False)
        .filter(Q(site_id__in=site_ids) | Q(to_site_id__in=site_ids))
        .select_related(
            "from_organisation", "to_organisation", "site", "to_site", "decided_by", "content_type"
        )
    )
