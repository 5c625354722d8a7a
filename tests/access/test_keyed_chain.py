"""The hash chain could be rebuilt (issue 21, finding 4): with write access to the database, delete rows,
recompute every hash with the project's own function and update the head. Now the chain is keyed (HMAC
with GVI_AUDIT_KEY, which the database does not hold) and anchored outside the database."""

import hashlib
import json

import pytest
from django.core.management import CommandError, call_command

from gvi.access.anchor import anchor_path, write_anchor
from gvi.access.audit import verify_chain
from gvi.access.models import GENESIS_HASH, AccessLog, AccessLogHead
from gvi.access.services import log_access
from gvi.partnership.models import Role

pytestmark = pytest.mark.django_db


def _log_rows(world, count=5):
    user = world.users[Role.ANALYST]
    person = world.record("person", Role.ANALYST, "own")
    for _ in range(count):
        log_access(user, person)


def _rebuild_without(seq_to_drop: int, compute) -> None:
    """The attacker: delete a row, renumber and recompute every hash, update the head."""
    AccessLog.objects.filter(seq=seq_to_drop).delete()
    prev = GENESIS_HASH
    for number, row in enumerate(AccessLog.objects.order_by("seq"), start=1):
        AccessLog.objects.filter(pk=row.pk).update(seq=number + 100000)
        row.seq, row.prev_hash = number, prev
        row.hash = compute(row)
        AccessLog.objects.filter(pk=row.pk).update(seq=row.seq, prev_hash=row.prev_hash, hash=row.hash)
        prev = row.hash
    AccessLogHead.objects.filter(pk=1).update(seq=AccessLog.objects.count(), hash=prev)


def test_a_chain_rebuilt_with_the_plain_hash_function_is_detected(world):
    _log_rows(world)
    assert verify_chain().ok

    def plain(row):
        return hashlib.sha256(row.canonical().encode()).hexdigest()

    _rebuild_without(3, plain)
    report = verify_chain()
    assert not report.ok
    assert report.first_break_seq == 1


def test_a_chain_rebuilt_as_unkeyed_rows_is_caught_by_the_anchor(world):
    """Downgrading every row to the plain hash fools the database alone; the anchored head does not match."""
    _log_rows(world)
    write_anchor()
    AccessLog.objects.update(keyed=False)

    def plain(row):
        row.keyed = False
        return row.compute_hash()

    _rebuild_without(3, plain)
    report = verify_chain()
    assert not report.ok and "anchored" in report.reason


def test_the_anchor_outside_the_database_catches_a_rebuild_even_with_the_key(world, settings):
    """Even someone who holds the key and rebuilds the chain cannot rewrite the anchored head."""
    _log_rows(world)
    write_anchor()
    assert verify_chain().ok and verify_chain().anchors_checked == 1

    _rebuild_without(2, lambda row: row.compute_hash())
    report = verify_chain()
    assert not report.ok
    assert "anchored" in report.reason
    with pytest.raises(CommandError, match="BROKEN"):
        call_command("gvi_audit", "verify")


def test_a_forged_anchor_line_is_detected(world):
    _log_rows(world, 2)
    write_anchor()
    lines = anchor_path().read_text().splitlines()
    forged = json.loads(lines[0])
    forged["seq"] = 1
    forged["hash"] = AccessLog.objects.get(seq=1).hash
    anchor_path().write_text(json.dumps(forged) + "\n")
    report = verify_chain()
    assert not report.ok and "MAC" in report.reason


def test_rows_written_before_the_key_still_verify_and_the_keyed_rows_chain_on(world):
    """The migration path: an existing plain chain stays valid; new rows are keyed and follow it."""
    _log_rows(world, 3)
    prev = GENESIS_HASH
    for row in AccessLog.objects.order_by("seq"):
        row.keyed, row.prev_hash = False, prev
        row.hash = row.compute_hash()
        row.save()
        prev = row.hash
    AccessLogHead.objects.filter(pk=1).update(hash=prev)
    assert verify_chain().ok
    _log_rows(world, 2)
    assert list(AccessLog.objects.order_by("seq").values_list("keyed", flat=True)) == [False] * 3 + [True] * 2
    assert verify_chain().ok
    # A plain row after a keyed one is a rebuild.
    last = AccessLog.objects.order_by("-seq").first()
    last.keyed = False
    last.hash = last.compute_hash()
    last.save()
    AccessLogHead.objects.filter(pk=1).update(hash=last.hash)
    assert not verify_chain().ok


def test_keyed_hashes_depend_on_the_key(world, monkeypatch):
    _log_rows(world, 1)
    row = AccessLog.objects.get()
    monkeypatch.setenv("GVI_AUDIT_KEY", "a-different-key")
    assert row.compute_hash() != row.hash


def test_gvi_audit_anchor_writes_a_line(world, capsys):
    _log_rows(world, 1)
    call_command("gvi_audit", "anchor")
    assert len(anchor_path().read_text().splitlines()) == 1
    call_command("gvi_audit", "verify")
    assert "1 anchors" in capsys.readouterr().out
