"""Impact analysis: interrupted time series and difference-in-differences for monthly counts.

Pure (numpy, scipy and statsmodels only, no web framework). A site's monthly counts of serious incidents
are modelled with a segmented log-linear GLM:

    log E[y_t] = log(exposure_t) + b0 + b1 * t + b2 * after_t [+ b3 * (t - t0) * after_t] [+ seasonality_t]

where t counts months from 0, t0 is the first month with GVI in place, after_t is 1 from t0 on and
exposure_t is the population of the month (the offset; left out when no population is known). exp(b2) is
the rate ratio of the level change at the start, exp(b3) the monthly rate ratio of the trend change (only
in the "step + slope" model). Seasonality is either eleven month-of-year dummies or Fourier terms
(sine/cosine pairs over 12 months), or none.

Uncertainty (see docs/methods.md):

* overdispersion: quasi-Poisson (Poisson point estimates, variance scaled by Pearson chi2 / dof, never
  below 1) or a negative binomial with a method-of-moments alpha; when that alpha is at its floor the
  result says so (`alpha_at_floor`) instead of passing a Poisson fit off as a negative binomial;
* residual autocorrelation: reported (lag-1 autocorrelation and a Ljung-Box test of the Pearson
  residuals) and corrected: the standard error used is the larger of the model-based one and the
  Newey-West (HAC) one, and intervals use t quantiles with the residual degrees of freedom.

A difference-in-differences estimate pools the treated series with comparison series in a GLM with
series and month fixed effects and one treated-after indicator; exp(coefficient) is the rate ratio. The
same standards apply (offset, quasi-Poisson scale, panel HAC), and a pre-trend check (a different linear
trend for the treated series before the start) is computed and shown.
"""

import math
from dataclasses import dataclass, field

import numpy as np
import statsmodels.api as sm
from scipy import stats
from statsmodels.stats.diagnostic import acorr_ljungbox

from gvi.formatting import number


# Words and numbers of the readings. The module stays free of the web framework: by default the readings are Swedish
# with Swedish numbers; the platform installs its own translation and number format at start-up
# (gvi.evaluation.apps), so a reader in English gets English readings.
def _plain_number(value, decimals=0) -> str:
    return number(value, int(decimals))


HOOKS = {"translate": lambda text: text, "number": _plain_number}


def _(text: str) -> str:
    return HOOKS["translate"](text)


def format_number(value, decimals=0) -> str:
    return HOOKS["number"](value, decimals)


def signed(value, decimals=0) -> str:
    """A change with its sign: "+2,4", "−2,4", "0"."""
    text = format_number(value, decimals)
    return text if text.startswith("\u2212") or not text.strip("0,.") else "+" + text


POISSON = "poisson"
QUASI = "quasipoisson"
NEGBIN = "negbin"
MONTH_DUMMIES = "month"
FOURIER = "fourier"
STEP = "step"  # level change only
STEP_SLOPE = "step_slope"  # level and trend change
HAC = "hac"
Z95 = 1.959963984540054
ALPHA_FLOOR = 1e-8

# Below these, the page says there are too few events to conclude anything.
MIN_EVENTS = 20
MIN_MONTHS_EACH_SIDE = 6
# Residual autocorrelation is reported as "marked" from this Ljung-Box p-value down.
AUTOCORRELATION_P = 0.05


def its_design(
    n_months: int,
    start_index: int,
    first_calendar_month: int = 1,
    seasonality: str | None = FOURIER,
    harmonics: int = 2,
    change: str = STEP_SLOPE,
) -> tuple[np.ndarray, list[str]]:
    """Design matrix (rows = months) and column names for the segmented regression."""
    if not 0 < start_index < n_months:
        raise ValueError("start_index must leave at least one month before and after the start")
    if not 1 <= first_calendar_month <= 12:
        raise ValueError("first_calendar_month must be 1–12")
    if change not in (STEP, STEP_SLOPE):
        raise ValueError(f"unknown change {change!r}")
    t = np.arange(n_months, dtype=float)
    after = (t >= start_index).astype(float)
    columns = [np.ones(n_months), t, after]
    names = ["const", "trend", "level_change"]
    if change == STEP_SLOPE:
        columns.append((t - start_index) * after)
        names.append("trend_change")
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
    return max(alpha, ALPHA_FLOOR)


def newey_west_lags(n: int) -> int:
    """The usual automatic bandwidth floor(4 (n/100)^(2/9)), at least 1."""
    return max(1, int(math.floor(4 * (n / 100) ** (2 / 9))))


def long_run_inflation(residuals, n_params: int, lags: int = 6) -> float:
    """Standard-error factor for a persistent regressor (a step) under autocorrelated errors:
    sqrt(1 + 2 sum_k w_k r_k) over lags 1..`lags` with Bartlett weights w_k, each residual
    autocorrelation r_k first corrected for the downward bias of residuals from a fitted regression
    (+ n_params / n). Never below 1."""
    r = np.asarray(residuals, dtype=float)
    n = len(r)
    r = r - r.mean()
    denominator = float(np.sum(r**2))
    if denominator <= 0 or n < 3:
        return 1.0
    total = 0.0
    for k in range(1, min(lags, n - 1) + 1):
        rk = float(np.sum(r[k:] * r[:-k]) / denominator) + n_params / n
        total += (1 - k / (lags + 1)) * rk
    return math.sqrt(max(1.0, 1 + 2 * total))


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


def _estimate(coef: float, se: float, p_value: float, quantile: float = Z95) -> Estimate:
    return Estimate(
        math.exp(coef),
        math.exp(coef - quantile * se),
        math.exp(coef + quantile * se),
        coef,
        se,
        float(p_value),
    )


def _t_estimate(coef: float, se: float, df: int) -> Estimate:
    df = max(int(df), 1)
    quantile = float(stats.t.ppf(0.975, df))
    p_value = 2 * float(stats.t.sf(abs(coef) / se, df)) if se > 0 else 0.0
    return _estimate(coef, se, p_value, quantile)


@dataclass(frozen=True)
class Autocorrelation:
    """Residual autocorrelation of a fitted series: lag-1 autocorrelation and a Ljung-Box test."""

    lag1: float
    ljung_box_lags: int
    ljung_box_p: float
    hac_lags: int

    @property
    def marked(self) -> bool:
        return self.ljung_box_p < AUTOCORRELATION_P


def residual_autocorrelation(residuals: np.ndarray, hac_lags: int) -> Autocorrelation:
    r = np.asarray(residuals, dtype=float)
    r = r - r.mean()
    denominator = float(np.sum(r**2))
    lag1 = float(np.sum(r[1:] * r[:-1]) / denominator) if denominator > 0 else 0.0
    lags = max(1, min(12, len(r) // 5))
    try:
        table = acorr_ljungbox(r, lags=[lags])
        p_value = float(np.asarray(table["lb_pvalue"])[-1])
    except (ValueError, np.linalg.LinAlgError):
        p_value = 1.0
    if not math.isfinite(p_value):
        p_value = 1.0
    return Autocorrelation(lag1, lags, p_value, hac_lags)


@dataclass(frozen=True)
class ItsResult:
    family: str
    seasonality: str | None
    names: list[str]
    params: np.ndarray
    bse: np.ndarray  # the standard errors used for the intervals
    level: Estimate  # rate ratio at the start
    trend_change: Estimate | None  # monthly rate ratio of the change in trend (None in the step model)
    alpha: float | None
    events_before: int
    events_after: int
    months_before: int
    months_after: int
    fitted: np.ndarray = field(repr=False)
    counterfactual: np.ndarray = field(repr=False)  # expected counts had nothing changed at the start
    change: str = STEP_SLOPE
    dispersion: float = 1.0  # Pearson chi2 / dof of the fit (quasi-Poisson scale before the floor at 1)
    alpha_at_floor: bool = False  # negative binomial whose moment alpha was floored: no overdispersion seen
    autocorrelation: Autocorrelation | None = None
    corrected: str | None = None  # HAC when Newey-West standard errors were allowed to widen the intervals
    with_offset: bool = False
    df_resid: int = 0
    model_bse: np.ndarray | None = field(default=None, repr=False)  # model-based (quasi) standard errors
    hac_bse: np.ndarray | None = field(default=None, repr=False)

    @property
    def too_few(self) -> bool:
        return too_few_events(self.events_before, self.events_after, self.months_before, self.months_after)

    @property
    def reading(self) -> str:
        return its_reading(self)

    @property
    def effect_claimed(self) -> bool:
        """Whether the printed reading says the interval excludes "no change" (the "effect" sentence)."""
        return not self.too_few and self.level.conclusive


def too_few_events(events_before: int, events_after: int, months_before: int, months_after: int) -> bool:
    return (
        events_before + events_after < MIN_EVENTS
        or min(months_before, months_after) < MIN_MONTHS_EACH_SIDE
        or min(events_before, events_after) == 0
    )


def _log_offset(exposure, n: int) -> np.ndarray | None:
    if exposure is None:
        return None
    values = np.asarray(exposure, dtype=float)
    if values.shape != (n,) or np.any(~np.isfinite(values)) or np.any(values <= 0):
        raise ValueError("exposure must be one positive number per month")
    return np.log(values)


def fit_its(
    counts,
    start_index: int,
    first_calendar_month: int = 1,
    family: str = POISSON,
    seasonality: str | None = FOURIER,
    harmonics: int = 2,
    alpha: float | None = None,
    *,
    exposure=None,
    change: str = STEP_SLOPE,
    autocorrelation: str | None = None,
    hac_lags: int | None = None,
) -> ItsResult:
    """Segmented GLM for monthly counts; `start_index` is the first month with GVI in place.

    `exposure` (population per month) enters as the offset log(exposure). `family` is Poisson,
    quasi-Poisson (scale = Pearson chi2 / dof, at least 1) or the negative binomial, whose NB2 `alpha` is
    estimated by the method of moments from a Poisson fit unless given. With `autocorrelation=HAC` the
    standard error of each coefficient is the larger of the model-based and the Newey-West one (with
    `hac_lags`, by default the automatic bandwidth) and intervals use t quantiles; without it, normal
    quantiles of the model-based standard errors (the plain GLM).
    """
    y = np.asarray(counts, dtype=float)
    if y.ndim != 1 or np.any(y < 0):
        raise ValueError("counts must be a one-dimensional series of non-negative numbers")
    if family not in (POISSON, QUASI, NEGBIN):
        raise ValueError(f"unknown family {family!r}")
    if autocorrelation not in (None, HAC):
        raise ValueError(f"unknown autocorrelation correction {autocorrelation!r}")
    x, names = its_design(len(y), start_index, first_calendar_month, seasonality, harmonics, change)
    offset = _log_offset(exposure, len(y))
    poisson_model = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset)
    poisson = poisson_model.fit()
    df_resid = int(poisson.df_resid)
    dispersion = float(poisson.pearson_chi2 / max(poisson.df_resid, 1))
    used_alpha = None
    at_floor = False
    if family == POISSON:
        model, result = poisson_model, poisson
    elif family == QUASI:
        model = poisson_model
        result = poisson_model.fit(scale=max(1.0, dispersion))
    else:
        if alpha is None:
            alpha = moment_alpha(y, poisson.mu, x.shape[1])
            at_floor = alpha <= ALPHA_FLOOR
        used_alpha = float(alpha)
        model = sm.GLM(y, x, family=sm.families.NegativeBinomial(alpha=used_alpha), offset=offset)
        result = model.fit()
    params = np.asarray(result.params)
    model_bse = np.asarray(result.bse)
    bse = model_bse
    hac_bse = None
    corrected = None
    lags = hac_lags if hac_lags is not None else newey_west_lags(len(y))
    residuals = np.asarray(result.resid_pearson)
    report = residual_autocorrelation(residuals, lags)
    level_index = names.index("level_change")
    trend_index = names.index("trend_change") if "trend_change" in names else None
    if autocorrelation == HAC:
        robust = model.fit(cov_type="HAC", cov_kwds={"maxlags": lags, "use_correction": True})
        hac_bse = np.asarray(robust.bse)
        bse = np.maximum(
            np.maximum(model_bse, hac_bse), model_bse * long_run_inflation(residuals, x.shape[1])
        )
        corrected = HAC

        def make(index):
            return _t_estimate(float(params[index]), float(bse[index]), df_resid)

    else:
        pvalues = np.asarray(result.pvalues)

        def make(index):
            return _estimate(float(params[index]), float(bse[index]), float(pvalues[index]))

    counterfactual_x = x.copy()
    counterfactual_x[:, level_index] = 0
    if trend_index is not None:
        counterfactual_x[:, trend_index] = 0
    linear_offset = offset if offset is not None else 0.0
    return ItsResult(
        family=family,
        seasonality=seasonality,
        names=names,
        params=params,
        bse=bse,
        level=make(level_index),
        trend_change=make(trend_index) if trend_index is not None else None,
        alpha=used_alpha,
        events_before=int(y[:start_index].sum()),
        events_after=int(y[start_index:].sum()),
        months_before=start_index,
        months_after=len(y) - start_index,
        fitted=np.asarray(result.fittedvalues),
        counterfactual=np.exp(counterfactual_x @ params + linear_offset),
        change=change,
        dispersion=dispersion,
        alpha_at_floor=at_floor,
        autocorrelation=report,
        corrected=corrected,
        with_offset=offset is not None,
        df_resid=df_resid,
        model_bse=model_bse,
        hac_bse=hac_bse,
    )


def _pct(value: float) -> str:
    return format_number(abs(value), 0)


def change_sentence(estimate: Estimate, subject: str = "start") -> str:
    """'Efter GVI-starten minskade antalet med uppskattningsvis 30 % (95 % KI 12–44 %).' `subject` is
    "start" (after the start) or "comparison" (compared with the comparison areas)."""
    ratio, low, high = estimate.ratio, estimate.low, estimate.high
    falling = ratio < 1
    if falling:
        point, first, second = 1 - ratio, 1 - high, 1 - low
    else:
        point, first, second = ratio - 1, low - 1, high - 1
    if first < 0:  # interval crosses "no change": write it as signed bounds
        interval = _("%(low)s till %(high)s %%") % {"low": signed(first * 100), "high": signed(second * 100)}
    else:
        interval = f"{_pct(first * 100)}–{_pct(second * 100)} %"
    values = {"point": _pct(point * 100), "interval": interval}
    sentences = {
        ("start", True): _(
            "Efter GVI-starten minskade antalet med uppskattningsvis %(point)s %% (95 %% KI %(interval)s)."
        ),
        ("start", False): _(
            "Efter GVI-starten ökade antalet med uppskattningsvis %(point)s %% (95 %% KI %(interval)s)."
        ),
        ("comparison", True): _(
            "Jämfört med jämförelseområdena minskade antalet med uppskattningsvis %(point)s %% (95 %% KI %(interval)s)."
        ),
        ("comparison", False): _(
            "Jämfört med jämförelseområdena ökade antalet med uppskattningsvis %(point)s %% (95 %% KI %(interval)s)."
        ),
    }
    sentence = sentences[(subject, falling)] % values
    if estimate.conclusive:
        sentence += " " + _("Intervallet omfattar inte ”ingen förändring”.")
    else:
        sentence += " " + _(
            "Intervallet omfattar ”ingen förändring”, så förändringen kan inte skiljas från slumpen."
        )
    return sentence


def too_few_reading(events_before: int, events_after: int, months_before: int, months_after: int) -> str:
    return _(
        "För få händelser för att dra någon slutsats (%(before)s före och %(after)s efter starten, "
        "%(months_before)s respektive %(months_after)s månader). Siffrorna redovisas, men en effekt kan "
        "inte bedömas."
    ) % {
        "before": events_before,
        "after": events_after,
        "months_before": months_before,
        "months_after": months_after,
    }


def gettext_noop(text: str) -> str:
    """Marks a text for the translation catalogue; it is translated where it is shown."""
    return text


FAMILY_NAMES = {
    POISSON: gettext_noop("Poissonregression"),
    QUASI: gettext_noop("kvasi-Poissonregression"),
    NEGBIN: gettext_noop("negativ binomialregression"),
}


def model_description(result: ItsResult) -> str:
    """The model in plain words: which terms, which family, offset, overdispersion and autocorrelation."""
    family = _(FAMILY_NAMES[result.family])
    if result.change == STEP_SLOPE:
        terms = _("nivåförändring vid starten och trendförändring")
    else:
        terms = _("nivåförändring vid starten (ingen trendförändring)")
    season = _("med säsong") if result.seasonality else _("utan säsong")
    exposure = (
        _("och befolkningen som exponering (antal per invånare)")
        if result.with_offset
        else _("utan befolkningsuppgift (antal, inte antal per invånare)")
    )
    text = _("Segmenterad %(family)s med trend, %(terms)s, %(season)s %(exposure)s.") % {
        "family": family,
        "terms": terms,
        "season": season,
        "exposure": exposure,
    }
    if result.family == QUASI:
        text += " " + _(
            "Överspridning %(dispersion)s (1 = som Poisson); intervallen är breddade därefter."
        ) % {"dispersion": format_number(result.dispersion, 2)}
    elif result.family == NEGBIN and result.alpha_at_floor:
        text += " " + _(
            "Ingen överspridning kunde skattas (skattningen var noll eller negativ), så modellen är i "
            "praktiken en Poissonmodell."
        )
    if result.autocorrelation is not None:
        auto = result.autocorrelation
        values = {"lag1": format_number(auto.lag1, 2), "p": format_number(auto.ljung_box_p, 3)}
        if auto.marked:
            text += (
                " "
                + _(
                    "Autokorrelation i residualerna (första ordningen) %(lag1)s, tydlig (Ljung–Box p = %(p)s)"
                )
                % values
            )
        else:
            text += (
                " " + _("Autokorrelation i residualerna (första ordningen) %(lag1)s, inte tydlig") % values
            )
        if result.corrected == HAC:
            text += _(
                "; standardfelen är korrigerade för autokorrelation (Newey–West, %(lags)s månader)."
            ) % {"lags": auto.hac_lags}
        else:
            text += _("; standardfelen är inte korrigerade för den.")
    return text


def its_reading(result: ItsResult) -> str:
    if result.too_few:
        return too_few_reading(
            result.events_before, result.events_after, result.months_before, result.months_after
        )
    text = change_sentence(result.level)
    trend = result.trend_change
    if trend is not None:
        text += " " + _(
            "Trenden efter starten ändrades med %(change)s %% per månad (95 %% KI %(low)s till %(high)s %%)."
        ) % {
            "change": signed(trend.percent_change, 1),
            "low": signed((trend.low - 1) * 100, 1),
            "high": signed((trend.high - 1) * 100, 1),
        }
    if result.seasonality:
        text += " " + _(
            "Skattningen bygger på segmenterad %(model)s med trend och säsong och förutsätter att inget "
            "annat än GVI ändrades vid starten."
        ) % {"model": _(FAMILY_NAMES[result.family]).lower()}
    else:
        text += " " + _(
            "Skattningen bygger på segmenterad %(model)s med trend och förutsätter att inget annat än GVI "
            "ändrades vid starten."
        ) % {"model": _(FAMILY_NAMES[result.family]).lower()}
    return text


@dataclass(frozen=True)
class PreTrend:
    """The pre-trend check of a difference-in-differences: the treated series' own extra trend before the
    start (monthly rate ratio against the comparison series). Parallel trends are in doubt when its
    interval excludes 1."""

    per_month: Estimate
    months: int

    @property
    def parallel_in_doubt(self) -> bool:
        return self.per_month.conclusive

    @property
    def reading(self) -> str:
        low, high = (self.per_month.low - 1) * 100, (self.per_month.high - 1) * 100
        text = _(
            "Kontroll av trenderna före starten (%(months)s månader): platsens utveckling skilde sig från "
            "jämförelseområdenas med %(change)s %% per månad (95 %% KI %(low)s till %(high)s %%)."
        ) % {
            "months": self.months,
            "change": signed(self.per_month.percent_change, 1),
            "low": signed(low, 1),
            "high": signed(high, 1),
        }
        if self.parallel_in_doubt:
            return (
                text
                + " "
                + _(
                    "Trenderna var inte parallella före starten, så jämförelsen efter starten är inte "
                    "tillförlitlig."
                )
            )
        return (
            text
            + " "
            + _(
                "Ingen skillnad i trend före starten kunde påvisas; det bevisar inte att trenderna hade "
                "fortsatt vara parallella."
            )
        )


@dataclass(frozen=True)
class DidResult:
    effect: Estimate
    n_series: int
    treated_before: int
    treated_after: int
    dispersion: float = 1.0
    autocorrelation: Autocorrelation | None = None
    corrected: str | None = None
    with_offset: bool = False
    pre_trend: PreTrend | None = None

    @property
    def reading(self) -> str:
        if self.treated_before + self.treated_after < MIN_EVENTS:
            return _("För få händelser för att jämföra med jämförelseområdena.")
        return (
            change_sentence(self.effect, "comparison")
            + " "
            + _("Jämförelsen förutsätter att områdena hade följt samma utveckling utan GVI.")
        )

    @property
    def description(self) -> str:
        values = {"dispersion": format_number(self.dispersion, 2)}
        if self.with_offset:
            text = (
                _(
                    "Kvasi-Poissonregression med fasta effekter för område och månad; överspridning "
                    "%(dispersion)s, befolkningen som exponering."
                )
                % values
            )
        else:
            text = (
                _(
                    "Kvasi-Poissonregression med fasta effekter för område och månad; överspridning "
                    "%(dispersion)s, utan befolkningsuppgift."
                )
                % values
            )
        if self.autocorrelation is not None:
            lag1 = {"lag1": format_number(self.autocorrelation.lag1, 2)}
            if self.corrected == HAC:
                text += (
                    " "
                    + _(
                        "Autokorrelation i residualerna (första ordningen) %(lag1)s; standardfelen är korrigerade "
                        "för autokorrelation inom varje område (Newey–West)."
                    )
                    % lag1
                )
            else:
                text += " " + _("Autokorrelation i residualerna (första ordningen) %(lag1)s.") % lag1
        return text


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


def _panel_fit(y, x, offset, groups, lags, hac: bool):
    """Quasi-Poisson fit of a panel; the coefficient's standard error (max of model and panel HAC) etc."""
    model = sm.GLM(y, x, family=sm.families.Poisson(), offset=offset)
    first = model.fit()
    dispersion = float(first.pearson_chi2 / max(first.df_resid, 1))
    result = model.fit(scale=max(1.0, dispersion))
    se = np.asarray(result.bse)
    if hac:
        robust = model.fit(
            cov_type="hac-panel", cov_kwds={"groups": groups, "maxlags": lags, "use_correction": True}
        )
        se = np.maximum(se, np.asarray(robust.bse))
    return result, se, dispersion, int(first.df_resid)


def pre_trend_check(treated, comparisons, start_index: int, exposures=None) -> PreTrend | None:
    """A different linear trend for the treated series before the start (series and month fixed
    effects, quasi-Poisson scale); None with fewer than four months before the start."""
    if start_index < 4:
        return None
    treated = np.asarray(treated, dtype=float)[:start_index]
    others = [np.asarray(c, dtype=float)[:start_index] for c in comparisons]
    n_series = 1 + len(others)
    y = np.concatenate([treated, *others])
    series = np.repeat(np.arange(n_series), start_index)
    month = np.tile(np.arange(start_index), n_series)
    columns = [np.ones(len(y))]
    columns += [(series == s).astype(float) for s in range(1, n_series)]
    columns += [(month == m).astype(float) for m in range(1, start_index)]
    columns.append(np.where(series == 0, month, 0).astype(float))
    x = np.column_stack(columns)
    offset = None
    if exposures is not None:
        offset = np.log(np.concatenate([np.asarray(e, dtype=float)[:start_index] for e in exposures]))
    result, se, _dispersion, df = _panel_fit(y, x, offset, series, newey_west_lags(start_index), hac=True)
    return PreTrend(_t_estimate(float(result.params[-1]), float(se[-1]), df), start_index)


def fit_did(
    treated,
    comparisons,
    start_index: int,
    *,
    exposures=None,
    autocorrelation: str | None = None,
    hac_lags: int | None = None,
) -> DidResult:
    """Difference-in-differences rate ratio of the treated series against comparison series.

    Poisson GLM with series and month fixed effects; standard errors scaled by Pearson chi2 / dof so that
    overdispersion widens the interval (never narrows it). `exposures` (one population series per series,
    treated first) enter as offsets. With `autocorrelation=HAC` the standard error is at least the panel
    Newey-West one (autocorrelation within each series) and the interval uses t quantiles. The pre-trend
    check is computed whenever there are at least four months before the start.
    """
    treated = np.asarray(treated, dtype=float)
    others = [np.asarray(c, dtype=float) for c in comparisons]
    if not others or any(len(c) != len(treated) for c in others):
        raise ValueError("comparison series must be given and as long as the treated series")
    if autocorrelation not in (None, HAC):
        raise ValueError(f"unknown autocorrelation correction {autocorrelation!r}")
    n_series = 1 + len(others)
    y = np.concatenate([treated, *others])
    x, _ = did_design(n_series, len(treated), start_index)
    offset = None
    if exposures is not None:
        if len(exposures) != n_series:
            raise ValueError("one exposure series per series, the treated first")
        offset = np.concatenate([_log_offset(e, len(treated)) for e in exposures])
    groups = np.repeat(np.arange(n_series), len(treated))
    lags = hac_lags if hac_lags is not None else newey_west_lags(len(treated))
    result, se, dispersion, df = _panel_fit(y, x, offset, groups, lags, hac=autocorrelation == HAC)
    coef = float(result.params[-1])
    if autocorrelation == HAC:
        effect = _t_estimate(coef, float(se[-1]), df)
    else:
        effect = _estimate(coef, float(se[-1]), float(result.pvalues[-1]))
    residuals = np.asarray(result.resid_pearson)[: len(treated)]
    return DidResult(
        effect=effect,
        n_series=n_series,
        treated_before=int(treated[:start_index].sum()),
        treated_after=int(treated[start_index:].sum()),
        dispersion=dispersion,
        autocorrelation=residual_autocorrelation(residuals, lags),
        corrected=autocorrelation,
        with_offset=offset is not None,
        pre_trend=pre_trend_check(treated, others, start_index, exposures),
    )
