"""Swiftness, certainty and predictability from the database: exact values on a small fixture.

The fixture mirrors tests/analysis/test_deterrence.py (same durations and outcomes), built from real
incidents, involvements, episodes and actions at site A, plus noise the figures must ignore (victim-only
involvement, another site).
"""

from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from gvi.analysis import deterrence as d
from gvi.incidents.models import Involvement
from gvi.sanctions import metrics
from gvi.sanctions.models import SanctionEpisode
from tests.factories import GroupFactory, IncidentFactory, InvolvementFactory
from tests.sanctions.factories import AnnouncedRuleFactory, SanctionActionFactory, SanctionEpisodeFactory

STHLM = ZoneInfo("Europe/Stockholm")
S = SanctionEpisode.Status
MS, R = Involvement.MemberStatus, Involvement.Role


def at(month, day, hour=0):
    return datetime(2025, month, day, hour, tzinfo=STHLM)


@pytest.fixture
def fixture(world):
    site, police = world.site_a, world.orgs[("a", "police")]
    probation, municipality = world.orgs[("a", "probation")], world.orgs[("a", "municipality")]
    kw = {"site": site, "owner": police}
    g1, g2 = GroupFactory(name="G1", **kw), GroupFactory(name="G2", **kw)

    def incident(when, *involved):
        found = IncidentFactory(occurred_at=when, **kw)
        for group, role, status in involved:
            InvolvementFactory(incident=found, group=group, role=role, member_status=status, **kw)
        return found

    i1 = incident(at(1, 1, 22), (g1, R.SUSPECT, MS.CONFIRMED))
    i2 = incident(at(1, 10), (g2, R.SUSPECT, MS.SUSPECTED))
    i3 = incident(at(1, 15), (g1, R.SUSPECT, MS.CONFIRMED), (g2, R.OTHER, MS.SUSPECTED))
    i4 = incident(at(2, 2), (g1, R.SUSPECT, MS.SUSPECTED))
    i5 = incident(at(2, 20), (g2, R.SUSPECT, MS.CONFIRMED))
    i6 = incident(at(2, 26), (g2, R.SUSPECT, MS.CONFIRMED))
    incident(at(2, 27), (g1, R.VICTIM, MS.CONFIRMED))  # victim side only: not sanctionable
    incident(at(2, 27), (g1, R.SUSPECT, MS.UNKNOWN))  # no confirmed or suspected membership
    other = world.orgs[("b", "police")]
    g3 = GroupFactory(site=world.site_b, owner=other)
    far = IncidentFactory(site=world.site_b, owner=other, occurred_at=at(1, 5))
    InvolvementFactory(site=world.site_b, owner=other, incident=far, group=g3, member_status=MS.CONFIRMED)
    i8 = incident(at(8, 1, 10), (g1, R.SUSPECT, MS.CONFIRMED))

    rule = AnnouncedRuleFactory(
        announced_on=date(2024, 12, 1), levers=["targeted_controls", "tightened_conditions"], **kw
    )

    def episode(group, triggers, status, deadline, decided=None, start=None, end=None, rule=None):
        found = SanctionEpisodeFactory(
            group=group,
            status=status,
            proposed_at=triggers[0].occurred_at,
            decision_deadline=deadline,
            decided_at=decided,
            start_date=start,
            end_date=end,
            end_reason="time_limit" if end else "",
            announced_rule=rule,
            **kw,
        )
        found.trigger_incidents.set(triggers)
        return found

    def action(ep, owner, lever, started):
        return SanctionActionFactory(
            episode=ep, site=site, owner=owner, lever=lever, status="in_progress", started_on=started
        )

    e1 = episode(
        g1, [i1, i3], S.CLOSED, at(1, 3, 22), at(1, 3, 10), date(2025, 1, 3), date(2025, 1, 20), rule
    )
    action(e1, police, "targeted_controls", date(2025, 1, 3))
    action(e1, probation, "tightened_conditions", date(2025, 1, 5))
    e2 = episode(g2, [i2], S.CLOSED, at(1, 12), at(1, 13), date(2025, 1, 13), date(2025, 2, 1), rule)
    action(e2, municipality, "benefit_checks", date(2025, 1, 15))
    action(e2, police, "targeted_controls", date(2025, 1, 16))
    e3 = episode(g1, [i4], S.OPEN, at(2, 4), at(2, 2, 12), date(2025, 2, 2))
    action(e3, police, "targeted_controls", date(2025, 2, 2))
    SanctionActionFactory(episode=e3, site=site, owner=police, lever="warrants", status="planned")
    episode(g2, [i5], S.DISMISSED, at(2, 22), at(2, 21))
    episode(g2, [i6], S.PROPOSED, at(2, 28))
    e6 = episode(g1, [i8], S.CLOSED, at(8, 3, 10), at(8, 2, 10), date(2025, 8, 2), date(2025, 8, 30))
    # communicated back: episode 1 linked from the episode, episode 6 through the message's own reference
    e1.communications.add(communication(kw, date(2025, 1, 11)))
    communication(kw, date(2025, 8, 31), refers_to=e6)
    communication(kw, date(2025, 2, 3))  # about nothing in particular: counts for no episode
    return {"site": site, "g1": g1, "g2": g2, "e1": e1, "e2": e2, "e6": e6}


Q1 = (date(2025, 1, 1), date(2025, 3, 31))


def communication(kw, day, refers_to=None):
    from django.contrib.contenttypes.models import ContentType

    from gvi.communication.models import CommunicationBack

    found = CommunicationBack(
        date=day, message="Det här hände på grund av skjutningen.", channel="call_in", **kw
    )
    if refers_to is not None:
        found.refers_to_type = ContentType.objects.get_for_model(refers_to)
        found.refers_to_id = refers_to.pk
    found.save()
    return found


@pytest.mark.django_db
def test_site_figures_exact_values(fixture):
    f = metrics.site_figures([fixture["site"].pk], *Q1)
    assert f.episodes == {"proposed": 1, "open": 1, "dismissed": 1, "closed": 2, "overdue": 1}
    assert f.to_decision.n == 4
    assert f.to_decision.median == pytest.approx(1.25)
    assert f.to_decision.p90 == pytest.approx(2.55)
    assert (f.to_first_action.n, f.to_first_action.median) == (3, 2)
    assert f.to_first_action.p90 == pytest.approx(4.4)
    assert f.decided_in_time == d.Share(3, 5)
    assert (
        f.certainty == d.Share(3, 6) and f.certainty.percent == 50.0
    )  # issue 18: i3 joined episode 1 after its decision, so it was not answered by it
    assert f.awaiting_decision == 1
    assert f.predictability == d.Share(1, 2) and f.without_rule == 0
    assert (f.to_communication.n, f.to_communication.median, f.to_communication.p90) == (1, 10, 10)
    assert f.communicated == d.Share(1, 2)


@pytest.mark.django_db
def test_episode_facts_and_rule_outcomes(fixture):
    e1 = metrics.episode_facts(fixture["e1"])
    assert e1.triggered_at == at(1, 1, 22)
    assert e1.days_to(e1.decided_at) == 1.5
    assert e1.first_action_on == date(2025, 1, 3) and e1.days_to(e1.first_action_on) == 2
    assert e1.rule_outcome == d.MATCHED
    assert e1.communicated_on == date(2025, 1, 11) and e1.days_to(e1.communicated_on) == 10
    assert metrics.episode_facts(fixture["e6"]).communicated_on == date(2025, 8, 31)
    assert metrics.episode_facts(fixture["e2"]).rule_outcome == d.PARTIAL
    assert metrics.episode_facts(fixture["e6"]).rule_outcome == d.NO_RULE


@pytest.mark.django_db
def test_whole_history_per_quarter_and_per_group(fixture):
    report = metrics.deterrence_report([fixture["site"].pk], group_ids=[fixture["g1"].pk])
    assert [row.label for row in report.quarters] == ["2025 K1", "2025 K2", "2025 K3"]
    q1, q2, q3 = (row.figures for row in report.quarters)
    assert q1.certainty == d.Share(3, 6) and q1.to_decision.median == pytest.approx(1.25)
    assert q2.is_empty
    assert q3.certainty == d.Share(1, 1) and q3.without_rule == 1 and q3.episodes["closed"] == 1
    # the whole history: decisions after 1.5, 3, 0.5, 1 and 1 days
    assert report.site.to_decision.n == 5
    assert report.site.to_decision.median == pytest.approx(1.0)
    assert report.site.to_decision.p90 == pytest.approx(2.4)
    assert report.site.certainty == d.Share(
        4, 7
    )  # issue 18: i3 joined episode 1 after its decision, so it was not answered by it
    # communicated after 10 and 30 days -> median 20, p90 = 10 + 0.9 * 20 = 28
    assert report.site.to_communication == d.DurationSummary(2, 20.0, pytest.approx(28.0))
    assert report.site.communicated == d.Share(2, 3)
    # only the groups asked for (the ones the user may see)
    [g1] = report.groups
    assert (g1.group_id, g1.name) == (fixture["g1"].pk, "G1")
    assert g1.figures.certainty == d.Share(
        3, 4
    )  # issue 18: i3 joined episode 1 after its decision, so it was not answered by it
    assert g1.figures.predictability == d.Share(1, 1)
    assert g1.figures.without_rule == 1


@pytest.mark.django_db
def test_per_group_rows_in_the_window(fixture):
    report = metrics.deterrence_report(
        [fixture["site"].pk], *Q1, group_ids=[fixture["g1"].pk, fixture["g2"].pk]
    )
    rows = {row.name: row.figures for row in report.groups}
    assert rows["G1"].certainty == d.Share(
        2, 3
    )  # issue 18: i3 joined episode 1 after its decision, so it was not answered by it
    assert rows["G2"].certainty == d.Share(1, 4)
    assert rows["G2"].awaiting_decision == 1
    assert rows["G2"].decided_in_time == d.Share(1, 3)
    assert rows["G1"].to_decision.median == pytest.approx(1.0)
    assert metrics.deterrence_report([fixture["site"].pk], *Q1).groups == []


@pytest.mark.django_db
def test_other_sites_count_separately(fixture, world):
    f = metrics.site_figures([world.site_b.pk], *Q1)
    assert f.certainty == d.Share(0, 1) and sum(f.episodes.values()) == 0


@pytest.mark.django_db
def test_dashboard_separates_before_and_after_the_gvi_start(fixture):
    """Issue 18: the years before the site's GVI start are not part of the strategy's certainty."""
    from gvi.evaluation import selectors

    site = fixture["site"]
    site.gvi_start_date = date(2025, 2, 1)
    site.save()
    figures = selectors.process_figures(site)
    # January: i1 and i2 answered; i3 came after episode 1 was decided
    assert figures["deterrence_before"].certainty == d.Share(2, 3)
    # from February: i4 (open episode), i8 (closed) answered; i5 dismissed, i6 still proposed
    assert figures["deterrence"].certainty == d.Share(2, 4)
    site.gvi_start_date = None
    site.save()
    figures = selectors.process_figures(site)
    assert figures["deterrence_before"] is None and figures["deterrence"].certainty == d.Share(4, 7)
