"""The network pages: built only from what the user may see, accessible, and never a logged person read."""

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.template.loader import render_to_string
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from gvi.access.models import AccessLog, Disclosure
from gvi.groups.models import GroupMembership, GroupRelation, Person
from gvi.groups.network import group_network_metrics, recompute_site
from gvi.partnership.models import Organisation, Role
from tests.factories import (
    GroupFactory,
    GroupMembershipFactory,
    GroupRelationFactory,
    MembershipFactory,
    PersonFactory,
    SiteFactory,
    build_world,
    verified_login,
)

pytestmark = [pytest.mark.django_db]


@pytest.fixture(scope="module")
def shared_world_builder():
    """The shared world without its default relations: these tests draw their own."""
    return lambda: build_world(with_relations=False)


POLICE, MUNI, PROB, COMM = (
    Organisation.Type.POLICE,
    Organisation.Type.MUNICIPALITY,
    Organisation.Type.PROBATION,
    Organisation.Type.COMMUNITY,
)
SITE_URL = "/kartlaggning/natverk/"


def client_for(world, role=Role.ANALYST):
    return verified_login(Client(), world.users[role])


def group(world, slug, org_type):
    return world.records[("group", slug, org_type)]


def relate(world, a, b, type_=GroupRelation.Type.CONFLICT, intensity=3, owner=POLICE, **extra):
    site = world.site_a if a.site_id == world.site_a.pk else world.site_b
    slug = "a" if site == world.site_a else "b"
    return GroupRelationFactory(
        site=site,
        owner=world.orgs[(slug, owner)],
        group_a=a,
        group_b=b,
        type=type_,
        intensity=intensity,
        **extra,
    )


@pytest.fixture
def related(world):
    """Site A: police group in conflict with municipality group (4), which is allied with probation's (2).
    Site B: a conflict the site-A users must never see. A deactivated relation is left out."""
    ga, gb, gc, gd = (group(world, "a", t) for t in (POLICE, MUNI, PROB, COMM))
    conflict = relate(world, ga, gb, intensity=4)
    alliance = relate(world, gb, gc, GroupRelation.Type.ALLIANCE, intensity=2, owner=MUNI)
    relate(world, ga, gd, intensity=5, deactivated_at=timezone.now())
    relate(world, group(world, "b", POLICE), group(world, "b", MUNI), intensity=5)
    refresh(world)
    return {"groups": (ga, gb, gc, gd), "relations": (conflict, alliance)}


def refresh(world):
    """What the worker does after the changes: measure both sites' networks."""
    recompute_site(world.site_a)
    recompute_site(world.site_b)


def node_keys(html):
    return set(re.findall(r'data-node="(g\d+|p\d+)"', html))


def radius(html, key):
    match = re.search(rf'data-node="{key}".*?<circle class="dot"[^>]*\br="([\d.]+)"', html, re.S)
    return float(match.group(1))


# -- the site network -----------------------------------------------------------------------------------


def test_routes_resolve_to_the_agreed_paths(world):
    assert reverse("network:site_network") == SITE_URL
    assert reverse("network:group_network", args=[7]) == "/grupper/7/natverk/"


def test_analyst_sees_the_sites_groups_and_not_the_other_sites(world, related):
    response = client_for(world).get(SITE_URL)
    assert response.status_code == 200
    html = response.content.decode()
    site_a = {f"g{group(world, 'a', t).pk}" for t in (POLICE, MUNI, PROB, COMM)}
    site_b = {f"g{group(world, 'b', t).pk}" for t in (POLICE, MUNI, PROB, COMM)}
    assert node_keys(html) == site_a
    for t in (POLICE, MUNI, PROB, COMM):
        assert group(world, "a", t).name in html
        assert f"/grupper/{group(world, 'b', t).pk}/" not in html
    assert not site_b & node_keys(html)
    assert "Ort B" not in html


@pytest.mark.parametrize("role", [Role.COORDINATOR, Role.CASEWORKER, Role.PROBATION_OFFICER])
def test_every_group_reader_gets_the_same_site_wide_network(world, related, role):
    html = client_for(world, role).get(SITE_URL).content.decode()
    assert len(node_keys(html)) == 4
    assert html.count('<line class="edge edge-') == 2 + 3  # two relations + three legend swatches


@pytest.mark.parametrize(
    "role", [Role.COMMUNITY_PARTNER, Role.STEERING_MEMBER, Role.NATIONAL_ANALYST, Role.ADMINISTRATOR]
)
def test_roles_without_group_access_get_403(world, related, role):
    client = client_for(world, role)
    assert client.get(SITE_URL).status_code == 403
    own = group(world, "a", POLICE)
    assert client.get(reverse("network:group_network", args=[own.pk])).status_code == 403


def test_anonymous_is_redirected_to_login(world):
    for url in (SITE_URL, reverse("network:group_network", args=[group(world, "a", POLICE).pk])):
        response = Client().get(url)
        assert response.status_code == 302
        assert "/konto/logga-in/" in response["Location"]


def test_table_alternative_lists_every_edge(world, related):
    html = client_for(world).get(SITE_URL).content.decode()
    conflict, alliance = related["relations"]
    edges = re.findall(r'<line class="edge edge-(\w+)"[^>]*data-a="(g\d+)" data-b="(g\d+)"', html)
    assert sorted(edges) == sorted(
        [
            ("conflict", f"g{conflict.group_a_id}", f"g{conflict.group_b_id}"),
            ("alliance", f"g{alliance.group_a_id}", f"g{alliance.group_b_id}"),
        ]
    )
    rows = re.findall(r'<tr class="relation relation-(\w+)">(.*?)</tr>', html, re.S)
    assert len(rows) == len(edges) == 2
    cells = {kind: re.findall(r"<td[^>]*>(.*?)</td>", row) for kind, row in rows}
    assert cells["conflict"][:4] == [conflict.group_a.name, conflict.group_b.name, "Konflikt", "4"]
    assert cells["alliance"][:4] == [alliance.group_a.name, alliance.group_b.name, "Allians", "2"]
    # And the metrics table has one row per group.
    metrics = html.split('class="network-metrics"')[1].split("</table>")[0]
    assert metrics.count('<th scope="row">') == 4


def test_conflict_and_alliance_differ_by_more_than_colour(world, related):
    html = client_for(world).get(SITE_URL).content.decode()
    assert "Konflikt (heldragen linje)" in html and "Allians (streckad linje)" in html
    css = Path(__file__).parents[2].joinpath("src/gvi/static/gvi/network.css").read_text()
    alliance_rule = re.search(r"\.edge-alliance \{([^}]*)\}", css).group(1)
    conflict_rule = re.search(r"\.edge-conflict \{([^}]*)\}", css).group(1)
    assert "stroke-dasharray" in alliance_rule and "stroke-dasharray" not in conflict_rule


def test_nodes_are_keyboard_links_with_names_and_the_graph_is_labelled(world, related):
    html = client_for(world).get(SITE_URL).content.decode()
    svg = re.search(r'<svg class="network-graph".*?</svg>', html, re.S).group(0)
    assert 'aria-labelledby="network-title"' in svg and '<title id="network-title">' in svg
    links = re.findall(r'<a class="node[^"]*" href="([^"]+)" data-node="g(\d+)" aria-label="([^"]+)"', svg)
    assert len(links) == 4
    for href, pk, label in links:
        assert href == reverse("groups:group_detail", args=[pk])
        assert label
    assert svg.count("<title>") == 4 + 2  # every node and every edge has a title
    assert "style=" not in svg and " onclick" not in svg


def test_script_and_stylesheet_are_local_and_nonced(world, related):
    response = client_for(world).get(SITE_URL)
    html = response.content.decode()
    nonce = re.search(r"'nonce-([^']+)'", response.headers["Content-Security-Policy"]).group(1)
    assert re.search(rf'<script src="[^"]*gvi/network\.js" nonce="{re.escape(nonce)}" defer></script>', html)
    assert re.search(r'<link rel="stylesheet" href="[^"]*gvi/network\.css">', html)


def test_node_size_toggle_changes_radii(world, related):
    big, small = group(world, "a", POLICE), group(world, "a", MUNI)
    big.size_max, big.violence_tier = 40, 1
    small.size_max, small.violence_tier = 5, 4
    big.save()
    small.save()
    client = client_for(world)
    by_size = client.get(SITE_URL, {"storlek": "storlek"}).content.decode()
    by_tier = client.get(SITE_URL, {"storlek": "vald"}).content.decode()
    default = client.get(SITE_URL).content.decode()
    bogus = client.get(SITE_URL, {"storlek": "<script>"}).content.decode()
    assert radius(by_size, f"g{big.pk}") > radius(by_size, f"g{small.pk}")
    assert radius(by_tier, f"g{big.pk}") < radius(by_tier, f"g{small.pk}")
    assert radius(default, f"g{big.pk}") == radius(by_size, f"g{big.pk}")
    assert radius(bogus, f"g{small.pk}") == radius(by_size, f"g{small.pk}")
    assert 'value="vald" checked' in by_tier and 'value="storlek" checked' in by_size
    # A group of unknown size gets the smallest circle.
    unknown = group(world, "a", PROB)
    assert radius(by_size, f"g{unknown.pk}") == 8


def test_coordinates_are_not_localised(world, related, settings):
    html = client_for(world).get(SITE_URL, HTTP_ACCEPT_LANGUAGE="sv").content.decode()
    svg = re.search(r'<svg class="network-graph".*?</svg>', html, re.S).group(0)
    assert not re.search(r'\b(cx|cy|r|x1|y1|x2|y2|stroke-width)="\d+,\d+"', svg)


def test_ranking_and_exposure_on_the_page(world, related):
    html = client_for(world).get(SITE_URL).content.decode()
    ranking = html.split('<ol class="ranking">')[1].split("</ol>")[0]
    ga, gb = related["groups"][:2]
    assert ranking.index(gb.name) < ranking.index(ga.name)  # same conflict; gb sits between ga and its ally
    assert "100 % av platsens konfliktintensitet" in ranking


def test_site_without_groups_shows_an_empty_state(world):
    lonely = MembershipFactory(site=SiteFactory(name="Ort C", slug="c"), role=Role.ANALYST).user
    html = verified_login(Client(), lonely).get(SITE_URL).content.decode()
    assert "Inga grupper att visa." in html and '<svg class="network-graph"' not in html


def test_user_at_two_sites_chooses_the_site(world, related):
    user = world.users[Role.ANALYST]
    MembershipFactory(user=user, organisation=world.orgs[("b", POLICE)], site=world.site_b)
    client = client_for(world)
    first = client.get(SITE_URL).content.decode()
    second = client.get(SITE_URL, {"plats": "b"}).content.decode()
    assert node_keys(first) == {f"g{group(world, 'a', t).pk}" for t in (POLICE, MUNI, PROB, COMM)}
    assert node_keys(second) == {f"g{group(world, 'b', t).pk}" for t in (POLICE, MUNI, PROB, COMM)}
    assert 'name="plats"' in first


def test_no_n_plus_one_queries(world, related):
    client = client_for(world)
    client.get(SITE_URL)
    with CaptureQueriesContext(connection) as few:
        client.get(SITE_URL)
    ga = group(world, "a", POLICE)
    for _ in range(8):
        extra = GroupFactory(site=world.site_a, owner=world.orgs[("a", POLICE)])
        relate(world, ga, extra, intensity=1)
    refresh(world)
    with CaptureQueriesContext(connection) as many:
        client.get(SITE_URL)
    assert len(many) == len(few)


def test_pages_write_no_access_log(world, related):
    client = client_for(world)
    client.get(SITE_URL)
    client.get(reverse("network:group_network", args=[group(world, "a", POLICE).pk]))
    assert not AccessLog.objects.exists()


# -- one group's member network -------------------------------------------------------------------------


@pytest.fixture
def members(world):
    """Members of site A's police group, seen from the police analyst:
    - the world's police-owned member (visible), plus a second police member also in the municipality group;
    - a municipality-owned member (not visible), and one disclosed to the police (visible);
    - a police-owned membership of a municipality-owned person (membership visible, person not: hidden);
    - an ended membership (hidden)."""
    site, police, muni = world.site_a, world.orgs[("a", POLICE)], world.orgs[("a", MUNI)]
    focus, other = group(world, "a", POLICE), group(world, "a", MUNI)
    own_kw, muni_kw = {"site": site, "owner": police}, {"site": site, "owner": muni}
    bridge = PersonFactory(alias="Brobyggare", **own_kw)
    GroupMembershipFactory(person=bridge, group=focus, role=GroupMembership.Role.ASSOCIATE, **own_kw)
    GroupMembershipFactory(person=bridge, group=other, **own_kw)
    GroupMembershipFactory(person=PersonFactory(alias="Dold kommun", **muni_kw), group=focus, **muni_kw)
    shared = PersonFactory(alias="Utlamnad medlem", **muni_kw)
    shared_membership = GroupMembershipFactory(person=shared, group=focus, **muni_kw)
    for record in (shared, shared_membership):
        Disclosure.objects.create(
            from_organisation=muni,
            to_organisation=police,
            content_type=ContentType.objects.get_for_model(record),
            object_id=record.pk,
            legal_ground=Disclosure.LegalGround.OSL_10_18A,
            purpose="Test",
            decided_by=world.users[Role.CASEWORKER],
            expires_at=timezone.now() + timedelta(days=365),
        )
    GroupMembershipFactory(person=PersonFactory(alias="Osynlig person", **muni_kw), group=focus, **own_kw)
    GroupMembershipFactory(
        person=PersonFactory(alias="Slutat", **own_kw),
        group=focus,
        valid_from=timezone.localdate() - timedelta(days=400),
        valid_to=timezone.localdate() - timedelta(days=10),
        **own_kw,
    )
    return {"group": focus, "other": other, "bridge": bridge, "shared": shared}


def test_members_page_lists_only_visible_members(world, members):
    focus = members["group"]
    response = client_for(world).get(reverse("network:group_network", args=[focus.pk]))
    assert response.status_code == 200
    html = response.content.decode()
    own = world.records[("person", "a", POLICE)]
    for alias in (own.alias, "Brobyggare", "Utlamnad medlem"):
        assert alias in html
    for alias in ("Dold kommun", "Osynlig person", "Slutat"):
        assert alias not in html
    persons = {key for key in node_keys(html) if key.startswith("p")}
    assert persons == {f"p{own.pk}", f"p{members['bridge'].pk}", f"p{members['shared'].pk}"}
    assert {key for key in node_keys(html) if key.startswith("g")} == {
        f"g{focus.pk}",
        f"g{members['other'].pk}",
    }
    rows = re.findall(r'<tr class="member">(.*?)</tr>', html, re.S)
    assert len(rows) == 3
    bridge_row = next(row for row in rows if "Brobyggare" in row)
    assert "Associerad" in bridge_row and members["other"].name in bridge_row
    assert not AccessLog.objects.exists()


def test_members_page_for_another_organisation_shows_only_theirs(world, members):
    html = (
        client_for(world, Role.CASEWORKER)
        .get(reverse("network:group_network", args=[members["group"].pk]))
        .content.decode()
    )
    assert "Dold kommun" in html and "Utlamnad medlem" in html  # municipality-owned throughout
    assert "Brobyggare" not in html and world.records[("person", "a", POLICE)].alias not in html
    # The caseworker may see the person "Osynlig person" but not the police-owned membership.
    assert Person.objects.visible_to(world.users[Role.CASEWORKER]).filter(alias="Osynlig person").exists()
    assert "Osynlig person" not in html


def test_members_page_empty_state(world):
    empty = GroupFactory(site=world.site_a, owner=world.orgs[("a", PROB)])
    html = client_for(world).get(reverse("network:group_network", args=[empty.pk])).content.decode()
    assert "Inga medlemmar som du kan se." in html
    assert "network-graph" not in html


@pytest.mark.parametrize("bad", ["abc", "0", "-1", "1.5", "99999999999999999999999", "%20"])
def test_malformed_or_unknown_group_id_is_404(world, bad):
    assert client_for(world).get(f"/grupper/{bad}/natverk/").status_code == 404


def test_other_sites_group_is_404_and_other_orgs_is_200(world):
    client = client_for(world)
    other_site = group(world, "b", POLICE)
    other_org = group(world, "a", MUNI)
    assert client.get(reverse("network:group_network", args=[other_site.pk])).status_code == 404
    assert client.get(reverse("network:group_network", args=[other_org.pk])).status_code == 200


# -- metrics for the group page -------------------------------------------------------------------------


def test_group_network_metrics(world, related):
    ga, gb, gc, gd = related["groups"]
    user = world.users[Role.ANALYST]
    metrics = group_network_metrics(user, gb)
    assert metrics.node.degree == 2
    assert [(p.group, p.intensity) for p in metrics.conflict_partners] == [(ga, 4)]
    assert [(p.group, p.intensity) for p in metrics.alliance_partners] == [(gc, 2)]
    assert metrics.node.betweenness == pytest.approx(1 / 3)  # gb lies between ga and gc: 1 of 3 pairs
    assert metrics.rank == 1 and metrics.ranked_count == 2
    assert metrics.total_conflict_intensity == 4 and metrics.node.exposure.share_percent == 100
    assert metrics.group_count == 4
    assert gd not in metrics.community_groups and set(metrics.community_groups) <= {ga, gc}
    isolated = group_network_metrics(user, gd)
    assert isolated.rank is None and isolated.conflict_partners == [] and isolated.community_groups == []
    # A user who cannot see the group gets nothing.
    outsider = MembershipFactory(site=SiteFactory(name="Ort D", slug="d"), role=Role.ANALYST).user
    assert group_network_metrics(outsider, gb) is None


def test_metrics_partial_renders(world, related):
    ga, gb, gc, _ = related["groups"]
    html = render_to_string(
        "groups/_group_network_metrics.html",
        {"metrics": group_network_metrics(world.users[Role.ANALYST], gb)},
    )
    assert ga.name in html and gc.name in html
    assert "1 av 2 grupper i konflikt" in html
    assert reverse("network:group_network", args=[gb.pk]) in html
    assert "?plats=a" in html
    empty = render_to_string("groups/_group_network_metrics.html", {"metrics": None})
    assert "Inga nätverksuppgifter att visa." in empty
