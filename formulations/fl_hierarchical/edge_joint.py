"""Fast path of the per-edge solver: a safeguarded 2-D Newton on (log T, log mu).

Same problem and the same optimality conditions as :mod:`edge_alloc` (read its docstring
first). For a fixed pair (T, mu = e^y) every device's operating point ``x_i = log u_i`` is
the exact per-device KKT root (vectorised Newton, capped at the device's f_max point
``x_hi_i(T)``), and what remains are the two scalar conditions::

    g1(T, y) = log(sum_i A_i/u_i) - log B = 0          (all bandwidth used)
    g2(T, y) = log(sum_i nu_i) - log lambda_t = 0      (stationarity in T)

The nested solver of :mod:`edge_alloc` solves them one inside the other (a root in y for
every trial T); here both are solved *jointly* by Newton's method on (log T, y) with the
2x2 Jacobian from implicit differentiation of the per-device roots (dx/dT, dx/dy), a step
cap and Armijo backtracking on ``|g|²``. Each Newton iteration costs one vectorised
per-device solve (warm-started from the previous point by the linear predictor
``x + dx/dT·dT + dx/dy·dy``, typically one or two inner iterations) and one Newton solve
for the f_max points ``x_hi`` (``log tm(x)`` is convex increasing in x, so plain Newton
converges from any start after its first step).

Exactness is not traded for speed: the fast path returns an answer only when both
residuals are below ``1e-12`` at an exact per-device root, i.e. at a point that satisfies
every KKT condition of the convex problem (sufficient for optimality); otherwise it returns
``None`` and :func:`edge_alloc.solve_edge` falls back to the nested solver. (The optimum
on the feasibility edge T = T_min is covered too: there every device is capped and its
time multiplier ``mu·psi_i - lambda_e·p_i`` includes the f_max bound's multiplier, so both
conditions still have a root.) Every residual check is made at per-device roots solved to
full precision; the looser inner tolerance of early iterates (``1e-3·|g|²``) only saves
work far from the solution.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from formulations.fl_hierarchical.edge_kernels import (
    LN2,
    EdgeAllocation,
    EdgeProblem,
    _Point,
    _terms,
    _u_hi,
)
from formulations.fl_hierarchical.edge_nested import _Solver

GTOL = 1e-13      # converged when both residuals are below this
ACCEPT = 1e-12    # ... or below this when the step has stalled
MAX_ITER = 40
MAX_DT = 0.5      # largest step in log T
MAX_DY = 3.0      # largest step in log mu
INNER_TOL = 1e-13  # relative Newton step of the per-device roots at convergence
MAX_DX = 4.0      # largest inner step in log u


@dataclass(frozen=True)
class _Consts:
    """Per-problem constants of the hot loops (computed once per solve)."""

    A: np.ndarray
    c1: np.ndarray       # s·ln2/A = tau0, s
    logpsi0: np.ndarray  # 2·log A - log(s·ln2)
    cmin: np.ndarray     # w/f_max, s
    K: np.ndarray        # 2·lambda_e·a·w² (0 at fixed frequency)
    wep: np.ndarray      # lambda_e·p

    @classmethod
    def of(cls, P: EdgeProblem, fixed_frequency: bool) -> _Consts:
        """The constants of problem P."""
        return cls(P.A, P.s * LN2 / P.A, 2.0 * np.log(P.A) - math.log(P.s * LN2), P.cmin,
                   0.0 * P.a if fixed_frequency else 2.0 * P.we * P.a * P.w ** 2, P.we * P.p)


def _terms_c(C: _Consts, x: np.ndarray) -> tuple[np.ndarray, ...]:
    """:func:`edge_kernels._terms` with precomputed constants: u, tm, dlogtm, logpsi, dlogpsi."""
    u = np.exp(x)
    ell = np.log1p(u)
    ui = u / (1.0 + u)
    m = ell - ui
    if (u < 1e-3).any():  # cancellation in ln(1+u) - u/(1+u): series
        m = np.where(u < 1e-3, u * u * (0.5 - u * (2.0 / 3.0 - u * (0.75 - 0.8 * u))), m)
    r = ui / ell
    dlogtm = 1.0 - r
    if (u < 1e-6).any():
        dlogtm = np.where(u < 1e-6, 0.5 * u, dlogtm)
    logpsi = C.logpsi0 + 2.0 * (np.log(ell) - x) - np.log(m)
    return u, C.c1 * u / ell, dlogtm, logpsi, 2.0 * r - 2.0 - ui * ui / m


def _x_hi(P: EdgeProblem, C: _Consts, T: float, x0: np.ndarray | None,
          tol: float = 0.0) -> tuple[np.ndarray, np.ndarray] | None:
    """log u with tm(u) = T - w/f_max (device at f_max) and its dx/dT; None if T is too short.

    Solves ``h(x) = x - log(log(1+e^x)) = log((T - cmin)·A/(s·ln2))``; h is convex and
    increasing, so Newton converges monotonically after its first step (from any start).
    Falls back to the bracketed solver of :mod:`edge_alloc` if it does not settle.
    """
    target = T - C.cmin
    if (target <= C.c1 * (1 + 1e-14)).any():
        return None
    c = target / C.c1
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        lt = np.log(c)
        if x0 is None:  # u/log(1+u) = c: u ≈ 2(c-1) for c near 1, c·log(c·log c) for large c
            x0 = np.where(c < 2.0, np.log(2.0 * (c - 1.0)),
                          np.log(c) + np.log(np.log(c * np.log(c))))
        x = x0
        for _ in range(60):
            u = np.exp(x)
            ell = np.log1p(u)
            h = x - np.log(ell) - lt
            d = 1.0 - u / ((1.0 + u) * ell)
            d = np.where(u < 1e-6, 0.5 * u, d)
            step = np.minimum(np.maximum(h / np.maximum(d, 1e-300), -50.0), 50.0)
            if not np.isfinite(step).all():
                break
            x = np.minimum(x - step, 700.0)
            if (np.abs(step) <= np.maximum(1e-13 * np.maximum(1.0, np.abs(x)), tol)).all():
                return x, 1.0 / (target * np.maximum(d, 1e-300))
    x = _u_hi(P, T, None)
    if x is None:
        return None
    u = np.exp(x)
    ell = np.log1p(u)
    d = np.where(u < 1e-6, 0.5 * u, 1.0 - u / ((1.0 + u) * ell))
    return x, 1.0 / (target * np.maximum(d, 1e-300))


def _devices(C: _Consts, T: float, y: float, x_hi: np.ndarray, x0: np.ndarray,
             tol: float) -> tuple[_Point, np.ndarray] | None:
    """Per-device optimum at (T, mu = e^y), implicit derivatives and d log psi/dx.

    Plain Newton clamped at x_hi on the decreasing per-device residual (a device whose
    residual is >= 0 at x_hi computes at f_max: capped); stops when every residual is below
    ``tol`` (log units). None when it does not settle quickly (the caller falls back).
    """
    x = x0
    K, wep = C.K, C.wep
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        for _ in range(12):
            u, tm, dlogtm, logpsi, dlogpsi = _terms_c(C, x)
            slack = np.maximum(T - tm, 1e-300)
            nu_int = K / slack ** 3
            F = y + logpsi - np.log(wep + nu_int)
            dF = np.minimum(dlogpsi - 3.0 * nu_int * tm * dlogtm / (slack * (wep + nu_int)),
                            -1e-300)
            capped = (x >= x_hi) & (F >= 0)
            step = F / dF
            if (capped | (np.abs(F) <= tol)
                    | (np.abs(step) <= INNER_TOL * np.maximum(1.0, np.abs(x)))).all():
                break
            nx = np.minimum(x - np.minimum(np.maximum(step, -MAX_DX), MAX_DX), x_hi)
            if not np.isfinite(nx).all():
                return None
            x = nx
        else:
            return None
        nu = np.where(capped, np.maximum(np.exp(y + logpsi) - wep, 0.0), nu_int)
        dF_dT = 3.0 * nu_int / (slack * (wep + nu_int))
        dx_dy = np.where(capped, 0.0, -1.0 / dF)
        dx_dT = np.where(capped, 1.0 / (tm * np.maximum(dlogtm, 1e-300)), -dF_dT / dF)
    return _Point(x, capped, C.A / u, nu, dx_dy, dx_dT, tm), dlogpsi


def _cold_start(P: EdgeProblem, K: np.ndarray, wep: np.ndarray) -> tuple[float, float] | None:
    """(log T, y) to start from without a hint: equal bandwidth shares at f_max, T x 1.2."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        u = P.A * P.n / P.B
        tm = P.s * LN2 * u / (P.A * np.log1p(u))
        T = 1.2 * float(np.max(P.cmin + tm))
        _, _, _, logpsi, _ = _terms(P, np.log(u))
        nu = np.maximum(K / np.maximum(T - tm, 1e-300) ** 3, P.wt / P.n)
        y = float(np.median(np.log(wep + nu) - logpsi))
    if not (math.isfinite(T) and math.isfinite(y)):
        return None
    return math.log(T), y


def solve_joint(P: EdgeProblem, fixed_frequency: bool = False,
                hint: tuple[float, float] | None = None) -> EdgeAllocation | None:
    """The optimal allocation by the joint Newton method, or None when it does not settle."""
    C = _Consts.of(P, fixed_frequency)
    K, wep = C.K, C.wep
    logB, logwt = math.log(P.B), math.log(P.wt)
    if hint is not None and math.isfinite(hint[1]) and hint[1] > 0 and hint[0] > 0:
        start: tuple[float, float] | None = (math.log(hint[0]), math.log(hint[1]))
    else:
        start = _cold_start(P, K, wep)
    if start is None:
        return None
    t, y = start
    x = np.log(P.A * P.n / P.B)

    def evaluate(t: float, y: float, x0: np.ndarray, xh0: np.ndarray | None, tol: float):
        T = math.exp(t)
        got_hi = _x_hi(P, C, T, xh0, tol)
        if got_hi is None:
            return None
        x_hi, dxh = got_hi
        got = _devices(C, T, y, x_hi, np.minimum(x0, x_hi), tol)
        if got is None:
            return None
        pt, dlogpsi = got
        sb, snu = float(pt.beta.sum()), float(pt.nu.sum())
        if not (snu > 0 and math.isfinite(sb) and math.isfinite(snu)):
            return None
        g = (math.log(sb) - logB, math.log(snu) - logwt)
        return x_hi, dxh, pt, dlogpsi, g, sb, snu, tol

    cur = evaluate(t, y, x, None, 1e-3)
    if cur is None:
        return None
    for _ in range(MAX_ITER):
        x_hi, dxh, pt, dlogpsi, g, sb, snu, tol = cur
        merit = g[0] * g[0] + g[1] * g[1]
        if max(abs(g[0]), abs(g[1])) <= GTOL:
            if tol == 0.0:
                break
            cur = evaluate(t, y, pt.x, x_hi, 0.0)  # converged: confirm at exact device roots
            if cur is None:
                return None
            continue
        T = math.exp(t)
        mp = pt.nu + wep
        j11 = -T * float((pt.beta * pt.dx_dT).sum()) / sb
        j12 = -float((pt.beta * pt.dx_dy).sum()) / sb
        j21 = T * float((mp * dlogpsi * pt.dx_dT).sum()) / snu
        j22 = float((mp * (1.0 + dlogpsi * pt.dx_dy)).sum()) / snu
        det = j11 * j22 - j12 * j21
        if not (math.isfinite(det) and det != 0.0):
            return None
        dt = (-g[0] * j22 + g[1] * j12) / det
        dy = (-g[1] * j11 + g[0] * j21) / det
        scale = min(1.0, MAX_DT / max(abs(dt), 1e-300), MAX_DY / max(abs(dy), 1e-300))
        dt, dy = dt * scale, dy * scale
        alpha, nxt = 1.0, None
        for _ in range(30):
            a_dt, a_dy = alpha * dt, alpha * dy
            dT = T * math.expm1(a_dt)
            x0 = pt.x + np.minimum(np.maximum(pt.dx_dT * dT + pt.dx_dy * a_dy, -0.5), 0.5)
            xh0 = x_hi + np.minimum(np.maximum(dxh * dT, -0.5), 0.5)
            cand = evaluate(t + a_dt, y + a_dy, x0, xh0, min(1e-3, 1e-3 * merit))
            if cand is not None:
                m2 = cand[4][0] ** 2 + cand[4][1] ** 2  # cand[4] = g
                if m2 <= (1.0 - 1e-4 * alpha) * merit:
                    nxt = cand
                    break
            alpha *= 0.5
        if nxt is None:
            if max(abs(g[0]), abs(g[1])) <= ACCEPT:
                break  # stalled at rounding level (confirmed below)
            return None
        t, y, cur = t + alpha * dt, y + alpha * dy, nxt
    else:
        return None
    if cur[-1] != 0.0:
        cur = evaluate(t, y, cur[2].x, cur[0], 0.0)
        if cur is None:
            return None
    _, _, pt, _, g, _, _, _ = cur
    if max(abs(g[0]), abs(g[1])) > ACCEPT:
        return None
    out = _Solver(P, fixed_frequency)._interior(t, pt, y, g[1])
    return out if out.kkt <= 1e-10 else None
