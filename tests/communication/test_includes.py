"""The pieces the lead wires into other pages: the start-page summary and the person page section."""

import pytest
from django.template.loader import render_to_string
from django.test import RequestFactory

from gvi.access.selectors import may_create
from gvi.communication import selectors
from gvi.communication.models import Notification
from gvi.partnership.models import Role


def _request(user):
    request = RequestFactory().get("/")
    request.user = user
    return request


@pytest.mark.django_db
def test_home_summary_for_the_community_partner_has_logistics_and_own_tasks_only(comm_world):
    partner = comm_world.users[Role.COMMUNITY_PARTNER]
    summary = selectors.home_summary(partner)
    assert len(summary["call_ins"]) == 4  # the four organisations' call-ins at site A
    assert {item.text for item in summary["my_items"]} == {"Boka lokal"}
    assert summary["follow_ups"] is None and summary["planned_notifications"] is None
    html = render_to_string(
        "communication/_home.html", {"communication_home": summary}, request=_request(partner)
    )
    assert "Kommande stormöten" in html and "Boka lokal" in html and "enskilda samtal" not in html
    assert selectors.home_summary(comm_world.users[Role.STEERING_MEMBER]) is None


@pytest.mark.django_db
def test_home_summary_and_person_section_for_the_analyst(comm_world):
    analyst = comm_world.users[Role.ANALYST]
    summary = selectors.home_summary(analyst)
    assert summary["planned_notifications"] == 1 and summary["follow_ups"] == 0 and summary["may_suggest"]
    person = comm_world.record("person", Role.ANALYST, "own")
    html = render_to_string(
        "communication/_person_contacts.html",
        {
            "person": person,
            "contacts": selectors.contacts_of_person(analyst, person),
            "may_plan_notification": may_create(analyst, Notification),
        },
        request=_request(analyst),
    )
    assert "Enskilt samtal" in html and "Stormöte: " in html and f"?person={person.pk}" in html
    other = comm_world.record("person", Role.ANALYST, "other_org")
    contacts = selectors.contacts_of_person(analyst, other)
    assert not contacts["notifications"].exists() and not contacts["invitations"].exists()
