"""Optimal resource allocation of one edge server for a given set of devices (the inner solver).

Per edge iteration, with ``w_i = L·c_i·D_i`` cycles, ``a_i = L·(alpha/2)·c_i·D_i``,
``A_i = g_ij·p_i/N0`` (Hz) and the SNR at the allocated bandwidth ``u_i = A_i/b_i``::

    minimise   lambda_t·T + lambda_e·sum_i (a_i·f_i² + p_i·tm_i)
    s.t.       w_i/f_i + tm_i <= T,   tm_i = s/(b_i·log2(1 + A_i/b_i)),
               sum_i b_i <= B,   0 < f_i <= f_max_i.

The edge cost per cloud round is ``I·(optimal value) + lambda_e·E_cloud + lambda_t·T_cloud``.

Structure (what the solver relies on; proof sketch). With ``tc_i = w_i/f_i`` the energy
``a_i·w_i²/tc_i²`` is convex decreasing in tc_i, and the bandwidth a device needs for upload
time tm, ``beta_i(tm) = A_i/u`` with ``tm(u) = s·ln2·u/(A_i·ln(1+u))`` increasing in u, is
convex decreasing in tm (the inverse of the concave increasing rate ``b·log2(1 + A/b)``).
So the problem is convex in (T, tc, tm) and Slater holds; KKT is necessary and sufficient:

1. Every time constraint is tight (lower f always saves energy and tc can grow), with
   multiplier ``nu_i > 0``; ``sum_i nu_i = lambda_t`` (stationarity in T).
2. The bandwidth constraint is tight with price ``mu > 0`` (more bandwidth always lowers both
   upload time and upload energy), and stationarity in tm reads
   ``mu·psi_i(u_i) = lambda_e·p_i + nu_i`` with ``psi_i = -d beta_i/d tm`` decreasing in u.
3. Stationarity in tc: ``nu_i = 2·lambda_e·a_i·w_i²/tc_i³`` unless f_i = f_max (then larger).

For fixed (T, mu) each device's u_i is the unique root of the decreasing function
``log(mu·psi(u)) - log(lambda_e·p + nu(u))`` with ``nu(u) = K_i/(T - tm(u))³`` on
``(0, u_hi(T)]``, where ``tm(u_hi) = T - w_i/f_max_i`` (the root is u_hi when the device
computes at f_max). ``sum_i A_i/u_i(T, mu)`` decreases in mu: mu is the root of
``sum_i b_i = B``. ``sum_i nu_i(T)`` then decreases in T (it is minus the derivative of the
convex value function): T is the root of ``sum_i nu_i = lambda_t`` on (T_min, inf), where
T_min (every device at f_max, all bandwidth used: ``sum_i A_i/u_hi_i(T) = B``) is the
shortest feasible edge time. If ``sum_i nu_i <= lambda_t`` already just above T_min, the
optimum is T = T_min itself (time so expensive that every device runs at f_max; the
frequency bounds' multipliers absorb the rest of lambda_t). Three nested monotone 1-D
roots, each by Newton with a bracket (bisection fallback; steps towards an unbounded side
are capped), derivatives from implicit differentiation, the innermost vectorised over the
devices; (T, mu) of a similar device set warm-starts the outer two (``hint``).

Accuracy: the KKT residuals (relative error of ``sum b = B`` and ``sum nu = lambda_t``) are
returned as ``kkt`` (typically 1e-12); the tests compare against CVXPY/Clarabel (agreement
1e-9 relative, the fast value never worse).

With ``fixed_frequency=True`` every device computes at f_max (the ``max-frequency``
baseline): then nu_i = 0 unless the device's time is binding (u_i = u_hi).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LN2 = math.log(2.0)
TOL = 1e-13
MAX_STEP = 8.0   # largest step (in log units) towards an unbounded side
X_MIN = -600.0   # log u never below this (u = A/b; b would be absurdly large)


@dataclass(frozen=True)
class EdgeProblem:
    """Arrays of one edge server's problem (per edge iteration)."""

    A: np.ndarray      # g·p/N0, Hz
    p: np.ndarray      # transmit power, W
    a: np.ndarray      # computing energy coefficient: energy = a·f², J/Hz²
    w: np.ndarray      # cycles per edge iteration
    f_max: np.ndarray  # Hz
    s: float           # model bits
    B: float           # bandwidth, Hz
    we: float          # energy weight
    wt: float          # time weight

    @property
    def n(self) -> int:
        """Number of devices."""
        return int(self.A.size)

    @property
    def cmin(self) -> np.ndarray:
        """Computing time at f_max, s."""
        return self.w / self.f_max

    @property
    def tau0(self) -> np.ndarray:
        """Upload time with unlimited bandwidth, s ln2/A, s."""
        return self.s * LN2 / self.A


@dataclass(frozen=True)
class EdgeAllocation:
    """Optimal allocation of one edge server.

    Attributes
    ----------
    value
        Optimal ``lambda_t·T + lambda_e·energy`` per edge iteration.
    T
        Edge-iteration time, s.
    frequency, bandwidth
        Per device, Hz.
    price
        Bandwidth price mu.
    kkt
        Relative residuals of ``sum b = B`` and ``sum nu = lambda_t``.
    """

    value: float
    T: float
    frequency: np.ndarray
    bandwidth: np.ndarray
    price: float
    kkt: float


# ---- per-device functions of x = log u ---------------------------------------------------


def _m(u: np.ndarray, ell: np.ndarray, inv1u: np.ndarray) -> np.ndarray:
    """ln(1+u) - u/(1+u) > 0, with a series for small u (cancellation)."""
    m = ell - u * inv1u
    small = u < 1e-3
    if small.any():
        series = u * u * (0.5 - u * (2.0 / 3.0 - u * (0.75 - 0.8 * u)))
        m = np.where(small, series, m)
    return m


def upload_time(P: EdgeProblem, u: np.ndarray) -> np.ndarray:
    """tm(u) = s·ln2·u/(A·ln(1+u)), s."""
    return P.s * LN2 * u / (P.A * np.log1p(u))


def _terms(P: EdgeProblem, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """u, tm, d log tm/dx, log psi, d log psi/dx."""
    u = np.exp(x)
    ell = np.log1p(u)
    inv1u = 1.0 / (1.0 + u)
    m = _m(u, ell, inv1u)
    tm = (P.s * LN2) * u / (P.A * ell)
    r = u * inv1u / ell
    dlogtm = 1.0 - r
    small = u < 1e-6
    if small.any():
        dlogtm = np.where(small, 0.5 * u, dlogtm)
    logpsi = _log_psi0(P) + 2.0 * (np.log(ell) - x) - np.log(m)
    ui = u * inv1u
    dlogpsi = 2.0 * r - 2.0 - ui * ui / m
    return u, tm, dlogtm, logpsi, dlogpsi


def _log_psi0(P: EdgeProblem) -> np.ndarray:
    """2·log A - log(s·ln2), the constant part of log psi."""
    return 2.0 * np.log(P.A) - math.log(P.s * LN2)


def _newton_vec(F: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray]], lo: np.ndarray,
                hi: np.ndarray, x0: np.ndarray, active: np.ndarray | None = None,
                iters: int = 200) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Roots of decreasing functions F (vectorised) with F(lo) > 0 > F(hi): Newton + bisection.

    ``lo`` may be ``-inf`` (F > 0 far enough left): then steps to the left grow until
    the root is bracketed. Entries where ``active`` is False are left at ``x0``. Returns
    the roots with F and F' there.
    """
    x = np.clip(x0, lo, hi)
    done = np.zeros(x.shape, dtype=bool) if active is None else ~active
    reach = np.ones(x.shape)
    f = d = x
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(iters):
            f, d = F(x)  # d < 0 always (the callers clamp it)
            pos = f > 0
            lo = np.where(pos, x, lo)
            hi = np.where(pos, hi, x)
            step = -f / d
            tolx = TOL * np.maximum(1.0, np.abs(x))
            small = np.abs(step) <= tolx
            nx = x + np.clip(step, -MAX_STEP, MAX_STEP)
            bad = ~((nx >= lo) & (nx <= hi))  # also NaN
            if bad.any():
                left = bad & np.isneginf(lo)
                nx = np.where(bad, np.where(left, np.minimum(x, hi) - reach, 0.5 * (lo + hi)),
                              nx)
                reach = np.where(left, np.minimum(2.0 * reach, MAX_STEP), reach)
                nx = np.maximum(nx, X_MIN)
            done = done | (small & ~bad) | (f == 0) | (hi - lo <= tolx)
            if done.all():
                x = np.where(small & ~bad, nx, x)
                break
            x = np.where(done, x, nx)
    return x, f, d


def _u_hi(P: EdgeProblem, T: float, x_hint: np.ndarray | None) -> np.ndarray | None:
    """log u at which tm = T - w/f_max (device at f_max), or None if T is too short."""
    target = T - P.cmin
    if np.any(target <= P.tau0 * (1 + 1e-14)):
        return None
    lt = np.log(target)

    def G(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        u = np.exp(x)
        ell = np.log1p(u)
        val = np.log(P.s * LN2 / P.A) + x - np.log(ell) - lt
        d = 1.0 - u / ((1.0 + u) * ell)
        d = np.where(u < 1e-6, 0.5 * u, d)
        return -val, -np.maximum(d, 1e-300)  # decreasing form for _newton_vec

    # tm(u) ≈ tau0·(1 + u/2) for small u: a lower bracket; grow the upper one
    lo = np.log(np.maximum(2.0 * (target / P.tau0 - 1.0), 1e-300)) - 1.0
    hi = lo + 2.0
    for _ in range(200):
        v, _ = G(hi)
        if np.all(v < 0):
            break
        hi = np.where(v >= 0, np.minimum(hi + 2.0 * (hi - lo), 700.0), hi)
    x0 = lo + 0.5 * (hi - lo) if x_hint is None else x_hint
    return _newton_vec(G, lo, hi, x0)[0]


@dataclass
class _Point:
    """Everything known at one (T, mu)."""

    x: np.ndarray
    capped: np.ndarray
    beta: np.ndarray
    nu: np.ndarray
    dx_dy: np.ndarray
    dx_dT: np.ndarray
    tm: np.ndarray


def _devices(P: EdgeProblem, T: float, y: float, x_hi: np.ndarray, x0: np.ndarray,
             fixed_frequency: bool) -> _Point:
    """Per-device optimum at (T, mu = e^y) with implicit derivatives."""
    K = 0.0 * P.a if fixed_frequency else 2.0 * P.we * P.a * P.w ** 2
    wep = P.we * P.p

    def F(x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        _, tm, dlogtm, logpsi, dlogpsi = _terms(P, x)
        slack = np.maximum(T - tm, 1e-300)
        nu = K / slack ** 3
        val = y + logpsi - np.log(wep + nu)
        d = dlogpsi - 3.0 * nu * tm * dlogtm / (slack * (wep + nu))
        return val, np.minimum(d, -1e-300)

    f_hi, _ = F(x_hi)
    capped = f_hi >= 0
    lo = np.full(x_hi.shape, -np.inf)
    x, _, dF = _newton_vec(F, lo, x_hi, np.where(capped, x_hi, np.minimum(x0, x_hi)), ~capped)
    x = np.where(capped, x_hi, x)
    u, tm, dlogtm, logpsi, _ = _terms(P, x)
    slack = np.maximum(T - tm, 1e-300)
    mu_psi = np.exp(y + logpsi)
    nu = np.where(capped, np.maximum(mu_psi - wep, 0.0), K / slack ** 3)
    dF = np.minimum(dF, -1e-300)
    dF_dT = 3.0 * nu / (slack * (wep + nu))
    dx_dy = np.where(capped, 0.0, -1.0 / dF)
    dx_dT = np.where(capped, 1.0 / (tm * np.maximum(dlogtm, 1e-300)), -dF_dT / dF)
    return _Point(x, capped, P.A / u, nu, dx_dy, dx_dT, tm)


def _scalar_root(F: Callable[[float], tuple[float, float]], lo: float, hi: float, x0: float,
                 iters: int = 200, ftol: float = 1e-12) -> float:
    """Root of a decreasing function with F(lo) > 0 > F(hi) (F may be +inf near lo).

    Either end may be infinite: steps towards it grow until the root is bracketed.
    """
    x = x0
    reach = 1.0
    for _ in range(iters):
        f, d = F(x)
        if f == 0:
            return x
        if f > 0:
            lo = x
        else:
            hi = x
        step = -f / d if (d < 0 and math.isfinite(f)) else math.nan
        if abs(f) <= ftol or abs(step) <= TOL * max(1.0, abs(x)):
            return x  # evaluated last (callers reuse what F computed there)
        if math.isinf(lo) or math.isinf(hi):
            step = max(-MAX_STEP, min(MAX_STEP, step))
        nx = x + step
        if not (lo <= nx <= hi):
            if math.isinf(hi):
                nx, reach = x + reach, min(2.0 * reach, MAX_STEP)
            elif math.isinf(lo):
                nx, reach = x - reach, min(2.0 * reach, MAX_STEP)
            else:
                nx = 0.5 * (lo + hi)
        if hi - lo <= TOL * max(1.0, abs(x)):
            return x
        x = nx
    return x


class _Solver:
    """The nested solve of one edge problem (state: warm starts)."""

    def __init__(self, P: EdgeProblem, fixed_frequency: bool,
                 hint: tuple[float, float] | None = None) -> None:
        self.P = P
        self.fixed = fixed_frequency
        self.hint = hint
        self._reset()

    def _reset(self) -> None:
        """Forget every warm start."""
        self.x = np.log(self.P.A * self.P.n / self.P.B)  # equal shares
        self.y: float | None = None
        self.xh: np.ndarray | None = None
        self.point: _Point | None = None
        self.T_last: float | None = None
        self.dy_dT = 0.0

    def at_T(self, T: float) -> _Point | None:
        """Solve for mu at this T; None when T is shorter than the fastest possible time."""
        P = self.P
        x_hi = _u_hi(P, T, self.xh)
        if x_hi is None:
            return None
        self.xh = x_hi
        logB = math.log(P.B)
        if math.log(np.sum(P.A / np.exp(x_hi))) >= logB:
            return None
        # predictor from the last T (implicit derivatives): y and x move almost linearly
        y_pred, x_pred = self.y, np.minimum(self.x, x_hi)
        if self.point is not None and self.y is not None and self.T_last is not None:
            dT = T - self.T_last
            dy = max(-0.5, min(0.5, self.dy_dT * dT))  # far from the last T it is a guess
            y_pred = self.y + dy
            x_pred = self.x + np.clip(self.point.dx_dT * dT + self.point.dx_dy * dy, -0.5, 0.5)
        dxdy = self.point.dx_dy if self.point is not None else np.zeros(P.n)
        cache: dict[float, _Point] = {}

        def R(y: float) -> tuple[float, float]:
            x0 = np.minimum(x_pred + dxdy * (y - (y_pred or y)), x_hi)
            pt = _devices(P, T, y, x_hi, x0, self.fixed)
            cache[y] = pt
            sb = float(np.sum(pt.beta))
            d = -float(np.sum(pt.beta * pt.dx_dy)) / sb
            return math.log(sb) - logB, min(d, -1e-300)

        if y_pred is None:
            wep = P.we * P.p
            _, _, _, logpsi, _ = _terms(P, x_pred)
            y_pred = float(np.median(np.log(wep + P.wt / P.n) - logpsi))
        y = _scalar_root(R, -math.inf, math.inf, y_pred)
        if y not in cache:
            R(y)
        pt = cache[y]
        self.y, self.x, self.point, self.T_last = y, pt.x, pt, T
        den = float(np.sum(pt.beta * pt.dx_dy))
        self.dy_dT = -float(np.sum(pt.beta * pt.dx_dT)) / den if den > 0 else 0.0
        return pt

    def solve(self) -> EdgeAllocation:
        P = self.P
        logwt = math.log(P.wt)
        t_floor = float(np.max(P.cmin + P.tau0))
        last: dict[str, tuple[float, _Point, float]] = {}

        def R(logT: float) -> tuple[float, float]:
            T = math.exp(logT)
            pt = self.at_T(T)
            if pt is None:
                return math.inf, -1.0
            snu = float(np.sum(pt.nu))
            if snu <= 0:
                return -math.inf, -1.0
            dx = pt.dx_dT + pt.dx_dy * self.dy_dT
            _, _, _, _, dlogpsi = _terms(P, pt.x)
            mu_psi = pt.nu + P.we * P.p
            dnu = mu_psi * (self.dy_dT + dlogpsi * dx)
            last["pt"] = (logT, pt, float(self.y))
            return math.log(snu) - logwt, min(T * float(np.sum(dnu)) / snu, -1e-300)

        if self.hint is not None and math.isfinite(self.hint[1]) and self.hint[1] > 0:
            # warm start from a similar problem's (T, mu); the cold path below settles
            # what it cannot (the optimum on the feasibility edge, a stalled root)
            lo = math.log(t_floor)
            self.y = math.log(self.hint[1])
            logT = _scalar_root(R, lo, math.inf, max(math.log(self.hint[0]), lo + 1e-9),
                                iters=40)
            if "pt" in last:
                got_logT, pt, y = last["pt"]
                if got_logT != logT:
                    R(logT)
                    got_logT, pt, y = last["pt"]
                r1 = math.log(float(np.sum(pt.nu))) - logwt
                if got_logT == logT and abs(r1) <= 1e-10:
                    return self._interior(logT, pt, y, r1)
            self._reset()
            last.clear()
        log_tmin, x_min = self.min_time(t_floor)
        r_edge, _ = R(log_tmin + 1e-10)
        if not r_edge > 0:
            # optimal on the feasibility edge T = T_min: every device at f_max, bandwidth
            # just enough (the frequency bounds' multipliers take up the rest of lambda_t)
            T = math.exp(log_tmin)
            b = P.A / np.exp(x_min)
            b *= min(1.0, P.B / float(np.sum(b)))
            return self._finish(T, b, P.f_max.copy(), math.inf,
                                abs(float(np.sum(P.A / np.exp(x_min))) / P.B - 1.0))
        logT = _scalar_root(R, log_tmin + 1e-10, math.inf, log_tmin + 0.1)
        got_logT, pt, y = last["pt"]
        if got_logT != logT:
            R(logT)
            got_logT, pt, y = last["pt"]
        r1 = math.log(float(np.sum(pt.nu))) - logwt
        return self._interior(logT, pt, y, r1)

    def _interior(self, logT: float, pt: _Point, y: float, r1: float) -> EdgeAllocation:
        P = self.P
        T = math.exp(logT)
        b = P.A / np.exp(pt.x)
        b *= min(1.0, P.B / float(np.sum(b)))
        tm = P.s / (b * np.log2(1.0 + P.A / b))
        f = P.f_max.copy() if self.fixed else np.minimum(P.f_max,
                                                         P.w / np.maximum(T - tm, 1e-300))
        kkt = max(abs(float(np.sum(pt.beta)) / P.B - 1.0), abs(r1))
        return self._finish(T, b, f, math.exp(y), kkt)

    def _finish(self, T: float, b: np.ndarray, f: np.ndarray, price: float,
                kkt: float) -> EdgeAllocation:
        P = self.P
        tm = P.s / (b * np.log2(1.0 + P.A / b))
        T_real = float(np.max(P.w / f + tm))
        value = P.wt * T_real + P.we * float(np.sum(P.a * f * f + P.p * tm))
        return EdgeAllocation(value, T_real, f, b, price, kkt)

    def min_time(self, t_floor: float) -> tuple[float, np.ndarray]:
        """log T_min (every device at f_max, all bandwidth used) and log u there."""
        P = self.P
        logB = math.log(P.B)
        got: dict[str, np.ndarray] = {}

        def h(logT: float) -> tuple[float, float]:
            T = math.exp(logT)
            x_hi = _u_hi(P, T, got.get("x"))
            if x_hi is None:
                return math.inf, -1.0
            got["x"] = x_hi
            beta = P.A / np.exp(x_hi)
            sb = float(np.sum(beta))
            _, tm, dlogtm, _, _ = _terms(P, x_hi)
            d = -T * float(np.sum(beta / (tm * np.maximum(dlogtm, 1e-300)))) / sb
            return math.log(sb) - logB, min(d, -1e-300)

        lo = math.log(t_floor)
        log_tmin = _scalar_root(h, lo, math.inf, lo + 0.1)
        while not math.isfinite(h(log_tmin)[0]):  # numerically just outside: step in
            log_tmin += 1e-13 * max(1.0, abs(log_tmin))
        self.xh = None
        return log_tmin, got["x"]


def solve_edge(P: EdgeProblem, *, fixed_frequency: bool = False,
               hint: tuple[float, float] | None = None) -> EdgeAllocation:
    """Optimal allocation of one edge server (see the module docstring).

    ``hint`` = (T, price) of a similar problem (e.g. one device more or less) speeds it up.
    """
    return _Solver(P, fixed_frequency, hint).solve()


def equal_bandwidth(P: EdgeProblem) -> EdgeAllocation:
    """Bandwidth B/n each; optimal T and frequencies (the ``uniform-bandwidth`` baseline).

    With b fixed, tm_i is fixed and ``lambda_t·T + lambda_e·sum a_i·min(f_max, w_i/(T-tm_i))²``
    is convex in T; its derivative ``lambda_t - sum_{f_i < f_max} 2·lambda_e·a_i·w_i²/(T-tm_i)³``
    increases in T, and T is its root (or the smallest feasible T when it is positive there).
    """
    b = np.full(P.n, P.B / P.n)
    tm = P.s / (b * np.log2(1.0 + P.A / b))
    K = 2.0 * P.we * P.a * P.w ** 2
    T0 = float(np.max(tm + P.cmin))

    def g(T: float) -> float:
        slack = T - tm
        free = slack > P.cmin
        return P.wt - float(np.sum(np.where(free, K / np.maximum(slack, 1e-300) ** 3, 0.0)))

    if g(T0) >= 0:
        T = T0
    else:
        lo, hi = T0, 2.0 * T0
        while g(hi) < 0:
            lo, hi = hi, 2.0 * hi
        for _ in range(200):
            mid = 0.5 * (lo + hi)
            if g(mid) < 0:
                lo = mid
            else:
                hi = mid
            if hi - lo <= 1e-15 * hi:
                break
        T = hi
    f = np.minimum(P.f_max, P.w / np.maximum(T - tm, 1e-300))
    T_real = float(np.max(P.w / f + tm))
    value = P.wt * T_real + P.we * float(np.sum(P.a * f * f + P.p * tm))
    return EdgeAllocation(value, T_real, f, b, math.nan, 0.0)
