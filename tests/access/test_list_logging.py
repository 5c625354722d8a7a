"""The log rule for lists (issue 19): a list of person-level records, page or API, writes one access-log
row per record shown, in one bulk append; a list of group-level records writes none."""

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from gvi.access.audit import verify_chain
from gvi.access.models import AccessLog
from gvi.access.selectors import LIST_PURPOSE
from gvi.access.services import granting_membership, log_access, log_reads
from gvi.groups.models import Person
from gvi.partnership.models import Role
from tests.factories import PersonFactory, verified_login

pytestmark = pytest.mark.django_db


def _new_rows(before):
    return AccessLog.objects.filter(seq__gt=before)


def _last_seq():
    return AccessLog.objects.order_by("-seq").values_list("seq", flat=True).first() or 0


def _inserts(queries):
    table = connection.ops.quote_name(AccessLog._meta.db_table)
    return [q for q in queries if q["sql"].startswith(f"INSERT INTO {table} ")]


def test_the_person_list_page_logs_exactly_the_persons_it_shows_in_one_insert(world):
    analyst = world.users[Role.ANALYST]
    own = world.record("person", Role.ANALYST, "own")
    for n in range(3):
        PersonFactory(site=own.site, owner=own.owner, alias=f"Listad {n}")
    client = verified_login(Client(), analyst)
    before = _last_seq()
    with CaptureQueriesContext(connection) as queries:
        response = client.get(reverse("groups:person_list"))
    assert response.status_code == 200
    shown = {person.pk for person in response.context["page"].object_list}
    expected = set(Person.objects.visible_to(analyst).values_list("pk", flat=True))
    assert own.pk in shown and shown == expected
    rows = _new_rows(before)
    assert {int(pk) for pk in rows.values_list("record_id", flat=True)} == shown
    assert rows.count() == len(shown)  # one row each, no more
    assert set(rows.values_list("record_type", "action", "purpose", "username")) == {
        ("groups.person", AccessLog.Action.VIEW, LIST_PURPOSE, analyst.username)
    }
    assert len(_inserts(queries.captured_queries)) == 1
    assert verify_chain().ok


def test_the_api_person_list_logs_exactly_the_persons_it_returns(world):
    analyst = world.users[Role.ANALYST]
    client = verified_login(Client(), analyst)
    before = _last_seq()
    response = client.get(reverse("api:list_persons"), {"limit": 2})
    assert response.status_code == 200
    returned = {item["id"] for item in response.json()["items"]}
    assert returned
    rows = _new_rows(before)
    assert sorted(int(pk) for pk in rows.values_list("record_id", flat=True)) == sorted(returned)
    assert set(rows.values_list("action", "purpose")) == {(AccessLog.Action.API, LIST_PURPOSE)}
    assert verify_chain().ok


@pytest.mark.parametrize(
    ("route", "record_type"),
    [
        ("communication:notification_list", "communication.notification"),
        ("support:case_list", "support.supportcase"),
    ],
)
def test_other_person_data_list_pages_log_each_row_shown(world, route, record_type):
    caseworker = world.users[Role.CASEWORKER]
    client = verified_login(Client(), caseworker)
    before = _last_seq()
    response = client.get(reverse(route))
    assert response.status_code == 200
    shown = {record.pk for record in response.context["page"].object_list}
    assert shown
    rows = _new_rows(before).filter(record_type=record_type)
    assert {int(pk) for pk in rows.values_list("record_id", flat=True)} == shown
    assert set(rows.values_list("action", "purpose")) == {(AccessLog.Action.VIEW, LIST_PURPOSE)}


@pytest.mark.parametrize("route", ["groups:group_list", "api:list_groups", "incidents:incident_list"])
def test_a_list_of_group_level_records_logs_nothing(world, route):
    client = verified_login(Client(), world.users[Role.ANALYST])
    before = _last_seq()
    response = client.get(reverse(route))
    assert response.status_code == 200
    assert world.record("group", Role.ANALYST, "own").name in response.content.decode()
    assert not _new_rows(before).exists()


def test_the_bulk_append_names_the_same_membership_as_a_single_read_and_keeps_the_chain(world):
    analyst = world.users[Role.ANALYST]
    persons = list(Person.objects.visible_to(analyst))
    group = world.record("group", Role.ANALYST, "own")  # group-level: skipped
    log_access(analyst, persons[0])
    entries = log_reads(analyst, [*persons, group])
    assert [entry.record_id for entry in entries] == [str(person.pk) for person in persons]
    for entry, person in zip(entries, persons, strict=True):
        membership = granting_membership(analyst, person)
        assert (entry.organisation_id_logged, entry.role) == (membership.organisation_id, membership.role)
    assert [entry.seq for entry in entries] == list(range(entries[0].seq, entries[0].seq + len(entries)))
    log_access(analyst, persons[0])  # a single append after the bulk one continues the chain
    assert verify_chain().ok
    assert log_reads(analyst, [group]) == []
