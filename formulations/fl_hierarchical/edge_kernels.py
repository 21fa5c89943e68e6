"""Per-device kernels shared by the per-edge solvers (:mod:`edge_nested`, :mod:`edge_joint`).

The problem and allocation records, the per-device functions of x = log u (upload time,
log psi and their derivatives), the f_max operating point ``x_hi(T)``, the exact per-device
root at a given (T, mu) with implicit derivatives, and safeguarded 1-D Newton helpers.
The mathematics is in the :mod:`edge_alloc` docstring.
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
