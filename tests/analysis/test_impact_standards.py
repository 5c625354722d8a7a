"""Issue 18: the impact models' offset, overdispersion, autocorrelation and pre-specified terms, checked
against the published Sicily worked example (Lopez Bernal, Cummins and Gasparrini 2017) fitted with
statsmodels directly, and by simulation at a small city's counts. No database."""

import csv
import math
from pathlib import Path

import numpy as np
import pytest
import statsmodels.api as sm

from gvi.analysis import impact as im

SICILY = Path(__file__).resolve().parents[3] / "shared" / "reference-data" / "its" / "sicily.csv"
if not SICILY.exists():  # CI lays shared/ beside the clone; the worktrees sit beside it as well
    SICILY = Path("/work/shared/reference-data/its/sicily.csv")


@pytest.fixture(scope="module")
def sicily():
    if not SICILY.exists():
        pytest.skip("the reference data (shared/reference-data/its/sicily.csv) is not laid out here")
    with SICILY.open() as handle:
        rows = list(csv.DictReader(handle))
    return {
        "aces": np.array([float(r["aces"]) for r in rows]),
        "time": np.array([float(r["time"]) for r in rows]),
        "smokban": np.array([float(r["smokban"]) for r in rows]),
        "month": np.array([float(r["month"]) for r in rows]),
        "stdpop": np.array([float(r["stdpop"]) for r in rows]),
    }


START = 36  # the ban from month 37 (January 2005), zero-based index 36


def harmonics(month):
    """tsModel's harmonic(month, 2, 12), as in the tutorial."""
    return [f(2 * math.pi * k * month / 12) for k in (1, 2) for f in (np.sin, np.cos)]


def test_sicily_model_1_poisson_with_offset_and_step(sicily):
    result = im.fit_its(
        sicily["aces"], START, family=im.POISSON, seasonality=None, change=im.STEP, exposure=sicily["stdpop"]
    )
    x = sm.add_constant(np.column_stack([sicily["smokban"], sicily["time"]]))
    reference = sm.GLM(sicily["aces"], x, family=sm.families.Poisson(), offset=np.log(sicily["stdpop"])).fit()
    assert result.level.coef == pytest.approx(reference.params[1], abs=1e-6)
    assert result.level.se == pytest.approx(reference.bse[1], abs=1e-6)
    assert result.params[1] == pytest.approx(reference.params[2], abs=1e-6)  # trend per month
    np.testing.assert_allclose(result.fitted, reference.fittedvalues, rtol=1e-6)
    assert result.with_offset and "befolkningen som exponering" in im.model_description(result)
    # The tutorial's point: the counts are overdispersed, so the Poisson interval is too narrow.
    assert result.dispersion > 2


def test_sicily_model_2_quasi_poisson_with_fourier_seasonality(sicily):
    result = im.fit_its(
        sicily["aces"],
        START,
        family=im.QUASI,
        seasonality=im.FOURIER,
        change=im.STEP,
        exposure=sicily["stdpop"],
    )
    x = sm.add_constant(np.column_stack([sicily["smokban"], sicily["time"], *harmonics(sicily["month"])]))
    reference = sm.GLM(sicily["aces"], x, family=sm.families.Poisson(), offset=np.log(sicily["stdpop"])).fit(
        scale="X2"
    )
    assert result.level.coef == pytest.approx(reference.params[1], abs=1e-6)
    assert result.level.se == pytest.approx(reference.bse[1], abs=1e-6)
    assert result.dispersion == pytest.approx(reference.scale, abs=1e-6)
    assert result.level.low == pytest.approx(
        math.exp(reference.params[1] - im.Z95 * reference.bse[1]), abs=1e-6
    )
    np.testing.assert_allclose(result.fitted, reference.fittedvalues, rtol=1e-6)
    poisson = im.fit_its(
        sicily["aces"],
        START,
        family=im.POISSON,
        seasonality=im.FOURIER,
        change=im.STEP,
        exposure=sicily["stdpop"],
    )
    assert result.level.se == pytest.approx(poisson.level.se * math.sqrt(reference.scale), abs=1e-6)


def test_sicily_model_3_with_a_slope_change(sicily):
    result = im.fit_its(
        sicily["aces"], START, family=im.QUASI, seasonality=im.FOURIER, change=im.STEP_SLOPE,
        exposure=sicily["stdpop"],
    )  # fmt: skip
    # The tutorial writes smokban * time; the project centres the slope change at the start. Same model.
    x = sm.add_constant(
        np.column_stack([sicily["smokban"], sicily["time"], sicily["smokban"] * sicily["time"], *harmonics(sicily["month"])])
    )  # fmt: skip
    reference = sm.GLM(sicily["aces"], x, family=sm.families.Poisson(), offset=np.log(sicily["stdpop"])).fit(
        scale="X2"
    )
    assert result.trend_change.coef == pytest.approx(reference.params[3], abs=1e-6)
    assert result.trend_change.se == pytest.approx(reference.bse[3], abs=1e-6)
    # level at the start: smokban + (time at the start) * interaction, time at the start = 37
    assert result.level.coef == pytest.approx(reference.params[1] + 37 * reference.params[3], abs=1e-6)
    np.testing.assert_allclose(result.fitted, reference.fittedvalues, rtol=1e-6)
    assert result.counterfactual[START:].sum() > result.fitted[START:].sum()  # the ban lowered the rate


def test_sicily_newey_west_standard_errors_equal_statsmodels_hac(sicily):
    result = im.fit_its(
        sicily["aces"], START, family=im.QUASI, seasonality=im.FOURIER, change=im.STEP,
        exposure=sicily["stdpop"], autocorrelation=im.HAC, hac_lags=3,
    )  # fmt: skip
    x = sm.add_constant(np.column_stack([sicily["smokban"], sicily["time"], *harmonics(sicily["month"])]))
    reference = sm.GLM(sicily["aces"], x, family=sm.families.Poisson(), offset=np.log(sicily["stdpop"])).fit(
        cov_type="HAC", cov_kwds={"maxlags": 3, "use_correction": True}
    )
    assert result.hac_bse[2] == pytest.approx(reference.bse[1], abs=1e-6)
    assert result.level.se >= max(result.hac_bse[2], result.model_bse[2]) - 1e-12
    assert result.corrected == im.HAC and result.autocorrelation.hac_lags == 3
    assert "Newey–West" in im.model_description(result)


def test_negative_binomial_at_its_floor_says_it_is_poisson_in_practice():
    y = [5, 5, 6, 5, 4, 5, 5, 6, 5, 5, 4, 5, 5, 6, 5, 4, 5, 5, 6, 5, 5, 4, 5, 5]  # underdispersed
    result = im.fit_its(y, 12, family=im.NEGBIN, seasonality=None, change=im.STEP)
    assert result.alpha == im.ALPHA_FLOOR and result.alpha_at_floor
    assert "i praktiken en Poissonmodell" in im.model_description(result)
    spread = im.fit_its(
        [2, 9, 1, 12, 4, 0, 15, 3, 8, 1, 11, 2, 1, 7, 0, 10, 3, 0, 12, 2, 6, 1, 9, 1],
        12, family=im.NEGBIN, seasonality=None, change=im.STEP,
    )  # fmt: skip
    assert not spread.alpha_at_floor and "Poissonmodell" not in im.model_description(spread)


def test_quasi_poisson_never_narrows_the_poisson_interval():
    y = [5, 5, 6, 5, 4, 5, 5, 6, 5, 5, 4, 5, 5, 6, 5, 4, 5, 5, 6, 5, 5, 4, 5, 5]
    quasi = im.fit_its(y, 12, family=im.QUASI, seasonality=None, change=im.STEP)
    poisson = im.fit_its(y, 12, family=im.POISSON, seasonality=None, change=im.STEP)
    assert quasi.dispersion < 1 and quasi.level.se == pytest.approx(poisson.level.se, abs=1e-12)


def test_offset_removes_population_growth_from_the_trend():
    rng = np.random.default_rng(3)
    population = 500_000 * 1.01 ** np.arange(60)  # a municipality growing 1 % a month
    y = rng.poisson(population * 8e-5)
    counts_only = im.fit_its(y, 30, family=im.QUASI, seasonality=None, change=im.STEP)
    per_resident = im.fit_its(y, 30, family=im.QUASI, seasonality=None, change=im.STEP, exposure=population)
    assert counts_only.params[1] == pytest.approx(math.log(1.01), abs=0.006)
    assert abs(per_resident.params[1]) < 0.006
    with pytest.raises(ValueError):
        im.fit_its(y, 30, exposure=population[:10])


def test_step_model_has_no_trend_change_and_says_so():
    y = [9, 12, 7, 10, 14, 11, 8, 13, 15, 9, 10, 12, 6, 8, 5, 9, 7, 6, 8, 4, 7, 9, 5, 6]
    result = im.fit_its(y, 12, change=im.STEP)
    assert result.trend_change is None and "trend_change" not in result.names
    assert "Trenden efter starten" not in result.reading
    assert "ingen trendförändring" in im.model_description(result)


def _latent_ar1(rng, n, rho, sd=0.3):
    u = np.zeros(n)
    if rho:
        noise = rng.normal(0, sd * math.sqrt(1 - rho**2), n)
        u[0] = rng.normal(0, sd)
        for i in range(1, n):
            u[i] = rho * u[i - 1] + noise[i]
    return u


SERIES = 300


@pytest.mark.parametrize("rho", [0.0, 0.6])
def test_simulation_no_effect_prints_the_effect_sentence_in_at_most_7_percent(rho):
    """2–8 events a month, 60 months, GVI from month 31; without and with autocorrelation (latent AR(1)
    with coefficient 0.6 and standard deviation 0.3 on the log scale). The page's model (quasi-Poisson,
    step, seasonality, Newey-West) says "the interval excludes no change" in at most 7 % of the series.
    (The plain Poisson GLM says it in about 14 % of the autocorrelated series.)"""
    rng = np.random.default_rng(18_000 + int(rho * 10))
    claimed = 0
    for _series in range(SERIES):
        base = rng.uniform(2, 8)
        y = rng.poisson(base * np.exp(_latent_ar1(rng, 60, rho)))
        result = im.fit_its(y, 30, family=im.QUASI, change=im.STEP, autocorrelation=im.HAC)
        claimed += result.effect_claimed and "Intervallet omfattar inte" in result.reading
    assert claimed / SERIES <= 0.07


@pytest.mark.parametrize("rho", [0.0, 0.6])
def test_simulation_true_30_percent_reduction_is_detected_at_the_stated_power(rho):
    """The stated power (docs/methods.md): a true 30 % reduction at 2–8 events a month over 60 months is
    detected in about 20 % of series (at least 12 % here) — at a small city's volumes the analysis
    usually cannot show even a large effect, which the page says."""
    rng = np.random.default_rng(18_100 + int(rho * 10))
    detected = 0
    for _series in range(SERIES):
        base = rng.uniform(2, 8)
        mu = base * np.exp(_latent_ar1(rng, 60, rho) + math.log(0.7) * (np.arange(60) >= 30))
        result = im.fit_its(rng.poisson(mu), 30, family=im.QUASI, change=im.STEP, autocorrelation=im.HAC)
        detected += result.effect_claimed and result.level.ratio < 1
    assert 0.12 <= detected / SERIES <= 0.40


def test_did_with_offsets_hac_and_a_shown_pre_trend_check():
    rng = np.random.default_rng(21)
    n, start = 48, 24
    months = np.arange(n)
    treated = rng.poisson(40 * np.exp(math.log(0.6) * (months >= start)))
    comparisons = [rng.poisson(np.full(n, base)) for base in (30.0, 50.0)]
    populations = [np.full(n, 40_000.0), np.full(n, 30_000.0), np.full(n, 60_000.0)]
    result = im.fit_did(treated, comparisons, start, exposures=populations, autocorrelation=im.HAC)
    assert result.effect.low <= 0.6 <= result.effect.high and result.effect.conclusive
    assert result.with_offset and result.corrected == im.HAC
    assert result.pre_trend is not None and not result.pre_trend.parallel_in_doubt
    assert "Kontroll av trenderna före starten" in result.pre_trend.reading
    # a treated series already falling before the start fails the check
    falling = rng.poisson(30 * np.exp(-0.04 * months))
    diverging = im.fit_did(falling, comparisons, start, autocorrelation=im.HAC)
    assert diverging.pre_trend.parallel_in_doubt
    assert "inte parallella" in diverging.pre_trend.reading
