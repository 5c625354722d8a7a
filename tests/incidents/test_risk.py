"""Retaliation risk: alerts from what the user may see, group-level only, cached without leaking.

Pages read the picture the worker stored (`risk.recompute_site`); the tests compute it the same way
after building their data (`refresh`)."""

import re
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.template.loader import render_to_string
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone

from gvi.incidents import risk
from gvi.incidents.models import Involvement
from gvi.partnership.models import Organisation, Role
from tests.factories import (
    GroupRelationFactory,
    IncidentFactory,
    InvolvementFactory,
    MembershipFactory,
    PersonFactory,
    UserFactory,
    verified_login,
)

pytestmark = [pytest.mark.django_db]

POLICE, MUNI = Organisation.Type.POLICE, Organisation.Type.MUNICIPALITY
SECRET_ALIAS = "Hemligt Alias 4711"
BURST_DAYS_AGO = (9, 6, 4, 2.5, 1)


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


def incident_for(
    world, slug, groups, days_ago, *, owner=POLICE, relation=None, type_="shooting", person=None
):
    """An incident at site `slug` linked (confirmed) to `groups`; involvements owned by `owner`."""
    site = world.site_a if slug == "a" else world.site_b
    org = world.orgs[(slug, owner)]
    incident = IncidentFactory(
        site=site,
        owner=world.orgs[(slug, POLICE)],
        type=type_,
        occurred_at=timezone.now() - timedelta(days=days_ago),
    )
    for group in groups:
        InvolvementFactory(
            site=site,
            owner=org,
            incident=incident,
            group=group,
            person=person,
            member_status=Involvement.MemberStatus.CONFIRMED,
            relation=relation,
        )
    return incident


def refresh(world):
    """What the worker does after the changes: compute and store every scope's picture at both sites."""
    risk.recompute_site(world.site_a)
    risk.recompute_site(world.site_b)


def history(world, slug, group, offset=0, last=60):
    """Three years of incidents about every 60 days, each second one followed by another two days later."""
    for k, days_ago in enumerate(range(1080 - offset, last, -60)):
        incident_for(world, slug, [group], days_ago)
        if k % 2 == 0:
            incident_for(world, slug, [group], days_ago - 2)


@pytest.fixture
def scene(world):
    """Site A: a hot group (steady history and a burst in the last ten days, the last with a named person)
    and a quiet group (history only, nothing in the last 90 days). Site B: its own hot group."""
    hot = world.records[("group", "a", POLICE)]
    quiet = world.records[("group", "a", MUNI)]
    hot_b = world.records[("group", "b", POLICE)]
    history(world, "a", hot)
    history(world, "a", quiet, offset=30, last=90)
    history(world, "b", hot_b, offset=10)
    person = PersonFactory(site=world.site_a, owner=world.orgs[("a", POLICE)], alias=SECRET_ALIAS)
    burst = [incident_for(world, "a", [hot], d, person=person if d == 1 else None) for d in BURST_DAYS_AGO]
    burst_b = [incident_for(world, "b", [hot_b], d) for d in BURST_DAYS_AGO]
    analyst_b = UserFactory(username="analytiker_b")
    MembershipFactory(
        user=analyst_b, organisation=world.orgs[("b", POLICE)], site=world.site_b, role=Role.ANALYST
    )
    refresh(world)
    return {
        "hot": hot,
        "quiet": quiet,
        "hot_b": hot_b,
        "burst": burst,
        "burst_b": burst_b,
        "analyst_b": analyst_b,
    }


def analyst(world):
    return world.users[Role.ANALYST]


# --------------------------------------------------------------------------------------------------
# The selector
# --------------------------------------------------------------------------------------------------


def test_burst_raises_an_alert_for_the_hot_group_and_not_the_quiet_one(world, scene):
    picture = risk.retaliation_risk(analyst(world))
    assert picture.site == world.site_a and picture.enough_data
    keys = [a.key for a in picture.alerts]
    assert f"g{scene['hot'].pk}" in keys
    assert f"g{scene['quiet'].pk}" not in keys
    alert = picture.states[f"g{scene['hot'].pk}"]
    assert alert.raised and alert.kind == risk.GROUP and alert.group == scene["hot"]
    assert alert.excess_ratio >= risk.ALERT_RATIO and alert.extra_30 >= risk.ALERT_EXTRA_30
    assert alert.intensity > alert.background and alert.expected_30 > alert.usual_30 > 0
    assert alert.expected_7 < alert.expected_30
    assert alert.half_life_days == pytest.approx(picture.fit.half_life)
    assert alert.fade_days > 0
    # the largest contributors are the latest incidents of the burst
    assert alert.triggers and alert.triggers[0].incident == scene["burst"][-1]
    assert {t.incident for t in alert.triggers} <= set(scene["burst"])
    quiet = picture.states[f"g{scene['quiet'].pk}"]
    assert not quiet.raised and quiet.explanation == ""
    # alerts are ordered by excess
    assert [a.excess for a in picture.alerts] == sorted((a.excess for a in picture.alerts), reverse=True)
    assert 0 < picture.fit.alpha < 1 and picture.fit.beta > 0 and picture.fit.n_streams >= 3


def test_the_explanation_names_the_triggering_incident_and_its_date(world, scene):
    alert = risk.retaliation_risk(analyst(world)).states[f"g{scene['hot'].pk}"]
    latest = scene["burst"][-1].occurred_at
    day = dateformat.format(timezone.localtime(latest), "j F")
    assert day in alert.explanation
    assert alert.explanation.startswith(f"Risken höjd för {scene['hot'].name} efter skjutningen {day}")
    assert re.search(r"avtar under ungefär \d+ dagar\.$", alert.explanation)


def test_a_conflict_pair_gets_its_own_alert_naming_both_groups(world, scene):
    a, b = scene["hot"], world.records[("group", "a", Organisation.Type.PROBATION)]
    relation = GroupRelationFactory(site=world.site_a, owner=world.orgs[("a", POLICE)], group_a=a, group_b=b)
    for days_ago in range(1000, 60, -90):
        incident_for(world, "a", [b], days_ago, relation=relation, type_="explosion")
    for days_ago in (2, 1, 0.5):
        incident_for(world, "a", [a, b], days_ago, relation=relation, type_="explosion")
    refresh(world)
    picture = risk.retaliation_risk(analyst(world))
    pair = picture.states[f"r{relation.pk}"]
    assert pair.kind == risk.CONFLICT and pair.groups == (a, b) and pair.relation == relation
    assert pair.raised
    assert f"mellan {a.name} och {b.name}" in pair.explanation
    assert "sprängningen" in pair.explanation
    # both groups of a raised conflict are suggested
    suggested = {s.group for s in risk.suggested_notifications(analyst(world))}
    assert {a, b} <= suggested


def test_other_sites_are_never_seen(world, scene):
    mine = risk.retaliation_risk(analyst(world))
    site_a_groups = {g.pk for a in mine.states.values() for g in a.groups}
    assert scene["hot_b"].pk not in site_a_groups
    theirs = risk.retaliation_risk(scene["analyst_b"])
    assert theirs.site == world.site_b
    assert [a.key for a in theirs.alerts] == [f"g{scene['hot_b'].pk}"]
    assert not {g.pk for a in theirs.states.values() for g in a.groups} & site_a_groups
    # asking for a site where the user has no role gives nothing at all
    refused = risk.retaliation_risk(analyst(world), site=world.site_b)
    assert refused.site is None and not refused.alerts and not refused.states and refused.fit is None
    assert risk.group_risk(analyst(world), scene["hot_b"]) is None
    assert {s.group for s in risk.suggested_notifications(scene["analyst_b"])} == {scene["hot_b"]}


def test_group_risk_and_suggestions(world, scene):
    hot = risk.group_risk(analyst(world), scene["hot"])
    assert hot.state.raised and hot.alerts and hot.alerts[0].key == f"g{scene['hot'].pk}"
    quiet = risk.group_risk(analyst(world), scene["quiet"])
    assert quiet.state is not None and not quiet.state.raised and quiet.alerts == []
    suggestions = risk.suggested_notifications(analyst(world))
    assert scene["hot"] in [s.group for s in suggestions]
    assert scene["quiet"] not in [s.group for s in suggestions]
    first = next(s for s in suggestions if s.group == scene["hot"])
    assert first.site == world.site_a and first.reason == first.alerts[0].explanation
    assert risk.suggested_notifications(world.users[Role.COMMUNITY_PARTNER]) == []


def test_roles_without_incident_access_get_nothing(world, scene):
    for role in (Role.COMMUNITY_PARTNER, Role.STEERING_MEMBER, Role.NATIONAL_ANALYST, Role.ADMINISTRATOR):
        picture = risk.retaliation_risk(world.users[role])
        assert picture.site is None and not picture.alerts and not picture.states


def test_group_only_involvements_are_shared_across_the_partnership(world, scene):
    """An involvement naming only a group holds no person data: the caseworker gets the analyst's picture.
    Involvements naming a person stay with the organisation that owns them."""
    from gvi.incidents.models import Involvement

    caseworker = world.users[Role.CASEWORKER]
    picture = risk.retaliation_risk(caseworker)
    assert picture.site == world.site_a and picture.enough_data
    # The one burst involvement that names a police-owned person is the only event the caseworker lacks.
    assert picture.n_events == risk.retaliation_risk(analyst(world)).n_events - 1
    named = Involvement.unscoped_all_sites.filter(person__isnull=False, site=world.site_a).exclude(
        owner=world.orgs[("a", "municipality")]
    )
    assert named.exists()
    assert not Involvement.objects.visible_to(caseworker).filter(pk__in=named).exists()


def test_a_past_now_ignores_later_incidents(world, scene):
    before = risk.compute_picture(analyst(world), world.site_a, now=timezone.now() - timedelta(days=30))
    assert f"g{scene['hot'].pk}" not in [a.key for a in before.alerts]


# --------------------------------------------------------------------------------------------------
# The cache
# --------------------------------------------------------------------------------------------------


def test_the_fit_is_cached_and_refitted_when_the_data_changes(world, scene, monkeypatch):
    calls = []
    original = risk.hawkes.fit_pooled

    def counting(streams, **options):
        calls.append([s.key for s in streams])
        return original(streams, **options)

    monkeypatch.setattr(risk.hawkes, "fit_pooled", counting)
    cache.clear()
    risk.recompute_site(world.site_a, users=[analyst(world)])  # the worker: one fit
    first = risk.retaliation_risk(analyst(world))
    again = risk.retaliation_risk(analyst(world))  # pages only read
    risk.recompute_site(world.site_a, users=[analyst(world)])  # the same data: the cached fit
    assert len(calls) == 1
    assert [a.key for a in again.alerts] == [a.key for a in first.alerts]
    incident_for(world, "a", [scene["quiet"]], 0.5)
    risk.recompute_site(world.site_a, users=[analyst(world)])
    assert len(calls) == 2


def test_the_cache_never_leaks_between_users_who_see_different_data(world, scene, monkeypatch):
    now = timezone.now()
    data_a = risk._site_data(analyst(world), world.site_a, now)
    data_b = risk._site_data(scene["analyst_b"], world.site_b, now)
    key_a, key_b = risk._cache_key(world.site_a, data_a), risk._cache_key(world.site_b, data_b)
    assert f":site{world.site_a.pk}:" in key_a and f":site{world.site_b.pk}:" in key_b
    assert key_a != key_b
    # same site, different visible data (the coordinator sees only the municipality's involvements)
    incident_for(world, "a", [scene["quiet"]], 5, owner=MUNI)
    coordinator = world.users[Role.COORDINATOR]
    data_c = risk._site_data(coordinator, world.site_a, now)
    assert risk._cache_key(world.site_a, data_c) != risk._cache_key(world.site_a, data_a)
    # a warm cache for site A changes nothing for site B's analyst
    refresh(world)
    risk.retaliation_risk(analyst(world))
    theirs = risk.retaliation_risk(scene["analyst_b"])
    assert {k for k in theirs.states} == {s.key for s in data_b.streams}
    assert all(g.site_id == world.site_b.pk for a in theirs.states.values() for g in a.groups)


# --------------------------------------------------------------------------------------------------
# The page
# --------------------------------------------------------------------------------------------------


def get(world, user, **params):
    client = verified_login(Client(), user) if user else Client()
    return client.get(reverse("risk:overview"), params)


def test_page_access_by_role(world):
    for role in (Role.COORDINATOR, Role.ANALYST, Role.CASEWORKER, Role.PROBATION_OFFICER):
        assert get(world, world.users[role]).status_code == 200, role
    for role in (Role.COMMUNITY_PARTNER, Role.STEERING_MEMBER, Role.NATIONAL_ANALYST, Role.ADMINISTRATOR):
        assert get(world, world.users[role]).status_code == 403, role
    anonymous = get(world, None)
    assert anonymous.status_code == 302 and reverse("access:login") in anonymous["Location"]


def test_page_lists_the_alert_with_explanation_chart_table_and_diagnostics(world, scene):
    response = get(world, analyst(world))
    html = response.content.decode()
    alert = risk.retaliation_risk(analyst(world)).states[f"g{scene['hot'].pk}"]
    assert alert.explanation in html
    assert f'id="risk-g{scene["hot"].pk}"' in html
    assert '<svg class="risk-spark"' in html and "<polyline" in html and "<title" in html
    assert 'class="risk-table"' in html and "<details" in html and "Halveringstid" in html
    assert "Log-likelihood" in html and "konstant takt" in html
    assert reverse("incidents:incident_detail", args=[scene["burst"][-1].pk]) in html
    assert not re.search(r"\sstyle=", html)
    # SVG coordinates are never localised (no decimal commas inside the drawing)
    svg = html[html.index('<svg class="risk-spark"') : html.index("</svg>")]
    assert not re.search(r'(points|x1|y1|x2|y2)="[^"]*\d,\d+"[^>]*>', svg.split("<polyline")[0])
    assert scene["quiet"].name not in html.split("risk-diagnostics")[0]


def test_no_person_alias_anywhere_in_the_output(world, scene):
    html = get(world, analyst(world)).content.decode()
    assert SECRET_ALIAS not in html
    picture = risk.retaliation_risk(analyst(world))
    assert SECRET_ALIAS not in repr(picture.alerts)
    assert SECRET_ALIAS not in repr(risk.suggested_notifications(analyst(world)))
    assert SECRET_ALIAS not in render_to_string("incidents/_risk_alerts.html", {"alerts": picture.alerts})


def test_page_for_another_site_shows_only_that_site(world, scene):
    html_b = get(world, scene["analyst_b"]).content.decode()
    assert scene["hot_b"].name in html_b
    assert scene["hot"].name not in html_b and scene["quiet"].name not in html_b
    html_a = get(world, analyst(world), plats="b").content.decode()  # a site the user has no role at
    assert scene["hot_b"].name not in html_a and scene["hot"].name in html_a


def test_empty_states(world):
    refresh(world)
    html = get(world, analyst(world)).content.decode()  # the bare world: too little data
    assert "för få incidenter" in html
    partial = render_to_string("incidents/_risk_alerts.html", {"alerts": []})
    assert "Ingen grupp eller konflikt har förhöjd risk just nu." in partial


def home(user):
    return verified_login(Client(), user).get(reverse("partnership:home")).content.decode()


def test_start_page_shows_the_same_alerts_as_the_risk_page(world, scene):
    """The start pages of those who see incidents carry the alerts of their risk page, with its figures,
    and a link to it that does not depend on there being an alert."""
    alert = risk.retaliation_risk(analyst(world)).states[f"g{scene['hot'].pk}"]
    html = home(analyst(world))
    assert "Ingen grupp eller konflikt har förhöjd risk just nu" not in html
    assert f'id="risk-g{scene["hot"].pk}"' in html and alert.explanation in html
    assert reverse("risk:overview") in html and SECRET_ALIAS not in html
    # The same figure on both pages: the level now, per 30 days.
    level = f"{alert.intensity_30:.1f}".replace(".", ",")
    assert level in html and level in get(world, analyst(world)).content.decode()
    # Every role sees on its start page the alerts of its own risk page, no more and no fewer.
    alert_ids = re.compile(r'id="risk-([gc][0-9-]+)"')
    for role in (Role.ANALYST, Role.COORDINATOR, Role.CASEWORKER, Role.PROBATION_OFFICER):
        user = world.users[role]
        on_risk_page = alert_ids.findall(get(world, user).content.decode())
        assert alert_ids.findall(home(user)) == on_risk_page[:3], role


def test_start_page_without_alerts_still_links_to_the_risk_page(world):
    html = home(analyst(world))
    assert 'class="home-risk"' in html
    assert reverse("risk:overview") in html
    assert 'id="risk-g' not in html


def test_start_page_of_roles_without_incidents_has_no_risk_block(world):
    for role in (Role.COMMUNITY_PARTNER, Role.STEERING_MEMBER, Role.ADMINISTRATOR):
        assert 'class="home-risk"' not in home(world.users[role]), role


def test_incident_views_have_a_risk_tab(world):
    client = verified_login(Client(), analyst(world))
    for name in ("incidents:incident_list", "incidents:timeline", "incidents:map", "risk:overview"):
        html = client.get(reverse(name)).content.decode()
        nav = html[html.index('class="subnav"') :].split("</nav>")[0]
        assert f'href="{reverse("risk:overview")}' in nav, name


# --------------------------------------------------------------------------------------------------
# Issue 18: uncertainty, "raised above usual" with the AIC condition, day-resolution times
# --------------------------------------------------------------------------------------------------


def test_the_picture_carries_intervals_and_the_page_says_what_an_alert_means(world, scene):
    picture = risk.compute_picture(analyst(world), world.site_a)
    fit = picture.fit
    assert fit.alpha_low <= fit.alpha <= fit.alpha_high and fit.beta_low <= fit.beta <= fit.beta_high
    hot = picture.states[f"g{scene['hot'].pk}"]
    assert hot.raised and fit.self_exciting
    assert hot.expected_30_low <= hot.expected_30 <= hot.expected_30_high
    assert hot.expected_7_low <= hot.expected_7 <= hot.expected_7_high
    assert hot.intensity >= risk.ALERT_RATIO * hot.usual  # raised above the stream's usual level
    # The stored picture is the worker's at its own minute (the scene's refresh); the same minute computed
    # again gives the same interval (a minute boundary between the two made this differ under load).
    stored_picture = risk.retaliation_risk(analyst(world))
    again = risk.compute_picture(analyst(world), world.site_a, now=stored_picture.now)
    stored = stored_picture.states[f"g{scene['hot'].pk}"]
    assert stored.expected_30_high == pytest.approx(again.states[f"g{scene['hot'].pk}"].expected_30_high)
    html = get(world, analyst(world)).content.decode()
    assert "förhöjd jämfört med vad som är vanligt för just den gruppen" in html
    assert "aldrig en person" in html and "svagt bestämd" in html
    assert "95 % KI" in html


def test_no_alert_where_the_self_exciting_model_does_not_beat_a_constant_rate(world, monkeypatch):
    """Evenly spaced incidents (no clustering) and a last one yesterday: without the AIC condition the
    ratio half of the rule alone decides; with it, no alert."""
    group = world.records[("group", "a", POLICE)]
    for days_ago in range(1075, 0, -25):
        incident_for(world, "a", [group], days_ago)
    picture = risk.compute_picture(analyst(world), world.site_a)
    assert picture.fit is not None and not picture.fit.self_exciting
    assert picture.alerts == []


def test_date_only_incidents_do_not_tie_at_midnight(world, settings):
    """Incidents imported with a date only land at 00:00; in the model they are spread within the day."""
    from datetime import datetime, time

    group = world.records[("group", "a", POLICE)]
    day = timezone.localdate() - timedelta(days=20)
    midnight = timezone.make_aware(datetime.combine(day, time.min))
    found = [incident_for(world, "a", [group], 0) for _n in range(3)]
    for incident in found:
        incident.occurred_at = midnight
        incident.save()
    origin = midnight - timedelta(days=100)
    times = risk._stream_times([i.occurred_at for i in found], origin)
    assert len(set(times.tolist())) == 3
    assert all(100 <= t < 101 for t in times)
    timed = midnight + timedelta(hours=13)
    assert risk._stream_times([timed], origin).tolist() == pytest.approx([100 + 13 / 24])
