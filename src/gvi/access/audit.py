"""Verification of the access-log hash chain (keyed: HMAC with GVI_AUDIT_KEY) and of its anchors outside the
database (gvi.access.anchor)."""

from dataclasses import dataclass

from gvi.access.anchor import verify_anchors
from gvi.access.models import GENESIS_HASH, AccessLog, AccessLogHead


@dataclass
class ChainReport:
    ok: bool
    rows_checked: int
    first_break_seq: int | None = None
    reason: str = ""
    anchors_checked: int = 0


def verify_chain(batch_size: int = 5000) -> ChainReport:
    """Walk the chain in order and report the first row that does not follow from the one before it."""
    expected_prev = GENESIS_HASH
    expected_seq = 1
    checked = 0
    last_seq = 0
    seen_keyed = False
    rows = AccessLog.objects.order_by("seq").iterator(chunk_size=batch_size)
    for row in rows:
        if seen_keyed and not row.keyed:
            return ChainReport(
                False, checked, row.seq, "an unkeyed row after a keyed one (the chain was rebuilt)"
            )
        seen_keyed = seen_keyed or row.keyed
        if row.seq != expected_seq:
            return ChainReport(
                False, checked, expected_seq, f"row {expected_seq} is missing (next is {row.seq})"
            )
        if row.prev_hash != expected_prev:
            return ChainReport(
                False, checked, row.seq, "link to the previous row is broken (deleted or reordered)"
            )
        if row.compute_hash() != row.hash:
            return ChainReport(False, checked, row.seq, "row content was changed")
        expected_prev = row.hash
        expected_seq += 1
        last_seq = row.seq
        checked += 1
    head = AccessLogHead.objects.filter(pk=1).first()
    head_seq, head_hash = (head.seq, head.hash) if head else (0, GENESIS_HASH)
    if head_seq != last_seq or head_hash != expected_prev:
        return ChainReport(
            False, checked, last_seq + 1, "the chain's tail was removed or the head was altered"
        )
    anchors = verify_anchors()
    if not anchors.ok:
        return ChainReport(False, checked, anchors.seq, anchors.reason, anchors.anchors_checked)
    return ChainReport(True, checked, anchors_checked=anchors.anchors_checked)
