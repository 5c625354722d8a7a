"""A self-exciting (Hawkes) point process for serious incidents: pure computation, no web framework.

Time is measured in days. The conditional intensity of one event stream is

    λ(t) = μ + α·β·Σ_{t_i < t} exp(−β(t − t_i))

where μ is the background rate (events per day), α the branching ratio (the expected number of direct
"offspring" events one event triggers, 0 ≤ α < 1) and β the decay rate: 1/β is the mean delay of a
triggered event in days and ln 2/β the half-life of the raised intensity. Each event raises the intensity
by α·β at once, and the raise then decays exponentially.

For groups, several streams (one per group, one per conflicting pair) share α and β and keep their own
background μ_k: the pooled log-likelihood is the sum of the streams' log-likelihoods, so small groups
borrow strength for the shape of the kernel while keeping their own base level. Streams may overlap (an
incident between two groups in conflict appears in both groups' streams and the pair's stream); the
pooled fit treats them as independent, a practical simplification that leaves the point estimates usable
but makes the likelihood somewhat over-confident.

Every log-likelihood here is linear time: A_i = Σ_{j<i} e^{−β(t_i − t_j)} by chunked cumulative sums (`_Batch`);
`loglik_quadratic` keeps the direct double sum as a reference for tests and benchmarks. Events at exactly
the same time excite each other in the order given (index order j < i), in both forms.

A log-likelihood can be evaluated on a window [start, end] while conditioning on earlier events: events
before `start` are history (they raise the intensity inside the window but are not themselves scored).
That is what held-out evaluation needs.
"""

import math
from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy.optimize import minimize

LN2 = math.log(2)

# Bounds of the fit, in natural units. β between 1e-3/day (a mean delay of ~3 years) and 50/day (~30
# minutes); callers with domain knowledge should pass narrower bounds.
MU_BOUNDS = (1e-8, 1e4)
ALPHA_BOUNDS = (1e-6, 0.99)
BETA_BOUNDS = (1e-3, 50.0)
# Starting points of the optimiser (branching ratio, decay rate per day); the best optimum wins.
START_ALPHAS = (0.2, 0.5, 0.8)
START_BETAS = (1 / 30, 1 / 3, 3.0)
# Above this many events the starting points are compared on a recent stretch of the data first.
PRESELECT_EVENTS = 50_000


# --------------------------------------------------------------------------------------------------
# Data types
# --------------------------------------------------------------------------------------------------


def _as_times(times: Iterable[float]) -> np.ndarray:
    array = np.sort(np.asarray(list(times) if not isinstance(times, np.ndarray) else times, dtype=float))
    if array.ndim != 1:
        raise ValueError("times must be one-dimensional")
    if not np.all(np.isfinite(array)):
        raise ValueError("times must be finite")
    return array


@dataclass(frozen=True)
class Stream:
    """One stream of event times (days), observed on [start, end]; events before `start` are history.

    Events after `end` are ignored.
    """

    times: np.ndarray
    end: float
    start: float = 0.0
    key: Hashable = None

    def __post_init__(self):
        object.__setattr__(self, "times", _as_times(self.times))
        if not self.end > self.start:
            raise ValueError("a stream needs end > start")

    @property
    def observed(self) -> np.ndarray:
        """The events that are scored: start <= t <= end."""
        return self.times[(self.times >= self.start) & (self.times <= self.end)]

    @property
    def n_events(self) -> int:
        return int(self.observed.size)

    @property
    def length(self) -> float:
        return self.end - self.start


def half_life(beta: float) -> float:
    """Days for the raised intensity after an event to fall by half: ln 2 / β."""
    return LN2 / beta


@dataclass(frozen=True)
class HawkesFit:
    """A univariate fit. `alpha` is the branching ratio; `horizon` the observed length in days."""

    mu: float
    alpha: float
    beta: float
    loglik: float
    n_events: int
    horizon: float
    converged: bool
    start: float = 0.0

    @property
    def half_life(self) -> float:
        return half_life(self.beta)

    @property
    def mean_delay(self) -> float:
        """1/β: the mean delay in days between an event and an event it triggers."""
        return 1 / self.beta

    @property
    def stationary_rate(self) -> float:
        """Long-run mean events per day, μ/(1 − α)."""
        return self.mu / (1 - self.alpha)


@dataclass(frozen=True)
class PoissonFit:
    """A constant-rate baseline: rate = n / length, events per day."""

    rate: float
    loglik: float
    n_events: int
    horizon: float


@dataclass(frozen=True)
class PooledFit:
    """Shared α and β over several streams, one background μ per stream (keyed by the streams' keys)."""

    mu: dict
    alpha: float
    beta: float
    loglik: float
    poisson_loglik: float  # per-stream constant rates on the same data, for comparison
    n_events: int
    n_streams: int
    converged: bool
    n_params: int = 0

    @property
    def half_life(self) -> float:
        return half_life(self.beta)

    @property
    def mean_delay(self) -> float:
        return 1 / self.beta

    @property
    def loglik_gain(self) -> float:
        """Log-likelihood of the Hawkes fit minus that of the constant-rate baseline."""
        return self.loglik - self.poisson_loglik

    @property
    def aic_gain(self) -> float:
        """AIC of the baseline minus AIC of the Hawkes fit (positive: Hawkes preferred); 2 extra parameters."""
        return 2 * self.loglik_gain - 2 * 2

    def params(self, key: Hashable) -> tuple[float, float, float]:
        return self.mu[key], self.alpha, self.beta


# --------------------------------------------------------------------------------------------------
# Log-likelihood
# --------------------------------------------------------------------------------------------------


def _compensator_terms(times: np.ndarray, start: float, end: float, beta: float):
    """Σ_i (e^{−β a_i} − e^{−β b_i}) and its derivative in β, with a_i = max(start − t_i, 0), b_i = end − t_i."""
    if times.size == 0:
        return 0.0, 0.0
    a = np.maximum(start - times, 0.0)
    b = end - times
    ea, eb = np.exp(-beta * a), np.exp(-beta * b)
    return float(np.sum(ea - eb)), float(np.sum(-a * ea + b * eb))


# Events are laid out in chunks of CHUNK consecutive events of one stream (rows of a 2-D array). Inside a
# chunk the excitation is a cumulative log-sum-exp relative to the chunk's first event (one NumPy call for
# all chunks, numerically stable: no term is larger than the chunk's own span); between chunks a scalar
# carry (S, T below) follows the recursion. One evaluation on 1,000,000 events is a few dozen NumPy calls
# and one short loop over the chunks, instead of a Python loop over every event.
CHUNK = 64


class _Batch:
    """The streams' events, laid out once for every evaluation of the pooled log-likelihood."""

    def __init__(self, streams: Sequence[Stream]):
        self.n_streams = len(streams)
        self.lengths = np.array([s.end - s.start for s in streams], dtype=float)
        rows: list[np.ndarray] = []
        row_stream: list[int] = []
        row_first: list[bool] = []
        for index, stream in enumerate(streams):
            times = stream.times[stream.times <= stream.end]
            for begin in range(0, times.size, CHUNK):
                rows.append(times[begin : begin + CHUNK])
                row_stream.append(index)
                row_first.append(begin == 0)
        n_rows = len(rows)
        self.n_rows = n_rows
        self.offsets = np.zeros((n_rows, CHUNK))
        self.valid = np.zeros((n_rows, CHUNK), dtype=bool)
        self.row_origin = np.array([row[0] for row in rows], dtype=float)
        self.row_count = np.array([row.size for row in rows], dtype=np.int64)
        for r, row in enumerate(rows):
            self.offsets[r, : row.size] = row - row[0]
            self.valid[r, : row.size] = True
        self.row_stream = np.array(row_stream, dtype=np.int64)
        self.row_first = row_first
        # The gap from each chunk's origin to the next chunk's origin (only used within one stream).
        self.gaps = np.append(np.diff(self.row_origin), 0.0).tolist() if n_rows else []
        self.stream_of = np.broadcast_to(self.row_stream[:, None], (n_rows, CHUNK))[self.valid]
        times = (self.row_origin[:, None] + self.offsets)[self.valid]
        starts = np.array([s.start for s in streams], dtype=float)[self.stream_of]
        ends = np.array([s.end for s in streams], dtype=float)[self.stream_of]
        self.scored = times >= starts
        # Compensator offsets: a_i = max(start − t_i, 0), b_i = end − t_i.
        self.before_start = np.maximum(starts - times, 0.0)
        self.before_end = ends - times
        with np.errstate(divide="ignore"):
            self.log_offsets = np.log(self.offsets)

    def _excitation(self, beta: float) -> tuple[np.ndarray, np.ndarray]:
        """A_i = Σ_{j<i} e^{−β(t_i − t_j)} and B_i = dA_i/dβ for every event (flattened, valid only)."""
        if self.n_rows == 0:
            return np.zeros(0), np.zeros(0)
        x = np.where(self.valid, beta * self.offsets, -np.inf)
        with np.errstate(invalid="ignore", over="ignore"):
            total = np.logaddexp.accumulate(x, axis=1)
            weighted = np.logaddexp.accumulate(self.log_offsets + x, axis=1)
            before = np.concatenate([np.full((self.n_rows, 1), -np.inf), total[:, :-1]], axis=1)
            weighted_before = np.concatenate([np.full((self.n_rows, 1), -np.inf), weighted[:, :-1]], axis=1)
            inner = np.exp(before - x)  # Σ_{j<i in the chunk} e^{−β(t_i − t_j)}
            inner_weighted = np.exp(weighted_before - x)  # Σ_{j<i in the chunk} D_j e^{−β(t_i − t_j)}
        last = self.row_count - 1
        rows = np.arange(self.n_rows)
        chunk_mass = total[rows, last].tolist()
        chunk_weighted = weighted[rows, last].tolist()
        # S_c = Σ_{j before chunk c} e^{−β(r_c − t_j)}, T_c = Σ_{j before chunk c} (r_c − t_j)·e^{−β(r_c − t_j)}.
        carry = [0.0] * self.n_rows
        carry_weighted = [0.0] * self.n_rows
        s = w = 0.0
        for c in range(self.n_rows):
            if self.row_first[c]:
                s = w = 0.0
            else:
                gap = self.gaps[c - 1]
                decay = math.exp(-beta * gap)
                mass = math.exp(chunk_mass[c - 1] - beta * gap)
                weighted_mass = math.exp(chunk_weighted[c - 1] - beta * gap)
                s, w = s * decay + mass, decay * (w + gap * s) + gap * mass - weighted_mass
            carry[c], carry_weighted[c] = s, w
        carry_s = np.asarray(carry)[:, None]
        carry_w = np.asarray(carry_weighted)[:, None]
        with np.errstate(invalid="ignore", over="ignore"):
            decayed = np.exp(-x)
            excitation = inner + decayed * carry_s
            slope = -(self.offsets * inner - inner_weighted) - decayed * (self.offsets * carry_s + carry_w)
        return excitation[self.valid], slope[self.valid]

    def profile_mus(self, excitation: np.ndarray, alpha: float, beta: float, bounds) -> np.ndarray:
        """For fixed α and β, the background rates that maximise the likelihood: per stream the root of
        Σ_i 1/(μ + αβA_i) = length (decreasing and convex in μ), by Newton steps kept inside a bracket
        that shrinks by the sign of each step, all streams at once."""
        lo_bound, hi_bound = bounds
        scored = self.scored
        raised = alpha * beta * excitation[scored]
        stream = self.stream_of[scored]
        counts = np.bincount(stream, minlength=self.n_streams).astype(float)
        # Σ 1/(μ + c) ≤ n/μ, so the root lies below n/length; streams without events stay at the bound.
        low = np.full(self.n_streams, lo_bound)
        high = np.clip(counts / self.lengths, lo_bound, hi_bound)
        mus = high.copy()
        for _ in range(60):
            inverse = 1.0 / (mus[stream] + raised)
            value = np.bincount(stream, weights=inverse, minlength=self.n_streams) - self.lengths
            slope = np.bincount(stream, weights=inverse * inverse, minlength=self.n_streams)
            above = value < 0  # the root lies below μ
            high = np.where(above, mus, high)
            low = np.where(above, low, mus)
            with np.errstate(divide="ignore", invalid="ignore"):
                step = mus + value / slope
            inside = np.isfinite(step) & (step > low) & (step < high)
            updated = np.where(inside, step, 0.5 * (low + high))
            updated = np.where(counts > 0, updated, lo_bound)
            if np.all(np.abs(updated - mus) <= 1e-12 * np.maximum(mus, 1e-300)):
                mus = updated
                break
            mus = updated
        return np.clip(mus, lo_bound, hi_bound)

    def loglik(self, mus: np.ndarray, alpha: float, beta: float, excited=None):
        """Pooled log-likelihood and its gradient: (ll, d/dμ_k array, d/dα, d/dβ). `excited` is
        `_excitation(beta)` when the caller already has it."""
        excitation, slope = excited if excited is not None else self._excitation(beta)
        scored = self.scored
        mu_of = mus[self.stream_of]
        lam = mu_of[scored] + alpha * beta * excitation[scored]
        if lam.size and np.min(lam) <= 0.0:
            return -math.inf, np.zeros(self.n_streams), 0.0, 0.0
        inverse = 1.0 / lam
        ll = float(np.sum(np.log(lam)))
        g_mu = np.bincount(self.stream_of[scored], weights=inverse, minlength=self.n_streams)
        g_alpha = float(beta * np.dot(excitation[scored], inverse))
        g_beta = float(alpha * np.dot(excitation[scored] + beta * slope[scored], inverse))
        ea = np.exp(-beta * self.before_start)
        eb = np.exp(-beta * self.before_end)
        mass = float(np.sum(ea - eb))
        mass_slope = float(np.sum(-self.before_start * ea + self.before_end * eb))
        ll -= float(np.dot(mus, self.lengths)) + alpha * mass
        g_mu = g_mu - self.lengths
        g_alpha -= mass
        g_beta -= alpha * mass_slope
        return ll, g_mu, g_alpha, g_beta


def _stream_loglik(times: np.ndarray, start: float, end: float, mu: float, alpha: float, beta: float):
    """Log-likelihood of one stream on [start, end] and its gradient in (μ, α, β); linear time."""
    ll, g_mu, g_alpha, g_beta = _Batch([Stream(times, end, start)]).loglik(np.array([mu]), alpha, beta)
    return ll, (float(g_mu[0]) if math.isfinite(ll) else 0.0, g_alpha, g_beta)


def loglik(
    times: Iterable[float], mu: float, alpha: float, beta: float, horizon: float, start: float = 0.0
) -> float:
    """Log-likelihood of the events in [start, horizon], conditioning on the events before `start`.

    Linear time: the excitation at each event follows A_i = e^{−β(t_i − t_{i−1})}·(1 + A_{i−1}).
    """
    value, _ = _stream_loglik(_as_times(times), start, horizon, mu, alpha, beta)
    return value


def loglik_quadratic(
    times: Iterable[float], mu: float, alpha: float, beta: float, horizon: float, start: float = 0.0
) -> float:
    """The same log-likelihood by the direct double sum, O(n²): a reference for tests and benchmarks."""
    times = _as_times(times)
    times = times[times <= horizon]
    total = 0.0
    for i, t in enumerate(times):
        if t < start:
            continue
        lam = mu + alpha * beta * sum(math.exp(-beta * (t - times[j])) for j in range(i))
        if lam <= 0:
            return -math.inf
        total += math.log(lam)
    compensator = mu * (horizon - start)
    for t in times:
        compensator += alpha * (math.exp(-beta * max(start - t, 0.0)) - math.exp(-beta * (horizon - t)))
    return total - compensator


# --------------------------------------------------------------------------------------------------
# Fitting
# --------------------------------------------------------------------------------------------------


def _logit(p: float) -> float:
    return math.log(p / (1 - p))


def _expit(x: float) -> float:
    if x >= 0:
        return 1 / (1 + math.exp(-x))
    z = math.exp(x)
    return z / (1 + z)


@dataclass
class _Problem:
    """The pooled fit as a two-parameter problem: for each (α, β) the background rates are profiled out
    (`_Batch.profile_mus`), so the optimiser works in two dimensions however many streams there are.
    The gradient in (α, β) at the profiled rates is the partial one (envelope theorem)."""

    streams: list[Stream]
    mu_bounds: tuple[float, float]
    alpha_bounds: tuple[float, float]
    beta_bounds: tuple[float, float]
    evaluations: int = field(default=0)

    def __post_init__(self):
        self.batch = _Batch(self.streams)

    def unpack(self, x: np.ndarray):
        alpha, beta = _expit(float(x[0])), math.exp(float(x[1]))
        excited = self.batch._excitation(beta)
        return self.batch.profile_mus(excited[0], alpha, beta, self.mu_bounds), alpha, beta

    def objective(self, x: np.ndarray):
        """Negative profile log-likelihood and its gradient in (logit α, log β)."""
        self.evaluations += 1
        alpha, beta = _expit(float(x[0])), math.exp(float(x[1]))
        excited = self.batch._excitation(beta)
        mus = self.batch.profile_mus(excited[0], alpha, beta, self.mu_bounds)
        total, _g_mu, g_alpha, g_beta = self.batch.loglik(mus, alpha, beta, excited)
        if not math.isfinite(total):
            return 1e300, np.zeros_like(x)
        return -total, -np.array([g_alpha * alpha * (1 - alpha), g_beta * beta])

    def bounds(self):
        a_lo, a_hi = (_logit(v) for v in self.alpha_bounds)
        b_lo, b_hi = (math.log(v) for v in self.beta_bounds)
        return [(a_lo, a_hi), (b_lo, b_hi)]

    def start_point(self, alpha: float, beta: float) -> np.ndarray:
        alpha = min(max(alpha, self.alpha_bounds[0]), self.alpha_bounds[1])
        beta = min(max(beta, self.beta_bounds[0]), self.beta_bounds[1])
        return np.array([_logit(alpha), math.log(beta)])


def _poisson_loglik_of(stream: Stream) -> float:
    n = stream.n_events
    if n == 0:
        return 0.0
    rate = n / stream.length
    return n * math.log(rate) - rate * stream.length


def _best_of(problem: _Problem, starts: list[np.ndarray], method: str, options: dict):
    best = None
    for start in starts:
        result = minimize(
            problem.objective, start, jac=True, method=method, bounds=problem.bounds(), options=options
        )
        if best is None or result.fun < best.fun:
            best = result
    return best


def fit_pooled(
    streams: Sequence[Stream],
    *,
    mu_bounds: tuple[float, float] = MU_BOUNDS,
    alpha_bounds: tuple[float, float] = ALPHA_BOUNDS,
    beta_bounds: tuple[float, float] = BETA_BOUNDS,
    start_alphas: Sequence[float] = START_ALPHAS,
    start_betas: Sequence[float] = START_BETAS,
    method: str = "L-BFGS-B",
) -> PooledFit:
    """Maximum-likelihood fit of shared α, β and one μ per stream (L-BFGS-B on logit α and log β, with
    the μ profiled out for each (α, β)).

    Several starting points; the best optimum is kept. Streams without a key get their index as key.
    With no events at all there is nothing to fit: μ = 0, α = 0, β = NaN and `converged` is False.

    `method` may be any bounded gradient method of `scipy.optimize.minimize`; "TNC" reaches the same
    optimum and avoids the per-iteration BLAS calls of SciPy's L-BFGS-B, which are slow on a busy host
    with a threaded BLAS (the problem is tiny: threading only costs).
    """
    streams = [s if s.key is not None else Stream(s.times, s.end, s.start, i) for i, s in enumerate(streams)]
    keys = [s.key for s in streams]
    if len(set(keys)) != len(keys):
        raise ValueError("stream keys must be unique")
    n_events = sum(s.n_events for s in streams)
    poisson = sum(_poisson_loglik_of(s) for s in streams)
    if n_events == 0:
        return PooledFit(
            mu=dict.fromkeys(keys, 0.0),
            alpha=0.0,
            beta=math.nan,
            loglik=0.0,
            poisson_loglik=0.0,
            n_events=0,
            n_streams=len(streams),
            converged=False,
            n_params=len(streams) + 2,
        )
    problem = _Problem(list(streams), mu_bounds, alpha_bounds, beta_bounds)
    options = {"maxiter": 500} if method == "L-BFGS-B" else {"maxfun": 2000}
    starts = [problem.start_point(alpha0, beta0) for alpha0 in start_alphas for beta0 in start_betas]
    if n_events > PRESELECT_EVENTS and len(starts) > 1:
        # Many events: the starting points compete on the most recent stretch of every stream (about
        # PRESELECT_EVENTS events, earlier events kept as history), and only the winner runs on all data.
        fraction = PRESELECT_EVENTS / n_events
        recent = [Stream(s.times, s.end, s.end - (s.end - s.start) * fraction, s.key) for s in streams]
        trial = _Problem(recent, mu_bounds, alpha_bounds, beta_bounds)
        starts = [_best_of(trial, starts, method, options).x]
    best = _best_of(problem, starts, method, options)
    mus, alpha, beta = problem.unpack(best.x)
    return PooledFit(
        mu={key: float(m) for key, m in zip(keys, mus, strict=True)},
        alpha=alpha,
        beta=beta,
        loglik=-float(best.fun),
        poisson_loglik=poisson,
        n_events=n_events,
        n_streams=len(streams),
        converged=_converged(problem, best),
        n_params=len(streams) + 2,
    )


# A stationary point: the projected gradient of the negative log-likelihood in (logit α, log β).
GRADIENT_TOLERANCE = 1e-4


def _converged(problem: _Problem, result) -> bool:
    """The optimiser's own verdict, or a point where the projected gradient vanishes: SciPy's TNC can
    end with "Linear search failed" at the optimum itself (seen with SciPy 1.17), where no step
    improves on a gradient of order 1e-7."""
    if result.success:
        return True
    value, gradient = problem.objective(result.x)
    if not math.isfinite(value):
        return False
    projected = []
    for x, g, (low, high) in zip(result.x, gradient, problem.bounds(), strict=True):
        at_low, at_high = x <= low + 1e-9, x >= high - 1e-9
        projected.append(0.0 if (at_low and g > 0) or (at_high and g < 0) else g)
    return bool(max(abs(g) for g in projected) <= GRADIENT_TOLERANCE)


def fit(
    times: Iterable[float],
    horizon: float,
    start: float = 0.0,
    **options,
) -> HawkesFit:
    """Maximum-likelihood fit of (μ, α, β) to one stream observed on [start, horizon].

    `options` are passed to `fit_pooled` (bounds, starting points).
    """
    stream = Stream(times, horizon, start, key=0)
    pooled = fit_pooled([stream], **options)
    return HawkesFit(
        mu=pooled.mu[0],
        alpha=pooled.alpha,
        beta=pooled.beta,
        loglik=pooled.loglik,
        n_events=pooled.n_events,
        horizon=horizon,
        converged=pooled.converged,
        start=start,
    )


def poisson_fit(times: Iterable[float], horizon: float, start: float = 0.0) -> PoissonFit:
    """The constant-rate baseline fitted on [start, horizon]."""
    stream = Stream(times, horizon, start)
    n = stream.n_events
    return PoissonFit(rate=n / stream.length, loglik=_poisson_loglik_of(stream), n_events=n, horizon=horizon)


def poisson_loglik(times: Iterable[float], rate: float, horizon: float, start: float = 0.0) -> float:
    """Log-likelihood of a constant rate on [start, horizon] (e.g. a rate fitted on earlier data)."""
    n = Stream(times, horizon, start).n_events
    if rate <= 0:
        return 0.0 if n == 0 else -math.inf
    return n * math.log(rate) - rate * (horizon - start)


# --------------------------------------------------------------------------------------------------
# The current state of a stream: intensity, excess, expected counts and what raised it
# --------------------------------------------------------------------------------------------------


def excitation(times: Iterable[float], t: float, beta: float) -> float:
    """Σ_{t_i < t} e^{−β(t − t_i)}: the decayed count of earlier events."""
    times = _as_times(times)
    earlier = times[times < t]
    return float(np.sum(np.exp(-beta * (t - earlier))))


def intensity(times: Iterable[float], t: float, mu: float, alpha: float, beta: float) -> float:
    """λ(t) given the events strictly before t."""
    return mu + alpha * beta * excitation(times, t, beta)


def intensity_path(
    times: Iterable[float], grid: Iterable[float], mu: float, alpha: float, beta: float
) -> np.ndarray:
    """λ at each point of `grid` (events strictly before each point); linear time in events + grid."""
    times = _as_times(times).tolist()
    grid = np.asarray(list(grid), dtype=float)
    order = np.argsort(grid, kind="stable")
    out = np.empty(grid.size)
    state, clock, index = 0.0, None, 0
    for position in order.tolist():
        g = float(grid[position])
        while index < len(times) and times[index] < g:
            t = times[index]
            state = (state * math.exp(-beta * (t - clock)) if clock is not None else 0.0) + 1.0
            clock = t
            index += 1
        current = state * math.exp(-beta * (g - clock)) if clock is not None else 0.0
        out[position] = mu + alpha * beta * current
    return out


def expected_count(
    intensity_now: float, mu: float, alpha: float, beta: float, days: float, include_offspring: bool = True
) -> float:
    """Expected number of events in the next `days` days, given the intensity now.

    With `include_offspring` (the default, exact for this model) events in the window trigger further
    events: E[N] = m·H + (λ₀ − m)(1 − e^{−κH})/κ with m = μ/(1 − α) and κ = β(1 − α).
    Without it, only the background and the decaying raise from past events count:
    E[N] = μH + (λ₀ − μ)(1 − e^{−βH})/β — a lower bound.
    """
    if days <= 0:
        return 0.0
    if not include_offspring:
        return mu * days + (intensity_now - mu) * (-math.expm1(-beta * days)) / beta
    kappa = beta * (1 - alpha)
    usual = mu / (1 - alpha)
    return usual * days + (intensity_now - usual) * (-math.expm1(-kappa * days)) / kappa


def usual_count(mu: float, alpha: float, days: float) -> float:
    """Expected events in `days` days at the long-run (stationary) level μ/(1 − α)."""
    return mu / (1 - alpha) * days


def fade_days(excess: float, mu: float, beta: float, ratio: float = 1.5) -> float:
    """Days until λ/μ falls below `ratio` if nothing new happens (0 when already below)."""
    limit = (ratio - 1) * mu
    if excess <= limit:
        return 0.0
    if limit <= 0:
        return math.inf
    return math.log(excess / limit) / beta


@dataclass(frozen=True)
class Contribution:
    """What one past event still adds now.

    `intensity`: its part of the current excess (events per day); `share` of the whole excess (0–1);
    `remaining`: the expected number of further events it will still trigger directly (α·e^{−βΔ}).
    """

    index: int
    time: float
    intensity: float
    share: float
    remaining: float
    age: float


def contributions(
    times: Iterable[float],
    now: float,
    alpha: float,
    beta: float,
    top: int | None = None,
    min_share: float = 0.0,
) -> list[Contribution]:
    """The past events' contributions to the excess λ(now) − μ, largest first.

    `index` refers to the sorted times. `top` keeps the largest few; `min_share` drops negligible ones.
    """
    times = _as_times(times)
    earlier = np.flatnonzero(times < now)
    if earlier.size == 0:
        return []
    ages = now - times[earlier]
    parts = alpha * beta * np.exp(-beta * ages)
    total = float(parts.sum())
    found = [
        Contribution(
            index=int(i),
            time=float(times[i]),
            intensity=float(part),
            share=float(part / total) if total > 0 else 0.0,
            remaining=float(part / beta),
            age=float(age),
        )
        for i, part, age in zip(earlier, parts, ages, strict=True)
    ]
    found.sort(key=lambda c: (-c.intensity, c.index))
    found = [c for c in found if c.share >= min_share]
    return found[:top] if top is not None else found


@dataclass(frozen=True)
class StreamState:
    """The state of one stream at `now` under fitted parameters (rates are events per day)."""

    now: float
    intensity: float
    background: float  # μ
    usual: float  # μ/(1 − α), the long-run mean
    alpha: float
    beta: float
    n_events: int

    @property
    def excess(self) -> float:
        return self.intensity - self.background

    @property
    def ratio(self) -> float:
        """λ(now)/μ; infinite when μ is 0 and something raised the intensity."""
        if self.background > 0:
            return self.intensity / self.background
        return math.inf if self.excess > 0 else 1.0

    @property
    def half_life(self) -> float:
        return half_life(self.beta)

    def expected(self, days: float, include_offspring: bool = True) -> float:
        return expected_count(self.intensity, self.background, self.alpha, self.beta, days, include_offspring)

    def usual_expected(self, days: float) -> float:
        return usual_count(self.background, self.alpha, days)

    def extra_expected(self, days: float) -> float:
        """Expected events above the long-run level in the next `days` days (negative when calmer)."""
        return self.expected(days) - self.usual_expected(days)

    def fade_days(self, ratio: float = 1.5) -> float:
        return fade_days(self.excess, self.background, self.beta, ratio)


def stream_state(times: Iterable[float], now: float, mu: float, alpha: float, beta: float) -> StreamState:
    times = _as_times(times)
    return StreamState(
        now=now,
        intensity=intensity(times, now, mu, alpha, beta),
        background=mu,
        usual=mu / (1 - alpha),
        alpha=alpha,
        beta=beta,
        n_events=int(np.sum(times < now)),
    )


# --------------------------------------------------------------------------------------------------
# Simulation
# --------------------------------------------------------------------------------------------------


def simulate(
    mu: float,
    alpha: float,
    beta: float,
    end: float,
    rng: np.random.Generator,
    start: float = 0.0,
    history: Iterable[float] = (),
) -> np.ndarray:
    """Event times in (start, end] by Ogata's thinning; `history` (times ≤ start) raises the intensity.

    Between events the exponential kernel only decays, so the intensity just after the current time is an
    upper bound until the next event: each candidate is accepted with probability λ(t)/λ*.
    """
    if not 0 <= alpha < 1:
        raise ValueError("alpha must be in [0, 1)")
    past = _as_times(history)
    past = past[past <= start]
    state = float(np.sum(np.exp(-beta * (start - past))))  # Σ e^{−β(t − t_i)} at t = start
    t = start
    jump = alpha * beta
    events: list[float] = []
    while True:
        upper = mu + jump * state
        if upper <= 0:
            break
        wait = rng.exponential(1 / upper)
        t += wait
        if t > end:
            break
        state *= math.exp(-beta * wait)
        if rng.random() * upper <= mu + jump * state:
            events.append(t)
            state += 1.0
    return np.asarray(events, dtype=float)


# --------------------------------------------------------------------------------------------------
# Day-resolution times and uncertainty (issue 18)
# --------------------------------------------------------------------------------------------------


def spread_within_day(day_starts: Iterable[float]) -> np.ndarray:
    """Times for events known only to the day: the k events of one day at its (j + ½)/k fractions.

    Date-only incidents imported at 00:00 would otherwise all coincide, and exact ties read as instant
    retaliation (each tied event "excites" the next by α·β at once). Spread evenly over their day, the
    events keep their day and their order, and no two coincide. Returned in the order given."""
    starts = np.asarray(list(day_starts), dtype=float)
    out = starts.copy()
    if starts.size == 0:
        return out
    order = np.argsort(starts, kind="stable")
    i = 0
    while i < len(order):
        j = i
        while j + 1 < len(order) and starts[order[j + 1]] == starts[order[i]]:
            j += 1
        k = j - i + 1
        for rank, index in enumerate(order[i : j + 1]):
            out[index] = starts[index] + (rank + 0.5) / k
        i = j + 1
    return out


CHI2_1_95 = 3.841458820694124  # 95 % quantile of chi-square with 1 degree of freedom
CHI2_2_95 = 5.991464547107979  # ... with 2 degrees of freedom
# Intervals count as weak identification when the excitation's interval reaches this close to no
# excitation, or spans this much of the range of branching ratios.
WEAK_ALPHA_LOW = 0.02
WEAK_ALPHA_WIDTH = 0.5


@dataclass(frozen=True)
class LikelihoodRegion:
    """Profile-likelihood uncertainty of a pooled fit, evaluated on a grid in (logit α, log β) with the
    background rates profiled out at each point.

    `alpha` and `beta` are 95 % profile-likelihood intervals (the grid points whose profile
    log-likelihood lies within χ²₁(0.95)/2 of the maximum); `points` are the parameter sets in the joint
    95 % region (χ²₂(0.95)/2), over which derived quantities (the 7- and 30-day expected counts) take
    their intervals. An interval that reaches a bound of the fit is open there."""

    alpha: tuple[float, float]
    beta: tuple[float, float]
    points: list = field(repr=False)  # [(mus by key, alpha, beta)]

    @property
    def half_life(self) -> tuple[float, float]:
        return half_life(self.beta[1]), half_life(self.beta[0])

    @property
    def weakly_identified(self) -> bool:
        low, high = self.alpha
        return low <= WEAK_ALPHA_LOW or high - low >= WEAK_ALPHA_WIDTH

    def expected_interval(self, times: Iterable[float], now: float, key: Hashable, days: float):
        """(low, high) of the expected count in the next `days` days over the joint 95 % region."""
        times = _as_times(times)
        values = [
            stream_state(times, now, mus[key], alpha, beta).expected(days) for mus, alpha, beta in self.points
        ]
        return (min(values), max(values)) if values else (math.nan, math.nan)


def likelihood_region(
    streams: Sequence[Stream],
    fit: PooledFit,
    *,
    mu_bounds: tuple[float, float] = MU_BOUNDS,
    alpha_bounds: tuple[float, float] = ALPHA_BOUNDS,
    beta_bounds: tuple[float, float] = BETA_BOUNDS,
    grid: int = 15,
) -> LikelihoodRegion:
    """The profile-likelihood region of `fit` (made by `fit_pooled` on the same streams and bounds)."""
    streams = [s if s.key is not None else Stream(s.times, s.end, s.start, i) for i, s in enumerate(streams)]
    keys = [s.key for s in streams]
    problem = _Problem(list(streams), mu_bounds, alpha_bounds, beta_bounds)
    (a_lo, a_hi), (b_lo, b_hi) = problem.bounds()
    best_x = problem.start_point(fit.alpha, fit.beta)

    def evaluate(a_range, b_range):
        a_values = sorted({*np.linspace(*a_range, grid).tolist(), float(best_x[0])})
        b_values = sorted({*np.linspace(*b_range, grid).tolist(), float(best_x[1])})
        values = np.empty((len(a_values), len(b_values)))
        for i, a in enumerate(a_values):
            for j, b in enumerate(b_values):
                values[i, j] = problem.objective(np.array([a, b]))[0]
        return a_values, b_values, values

    # A coarse grid over the whole bounded range, then a fine one over the box of the coarse region
    # (widened by one coarse step), so that the intervals are resolved where they are.
    a_values, b_values, values = evaluate((a_lo, a_hi), (b_lo, b_hi))
    best = min(float(values.min()), -fit.loglik)
    inside = np.argwhere(values - best <= CHI2_2_95 / 2)
    a_step, b_step = (a_hi - a_lo) / (grid - 1), (b_hi - b_lo) / (grid - 1)
    a_box = (
        max(a_lo, a_values[inside[:, 0].min()] - a_step),
        min(a_hi, a_values[inside[:, 0].max()] + a_step),
    )
    b_box = (
        max(b_lo, b_values[inside[:, 1].min()] - b_step),
        min(b_hi, b_values[inside[:, 1].max()] + b_step),
    )
    a_values, b_values, values = evaluate(a_box, b_box)
    best = min(best, float(values.min()))
    alpha_in = [a for i, a in enumerate(a_values) if values[i].min() - best <= CHI2_1_95 / 2]
    beta_in = [b for j, b in enumerate(b_values) if values[:, j].min() - best <= CHI2_1_95 / 2]
    points = []
    for i, a in enumerate(a_values):
        for j, b in enumerate(b_values):
            if values[i, j] - best <= CHI2_2_95 / 2:
                mus, alpha, beta = problem.unpack(np.array([a, b]))
                points.append(({k: float(m) for k, m in zip(keys, mus, strict=True)}, alpha, beta))
    return LikelihoodRegion(
        alpha=(_expit(min(alpha_in)), _expit(max(alpha_in))),
        beta=(math.exp(min(beta_in)), math.exp(max(beta_in))),
        points=points,
    )


def raised_above_usual(intensity_now: float, mu: float, alpha: float, ratio: float, aic_gain: float) -> bool:
    """The alert rule's first half: the self-exciting model beats the constant rate (AIC gain > 0) and
    the intensity now is at least `ratio` times the stream's usual (long-run) level μ/(1 − α).

    (Against the background μ alone, λ/μ is already 1/(1 − α) at a stream's usual level, which is 1.5
    or more whenever α ≥ 1/3: a stream would be "raised" on an ordinary day.)"""
    if aic_gain <= 0 or alpha >= 1:
        return False
    usual = mu / (1 - alpha)
    return usual > 0 and intensity_now >= ratio * usual
