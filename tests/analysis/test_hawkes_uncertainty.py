"""Issue 18: day-resolution times, the alert rule "raised above usual" with the AIC condition, and
profile-likelihood intervals (with weak identification at a small city's volumes). No database."""

import math

import numpy as np
import pytest

from gvi.analysis import hawkes


def test_date_only_events_are_spread_within_their_day_in_order():
    days = [10.0, 10.0, 10.0, 12.0, 15.0, 15.0]
    spread = hawkes.spread_within_day(days)
    assert len(set(spread.tolist())) == len(days)  # no ties left
    assert spread.tolist() == pytest.approx([10 + 1 / 6, 10.5, 10 + 5 / 6, 12.5, 15.25, 15.75])
    assert all(d <= t < d + 1 for d, t in zip(days, spread, strict=True))
    assert list(spread) == sorted(spread)


def test_ties_at_midnight_would_read_as_instant_retaliation_and_spreading_removes_it():
    """Tied events excite each other at lag 0: the fitted decay runs to its upper bound (a mean delay of
    minutes). Spread within their day, the same days give an ordinary decay."""
    rng = np.random.default_rng(8)
    days = np.sort(rng.integers(0, 3 * 365, size=60)).astype(float)
    days = np.sort(np.concatenate([days, days[::3]]))  # a third of the days with two incidents
    tied = hawkes.fit(days, 3 * 365, beta_bounds=(1e-3, 50.0))
    spread = hawkes.fit(hawkes.spread_within_day(days), 3 * 365, beta_bounds=(1e-3, 50.0))
    assert tied.beta > 20  # driven to the bound by the exact ties
    assert spread.beta < tied.beta / 5


def test_an_alert_means_raised_above_the_usual_level_and_needs_the_aic_gain():
    mu, alpha = 0.01, 0.5
    usual = mu / (1 - alpha)
    # At the stream's usual level λ/μ is 2 (the old rule, λ ≥ 1.5 μ, would alert on an ordinary day).
    assert usual / mu >= 1.5
    assert not hawkes.raised_above_usual(usual, mu, alpha, 1.5, aic_gain=10)
    assert hawkes.raised_above_usual(1.6 * usual, mu, alpha, 1.5, aic_gain=10)
    # without an AIC gain over the constant rate there is no self-excitation to alert on
    assert not hawkes.raised_above_usual(5 * usual, mu, alpha, 1.5, aic_gain=-1.0)


def test_profile_likelihood_intervals_cover_the_truth_and_the_expected_counts():
    rng = np.random.default_rng(3)
    times = hawkes.simulate(0.05, 0.5, 0.2, 3 * 365, rng)  # ~110 events a year
    streams = [hawkes.Stream(times, 3 * 365, key="g1")]
    fit = hawkes.fit_pooled(streams)
    region = hawkes.likelihood_region(streams, fit, grid=15)
    assert region.alpha[0] <= fit.alpha <= region.alpha[1]
    assert region.alpha[0] <= 0.5 <= region.alpha[1] and region.beta[0] <= 0.2 <= region.beta[1]
    assert not region.weakly_identified
    now = 3 * 365
    point = hawkes.stream_state(times, now, fit.mu["g1"], fit.alpha, fit.beta).expected(30)
    low, high = region.expected_interval(times, now, "g1", 30)
    assert low <= point <= high and high > low


def test_small_city_volumes_are_weakly_identified():
    rng = np.random.default_rng(5)
    times = hawkes.simulate(20 / 365 * 0.7, 0.3, 0.1, 3 * 365, rng)  # about 20 events a year
    streams = [hawkes.Stream(times, 3 * 365, key=0)]
    fit = hawkes.fit_pooled(streams, beta_bounds=(1 / 90, 2.0), mu_bounds=(1e-5, 10.0))
    region = hawkes.likelihood_region(
        streams, fit, beta_bounds=(1 / 90, 2.0), mu_bounds=(1e-5, 10.0), grid=13
    )
    assert region.weakly_identified
    assert region.alpha[1] - region.alpha[0] > 0.3 or region.alpha[0] <= hawkes.WEAK_ALPHA_LOW
    assert math.isfinite(region.half_life[0])
