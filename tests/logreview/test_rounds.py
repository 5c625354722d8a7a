"""Follow-up rounds: a random, stored sample and the flags of a period; a note and a sign-off; signed rounds
are immutable and kept; CSV and PDF exports; every act is in the access-log chain."""

import csv
import io
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse

from gvi.access.audit import verify_chain
from gvi.access.models import AccessLog
from gvi.access.services import append_log_entry
from gvi.logreview import exports
from gvi.logreview.flags import AFTER_HOURS, MANY_PERSONS
from gvi.logreview.models import FollowUpRound, SignedRoundError
from gvi.logreview.services import begin_round, sign_off
from gvi.partnership.models import Organisation, Role
from tests.factories import PersonFactory, verified_login

DPO = Role.DATA_PROTECTION_OFFICER
STHLM = ZoneInfo("Europe/Stockholm")
POLICE = Organisation.Type.POLICE


def _reads_in_february(world, count=25, night=False):
    """`count` reads of distinct police persons by the police analyst on 2026-02-10 (a Tuesday)."""
    police = world.orgs[("a", POLICE)]
    analyst = world.users[Role.ANALYST]
    membership = analyst.memberships.active().first()
    start = datetime(2026, 2, 10, 23 if night else 10, 0, tzinfo=STHLM)
    rows = []
    for n in range(count):
        person = PersonFactory(site=world.site_a, owner=police)
        with time_machine.travel(start + timedelta(minutes=n), tick=False):
            rows.append(append_log_entry(analyst, person, AccessLog.Action.VIEW, "", membership))
    return rows


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=STHLM), tick=False)
def test_a_round_stores_its_sample_and_flags_and_is_logged(world):
    rows = _reads_in_february(world, night=True)
    police = world.orgs[("a", POLICE)]
    followup = begin_round(world.users[DPO], police, date(2026, 2, 1), date(2026, 2, 28), sample_size=10)
    assert followup.read_count == 25
    assert len(followup.sample_seqs) == 10
    assert set(followup.sample_seqs) <= {row.seq for row in rows}
    kinds = {flag["kind"] for flag in followup.flags}
    assert {MANY_PERSONS, AFTER_HOURS} <= kinds
    stored = FollowUpRound.objects.get(pk=followup.pk)
    assert stored.sample_seqs == followup.sample_seqs  # the same rows every time the round is shown
    entry = AccessLog.objects.order_by("-seq").first()
    assert (entry.action, entry.record_type, entry.record_id, entry.role) == (
        AccessLog.Action.FOLLOWUP,
        "logreview.followupround",
        str(followup.pk),
        DPO,
    )
    assert entry.organisation_id_logged == police.pk


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=STHLM), tick=False)
def test_reads_outside_the_period_are_not_in_the_round(world):
    _reads_in_february(world, count=3)
    police = world.orgs[("a", POLICE)]
    followup = begin_round(world.users[DPO], police, date(2026, 1, 1), date(2026, 1, 31))
    assert (followup.read_count, followup.sample_seqs, followup.flags) == (0, [], [])


@pytest.mark.django_db
def test_only_the_organisations_officer_begins_a_round(world):
    with pytest.raises(PermissionDenied):
        begin_round(
            world.users[DPO],
            world.orgs[("a", Organisation.Type.MUNICIPALITY)],
            date(2026, 1, 1),
            date(2026, 1, 31),
        )
    with pytest.raises(PermissionDenied):
        begin_round(
            world.users[Role.ADMINISTRATOR], world.orgs[("a", POLICE)], date(2026, 1, 1), date(2026, 1, 31)
        )
    with pytest.raises(ValidationError):
        begin_round(world.users[DPO], world.orgs[("a", POLICE)], date(2026, 2, 1), date(2026, 1, 31))


@pytest.mark.django_db
def test_sign_off_needs_a_note_then_the_round_is_immutable_and_kept(world):
    followup = world.records[("followupround", "a", POLICE)]
    with pytest.raises(ValidationError):
        sign_off(world.users[DPO], followup, "  ")
    signed = sign_off(world.users[DPO], followup, "Stickprovet granskat; två flaggor förklarade.")
    assert signed.is_signed and signed.signed_by == world.users[DPO]
    assert AccessLog.objects.order_by("-seq").first().action == AccessLog.Action.SIGNOFF
    with pytest.raises(ValidationError):
        sign_off(world.users[DPO], signed, "En gång till")
    signed.note = "Ändrad i efterhand"
    with pytest.raises(SignedRoundError):
        signed.save()
    with pytest.raises(SignedRoundError):
        signed.delete()
    assert FollowUpRound.objects.get(pk=signed.pk).note == "Stickprovet granskat; två flaggor förklarade."
    assert verify_chain().ok


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=STHLM), tick=False)
def test_exports_hold_facts_flags_and_sample_and_are_logged(world):
    rows = _reads_in_february(world, night=True)
    police = world.orgs[("a", POLICE)]
    followup = begin_round(world.users[DPO], police, date(2026, 2, 1), date(2026, 2, 28), sample_size=3)
    body = exports.round_csv(world.users[DPO], followup)
    assert body.startswith("\ufeff")
    table = list(csv.reader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    assert ["Organisation", police.name] in table
    assert ["Period", "2026-02-01 – 2026-02-28"] in table
    sampled = {line[0] for line in table if line and line[0].isdigit()}
    assert sampled == {str(seq) for seq in followup.sample_seqs}
    assert any("Läsning utanför kontorstid" in line[0] for line in table if line)
    assert AccessLog.objects.order_by("-seq").first().action == AccessLog.Action.EXPORT
    pdf = exports.round_pdf(world.users[DPO], followup, compress=False, invariant=True)
    assert pdf.startswith(b"%PDF")
    assert b"Logguppf" in pdf and b"Stickprov" in pdf
    assert rows  # the period had reads


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=STHLM), tick=False)
def test_monthly_follow_up_through_the_pages(world):
    _reads_in_february(world, count=3)
    client = verified_login(Client(), world.users[DPO])
    home = client.get(reverse("partnership:home"))
    assert home.context["last_month_signed"] is False
    assert "Förra månadens uppföljning (2026-02-01 – 2026-02-28) är inte signerad." in home.content.decode()
    form = client.get(reverse("logreview:round_create")).context["form"]
    assert (form.initial["period_start"], form.initial["period_end"]) == (date(2026, 2, 1), date(2026, 2, 28))
    response = client.post(
        reverse("logreview:round_create"),
        {
            "organisation": world.orgs[("a", POLICE)].pk,
            "period_start": "2026-02-01",
            "period_end": "2026-02-28",
        },
    )
    followup = FollowUpRound.objects.order_by("-pk").first()
    assert response.status_code == 302 and response.url == reverse(
        "logreview:round_detail", args=[followup.pk]
    )
    detail = client.get(response.url)
    assert len(detail.context["sample"]) == 3
    refused = client.post(reverse("logreview:round_signoff", args=[followup.pk]), {"note": ""})
    assert refused.status_code == 200 and refused.context["form"].errors["note"]
    signed = client.post(
        reverse("logreview:round_signoff", args=[followup.pk]), {"note": "Inget att anmärka."}
    )
    assert signed.status_code == 302
    assert client.get(reverse("partnership:home")).context["last_month_signed"] is True
    assert client.get(reverse("logreview:round_csv", args=[followup.pk]))["Content-Type"].startswith(
        "text/csv"
    )
    assert client.get(reverse("logreview:round_pdf", args=[followup.pk]))["Content-Type"] == "application/pdf"


@pytest.mark.django_db
@time_machine.travel(datetime(2026, 3, 2, 9, 0, tzinfo=STHLM), tick=False)
def test_round_flags_reads_near_a_disclosures_end_and_reads_without_a_task(world):
    from django.contrib.contenttypes.models import ContentType

    from gvi.access.models import Disclosure
    from gvi.logreview.flags import NEAR_EXPIRY, NO_TASK
    from tests.factories import GroupMembershipFactory
    from tests.partnership.factories import TaskFactory

    police, muni = world.orgs[("a", POLICE)], world.orgs[("a", Organisation.Type.MUNICIPALITY)]
    person = PersonFactory(site=world.site_a, owner=police)
    read_at = datetime(2026, 2, 20, 10, 0, tzinfo=STHLM)
    Disclosure.objects.create(
        from_organisation=police,
        to_organisation=muni,
        content_type=ContentType.objects.get_for_model(person),
        object_id=person.pk,
        site=world.site_a,
        legal_ground=Disclosure.LegalGround.OSL_10_18A,
        purpose="Test",
        decided_by=world.users[Role.ANALYST],
        decided_at=read_at - timedelta(days=30),
        expires_at=read_at + timedelta(days=3),
    )
    caseworker, analyst = world.users[Role.CASEWORKER], world.users[Role.ANALYST]
    membership = GroupMembershipFactory(
        person=PersonFactory(site=world.site_a, owner=police), site=world.site_a, owner=police
    )
    covered = GroupMembershipFactory(
        person=PersonFactory(site=world.site_a, owner=police), site=world.site_a, owner=police
    )
    with time_machine.travel(read_at - timedelta(days=5), tick=False):
        TaskFactory(
            site=world.site_a,
            owner=police,
            responsible=analyst,
            group=covered.group,
            decision__meeting__site=world.site_a,
        )
    with time_machine.travel(read_at, tick=False):
        near = append_log_entry(caseworker, person, AccessLog.Action.VIEW, "", caseworker.memberships.first())
        untasked = append_log_entry(
            analyst, membership, AccessLog.Action.VIEW, "", analyst.memberships.first()
        )
        tasked = append_log_entry(analyst, covered, AccessLog.Action.VIEW, "", analyst.memberships.first())
    followup = begin_round(world.users[DPO], police, date(2026, 2, 1), date(2026, 2, 28))
    by_kind = {}
    for flag in followup.flags:
        by_kind.setdefault(flag["kind"], set()).update(flag["seqs"])
    assert by_kind[NEAR_EXPIRY] == {near.seq}
    assert untasked.seq in by_kind[NO_TASK]
    assert tasked.seq not in by_kind[NO_TASK]
