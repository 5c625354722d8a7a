"""The access-log chain's anchor outside the database: the head (sequence number and hash), MAC'd with
GVI_AUDIT_KEY, appended once a day by the worker (and by `gvi audit anchor`) to an append-only file
(GVI_AUDIT_ANCHOR_FILE; make it append-only with `chattr +a`, or ship it to a log host). Whoever rebuilds the
chain in the database cannot rewrite what the file already holds: `gvi audit verify` checks that every
anchored row is still there with the anchored hash."""

import hashlib
import hmac
import json
import os
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.utils import timezone

from gvi.access.identity import audit_key
from gvi.access.models import GENESIS_HASH, AccessLog, AccessLogHead


def anchor_path() -> Path:
    return Path(settings.GVI_AUDIT_ANCHOR_FILE)


def _mac(fields: dict) -> str:
    body = json.dumps(fields, sort_keys=True, separators=(",", ":"))
    return hmac.new(audit_key(), body.encode(), hashlib.sha256).hexdigest()


def write_anchor() -> dict:
    """Append the current head to the anchor file (one JSON line) and return it."""
    head = AccessLogHead.objects.filter(pk=1).first()
    fields = {
        "at": timezone.now().isoformat(timespec="seconds"),
        "seq": head.seq if head else 0,
        "hash": head.hash if head else GENESIS_HASH,
    }
    line = json.dumps({**fields, "mac": _mac(fields)}, sort_keys=True) + "\n"
    path = anchor_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
    try:
        os.write(descriptor, line.encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    return fields


@dataclass
class AnchorReport:
    ok: bool
    anchors_checked: int
    reason: str = ""
    seq: int | None = None


def verify_anchors() -> AnchorReport:
    """Every anchor line must carry a valid MAC, follow the one before it, and name a row that is still in
    the chain with the same hash. No file yet: nothing to check (reported as 0 anchors)."""
    path = anchor_path()
    if not path.exists():
        return AnchorReport(True, 0)
    checked, last_seq = 0, 0
    for number, raw in enumerate(path.read_text().splitlines(), start=1):
        if not raw.strip():
            continue
        try:
            entry = json.loads(raw)
            fields = {"at": entry["at"], "seq": int(entry["seq"]), "hash": entry["hash"]}
            mac = entry["mac"]
        except (ValueError, KeyError, TypeError):
            return AnchorReport(False, checked, f"anchor line {number} is malformed")
        if not hmac.compare_digest(_mac(fields), str(mac)):
            return AnchorReport(False, checked, f"anchor line {number} does not carry a valid MAC")
        seq = fields["seq"]
        if seq < last_seq:
            return AnchorReport(False, checked, f"anchor line {number} goes back in the chain", seq)
        if seq:
            row_hash = AccessLog.objects.filter(seq=seq).values_list("hash", flat=True).first()
            if row_hash != fields["hash"]:
                return AnchorReport(
                    False, checked, f"row {seq}, anchored on {fields['at']}, is missing or was rebuilt", seq
                )
        last_seq = seq
        checked += 1
    return AnchorReport(True, checked)
