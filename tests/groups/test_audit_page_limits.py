"""The audit page lists overdue and deactivated entries oldest first, a bounded number of each kind."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.groups import selectors
from gvi.partnership.models import Role
from tests.factories import PersonFactory, verified_login


def _overdue_persons(world, days_ago):
    police = world.orgs[("a", "police")]
    today = timezone.localdate()
    return [
        PersonFactory(site=world.site_a, owner=police, review_date=today - timedelta(days=d))
        for d in days_ago
    ]


@pytest.mark.django_db
def test_oldest_entries_first_with_the_full_count(world):
    oldest, middle, newest = _overdue_persons(world, [90, 60, 30])
    entries = selectors.overdue_entries(world.users[Role.ANALYST])
    all_persons = entries["persons"].count()
    shown = selectors.oldest_first(entries, limit=2)
    assert shown["persons"] == list(entries["persons"].order_by("review_date", "pk")[:2])
    assert oldest in shown["persons"] and newest not in shown["persons"]
    assert shown["total"] >= all_persons >= 3 and shown["shown"] < shown["total"]


@pytest.mark.django_db
def test_the_page_says_how_many_it_leaves_out(world, monkeypatch):
    _overdue_persons(world, [90, 60, 30])
    monkeypatch.setattr(selectors, "ENTRIES_SHOWN", 1)
    client = Client()
    verified_login(client, world.users[Role.ANALYST])
    html = client.get(reverse("groups:audit")).content.decode()
    assert "Visar " in html and "de äldsta, högst 1 av varje slag" in html
