"""The Hawkes model: likelihood, fitting, forecasting and simulation on synthetic data. No database."""

import math
from pathlib import Path

import numpy as np
import pytest

from gvi.analysis import hawkes as h


def test_module_is_free_of_django():
    source = Path(h.__file__).read_text().lower()
    assert "django" not in source


# --------------------------------------------------------------------------------------------------
# (a) the linear recursion equals the double sum
# --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(6))
def test_linear_recursion_equals_quadratic_sum(seed):
    """On random times and parameters (with and without conditioning history) the two agree to 1e-9."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 150))
    horizon = float(rng.uniform(50, 400))
    times = np.sort(rng.uniform(0, horizon, n))
    if seed % 2 and n > 8:
        times[5:8] = times[5]  # ties excite each other in index order, in both forms
    mu, alpha, beta = rng.uniform(0.01, 1), rng.uniform(0, 0.95), rng.uniform(0.01, 5)
    start = 0.0 if seed < 3 else float(rng.uniform(0, horizon / 2))
    linear = h.loglik(times, mu, alpha, beta, horizon, start)
    quadratic = h.loglik_quadratic(times, mu, alpha, beta, horizon, start)
    assert linear == pytest.approx(quadratic, rel=0, abs=1e-9)


def test_gradient_matches_finite_differences():
    rng = np.random.default_rng(7)
    times = h.simulate(0.3, 0.5, 0.4, 300, rng)
    point = np.array([0.25, 0.45, 0.5])
    _, grad = h._stream_loglik(times, 0.0, 300.0, *point)
    for i in range(3):
        step = np.zeros(3)
        step[i] = 1e-6
        numeric = (
            h._stream_loglik(times, 0.0, 300.0, *(point + step))[0]
            - h._stream_loglik(times, 0.0, 300.0, *(point - step))[0]
        ) / 2e-6
        assert grad[i] == pytest.approx(numeric, rel=1e-5)


# --------------------------------------------------------------------------------------------------
# (b) parameter recovery
# --------------------------------------------------------------------------------------------------


def test_fit_recovers_known_parameters():
    """Simulate (μ, α, β) = (0.5, 0.6, 0.8) over 2,000 days (about 2,500 events, seed 2026) and fit.

    Tolerances: α within ±0.1 (absolute), β within ±30 %, μ within ±30 %.
    """
    rng = np.random.default_rng(2026)
    times = h.simulate(0.5, 0.6, 0.8, 2000.0, rng)
    assert times.size >= 2000
    fit = h.fit(times, 2000.0)
    assert fit.converged
    assert fit.n_events == times.size and fit.horizon == 2000.0
    assert abs(fit.alpha - 0.6) <= 0.1
    assert fit.beta == pytest.approx(0.8, rel=0.3)
    assert fit.mu == pytest.approx(0.5, rel=0.3)
    assert fit.half_life == pytest.approx(math.log(2) / fit.beta)
    # The optimum is a maximum: nudging any parameter lowers the likelihood.
    for mu, alpha, beta in [
        (fit.mu * 1.05, fit.alpha, fit.beta),
        (fit.mu, fit.alpha - 0.03, fit.beta),
        (fit.mu, fit.alpha, fit.beta * 1.1),
    ]:
        assert h.loglik(times, mu, alpha, beta, 2000.0) < fit.loglik


@pytest.mark.parametrize("seed", [1, 2, 3, 4, 5])
def test_fit_recovers_known_parameters_over_seeds(seed):
    """As above over more seeds and a slower decay: (μ, α, β) = (0.3, 0.5, 0.2); α ±0.1, β ±30 %."""
    times = h.simulate(0.3, 0.5, 0.2, 4000.0, np.random.default_rng(seed))
    fit = h.fit(times, 4000.0)
    assert abs(fit.alpha - 0.5) <= 0.1
    assert fit.beta == pytest.approx(0.2, rel=0.3)


def test_poisson_data_gives_a_small_branching_ratio():
    """On a homogeneous Poisson process (no self-excitation) the fitted α stays below 0.1."""
    rng = np.random.default_rng(11)
    times = np.sort(rng.uniform(0, 2000, 1000))
    fit = h.fit(times, 2000.0)
    assert fit.alpha < 0.1
    assert fit.loglik >= h.poisson_fit(times, 2000.0).loglik - 1e-6


# --------------------------------------------------------------------------------------------------
# (c) held-out comparison with the constant-rate baseline
# --------------------------------------------------------------------------------------------------


def test_hawkes_beats_poisson_on_held_out_data():
    """Fit on the first 70 % of the window, score the last 30 % conditioning on the history before it."""
    rng = np.random.default_rng(42)
    horizon = 1500.0
    split = 0.7 * horizon
    times = h.simulate(0.2, 0.6, 0.5, horizon, rng)
    train = times[times <= split]
    fit = h.fit(train, split)
    baseline = h.poisson_fit(train, split)
    held_out_hawkes = h.loglik(times, fit.mu, fit.alpha, fit.beta, horizon, start=split)
    held_out_poisson = h.poisson_loglik(times, baseline.rate, horizon, start=split)
    assert held_out_hawkes > held_out_poisson + 10
    # and in sample, naturally
    assert fit.loglik > baseline.loglik


# --------------------------------------------------------------------------------------------------
# (d) expected counts and the current state
# --------------------------------------------------------------------------------------------------


def test_expected_count_matches_monte_carlo():
    """E[N(now, now + H)] from the closed form vs the mean of 3,000 simulated continuations.

    Tolerance: 4 Monte-Carlo standard errors. The form without offspring (background plus the decaying
    raise only) is a lower bound and falls clearly short when α is large.
    """
    mu, alpha, beta = 0.05, 0.6, 0.25
    history = np.array([80.0, 95.0, 97.5, 99.0])
    now = 100.0
    lam = h.intensity(history, now, mu, alpha, beta)
    rng = np.random.default_rng(5)
    for days in (7.0, 30.0):
        counts = np.array(
            [
                h.simulate(mu, alpha, beta, now + days, rng, start=now, history=history).size
                for _ in range(3000)
            ]
        )
        mean, se = counts.mean(), counts.std(ddof=1) / math.sqrt(counts.size)
        exact = h.expected_count(lam, mu, alpha, beta, days)
        simple = h.expected_count(lam, mu, alpha, beta, days, include_offspring=False)
        assert abs(mean - exact) <= 4 * se
        assert simple < exact
    assert mean - h.expected_count(lam, mu, alpha, beta, 30.0, include_offspring=False) > 4 * se


def test_expected_count_at_the_usual_level_is_linear():
    mu, alpha, beta = 0.1, 0.5, 0.3
    usual = mu / (1 - alpha)
    assert h.expected_count(usual, mu, alpha, beta, 30) == pytest.approx(usual * 30)
    assert h.usual_count(mu, alpha, 30) == pytest.approx(6.0)
    assert h.expected_count(mu, mu, 0.0, beta, 30, include_offspring=False) == pytest.approx(3.0)
    assert h.expected_count(5.0, mu, alpha, beta, 0) == 0.0


def test_state_contributions_and_fading():
    mu, alpha, beta = 0.02, 0.5, 0.2
    times = [10.0, 60.0, 95.0, 98.0]
    state = h.stream_state(times, 100.0, mu, alpha, beta)
    assert state.intensity == pytest.approx(h.intensity(times, 100.0, mu, alpha, beta))
    assert state.excess == pytest.approx(alpha * beta * sum(math.exp(-beta * (100 - t)) for t in times))
    assert state.ratio == pytest.approx(state.intensity / mu)
    assert state.n_events == 4 and state.half_life == pytest.approx(math.log(2) / beta)
    parts = h.contributions(times, 100.0, alpha, beta)
    assert [p.time for p in parts] == [98.0, 95.0, 60.0, 10.0]  # the most recent contributes most
    assert sum(p.intensity for p in parts) == pytest.approx(state.excess)
    assert sum(p.share for p in parts) == pytest.approx(1.0)
    assert parts[0].remaining == pytest.approx(alpha * math.exp(-beta * 2))
    assert parts[0].age == pytest.approx(2.0)
    assert len(h.contributions(times, 100.0, alpha, beta, top=2, min_share=0.01)) == 2
    assert h.contributions(times, 5.0, alpha, beta) == []
    # After fade_days the ratio is back at the threshold, if nothing new happens.
    fade = state.fade_days(1.5)
    later = h.stream_state(times, 100.0 + fade, mu, alpha, beta)
    assert later.ratio == pytest.approx(1.5)
    assert h.fade_days(0.0, mu, beta) == 0.0
    assert state.extra_expected(30) == pytest.approx(state.expected(30) - state.usual_expected(30))


def test_intensity_path_agrees_with_pointwise_intensity():
    rng = np.random.default_rng(3)
    times = h.simulate(0.2, 0.5, 0.5, 100, rng)
    grid = np.linspace(0, 110, 57)[::-1]  # any order
    path = h.intensity_path(times, grid, 0.2, 0.5, 0.5)
    expected = [h.intensity(times, g, 0.2, 0.5, 0.5) for g in grid]
    assert path == pytest.approx(expected, rel=1e-10)


# --------------------------------------------------------------------------------------------------
# (e) pooled streams
# --------------------------------------------------------------------------------------------------


def test_pooled_fit_recovers_shared_parameters():
    """Four streams, backgrounds 0.02–0.3 per day, shared α = 0.5, β = 0.3, 1,500 days each (seed 99).

    Tolerances: α ±0.1, β ±30 %, each μ_k ±35 %.
    """
    rng = np.random.default_rng(99)
    mus = {"a": 0.02, "b": 0.05, "c": 0.1, "d": 0.3}
    streams = [h.Stream(h.simulate(mu, 0.5, 0.3, 1500.0, rng), 1500.0, key=k) for k, mu in mus.items()]
    fit = h.fit_pooled(streams)
    assert fit.converged and fit.n_streams == 4
    assert fit.n_events == sum(s.times.size for s in streams)
    assert abs(fit.alpha - 0.5) <= 0.1
    assert fit.beta == pytest.approx(0.3, rel=0.3)
    for key, mu in mus.items():
        assert fit.mu[key] == pytest.approx(mu, rel=0.35)
    assert fit.loglik_gain > 0 and fit.aic_gain > 0
    assert fit.params("c") == (fit.mu["c"], fit.alpha, fit.beta)
    # the pooled likelihood is the sum of the streams' likelihoods
    total = sum(h.loglik(s.times, fit.mu[s.key], fit.alpha, fit.beta, s.end, s.start) for s in streams)
    assert fit.loglik == pytest.approx(total)


def test_pooled_fit_of_one_stream_is_the_univariate_fit():
    times = h.simulate(0.3, 0.4, 0.5, 500.0, np.random.default_rng(8))
    single = h.fit(times, 500.0)
    pooled = h.fit_pooled([h.Stream(times, 500.0, key="x")])
    assert pooled.alpha == pytest.approx(single.alpha, abs=1e-6)
    assert pooled.mu["x"] == pytest.approx(single.mu, rel=1e-5)
    assert pooled.loglik == pytest.approx(single.loglik)


def test_tnc_reaches_the_same_optimum_as_lbfgsb():
    rng = np.random.default_rng(21)
    streams = [
        h.Stream(h.simulate(mu, 0.4, 0.05, 1095.0, rng), 1095.0, key=i)
        for i, mu in enumerate([0.04, 0.01, 0.002])
    ]
    lbfgsb = h.fit_pooled(streams, beta_bounds=(1 / 90, 2.0))
    tnc = h.fit_pooled(streams, beta_bounds=(1 / 90, 2.0), method="TNC")
    assert tnc.converged
    assert tnc.loglik == pytest.approx(lbfgsb.loglik, abs=1e-4)
    assert tnc.alpha == pytest.approx(lbfgsb.alpha, abs=1e-3) and tnc.beta == pytest.approx(
        lbfgsb.beta, rel=1e-2
    )


def test_converged_means_a_stationary_point_not_an_early_stop():
    """An optimiser stopped after a few evaluations away from the optimum is not converged, whatever
    lenience is given to TNC's line-search failure at the optimum."""
    from scipy.optimize import minimize

    rng = np.random.default_rng(21)
    streams = [h.Stream(h.simulate(0.04, 0.4, 0.05, 1095.0, rng), 1095.0, key=0)]
    problem = h._Problem(streams, h.MU_BOUNDS, h.ALPHA_BOUNDS, (1 / 90, 2.0))
    start = problem.start_point(0.05, 1.5)
    early = minimize(
        problem.objective, start, jac=True, method="TNC", bounds=problem.bounds(), options={"maxfun": 2}
    )
    assert not early.success and not h._converged(problem, early)
    full = minimize(problem.objective, start, jac=True, method="TNC", bounds=problem.bounds())
    assert h._converged(problem, full)


def test_streams_validate_and_respect_their_window():
    with pytest.raises(ValueError):
        h.Stream([1.0], end=5.0, start=5.0)
    with pytest.raises(ValueError):
        h.fit_pooled([h.Stream([1.0], 5.0, key=1), h.Stream([2.0], 5.0, key=1)])
    stream = h.Stream([4.0, 1.0, 2.0, 9.0], end=5.0, start=1.5)
    assert stream.times.tolist() == [1.0, 2.0, 4.0, 9.0]
    assert stream.observed.tolist() == [2.0, 4.0] and stream.n_events == 2 and stream.length == 3.5


# --------------------------------------------------------------------------------------------------
# (f) nothing or almost nothing to fit
# --------------------------------------------------------------------------------------------------


def test_empty_and_one_event_streams_do_not_crash():
    empty = h.fit([], 100.0)
    assert empty.n_events == 0 and empty.mu == 0.0 and empty.alpha == 0.0 and not empty.converged
    assert h.loglik([], 0.1, 0.5, 0.3, 100.0) == pytest.approx(-10.0)
    assert h.poisson_fit([], 100.0).loglik == 0.0 and h.poisson_fit([], 100.0).rate == 0.0
    assert h.poisson_loglik([], 0.0, 100.0) == 0.0

    one = h.fit([40.0], 100.0)
    assert one.n_events == 1 and math.isfinite(one.loglik)
    assert one.mu == pytest.approx(0.01, rel=0.05) and one.alpha < 0.05

    pooled = h.fit_pooled(
        [h.Stream([], 100.0, key="quiet"), h.Stream([50.0], 100.0, key="one"), h.Stream([], 30.0, key="x")]
    )
    assert math.isfinite(pooled.loglik) and pooled.n_events == 1
    assert pooled.mu["quiet"] < 1e-6 and pooled.mu["x"] < 1e-6
    none = h.fit_pooled([h.Stream([], 10.0, key=1)])
    assert none.n_events == 0 and math.isnan(none.beta)

    assert h.intensity([], 5.0, 0.1, 0.5, 0.3) == pytest.approx(0.1)
    assert h.stream_state([], 5.0, 0.1, 0.5, 0.3).ratio == pytest.approx(1.0)
    assert h.stream_state([1.0], 5.0, 0.0, 0.5, 0.3).ratio == math.inf
    assert h.intensity_path([], [1.0, 2.0], 0.1, 0.5, 0.3).tolist() == [0.1, 0.1]


# --------------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------------


def test_simulation_is_seeded_and_honours_window_and_history():
    first = h.simulate(0.3, 0.5, 0.5, 200.0, np.random.default_rng(1))
    again = h.simulate(0.3, 0.5, 0.5, 200.0, np.random.default_rng(1))
    assert np.array_equal(first, again)
    assert np.all(np.diff(first) > 0) and first.min() > 0 and first.max() <= 200.0
    later = h.simulate(
        0.3, 0.5, 0.5, 200.0, np.random.default_rng(1), start=150.0, history=first[first <= 150]
    )
    assert later.size == 0 or later.min() > 150.0
    # the mean count over a long window is near μT/(1 − α)
    long = h.simulate(0.3, 0.5, 0.5, 5000.0, np.random.default_rng(2))
    assert long.size == pytest.approx(0.3 / 0.5 * 5000, rel=0.1)
    assert h.simulate(0.0, 0.5, 0.5, 100.0, np.random.default_rng(0)).size == 0
    with pytest.raises(ValueError):
        h.simulate(0.1, 1.0, 0.5, 10.0, np.random.default_rng(0))
