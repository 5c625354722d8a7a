"""The access log: no log, no data; the hash chain detects changed, deleted and reordered rows."""

from unittest import mock

import pytest
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from gvi.access.audit import verify_chain
from gvi.access.models import AccessLog, AccessLogHead
from gvi.access.services import log_access
from gvi.partnership.models import Role
from tests.factories import verified_login


def _read_person(world, role=Role.ANALYST):
    client = verified_login(Client(raise_request_exception=False), world.users[role])
    person = world.record("person", role, "own")
    return client, person


@pytest.mark.django_db
def test_reading_a_person_writes_one_chained_row(world):
    client, person = _read_person(world)
    response = client.get(reverse("groups:person_detail", args=[person.pk]))
    assert response.status_code == 200
    entry = AccessLog.objects.get()
    assert (entry.username, entry.record_type, entry.record_id, entry.action) == (
        Role.ANALYST,
        "groups.person",
        str(person.pk),
        "view",
    )
    assert entry.organisation_id_logged == person.owner_id
    assert entry.role == Role.ANALYST
    assert AccessLogHead.objects.get().hash == entry.hash


@pytest.mark.django_db
def test_api_read_is_logged_as_api(world):
    client, person = _read_person(world)
    assert client.get(f"/api/v1/persons/{person.pk}").status_code == 200
    assert AccessLog.objects.get().action == "api"


@pytest.mark.django_db
def test_group_level_reads_are_not_person_reads(world):
    client, _ = _read_person(world)
    group = world.record("group", Role.ANALYST, "own")
    assert client.get(reverse("groups:group_detail", args=[group.pk])).status_code == 200
    assert not AccessLog.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_no_log_no_data(fresh_world):
    """If the log row cannot be written, the person's data is not served and nothing is committed."""
    client, person = _read_person(fresh_world)
    person.notes = "HEMLIG-ANTECKNING"
    person.save()
    with mock.patch.object(AccessLog, "save", side_effect=RuntimeError("disk full")):
        response = client.get(reverse("groups:person_detail", args=[person.pk]))
    assert response.status_code == 500
    assert b"HEMLIG-ANTECKNING" not in response.content
    assert person.alias.encode() not in response.content
    with mock.patch.object(AccessLog, "save", side_effect=RuntimeError("disk full")):
        api_response = client.get(f"/api/v1/persons/{person.pk}")
    assert api_response.status_code == 500
    assert person.alias.encode() not in api_response.content
    assert AccessLog.objects.count() == 0
    assert AccessLogHead.objects.filter(seq__gt=0).count() == 0


def _chain(world, rows=5):
    analyst = world.users[Role.ANALYST]
    person = world.record("person", Role.ANALYST, "own")
    for _ in range(rows):
        log_access(analyst, person)
    assert verify_chain().ok
    return list(AccessLog.objects.order_by("seq"))


@pytest.mark.django_db
def test_verify_accepts_an_intact_chain(world):
    _chain(world)
    report = verify_chain()
    assert report.ok and report.rows_checked == 5
    call_command("gvi_audit", "verify")


@pytest.mark.django_db
def test_verify_detects_a_changed_row(world):
    rows = _chain(world)
    AccessLog.objects.filter(pk=rows[2].pk).update(username="someone-else")
    report = verify_chain()
    assert not report.ok and report.first_break_seq == 3 and "changed" in report.reason
    with pytest.raises(CommandError, match="BROKEN at row 3"):
        call_command("gvi_audit", "verify")


@pytest.mark.django_db
def test_verify_detects_a_deleted_row(world):
    rows = _chain(world)
    AccessLog.objects.filter(pk=rows[1].pk).delete()
    report = verify_chain()
    assert not report.ok and report.first_break_seq == 2


@pytest.mark.django_db
def test_verify_detects_a_deleted_and_renumbered_row(world):
    """Deleting a row and renumbering the rest to hide the gap still breaks the hash links."""
    rows = _chain(world)
    AccessLog.objects.filter(pk=rows[1].pk).delete()
    for row in rows[2:]:
        AccessLog.objects.filter(pk=row.pk).update(seq=row.seq - 1)
    report = verify_chain()
    assert not report.ok and report.first_break_seq == 2


@pytest.mark.django_db
def test_verify_detects_reordered_rows(world):
    rows = _chain(world)
    first, second = rows[1], rows[2]
    AccessLog.objects.filter(pk=first.pk).update(seq=999)
    AccessLog.objects.filter(pk=second.pk).update(seq=first.seq)
    AccessLog.objects.filter(pk=first.pk).update(seq=second.seq)
    report = verify_chain()
    assert not report.ok and report.first_break_seq == 2


@pytest.mark.django_db
def test_verify_detects_a_removed_tail(world):
    rows = _chain(world)
    AccessLog.objects.filter(pk=rows[-1].pk).delete()
    report = verify_chain()
    assert not report.ok and "tail" in report.reason


@pytest.mark.django_db
def test_person_list_and_group_member_list_pages_log_each_row_shown(world):
    """Issue 21, finding 7: list pages showed aliases and flags without an access-log row."""
    analyst = world.users[Role.ANALYST]
    client = verified_login(Client(), analyst)
    person = world.record("person", Role.ANALYST, "own")
    before = AccessLog.objects.count()
    client.get(reverse("groups:person_list"))
    assert AccessLog.objects.filter(record_type="groups.person", record_id=str(person.pk)).exists()
    group = world.record("group", Role.ANALYST, "own")
    membership = world.record("membership", Role.ANALYST, "own")
    client.get(reverse("groups:group_members", kwargs={"pk": group.pk}))
    assert AccessLog.objects.filter(
        record_type="groups.groupmembership", record_id=str(membership.pk)
    ).exists()
    assert AccessLog.objects.count() > before
    assert verify_chain().ok
