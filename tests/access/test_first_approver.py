"""A new organisation's first approver (issue 21, finding 1): nobody in it can approve its first
coordinator, so an operator does it once at the shell (`gvi approve-first-member`), logged with their words;
refused as soon as the organisation has an approved membership that approves grants."""

from io import StringIO

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import CommandError, call_command

from gvi.access.models import AccessLog
from gvi.access.services import Operator, approve_first_member
from gvi.partnership.models import Membership, Organisation, Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory


def pending(organisation, site, role=Role.COORDINATOR, **extra):
    return MembershipFactory(
        user=UserFactory(), organisation=organisation, site=site, role=role, approved_at=None, **extra
    )


def new_organisation(world):
    organisation = OrganisationFactory(name="Nya kommunen", type=Organisation.Type.MUNICIPALITY)
    organisation.sites.add(world.site_a)
    return organisation


def approve(membership_id, by="Eva Ek, beslut KS 2026-12-01"):
    out = StringIO()
    call_command("gvi_approve_first_member", "--membership", str(membership_id), "--by", by, stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_first_coordinator_of_a_new_organisation_is_approved_at_the_shell_and_logged(world):
    organisation = new_organisation(world)
    first = pending(organisation, world.site_a)
    assert "first approver" in approve(first.pk)
    first.refresh_from_db()
    assert first.approved_at is not None and not first.is_pending
    assert Membership.objects.active().filter(pk=first.pk).exists()
    entry = AccessLog.objects.get(
        record_type="partnership.membership", record_id=str(first.pk), action=AccessLog.Action.APPROVE
    )
    assert entry.username == "shell: Eva Ek, beslut KS 2026-12-01"
    assert "kommandoraden" in entry.purpose


@pytest.mark.django_db
def test_a_second_first_approver_is_refused_once_the_organisation_has_one(world):
    organisation = new_organisation(world)
    approve(pending(organisation, world.site_a).pk)
    second = pending(organisation, world.site_a)
    with pytest.raises(CommandError, match="redan"):
        approve(second.pk)
    second.refresh_from_db()
    assert second.is_pending
    # The world's municipality at site A has its coordinator already.
    municipality = world.orgs[("a", Organisation.Type.MUNICIPALITY)]
    late = pending(municipality, world.site_a)
    with pytest.raises(ValidationError):
        approve_first_member(Operator("Eva Ek, test"), late)
    late.refresh_from_db()
    assert late.is_pending


@pytest.mark.django_db
def test_only_an_approving_membership_can_be_the_first_and_only_from_the_shell(world):
    organisation = new_organisation(world)
    analyst = pending(organisation, world.site_a, role=Role.ANALYST)
    with pytest.raises(CommandError, match="samordnare"):
        approve(analyst.pk)
    analyst.refresh_from_db()
    assert analyst.is_pending
    # A data-protection role counts as an approver too.
    data_protection = pending(organisation, world.site_a, role=Role.STEERING_MEMBER, approves_access=True)
    approve(data_protection.pk)
    data_protection.refresh_from_db()
    assert not data_protection.is_pending
    # From then on its own people approve; an account in the web cannot use the shell's path.
    other = pending(organisation, world.site_a)
    with pytest.raises(PermissionDenied, match="kommandoraden"):
        approve_first_member(world.users[Role.ADMINISTRATOR], other)
    with pytest.raises(CommandError):
        approve(999999)
    assert not AccessLog.objects.filter(record_id=str(analyst.pk), action=AccessLog.Action.APPROVE).exists()
