"""Exact per-round resource allocation at fixed eta: bandwidth price bisection, 1-D device solves.

At fixed local accuracy the number of local iterations ``I`` and the time per round
``tau = T/rounds`` are constants, and the problem (per round) is the convex program::

    min  sum_k kappa·A_k³/c_k² + K_k·phi(s/(t_k·b_k))          A_k = I·C_k·D_k (cycles)
    s.t. c_k + t_k <= tau,  c_k >= A_k/f_max_k,  sum_k b_k <= B,
         b_k·(2^(s/(t_k·b_k)) - 1) <= P_k = p_max_k·g_k/N0       (power limit)

with ``c_k = A_k/f_k`` the computing time and ``p_k t_k = K_k·phi(x_k)`` the upload energy
(``x_k = s/(t_k b_k)``). It is convex because ``t·b·(2^(s/(tb)) - 1)`` is a convex, decreasing
function of ``sqrt(t·b)`` composed with the concave geometric mean.

Algorithm (Lagrangian decomposition over the only coupling constraint, sum b <= B):
for a bandwidth price ``lam``, each device solves its own 2-D convex problem exactly by a
1-D monotone root search in ``x`` (the KKT conditions give ``t``, ``b`` and the deadline
multiplier ``mu`` in closed form as functions of ``x``):

* power slack:   ``t = lam·g/(N0·xpsi(x))``, ``b = K·psi(x)/lam``, ``mu = K·psi(x)/t`` and the
  computing time ``c = max(A/f_max, (2·kappa·A³/mu)^(1/3))`` must fill the round:
  ``tau - t(x) - c(x) = 0`` (increasing in x);
* power binding: on the curve ``t = (s/P)·phi(x)``, ``b = P/(2^x - 1)`` the device minimises
  ``kappa·A³/(tau - t)² + p_max·t + lam·b`` (convex in x) up to ``x_cap`` where c = A/f_max.

``sum_k b_k(lam)`` decreases in ``lam``; the outer search finds ``sum b = B``. The duals
``(lam, mu)`` give KKT residuals, the derivative of the optimal energy with respect to
``I`` and ``tau`` (envelope theorem) and the Lagrangian bound used for eta.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from formulations.fl_energy.kernels import (
    LN2,
    Arrays,
    phi,
    phi_inverse,
    psi,
    xpsi,
)

X_LO = 1e-12
X_HI = 300.0


@dataclass
class Round:
    """Optimal allocation of one round at fixed ``(I, tau)``.

    Attributes
    ----------
    feasible
        Whether the round can meet its time with the bandwidth available.
    c, t, b, x
        Computing time, upload time (s), bandwidth (Hz), spectral efficiency (bit/s/Hz).
    mu
        Deadline multipliers (W); ``lam`` the bandwidth price (J/Hz).
    energy
        Optimal energy per round, J.
    dG_dI, dG_dtau
        Derivatives of the optimal energy per round (envelope theorem).
    beta
        Lagrangian constant: ``sum_k (K phi + mu t + lam b) - lam B``.
    kkt
        KKT residuals (relative).
    warm, sens
        Warm start for the next round: roots ``(x power-slack, x)``, and (Newton solver
        only) active sets and sensitivities of the roots and the price.
    """

    feasible: bool
    c: np.ndarray = field(default_factory=lambda: np.zeros(0))
    t: np.ndarray = field(default_factory=lambda: np.zeros(0))
    b: np.ndarray = field(default_factory=lambda: np.zeros(0))
    x: np.ndarray = field(default_factory=lambda: np.zeros(0))
    mu: np.ndarray = field(default_factory=lambda: np.zeros(0))
    lam: float = 0.0
    energy: float = float("inf")
    dG_dI: float = 0.0
    dG_dtau: float = 0.0
    beta: float = 0.0
    kkt: dict[str, float] = field(default_factory=dict)
    power_bound: int = 0
    freq_bound: int = 0
    lower: float | None = None
    warm: tuple[np.ndarray, np.ndarray] | None = None
    sens: dict[str, Any] | None = None


def min_bandwidths(A: Arrays, I: float, tau: float) -> tuple[np.ndarray, np.ndarray]:
    """Smallest bandwidth each device needs (at p_max, f_max) and its spectral efficiency.

    ``inf`` bandwidth where a device cannot meet ``tau`` even with unlimited bandwidth.
    """
    avail = tau - I * A.cd / A.f_max
    target = np.where(avail > 0, A.P * np.maximum(avail, 0) / A.s, 0.0)
    x_cap = phi_inverse(target)
    with np.errstate(divide="ignore", over="ignore"):
        bmin = np.where(x_cap > 0, A.P / np.expm1(x_cap * LN2), np.inf)
    return bmin, x_cap


def round_feasible(A: Arrays, I: float, tau: float) -> bool:
    """Whether sum of the minimal bandwidths is below B (strictly)."""
    bmin, _ = min_bandwidths(A, I, tau)
    total = float(np.sum(bmin))
    return bool(np.isfinite(total) and total < A.B)


def _case_a(A: Arrays, tau: float, lam: float, k3: np.ndarray, cmin: np.ndarray,
            fixed_freq: bool, x0: np.ndarray | None, iters: int = 100) -> np.ndarray:
    """Root of ``tau - t(x) - c(mu(x)) = 0`` per device: safeguarded Newton in log x."""
    G = A.gain / A.N0
    lo = np.full(A.n, np.log(X_LO))
    hi = np.full(A.n, np.log(X_HI))
    u = np.log(np.clip(x0, X_LO, X_HI)) if x0 is not None else np.full(A.n, 0.0)
    for _ in range(iters):
        x = np.exp(u)
        X = xpsi(x)
        Xp = LN2 * LN2 * x * np.exp(x * LN2)
        ps = X / x
        psp = (Xp - ps) / x
        t = lam * G / X
        dt = -t * Xp / X
        mu = A.K * ps * X / (lam * G)
        dmu = A.K * (psp * X + ps * Xp) / (lam * G)
        if fixed_freq:
            cn, dcn = cmin, 0.0
        else:
            free = np.cbrt(k3 / mu)
            inner = free > cmin
            cn = np.where(inner, free, cmin)
            dcn = np.where(inner, -free * dmu / (3 * mu), 0.0)
        # Newton on h = log(tau - c) - log(t) (well scaled), +1 where tau <= c
        room = tau - cn
        with np.errstate(divide="ignore", invalid="ignore"):
            h = np.where(room > 0, np.log(np.maximum(room, 1e-300)) - np.log(t), -np.inf)
            dh = (-dcn / room - dt / t) * x
            step = np.where(room > 0, np.clip(-h / dh, -2.0, 2.0), 1.0)
        neg = h < 0
        lo = np.where(neg, u, lo)
        hi = np.where(neg, hi, u)
        step = np.where(h == 0, 0.0, step)
        un = u + step
        bad = ~np.isfinite(un) | (un < lo) | (un > hi)
        un = np.where(bad, 0.5 * (lo + hi), un)
        done = np.abs(un - u) <= 1e-14 * (1 + np.abs(u))
        u = un
        if np.all(done):
            break
    return np.exp(u)


def _respond(A: Arrays, I: float, tau: float, lam: float, x_cap: np.ndarray,
             fixed_freq: bool,
             x0: tuple[np.ndarray, np.ndarray] | None = None) -> dict[str, np.ndarray]:
    """Every device's optimal (c, t, b, x, mu) at bandwidth price ``lam``."""
    cd3 = 2.0 * A.kappa * (I * A.cd) ** 3
    cmin = I * A.cd / A.f_max
    G = A.gain / A.N0
    xa = _case_a(A, tau, lam, cd3, cmin, fixed_freq, None if x0 is None else x0[0])
    x = xa
    t = lam * G / xpsi(x)
    b = A.K * psi(x) / lam
    mu = A.K * psi(x) / t
    c = tau - t
    power = b * np.expm1(x * LN2)
    binding = power > A.P * (1 + 1e-12)
    out = {"x": x.copy(), "t": t, "b": b, "mu": mu, "c": c, "binding": binding, "xa": xa}
    if np.any(binding):
        idx = np.flatnonzero(binding)
        xb0 = None if x0 is None else x0[1][idx]
        out_b = _power_binding(A, I, tau, lam, x_cap[idx], idx, fixed_freq, cd3, cmin, xb0)
        for key, val in out_b.items():
            out[key][idx] = val
    return out


def _power_binding(A: Arrays, I: float, tau: float, lam: float, x_cap: np.ndarray,
                   idx: np.ndarray, fixed_freq: bool, cd3: np.ndarray,
                   cmin: np.ndarray, x0: np.ndarray | None = None,
                   iters: int = 100) -> dict[str, np.ndarray]:
    """Devices at p_max: 1-D convex search along the power-limit curve (Newton in log x).

    Along ``t = (s/P)·phi(x)``, ``b = P/(2^x - 1)`` the derivative of
    ``kappa·A³/(tau - t)² + p_max·t + lam·b`` has the sign of
    ``r(x) = log((2·kappa·A³/(tau-t)³ + p_max)·t'(x)) - log(lam·|b'(x)|)`` (increasing).
    """
    P, s, K, pm = A.P[idx], A.s, A.K[idx], A.p_max[idx]
    cd3, cmin = cd3[idx], cmin[idx]
    lo = np.full(idx.size, np.log(X_LO))
    hi = np.log(np.maximum(x_cap, X_LO))
    # at x_cap itself (computing at f_max): is the derivative still negative?
    u = hi.copy() if x0 is None else np.clip(np.log(np.maximum(x0, X_LO)), lo, hi)

    def r_and_dr(u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        x = np.exp(u)
        X = xpsi(x)
        ps = X / x
        Xp = LN2 * LN2 * x * np.exp(x * LN2)
        psp = (Xp - ps) / x
        t = (s / P) * phi(x)
        dt = (s / P) * ps / x
        em = np.expm1(x * LN2)
        if fixed_freq:
            comp, dcomp = 0.0, 0.0
        else:
            c = np.maximum(tau - t, cmin)
            comp = cd3 / c ** 3
            dcomp = np.where(tau - t > cmin, 3 * comp / c * dt, 0.0)
        r = (np.log((comp + pm) * dt) - np.log(lam * P * LN2)
             - x * LN2 + 2 * np.log(em))
        dr = psp / ps - 1 / x + dcomp / (comp + pm) + LN2 * (em + 2) / em
        return r, dr

    r_hi, _ = r_and_dr(hi)
    at_cap = r_hi <= 0
    for _ in range(iters):
        r, dr = r_and_dr(u)
        neg = r < 0
        lo = np.where(neg, u, lo)
        hi = np.where(neg, hi, u)
        with np.errstate(divide="ignore", invalid="ignore"):
            un = u - np.where(r == 0, 0.0, np.clip(r / (np.exp(u) * dr), -1.0, 1.0))
        bad = ~np.isfinite(un) | (un < lo) | (un > hi)
        un = np.where(bad, 0.5 * (lo + hi), un)
        done = (np.abs(un - u) <= 1e-14 * (1 + np.abs(u))) | at_cap
        u = un
        if np.all(done):
            break
    x = np.where(at_cap, x_cap, np.exp(u))
    t = (s / P) * phi(x)
    b = P / np.expm1(x * LN2)
    c = np.maximum(tau - t, cmin)
    if fixed_freq:
        c = cmin
    xp = xpsi(x)
    ps = xp / x
    omega = np.maximum(lam - K * ps / b, 0.0) / xp
    mu = (K * ps + omega * b * x * LN2 * 2.0 ** x) / t
    return {"x": x, "t": t, "b": b, "mu": mu, "c": c}


def solve_round(A: Arrays, I: float, tau: float, *, fixed_freq: bool = False,
                iters: int = 200, lam_hint: float | None = None,
                x_hint: tuple[np.ndarray, np.ndarray] | None = None) -> Round:
    """Exact optimal allocation of one round (see the module docstring)."""
    bmin, x_cap = min_bandwidths(A, I, tau)
    total = float(np.sum(bmin))
    if not (np.isfinite(total) and total < A.B):
        return Round(False)

    state: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    if x_hint is not None and x_hint[0].shape == (A.n,):
        state["x"] = x_hint

    def excess(ell: float) -> float:
        r = _respond(A, I, tau, math.exp(ell), x_cap, fixed_freq, state.get("x"))
        state["x"] = (r["xa"], r["x"])
        return math.log(float(np.sum(r["b"])) / A.B)

    ell0 = math.log(lam_hint) if lam_hint else math.log(
        float(np.median(A.K)) * 0.4 * A.n / A.B)
    half = 0.02 if lam_hint else 0.5  # a warm price is usually within a few percent
    lo, hi = ell0 - half, ell0 + half
    flo, fhi = excess(lo), excess(hi)
    step = 4 * half
    for _ in range(200):
        if flo > 0:
            break
        hi, fhi = lo, flo
        lo -= step
        step = min(2 * step, 3.0)
        flo = excess(lo)
    step = 4 * half
    for _ in range(200):
        if fhi < 0:
            break
        lo, flo = hi, fhi
        hi += step
        step = min(2 * step, 3.0)
        fhi = excess(hi)
    # Illinois on the decreasing log(sum b / B) in log(lam)
    side = 0
    ell = lo
    for it in range(iters):
        ell = 0.5 * (lo + hi) if it % 4 == 3 else (lo * fhi - hi * flo) / (fhi - flo)
        if not lo < ell < hi:
            ell = 0.5 * (lo + hi)
        f = excess(ell)
        if abs(f) <= 1e-14 or hi - lo <= 1e-15 * (1 + abs(ell)):
            break
        if f > 0:
            lo, flo = ell, f
            if side == 1:
                fhi /= 2
            side = 1
        else:
            hi, fhi = ell, f
            if side == -1:
                flo /= 2
            side = -1
    lam = math.exp(ell)
    r = _respond(A, I, tau, lam, x_cap, fixed_freq, state.get("x"))
    out = _finish(A, I, tau, lam, r, fixed_freq)
    out.warm = (r["xa"], r["x"])
    return out


def _finish(A: Arrays, I: float, tau: float, lam: float, r: dict[str, np.ndarray],
            fixed_freq: bool) -> Round:
    """Energy, derivatives, Lagrangian constants and KKT residuals of a response."""
    c, t, b, x, mu = r["c"], r["t"], r["b"], r["x"], r["mu"]
    cap = I * A.cd
    cmin = cap / A.f_max
    comp = A.kappa * cap ** 3 / c ** 2
    tx = A.K * phi(x)
    energy = float(np.sum(comp + tx))
    f_star = A.f_max if fixed_freq else np.minimum(np.cbrt(mu / (2 * A.kappa)), A.f_max)
    dG_dI = float(np.sum(A.cd * (A.kappa * f_star ** 2 + mu / f_star)))
    beta = float(np.sum(tx + mu * t + lam * b)) - lam * A.B
    kkt = {
        "bandwidth": abs(float(np.sum(b)) - A.B) / A.B,
        "time": float(np.max(np.abs(c + t - tau))) / tau,
        "rate": float(np.max(np.abs(x * t * b / A.s - 1.0))),
    }
    if not fixed_freq:
        interior = c > cmin * (1 + 1e-9)
        stat = np.abs(2 * A.kappa * cap ** 3 / c ** 3 - mu) / mu
        kkt["stationarity"] = float(np.max(np.where(interior, stat, 0.0), initial=0.0))
        nu = (mu - 2 * A.kappa * cap ** 3 / c ** 3) / mu
        kkt["dual_feasibility"] = float(max(0.0, -np.min(np.where(interior, 0.0, nu))))
    return Round(True, c, t, b, x, mu, lam, energy, dG_dI, -float(np.sum(mu)), beta, kkt,
                 int(np.sum(r["binding"])), int(np.sum(c <= cmin * (1 + 1e-9))))


def to_solution(A: Arrays, eta: float, I: float, r: Round) -> object:
    """The ``Solution`` of a round: f = A/c, p = K·phi(x)/t (clipped to their limits)."""
    from formulations.fl_energy.model import Solution

    f = np.minimum(I * A.cd / r.c, A.f_max)
    p = np.minimum(A.K * phi(r.x) / r.t, A.p_max)
    return Solution(float(eta), tuple(f.tolist()), tuple(p.tolist()), tuple(r.b.tolist()),
                    tuple(r.t.tolist()))
