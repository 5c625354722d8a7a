"""Requests for rectification, erasure or restriction: recorded, decided, done; due in one calendar
month; the decision outlives the person entry without its person data."""

from datetime import UTC, date, datetime, timedelta

import pytest
import time_machine
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.retention import run_retention
from gvi.dataprotection.models import DataSubjectRequest, RegisterExtract, months_after
from gvi.dataprotection.services import produce_extract
from gvi.groups.models import GroupMembership, Person
from gvi.partnership.models import Organisation, Role
from tests.factories import verified_login

pytestmark = pytest.mark.django_db


def _client(world, role=Role.ANALYST):
    return verified_login(Client(), world.users[role])


@pytest.mark.parametrize(
    ("received", "due"),
    [
        (date(2026, 1, 15), date(2026, 2, 15)),
        (date(2026, 1, 31), date(2026, 2, 28)),  # calendar months, not 30 days
        (date(2028, 1, 31), date(2028, 2, 29)),
        (date(2026, 12, 20), date(2027, 1, 20)),
    ],
)
def test_due_one_calendar_month_after_receipt(received, due):
    assert months_after(received, 1) == due
    request = DataSubjectRequest(received_on=received)
    assert request.due_on == due
    assert request.days_left(due - timedelta(days=5)) == 5
    assert request.days_left(due + timedelta(days=2)) == -2


def test_record_decide_and_complete_a_request(world):
    person = world.records[("person", "a", Organisation.Type.POLICE)]
    client = _client(world)
    response = client.post(
        reverse("dataprotection:request_create", args=[person.pk]),
        {
            "kind": "rectification",
            "received_on": timezone.localdate().isoformat(),
            "case_number": "PM-2026-200",
            "request_text": "Födelseåret är fel.",
        },
    )
    assert response.status_code == 302
    request = DataSubjectRequest.unscoped_all_sites.get(case_number="PM-2026-200")
    assert request.owner == person.owner and request.person == person and not request.decision

    listing = client.get(reverse("dataprotection:request_list")).content.decode()
    assert "PM-2026-200" in listing
    assert request.due_on.strftime("%Y-%m-%d") in listing

    detail = reverse("dataprotection:request_detail", args=[request.pk])
    assert client.get(detail).status_code == 200
    empty = client.post(
        reverse("dataprotection:request_decide", args=[request.pk]), {"version": request.version}
    )
    assert empty.status_code == 200 and "Detta fält måste fyllas i." in empty.content.decode()
    client.post(
        reverse("dataprotection:request_decide", args=[request.pk]),
        {"decision": "granted", "reasoning": "Uppgiften var felaktig.", "version": request.version},
    )
    request.refresh_from_db()
    assert request.decision == "granted" and request.decided_by == world.users[Role.ANALYST]
    assert request.decided_at is not None
    client.post(
        reverse("dataprotection:request_done", args=[request.pk]),
        {"done_text": "Födelseåret rättat.", "records_changed": 1, "version": request.version},
    )
    request.refresh_from_db()
    assert request.done_at is not None and request.records_changed == 1
    assert "PM-2026-200" not in client.get(reverse("dataprotection:request_list")).content.decode()
    assert "PM-2026-200" in client.get(reverse("dataprotection:request_list") + "?visa=alla").content.decode()


def test_a_stale_decision_is_a_conflict(world):
    request = world.records[("dprequest", "a", Organisation.Type.POLICE)]
    response = _client(world).post(
        reverse("dataprotection:request_decide", args=[request.pk]),
        {"decision": "rejected", "reasoning": "Uppgiften är riktig.", "version": request.version + 1},
    )
    assert response.status_code == 409
    request.refresh_from_db()
    assert not request.decision


def test_another_organisations_requests_are_not_listed_or_found(world):
    theirs = world.records[("dprequest", "a", Organisation.Type.MUNICIPALITY)]
    theirs.case_number = "SOC-77"
    theirs.save()
    client = _client(world)
    assert "SOC-77" not in client.get(reverse("dataprotection:request_list")).content.decode()
    assert client.get(reverse("dataprotection:request_detail", args=[theirs.pk])).status_code == 404
    person = world.records[("person", "a", Organisation.Type.MUNICIPALITY)]
    assert client.get(reverse("dataprotection:request_create", args=[person.pk])).status_code == 404


def test_the_decision_survives_the_purge_of_the_person_without_person_data(world):
    person = world.records[("person", "a", Organisation.Type.POLICE)]
    request = world.records[("dprequest", "a", Organisation.Type.POLICE)]
    request.request_text = "Radera medlemskapet i Norra gänget."
    request.case_number = "PM-2026-300"
    request.decision = DataSubjectRequest.Decision.PARTLY
    request.decision_reasoning = "Medlemskapet raderas, incidenten finns kvar."
    request.decided_at = timezone.now()
    request.records_changed = 1
    request.save()
    extract, _pdf = produce_extract(world.users[Role.ANALYST], person, reason="Begäran från den registrerade")
    received, decided_at = request.received_on, request.decided_at

    # Overdue long ago: the retention run deactivates and purges the person and its memberships.
    Person.unscoped_all_sites.filter(pk=person.pk).update(review_date=date(2020, 1, 1))
    GroupMembership.unscoped_all_sites.filter(person=person).update(review_date=date(2020, 1, 1))
    result = run_retention(today=timezone.localdate())
    assert result.purged["groups.person"] >= 1
    assert not Person.unscoped_all_sites.filter(pk=person.pk).exists()

    kept = DataSubjectRequest.unscoped_all_sites.get(pk=request.pk)
    assert kept.person is None and kept.person_forgotten_at is not None
    assert kept.decision == DataSubjectRequest.Decision.PARTLY
    assert kept.received_on == received and kept.decided_at == decided_at and kept.records_changed == 1
    assert kept.request_text == kept.decision_reasoning == kept.case_number == ""
    for version in kept.history.all():
        assert version.person_id is None
        assert "Norra gänget" not in version.request_text
        assert "incidenten" not in version.decision_reasoning
    produced = RegisterExtract.objects.get(pk=extract.pk)
    assert produced.person is None and produced.reason == ""
    assert produced.person_ref == person.pk and produced.counts["person"] == 1

    page = _client(world).get(reverse("dataprotection:request_detail", args=[request.pk]))
    assert page.status_code == 200
    assert "Beslutet finns kvar" in page.content.decode()


def test_overdue_requests_show_the_days_past_due(world):
    request = world.records[("dprequest", "a", Organisation.Type.POLICE)]
    request.received_on = date(2026, 1, 31)
    request.save()
    with time_machine.travel(datetime(2026, 3, 3, 12, tzinfo=UTC), tick=False):
        page = _client(world).get(reverse("dataprotection:request_list")).content.decode()
    assert "2026-02-28" in page
    assert "3 dagar försenad" in page
