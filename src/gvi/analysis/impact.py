"""Impact analysis: interrupted time series and difference-in-differences for monthly counts.

Pure (numpy and statsmodels only, no web framework). A site's monthly counts of serious incidents are modelled with a
segmented Poisson or negative-binomial GLM:

    log E[y_t] = b0 + b1 * t + b2 * after_t + b3 * (t - t0) * after_t + seasonality_t

where t counts months from 0, t0 is the first month with GVI in place, after_t is 1 from t0 on. exp(b2) is
the rate ratio of the level change at the start, exp(b3) the monthly rate ratio of the trend change.
Seasonality is either eleven month-of-year dummies or Fourier terms (sine/cosine pairs over 12 months).

A difference-in-differences estimate pools the treated series with comparison series in a Poisson GLM with
series and month fixed effects and one treated-after indicator; exp(coefficient) is the rate ratio.
"""

import math
from dataclasses import dataclass, field

import numpy as np
import statsmodels.api as sm

POISSON = "poisson"
NEGBIN = "negbin"
MONTH_DUMMIES = "month"
FOURIER = "fourier"
Z95 = 1.959963984540054

# Below these, the page says there are too few events to conclude anything.
MIN_EVENTS = 20
MIN_MONTHS_EACH_SIDE = 6


def its_design(
    n_months: int,
    start_index: int,
    first_calendar_month: int = 1,
    seasonality: str | None = FOURIER,
    harmonics: int = 2,
) -> tuple[np.ndarray, list[str]]:
    """Design matrix (rows = months) and column names for the segmented regression."""
    if not 0 < start_index < n_months:
        raise ValueError("start_index must leave at least one month before and after the start")
    if not 1 <= first_calendar_month <= 12:
        raise ValueError("first_calendar_month must be 1–12")
    t = np.arange(n_months, dtype=float)
    after = (t >= start_index).astype(float)
    columns = [np.ones(n_months), t, after, (t - start_index) * after]
    names = ["const", "trend", "level_change", "trend_change"]
    calendar = (np.arange(n_months) + first_calendar_month - 1) % 12 + 1  # 1..12
    if seasonality == MONTH_DUMMIES:
        for month in range(2, 13):
            columns.append((calendar == month).astype(float))
            names.append(f"month_{month}")
    elif seasonality == FOURIER:
        for k in range(1, harmonics + 1):
            angle = 2 * math.pi * k * calendar / 12
            columns += [np.sin(angle), np.cos(angle)]
            names += [f"sin_{k}", f"cos_{k}"]
    elif seasonality is not None:
        raise ValueError(f"unknown seasonality {seasonality!r}")
    return np.column_stack(columns), names


def moment_alpha(y: np.ndarray, mu: np.ndarray, n_params: int) -> float:
    """Method-of-moments overdispersion for NB2 (Var = mu + alpha mu^2), from a Poisson fit; >= 1e-8."""
    dof = max(len(y) - n_params, 1)
    alpha = float(np.sum(((y - mu) ** 2 - y) / mu**2) / dof)
    return max(alpha, 1e-8)


@dataclass(frozen=True)
class Estimate:
    ratio: float
    low: float
    high: float
    coef: float
    se: float
    p_value: float

    @property
    def percent_change(self) -> float:
        return (self.ratio - 1) * 100

    @property
    def conclusive(self) -> bool:
        return self.high < 1 or self.low > 1


def _estimate(coef: float, se: float, p_value: float) -> Estimate:
    return Estimate(
        math.exp(coef), math.exp(coef - Z95 * se), math.exp(coef + Z95 * se), coef, se, float(p_value)
    )


@dataclass(frozen=True)
class ItsResult:
    family: str
    seasonality: str | None
    names: list[str]
    params: np.ndarray
    bse: np.ndarray
    level: Estimate  # rate ratio at the start
    trend_change: Estimate  # monthly rate ratio of the change in trend
    alpha: float | None
    events_before: int
    events_after: int
    months_before: int
    months_after: int
    fitted: np.ndarray = field(repr=False)
    counterfactual: np.ndarray = field(repr=False)  # expected counts had nothing changed at the start

    @property
    def too_few(self) -> bool:
        return too_few_events(self.events_before, self.events_after, self.months_before, self.months_after)

    @property
    def reading(self) -> str:
        return its_reading(self)


def too_few_events(events_before: int, events_after: int, months_before: int, months_after: int) -> bool:
    return (
        events_before + events_after < MIN_EVENTS
        or min(months_before, months_after) < MIN_MONTHS_EACH_SIDE
        or min(events_before, events_after) == 0
    )


def fit_its(
    counts,
    start_index: int,
    first_calendar_month: int = 1,
    family: str = POISSON,
    seasonality: str | None = FOURIER,
    harmonics: int = 2,
    alpha: float | None = None,
) -> ItsResult:
    """Segmented GLM for monthly counts; `start_index` is the first month with GVI in place.

    For the negative binomial, `alpha` (NB2 overdispersion) is estimated by the method of moments from a
    Poisson fit unless given.
    """
    y = np.asarray(counts, dtype=float)
    if y.ndim != 1 or np.any(y < 0):
        raise ValueError("counts must be a one-dimensional series of non-negative numbers")
    x, names = its_design(len(y), start_index, first_calendar_month, seasonality, harmonics)
    if family == POISSON:
        model_family = sm.families.Poisson()
        used_alpha = None
    elif family == NEGBIN:
        if alpha is None:
            poisson = sm.GLM(y, x, family=sm.families.Poisson()).fit()
            alpha = moment_alpha(y, poisson.mu, x.shape[1])
        used_alpha = float(alpha)
        model_family = sm.families.NegativeBinomial(alpha=used_alpha)
    else:
        raise ValueError(f"unknown family {family!r}")
    result = sm.GLM(y, x, family=model_family).fit()
    params, bse, pvalues = np.asarray(result.params), np.asarray(result.bse), np.asarray(result.pvalues)
    counterfactual_x = x.copy()
    counterfactual_x[:, 2:4] = 0
    return ItsResult(
        family=family,
        seasonality=seasonality,
        names=names,
        params=params,
        bse=bse,
        level=_estimate(params[2], bse[2], pvalues[2]),
        trend_change=_estimate(params[3], bse[3], pvalues[3]),
        alpha=used_alpha,
        events_before=int(y[:start_index].sum()),
        events_after=int(y[start_index:].sum()),
        months_before=start_index,
        months_after=len(y) - start_index,
        fitted=np.asarray(result.fittedvalues),
        counterfactual=np.exp(counterfactual_x @ params),
    )


def _pct(value: float) -> str:
    return f"{abs(value):.0f}"


def change_sentence(estimate: Estimate, subject: str = "Efter GVI-starten") -> str:
    """'Efter GVI-starten minskade antalet med uppskattningsvis 30 % (95 % KI 12–44 %).'"""
    ratio, low, high = estimate.ratio, estimate.low, estimate.high
    if ratio < 1:
        verb, point, first, second = "minskade", 1 - ratio, 1 - high, 1 - low
    else:
        verb, point, first, second = "ökade", ratio - 1, low - 1, high - 1
    if first < 0:  # interval crosses "no change": write it as signed bounds
        interval = f"{(first * 100):+.0f} till {(second * 100):+.0f} %"
    else:
        interval = f"{_pct(first * 100)}–{_pct(second * 100)} %"
    sentence = f"{subject} {verb} antalet med uppskattningsvis {_pct(point * 100)} % (95 % KI {interval})."
    if estimate.conclusive:
        sentence += " Intervallet omfattar inte ”ingen förändring”."
    else:
        sentence += " Intervallet omfattar ”ingen förändring”, så förändringen kan inte skiljas från slumpen."
    return sentence


def too_few_reading(events_before: int, events_after: int, months_before: int, months_after: int) -> str:
    return (
        f"För få händelser för att dra någon slutsats ({events_before} före och {events_after} efter "
        f"starten, {months_before} respektive {months_after} månader). Siffrorna redovisas, men en effekt "
        "kan inte bedömas."
    )


def its_reading(result: ItsResult) -> str:
    if result.too_few:
        return too_few_reading(
            result.events_before, result.events_after, result.months_before, result.months_after
        )
    trend = result.trend_change
    trend_pct = trend.percent_change
    trend_text = (
        f" Trenden efter starten ändrades med {trend_pct:+.1f} % per månad "
        f"(95 % KI {(trend.low - 1) * 100:+.1f} till {(trend.high - 1) * 100:+.1f} %)."
    )
    model = "Poissonregression" if result.family == POISSON else "negativ binomialregression"
    caveat = (
        f" Skattningen bygger på segmenterad {model} med trend och säsong och förutsätter att inget annat "
        "än GVI ändrades vid starten."
    )
    return change_sentence(result.level) + trend_text + caveat


@dataclass(frozen=True)
class DidResult:
    effect: Estimate
    n_series: int
    treated_before: int
    treated_after: int

    @property
    def reading(self) -> str:
        if self.treated_before + self.treated_after < MIN_EVENTS:
            return "För få händelser för att jämföra med jämförelseområdena."
        return change_sentence(self.effect, "Jämfört med jämförelseområdena") + (
            " Jämförelsen förutsätter att områdena hade följt samma utveckling utan GVI."
        )


def did_design(n_series: int, n_months: int, start_index: int) -> tuple[np.ndarray, list[str]]:
    """Rows ordered series by series (series 0 is treated): const, series effects, month effects, treated×after."""
    if n_series < 2:
        raise ValueError("need at least one comparison series")
    if not 0 < start_index < n_months:
        raise ValueError("start_index must leave at least one month before and after the start")
    rows = n_series * n_months
    series = np.repeat(np.arange(n_series), n_months)
    month = np.tile(np.arange(n_months), n_series)
    columns = [np.ones(rows)]
    names = ["const"]
    for s in range(1, n_series):
        columns.append((series == s).astype(float))
        names.append(f"series_{s}")
    for m in range(1, n_months):
        columns.append((month == m).astype(float))
        names.append(f"month_{m}")
    columns.append(((series == 0) & (month >= start_index)).astype(float))
    names.append("treated_after")
    return np.column_stack(columns), names


def fit_did(treated, comparisons, start_index: int) -> DidResult:
    """Difference-in-differences rate ratio of the treated series against comparison series.

    Poisson GLM with series and month fixed effects; standard errors scaled by Pearson chi2 / dof so that
    overdispersion widens the interval (never narrows it).
    """
    treated = np.asarray(treated, dtype=float)
    others = [np.asarray(c, dtype=float) for c in comparisons]
    if not others or any(len(c) != len(treated) for c in others):
        raise ValueError("comparison series must be given and as long as the treated series")
    y = np.concatenate([treated, *others])
    x, _ = did_design(1 + len(others), len(treated), start_index)
    model = sm.GLM(y, x, family=sm.families.Poisson())
    first = model.fit()
    dispersion = max(1.0, float(first.pearson_chi2 / max(first.df_resid, 1)))
    result = model.fit(scale=dispersion)
    coef, se, p_value = float(result.params[-1]), float(result.bse[-1]), float(result.pvalues[-1])
    return DidResult(
        effect=_estimate(coef, se, p_value),
        n_series=1 + len(others),
        treated_before=int(treated[:start_index].sum()),
        treated_after=int(treated[start_index:].sum()),
    )
