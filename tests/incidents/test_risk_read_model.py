"""The risk read model: pages read what the worker stored, per access scope, and never fit a model; what a
page shows stays what the user's access allows (scopes, revoked disclosures); changes are recomputed by
the worker, debounced."""

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from gvi.access.models import Disclosure
from gvi.access.services import DisclosureRequest, disclose, revoke_disclosure
from gvi.groups.models import Group, GroupRelation
from gvi.incidents import risk
from gvi.incidents.models import Incident, Involvement, RiskSnapshot
from gvi.operations.models import PendingRecomputation
from gvi.operations.worker import run_ready_tasks
from gvi.partnership.models import Organisation, Role
from tests.factories import MembershipFactory, OrganisationFactory, UserFactory, verified_login
from tests.incidents import test_risk
from tests.incidents.test_risk import POLICE, analyst, refresh

scene = test_risk.scene  # the same fixture: a hot and a quiet group at site A, a hot group at site B

pytestmark = [pytest.mark.django_db]
MUNI = Organisation.Type.MUNICIPALITY


def no_fitting(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("a page request fitted the model")

    monkeypatch.setattr(risk.hawkes, "fit_pooled", refuse)
    monkeypatch.setattr(risk, "_site_data", refuse)


def test_pages_read_the_stored_picture_and_never_fit(world, scene, monkeypatch):
    no_fitting(monkeypatch)
    client = verified_login(Client(), analyst(world))
    html = client.get(reverse("risk:overview")).content.decode()
    assert scene["hot"].name in html and "Beräknad " in html
    assert client.get(reverse("groups:group_detail", args=[scene["hot"].pk])).status_code == 200
    assert client.get(reverse("partnership:home")).status_code == 200


def test_each_scope_has_its_own_snapshot(world, scene):
    analyst_scope = risk.risk_scope(analyst(world), world.site_a)
    caseworker_scope = risk.risk_scope(world.users[Role.CASEWORKER], world.site_a)
    assert analyst_scope != caseworker_scope
    stored = set(RiskSnapshot.objects.filter(site=world.site_a).values_list("scope", flat=True))
    assert {analyst_scope, caseworker_scope} <= stored
    # a second analyst of the same organisation shares the analyst's scope and snapshot
    colleague = UserFactory(username="analytiker_2")
    MembershipFactory(
        user=colleague,
        organisation=analyst(world).memberships.get().organisation,
        site=world.site_a,
        role=Role.ANALYST,
    )
    assert risk.risk_scope(colleague, world.site_a) == analyst_scope
    assert [a.key for a in risk.retaliation_risk(colleague).alerts] == [
        a.key for a in risk.retaliation_risk(analyst(world)).alerts
    ]


def test_users_with_the_same_scope_see_the_same_rows(world, scene):
    """The scope digest is sound: equal scopes mean equal visible rows of every model the picture reads."""
    users = [u for u in world.users.values()] + [scene["analyst_b"]]
    seen: dict[str, dict] = {}
    for user in users:
        for site in (world.site_a, world.site_b):
            rows = {
                model._meta.label: set(
                    model.objects.visible_to(user).filter(site=site).values_list("pk", flat=True)
                )
                for model in (Incident, Involvement, Group, GroupRelation)
            }
            scope = risk.risk_scope(user, site)
            assert seen.setdefault(scope, rows) == rows, user


def test_a_new_scope_waits_for_the_worker_and_gets_it(world, scene):
    """An organisation that joined after the last computation: nothing is shown until the worker has
    computed its own picture, which it is asked to do at once."""
    newcomer_org = OrganisationFactory(type=MUNI)
    newcomer_org.sites.add(world.site_a)
    newcomer = UserFactory(username="ny_analytiker")
    MembershipFactory(user=newcomer, organisation=newcomer_org, site=world.site_a, role=Role.ANALYST)
    picture = risk.retaliation_risk(newcomer)
    assert picture.pending and not picture.alerts and picture.site == world.site_a
    assert PendingRecomputation.objects.filter(kind="risk", site=world.site_a).exists()
    assert run_ready_tasks() == ["SUCCESSFUL"]
    picture = risk.retaliation_risk(newcomer)
    assert not picture.pending and picture.enough_data and picture.computed_at


def test_a_revoked_disclosure_is_never_shown_from_a_stored_picture(world, scene):
    police_analyst = analyst(world)
    caseworker = world.users[Role.CASEWORKER]
    named = Involvement.unscoped_all_sites.filter(
        site=world.site_a, person__isnull=False, owner=world.orgs[("a", POLICE)]
    ).first()
    assert named is not None
    before = risk.retaliation_risk(caseworker).n_events
    disclosure = disclose(
        police_analyst,
        named,
        DisclosureRequest(
            to_organisation_id=world.orgs[("a", MUNI)].pk,
            legal_ground=Disclosure.LegalGround.OSL_10_2,
            purpose="samverkan",
            expires_at=timezone.now() + timedelta(days=30),
        ),
    )
    assert risk.retaliation_risk(caseworker).pending  # the stored picture did not rest on it
    refresh(world)
    assert risk.retaliation_risk(caseworker).n_events == before + 1
    revoke_disclosure(police_analyst, disclosure)
    after = risk.retaliation_risk(caseworker)
    assert after.pending and not after.alerts and after.n_events == 0
    refresh(world)
    assert risk.retaliation_risk(caseworker).n_events == before


def test_a_change_marks_the_picture_stale_and_the_worker_recomputes_it_once(world, scene, settings):
    from gvi.incidents.services import register_incident

    settings.GVI_RECOMPUTE_DEBOUNCE_SECONDS = 0
    computed = risk.retaliation_risk(analyst(world)).computed_at
    for _ in range(3):  # a burst of changes: one recomputation
        register_incident(analyst(world), {"type": "shooting", "occurred_at": computed, "area": "Centrum"})
    assert PendingRecomputation.objects.filter(kind="risk", site=world.site_a).get().generation == 3
    assert risk.retaliation_risk(analyst(world)).stale
    assert run_ready_tasks() == ["SUCCESSFUL"]
    assert not PendingRecomputation.objects.exists()
    picture = risk.retaliation_risk(analyst(world))
    assert not picture.stale and picture.computed_at >= computed
