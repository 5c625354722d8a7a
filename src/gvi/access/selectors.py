"""Reads of compartmented records. Every read starts from `visible_to(user)`; single reads are logged."""

from django.http import Http404

from gvi.access.models import AccessLog, CompartmentedRecord
from gvi.access.services import log_access


def parse_id(raw) -> int:
    """Ids arrive from URLs and JSON; anything but a positive integer is 'not found', never a 500."""
    try:
        value = int(str(raw))
    except (TypeError, ValueError):
        raise Http404 from None
    if value <= 0 or value > 2**63 - 1:
        raise Http404
    return value


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


def access_log_for_record(record) -> list[AccessLog]:
    return list(
        AccessLog.objects.filter(record_type=record._meta.label_lower, record_id=str(record.pk)).order_by(
            "-seq"
        )[:50]
    )
