"""Overdue → flagged; past the grace period → deactivated; after the purge period → purged with history."""

from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from gvi.access.models import RetentionRun
from gvi.access.retention import run_retention
from gvi.groups import selectors
from gvi.groups.models import GroupMembership, Person
from gvi.incidents.models import Involvement
from gvi.partnership.models import Role
from tests.factories import GroupMembershipFactory, InvolvementFactory, PersonFactory

TODAY = date(2026, 6, 1)


@pytest.fixture
def retention_settings(settings):
    settings.GVI_REVIEW_GRACE_DAYS = 30
    settings.GVI_PURGE_AFTER_DAYS = 60
    return settings


def _person(world, review_date, **kw):
    police = world.orgs[("a", "police")]
    return PersonFactory(site=world.site_a, owner=police, review_date=review_date, notes="KÄNSLIG", **kw)


@pytest.mark.django_db
def test_overdue_entries_are_flagged_to_their_owner_only(world):
    overdue = _person(world, TODAY - timedelta(days=1))
    _person(world, TODAY + timedelta(days=1))
    analyst, caseworker = world.users[Role.ANALYST], world.users[Role.CASEWORKER]
    assert overdue in selectors.overdue_entries(analyst, today=TODAY)["persons"]
    assert overdue not in selectors.overdue_entries(caseworker, today=TODAY)["persons"]


@pytest.mark.django_db
def test_deactivation_after_grace_then_purge_with_history(world, retention_settings):
    person = _person(world, TODAY - timedelta(days=10))
    membership = GroupMembershipFactory(
        person=person, site=world.site_a, owner=person.owner, review_date=TODAY + timedelta(days=300)
    )
    involvement = InvolvementFactory(site=world.site_a, owner=person.owner, person=person)

    # Within the grace period: only flagged.
    result = run_retention(today=TODAY)
    person.refresh_from_db()
    assert person.deactivated_at is None and result.deactivated == {}

    # Past the grace period: deactivated, and the deactivation is versioned.
    result = run_retention(today=TODAY + timedelta(days=25))
    person.refresh_from_db()
    assert person.deactivated_at is not None
    assert result.deactivated == {"groups.person": 1}
    assert person.history.first().history_change_reason.startswith("retention")
    assert person not in selectors.persons_for(world.users[Role.ANALYST])

    # Not yet past the purge period.
    run_retention(today=TODAY + timedelta(days=80))
    assert Person.unscoped_all_sites.filter(pk=person.pk).exists()

    # Purged: the person, its memberships, and the history of both; the involvement is anonymised.
    result = run_retention(today=TODAY + timedelta(days=90))
    assert not Person.unscoped_all_sites.filter(pk=person.pk).exists()
    assert not Person.history.filter(id=person.pk).exists()
    assert not GroupMembership.unscoped_all_sites.filter(pk=membership.pk).exists()
    assert not GroupMembership.history.filter(id=membership.pk).exists()
    assert result.purged == {"groups.person": 1, "groups.groupmembership": 1}
    assert result.history_purged >= 4
    involvement.refresh_from_db()
    assert involvement.person_id is None and involvement.group_id is not None
    assert not Involvement.history.filter(id=involvement.pk, person_id=person.pk).exists()


@pytest.mark.django_db
def test_a_reviewed_entry_is_kept_and_reactivated(world, retention_settings):
    from gvi.groups.services import confirm_review

    person = _person(world, TODAY - timedelta(days=40))
    run_retention(today=TODAY)
    person.refresh_from_db()
    assert person.deactivated_at is not None
    confirm_review(world.users[Role.ANALYST], person, person.version, next_review=TODAY + timedelta(days=100))
    run_retention(today=TODAY + timedelta(days=90))
    person.refresh_from_db()
    assert person.deactivated_at is None and person.review_date == TODAY + timedelta(days=100)


@pytest.mark.django_db
def test_removed_entries_keep_history_until_the_purge_period(world, retention_settings):
    from gvi.access.services import remove_record

    person = _person(world, TODAY + timedelta(days=365))
    person_id = person.pk
    remove_record(world.users[Role.ANALYST], person, person.version)
    assert Person.history.filter(id=person_id, history_type="-").exists()
    run_retention(today=timezone.localdate() + timedelta(days=30))
    assert Person.history.filter(id=person_id).exists()
    run_retention(today=timezone.localdate() + timedelta(days=61))
    assert not Person.history.filter(id=person_id).exists()


@pytest.mark.django_db
def test_purge_command_reports_counts_not_content(world, retention_settings, capsys):
    _person(world, TODAY - timedelta(days=200))
    call_command("gvi_purge", "--today", (TODAY - timedelta(days=150)).isoformat())  # deactivates only
    call_command("gvi_purge", "--today", TODAY.isoformat())
    out = capsys.readouterr().out
    assert "groups.person 1" in out and "KÄNSLIG" not in out and "Person T-" not in out
    run = RetentionRun.objects.first()
    assert run.purged == {"groups.person": 1} and run.triggered_by == "command"
