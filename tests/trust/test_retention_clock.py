"""Retention with a controlled clock: nothing past its purge date survives, history tables included.

The documented rule (README "Retention"): an entry whose review date has passed is flagged; after the grace
period (GVI_REVIEW_GRACE_DAYS) it is deactivated; after a further GVI_PURGE_AFTER_DAYS it is purged together
with its history and what hangs on it. So an entry reviewed by day R (never confirmed) must be gone, with
every history row, by day R + grace + purge + 2 (the two strict "<" comparisons of the engine).

Properties:
1. daily clock (the built-in scheduler runs daily): on every day, nothing past its purge date survives and
   nothing before its deactivation date is touched;
2. any clock, random entries (Hypothesis): whatever a run deletes leaves no trace in any history table —
   neither its own history rows nor a reference from another record's history;
3. a sparse clock (server down, weekly cron, first run after a restore): nothing past its purge date
   survives the next run either. (Fails today: BUG-RETENTION-1.)
"""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.apps import apps
from django.contrib.contenttypes.models import ContentType
from django.db import transaction
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from gvi.access.models import CompartmentedRecord, Disclosure, RetainedRecord
from gvi.access.retention import run_retention
from gvi.groups.models import GroupMembership, GroupRelation, Person
from gvi.partnership.models import Role
from gvi.support.models import SupportCase
from tests.communication.factories import CallInFactory, InvitationFactory, NotificationFactory
from tests.factories import (
    GroupFactory,
    GroupMembershipFactory,
    GroupRelationFactory,
    IncidentFactory,
    InvolvementFactory,
    MembershipFactory,
    OrganisationFactory,
    PersonFactory,
    SiteFactory,
)
from tests.support.factories import (
    ContactFactory,
    NeedAssessmentFactory,
    PlanItemFactory,
    SupportCaseFactory,
    SupportFactDisclosureFactory,
)
from tests.trust.budget import examples, hypothesis_settings, record_stat

START = date(2026, 3, 2)
GRACE, PURGE = 5, 7
SLACK = 2  # review_date < today - grace, then deactivated_at < start(today) - purge


@pytest.fixture(autouse=True)
def short_periods(settings):
    settings.GVI_REVIEW_GRACE_DAYS = GRACE
    settings.GVI_PURGE_AFTER_DAYS = PURGE


def purge_date(review: date) -> date:
    return review + timedelta(days=GRACE + PURGE + SLACK)


def deactivation_date(review: date) -> date:
    return review + timedelta(days=GRACE + 1)


class Scene:
    """A site with retained entries of every kind and the records hanging on them, with edited history."""

    def __init__(self):
        self.site = SiteFactory(name="Gallringsort", slug="gallring")
        self.police = OrganisationFactory(name="Polisen Gallring")
        self.social = OrganisationFactory(name="Socialtjänsten Gallring")
        self.caseworker = MembershipFactory(
            organisation=self.social, site=self.site, role=Role.CASEWORKER
        ).user
        self.retained: list[RetainedRecord] = []

    def kw(self, owner=None):
        return {"site": self.site, "owner": owner or self.police}

    def _edited(self, record):
        record.notes = "ändrad en gång"
        record.save()  # a second history row
        return record

    def person(self, review: date) -> Person:
        kw = self.kw()
        person = self._edited(PersonFactory(review_date=review, notes="KÄNSLIG", **kw))
        self.retained.append(person)
        group = GroupFactory(**kw)
        # Not in `retained`: it goes with the person (cascade), whatever its own review date.
        GroupMembershipFactory(person=person, group=group, review_date=review + timedelta(400), **kw)
        InvolvementFactory(incident=IncidentFactory(**kw), group=group, person=person, **kw)
        InvitationFactory(call_in=CallInFactory(**kw), person=person, **kw)
        first = NotificationFactory(person=person, **kw)
        NotificationFactory(person=person, repeat_of=first, **kw)
        case = SupportCaseFactory(person=person, review_date=review + timedelta(400), **self.kw(self.social))
        self.retained.append(case)
        Disclosure.objects.create(
            from_organisation=self.police,
            to_organisation=self.social,
            content_type=ContentType.objects.get_for_model(Person),
            object_id=person.pk,
            legal_ground=Disclosure.LegalGround.OSL_10_2,
            purpose="Samordning",
            decided_by=self.caseworker,
            expires_at=datetime(2100, 1, 1, tzinfo=UTC),  # ends after every clock in here
        )
        return person

    def membership(self, review: date) -> GroupMembership:
        kw = self.kw()
        person = PersonFactory(review_date=review + timedelta(400), **kw)
        self.retained.append(person)
        membership = GroupMembershipFactory(person=person, group=GroupFactory(**kw), review_date=review, **kw)
        membership.evidence_note = "ändrat underlag"
        membership.save()
        self.retained.append(membership)
        return membership

    def relation(self, review: date) -> GroupRelation:
        kw = self.kw()
        relation = GroupRelationFactory(
            group_a=GroupFactory(**kw), group_b=GroupFactory(**kw), review_date=review, **kw
        )
        InvolvementFactory(incident=IncidentFactory(**kw), group=relation.group_a, relation=relation, **kw)
        self.retained.append(relation)
        return relation

    def support_case(self, review: date) -> SupportCase:
        kw = self.kw(self.social)
        case = self._edited(SupportCaseFactory(review_date=review, **kw))
        NeedAssessmentFactory(case=case)
        PlanItemFactory(case=case)
        ContactFactory(case=case)
        SupportFactDisclosureFactory(case=case, to_organisation=self.police, decided_by=self.caseworker)
        self.retained.append(case)
        return case

    def add(self, kind: str, review: date):
        return getattr(self, kind)(review)


KINDS = ["person", "membership", "relation", "support_case"]


def compartmented_models():
    return [m for m in apps.get_models() if issubclass(m, CompartmentedRecord)]


def existing() -> dict:
    return {model: set(model._base_manager.values_list("pk", flat=True)) for model in compartmented_models()}


def traces_of(deleted: dict) -> list[str]:
    """History rows that still name a deleted record: its own history, or a reference from another history."""
    found = []
    deleted = {model: ids for model, ids in deleted.items() if ids}
    for model in apps.get_models():
        base = getattr(model, "instance_type", None)
        if base is None or not model.__name__.startswith("Historical"):
            continue
        if base in deleted:
            count = model._default_manager.filter(id__in=deleted[base]).count()
            if count:
                found.append(f"{model.__name__}: {count} row(s) of purged {base.__name__} records")
        for field in model._meta.fields:
            target = getattr(field, "related_model", None)
            if field.is_relation and target in deleted and field.name != "history_user":
                count = model._default_manager.filter(**{f"{field.attname}__in": deleted[target]}).count()
                if count:
                    found.append(
                        f"{model.__name__}.{field.attname}: {count} reference(s) to purged {target.__name__}"
                    )
    return found


def disclosures_of(deleted: dict) -> int:
    """Disclosure rows about purged records (kept as the record of the act; reported, not asserted)."""
    total = 0
    for model, ids in deleted.items():
        if ids:
            content_type = ContentType.objects.get_for_model(model)
            total += Disclosure.objects.filter(content_type=content_type, object_id__in=ids).count()
    return total


def survivors_past_purge(scene: Scene, today: date) -> list[str]:
    late = []
    for record in scene.retained:
        model = type(record)
        current = model._base_manager.filter(pk=record.pk).values_list("review_date", flat=True).first()
        if current is not None and purge_date(current) <= today:
            late.append(
                f"{model._meta.label_lower} #{record.pk} (review {current}, purge date {purge_date(current)})"
            )
    return late


def touched_too_early(scene: Scene, today: date) -> list[str]:
    early = []
    for record in scene.retained:
        model = type(record)
        row = model._base_manager.filter(pk=record.pk).values("review_date", "deactivated_at").first()
        if row is None:
            if today < deactivation_date(record.review_date):
                early.append(f"{model._meta.label_lower} #{record.pk} purged before it was even due")
        elif row["deactivated_at"] is not None and today < deactivation_date(row["review_date"]):
            early.append(f"{model._meta.label_lower} #{record.pk} deactivated before its grace period ended")
    return early


# ----- 1. the daily clock -----


@pytest.mark.django_db
def test_daily_clock_purges_everything_on_time_with_its_history():
    scene = Scene()
    reviews = [START + timedelta(days=offset) for offset in (-30, -13, -5, 0, 3, 9)]
    for number, review in enumerate(reviews):
        scene.add(KINDS[number % len(KINDS)], review)
        scene.add(KINDS[(number + 1) % len(KINDS)], review)
    before = existing()
    live = {Person: {record.pk for record in scene.retained if isinstance(record, Person)}}
    assert traces_of(live), "the trace finder must see the history of live records (sanity)"
    day = min(reviews) - timedelta(days=1)  # the scheduler was running before anything fell due
    end = max(reviews) + timedelta(days=GRACE + PURGE + SLACK + 1)
    runs = 0
    while day <= end:
        run_retention(today=day)
        runs += 1
        assert not survivors_past_purge(scene, day), (day, survivors_past_purge(scene, day))
        assert not touched_too_early(scene, day), (day, touched_too_early(scene, day))
        day += timedelta(days=1)
    after = existing()
    deleted = {model: before[model] - after[model] for model in before}
    assert sum(len(ids) for ids in deleted.values()) > 0
    assert not traces_of(deleted), traces_of(deleted)
    record_stat("retention_daily", runs=runs, deleted=sum(len(ids) for ids in deleted.values()))


# ----- 2. any clock: whatever is deleted leaves no trace -----

entry = st.tuples(st.sampled_from(KINDS), st.integers(-60, 20))
clock = st.lists(st.integers(0, 90), min_size=1, max_size=4).map(sorted)


@pytest.mark.django_db
def test_whatever_a_run_deletes_leaves_no_trace_in_history():
    seen = {"examples": 0, "deleted": 0, "disclosures_kept": 0}

    @settings(
        max_examples=examples(12),
        **hypothesis_settings(),
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(entries=st.lists(entry, min_size=1, max_size=5), runs=clock)
    @example(
        entries=[("person", -60), ("support_case", -60), ("relation", -60), ("membership", -60)],
        runs=[0, 30, 90],
    )
    def check(entries, runs):
        with transaction.atomic():
            try:
                scene = Scene()
                for kind, offset in entries:
                    scene.add(kind, START + timedelta(days=offset))
                before = existing()
                for offset in runs:
                    today = START + timedelta(days=offset)
                    run_retention(today=today)
                    assert not touched_too_early(scene, today), touched_too_early(scene, today)
                after = existing()
                deleted = {model: before[model] - after[model] for model in before}
                assert not traces_of(deleted), traces_of(deleted)
                seen["examples"] += 1
                seen["deleted"] += sum(len(ids) for ids in deleted.values())
                seen["disclosures_kept"] += disclosures_of(deleted)
            finally:
                transaction.set_rollback(True)

    check()
    record_stat("hypothesis_retention", **seen)
    assert seen["deleted"] > 0


# ----- 3. a sparse clock -----


@pytest.mark.django_db
def test_a_late_run_purges_what_is_past_its_purge_date():
    scene = Scene()
    for kind in KINDS:
        scene.add(kind, START)
    late = purge_date(START) + timedelta(days=20)  # e.g. the first run after three weeks without one
    run_retention(today=late)
    assert not survivors_past_purge(scene, late), survivors_past_purge(scene, late)
