"""Swiftness, certainty and predictability on small hand-built facts with known answers. No database."""

from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from gvi.analysis import deterrence as d


def at(day: int, hour: int = 0, month: int = 1, year: int = 2025) -> datetime:
    return datetime(year, month, day, hour, tzinfo=UTC)


def test_module_is_free_of_django():
    assert "django" not in Path(d.__file__).read_text().lower()


def test_percentile_interpolates_between_closest_ranks():
    assert d.percentile([], 50) is None
    assert d.percentile([7], 90) == 7
    assert d.median([3, 1, 2]) == 2
    assert d.median([1, 2, 3, 4]) == 2.5
    assert d.percentile([1, 2, 3, 4], 90) == pytest.approx(3.7)
    assert d.percentile([10, 20, 30, 40, 50], 90) == pytest.approx(46.0)
    assert d.percentile([5, 1], 0) == 1 and d.percentile([5, 1], 100) == 5
    with pytest.raises(ValueError):
        d.percentile([1], 101)


def test_days_between_is_fractional_for_datetimes_and_whole_for_dates():
    assert d.days_between(at(1, 22), at(3, 10)) == 1.5
    assert d.days_between(at(1, 22), date(2025, 1, 3)) == 2
    assert d.days_between(date(2025, 1, 1), date(2025, 1, 1)) == 0


def test_quarter_of():
    assert d.quarter_of(date(2025, 3, 31)) == (2025, 1)
    assert d.quarter_of(at(1, month=4)) == (2025, 2)
    assert d.quarter_of(date(2024, 12, 1)) == (2024, 4)


def test_share_and_duration_summary():
    assert d.Share(1, 3).percent == 33.3
    assert d.Share(0, 0).ratio is None and d.Share(0, 0).percent is None
    summary = d.DurationSummary.of([1, 2, 3, 4])
    assert (summary.n, summary.median, summary.p90) == (4, 2.5, pytest.approx(3.7))
    assert d.DurationSummary.of([]) == d.DurationSummary(0, None, None)


@pytest.mark.parametrize(
    "promised, applied, within, days, outcome, missing",
    [
        (None, {"a"}, None, None, d.NO_RULE, set()),
        ({"a", "b"}, {"a", "b", "c"}, None, None, d.MATCHED, set()),
        ({"a", "b"}, {"a"}, None, None, d.PARTIAL, {"b"}),
        ({"a", "b"}, {"c"}, None, None, d.NOT_MATCHED, {"a", "b"}),
        ({"a"}, {"a"}, 3, 3.0, d.MATCHED, set()),
        ({"a"}, {"a"}, 3, 4.0, d.PARTIAL, set()),
        ({"a"}, {"a"}, 3, None, d.PARTIAL, set()),
        (set(), {"x"}, None, None, d.MATCHED, set()),
        (set(), set(), None, None, d.NOT_MATCHED, set()),
    ],
)
def test_match_rule(promised, applied, within, days, outcome, missing):
    match = d.match_rule(promised, applied, within, days)
    assert match.outcome == outcome
    assert match.missing == frozenset(missing)


def test_a_promise_is_judged_only_once_its_time_has_passed():
    # Nothing applied two days into a five-day promise: pending, three days left; not "not matched".
    match = d.match_rule({"a"}, set(), 5, None, days_elapsed=2)
    assert match.outcome == d.PENDING and match.days_left == 3 and match.on_time is None
    assert d.match_rule({"a"}, set(), 5, None, days_elapsed=5).outcome == d.PENDING  # the last day
    assert d.match_rule({"a"}, set(), 5, None, days_elapsed=6).outcome == d.NOT_MATCHED
    assert d.match_rule({"a", "b"}, {"a"}, 5, 1.0, days_elapsed=3).outcome == d.PENDING  # partly so far
    assert d.match_rule({"a"}, {"a"}, 5, 1.0, days_elapsed=3).outcome == d.MATCHED  # kept: judged at once
    assert d.match_rule({"a"}, set(), None, None, days_elapsed=1).outcome == d.NOT_MATCHED  # no time limit


# A small fixture: two groups (G1, G2), five episodes, six sanctionable incidents, "now" = 1 March 2025.
NOW = at(1, month=3)
EPISODES = [
    # G1, January: decided after 1.5 days (in time), first action after 2 days, communicated after 10.
    d.EpisodeFacts(
        1, "G1", d.CLOSED, at(1, 22), at(3, 22), at(3, 10), date(2025, 1, 3), date(2025, 1, 11), d.MATCHED
    ),
    # G2, January: decided after 3 days (late), first action after 5 days, no communication, partial.
    d.EpisodeFacts(2, "G2", d.CLOSED, at(10), at(12), at(13), date(2025, 1, 15), None, d.PARTIAL),
    # G1, February: running, decided after 0.5 days, first action the same day.
    d.EpisodeFacts(
        3, "G1", d.OPEN, at(2, 0, 2), at(4, 0, 2), at(2, 12, 2), date(2025, 2, 2), None, d.NO_RULE
    ),
    # G2, February: dismissed after 1 day.
    d.EpisodeFacts(4, "G2", d.DISMISSED, at(20, 0, 2), at(22, 0, 2), at(21, 0, 2)),
    # G2, February: proposed, deadline passed (overdue).
    d.EpisodeFacts(5, "G2", d.PROPOSED, at(26, 0, 2), at(28, 0, 2)),
]
INCIDENTS = [
    d.IncidentFacts(101, at(1, 22), frozenset({"G1"}), frozenset({"G1"})),  # episode 1
    d.IncidentFacts(102, at(10), frozenset({"G2"}), frozenset({"G2"})),  # episode 2
    d.IncidentFacts(103, at(25), frozenset({"G1", "G2"}), frozenset({"G1"})),  # joined episode 1, not G2
    d.IncidentFacts(104, at(2, 0, 2), frozenset({"G1"}), frozenset({"G1"})),  # episode 3
    d.IncidentFacts(105, at(20, 0, 2), frozenset({"G2"})),  # dismissed: not followed
    d.IncidentFacts(106, at(26, 0, 2), frozenset({"G2"}), pending_groups=frozenset({"G2"})),  # awaiting
]


def test_site_figures_exact():
    f = d.figures(EPISODES, INCIDENTS, NOW)
    assert f.episodes == {"proposed": 1, "open": 1, "dismissed": 1, "closed": 2, "overdue": 1}
    # to decision: 1.5, 3, 0.5, 1 -> median 1.25, p90 = 1.5 + 0.7 * 1.5 = 2.55
    assert f.to_decision.n == 4
    assert f.to_decision.median == pytest.approx(1.25)
    assert f.to_decision.p90 == pytest.approx(2.55)
    # first action (whole days from the incident's date): 2, 5, 0 -> median 2, p90 = 2 + 0.8 * 3 = 4.4
    assert (f.to_first_action.n, f.to_first_action.median) == (3, 2)
    assert f.to_first_action.p90 == pytest.approx(4.4)
    assert (f.to_communication.n, f.to_communication.median, f.to_communication.p90) == (1, 10, 10)
    # in time: episodes 1, 3, 4 of 4 decided + 1 overdue proposal
    assert f.decided_in_time == d.Share(3, 5)
    # certainty: 101, 102, 103, 104 of 6; 106 awaits a decision
    assert f.certainty == d.Share(4, 6)
    assert f.certainty.percent == 66.7
    assert f.awaiting_decision == 1
    # predictability among closed episodes with a rule: 1 matched of 2
    assert f.predictability == d.Share(1, 2) and f.without_rule == 0
    assert f.communicated == d.Share(1, 2)
    assert not f.is_empty


def test_figures_by_group_count_each_incident_group_pair():
    by_group = d.figures_by_group(EPISODES, INCIDENTS, NOW)
    assert set(by_group) == {"G1", "G2"}
    g1, g2 = by_group["G1"], by_group["G2"]
    assert g1.certainty == d.Share(3, 3)  # 101, 103, 104
    assert g2.certainty == d.Share(1, 4)  # 102 of 102, 103, 105, 106
    assert g2.awaiting_decision == 1
    assert g1.to_decision.median == pytest.approx(1.0)  # 1.5 and 0.5
    assert g2.to_decision.median == pytest.approx(2.0)  # 3 and 1
    assert g2.decided_in_time == d.Share(1, 3)  # dismissed in time; episode 2 late; episode 5 overdue
    assert g1.predictability == d.Share(1, 1) and g2.predictability == d.Share(0, 1)
    assert g1.episodes["open"] == 1 and g2.episodes["overdue"] == 1


def test_figures_by_quarter_fill_gaps_and_split_by_trigger_date():
    later = d.EpisodeFacts(9, "G1", d.CLOSED, at(1, 0, 8), at(3, 0, 8), at(2, 0, 8), rule_outcome=d.NO_RULE)
    by_quarter = d.figures_by_quarter([*EPISODES, later], INCIDENTS, NOW)
    assert list(by_quarter) == [(2025, 1), (2025, 2), (2025, 3)]
    q1, q2, q3 = by_quarter.values()
    assert q1.certainty == d.Share(4, 6)
    assert q2.is_empty
    assert q3.episodes["closed"] == 1 and q3.without_rule == 1 and q3.predictability == d.Share(0, 0)
    assert q3.communicated == d.Share(0, 1)
    assert d.figures_by_quarter([], []) == {}


def test_quarters_roll_over_the_year():
    episodes = [
        d.EpisodeFacts(1, "G", d.OPEN, date(2024, 11, 1)),
        d.EpisodeFacts(2, "G", d.OPEN, date(2025, 2, 1)),
    ]
    assert list(d.figures_by_quarter(episodes, [])) == [(2024, 4), (2025, 1)]


def test_no_now_means_nothing_is_overdue():
    f = d.figures(EPISODES, [], None)
    assert f.episodes["overdue"] == 0
    assert f.decided_in_time == d.Share(3, 4)
    assert f.certainty == d.Share(0, 0)


def test_undecided_deadline_free_episode_counts_in_time():
    episode = d.EpisodeFacts(1, "G", d.OPEN, at(1), None, at(2))
    assert d.figures([episode], []).decided_in_time == d.Share(1, 1)


def test_empty():
    f = d.figures([], [])
    assert f.is_empty and f.to_decision == d.DurationSummary(0, None, None)


def test_a_response_is_one_decided_after_the_incident():
    """Issue 18: an incident attached to an episode already decided was not answered by it."""
    incident = datetime(2025, 3, 10, 14, 0, tzinfo=UTC)
    assert d.decided_after(incident, datetime(2025, 3, 10, 15, 0, tzinfo=UTC))
    assert not d.decided_after(incident, datetime(2025, 3, 9, 15, 0, tzinfo=UTC))
    assert not d.decided_after(incident, None)
    assert d.decided_after(date(2025, 3, 10), datetime(2025, 3, 10, 9, 0, tzinfo=UTC))  # same day
    assert not d.decided_after(date(2025, 3, 10), date(2025, 3, 9))


def test_p90_is_too_few_below_the_minimum_n():
    few = d.DurationSummary.of([1.0, 2.0, 3.0])
    assert few.p90 is not None and few.p90_reported is None
    enough = d.DurationSummary.of([float(v) for v in range(d.MIN_N_P90)])
    assert enough.p90_reported == enough.p90 == pytest.approx(8.1)
