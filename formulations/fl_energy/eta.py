"""The local-accuracy dimension: Lambert-W closed form, 1-D search, dual bound, min deadline.

With rounds ``R(eta) = a/(1-eta)``, local iterations ``I(eta) = v·log2(1/eta)`` and time per
round ``tau(eta) = T/R(eta)``, the optimal energy is ``E(eta) = R(eta)·G(I(eta), tau(eta))``
where ``G`` is the per-round optimum of :mod:`roundopt`.

For fixed multipliers ``(lam, mu)`` the Lagrangian of the per-round problem is affine in
``I`` and ``tau``: ``D = alpha·I + beta - tau·sum(mu)``. Hence for every eta::

    E(eta) >= R(eta)·D = a·(beta + (alpha·v/ln 2)·ln(1/eta))/(1 - eta) - T·sum(mu)

(weak duality). The right side is the eta subproblem of Yang et al.,
``min (c0 + c1·ln(1/eta))/(1 - eta)``, whose minimiser is the closed form
``eta* = -1/W_{-1}(-exp(-1 - c0/c1))`` (Lambert W, lower branch) for ``c0 > 0``; it is
quasi-convex in eta, so its minimum over an interval is at the clipped stationary point.
Evaluated at the multipliers of the best eta found, it is a proven lower bound on the
optimum over *all* eta; at a stationary point of ``E`` it touches ``E`` (envelope theorem),
which proves that point globally optimal.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from formulations.fl_energy.kernels import LN2, Arrays, solve_increasing
from formulations.fl_energy.roundopt import Round, min_bandwidths, round_feasible, solve_round

ETA_MIN = 1e-9
ETA_MAX = 1.0 - 1e-9


def eta_closed_form(c0: float, c1: float) -> float:
    """Minimiser over (0, 1) of ``(c0 + c1·ln(1/eta))/(1 - eta)`` for ``c0 > 0, c1 > 0``.

    ``eta* = -1/W_{-1}(-exp(-1 - c0/c1))``; stationarity reads ``1/eta - ln(1/eta) = 1 + c0/c1``.
    Evaluated without a Lambert-W call: with ``1/eta = 1 + d`` the stationarity equation is
    ``g(d) = d - log1p(d) - r = 0`` (``r = c0/c1``), ``g`` convex and increasing for
    ``d > 0`` with ``g(1 + 2r) > 0``, so Newton from ``d = 1 + 2r`` decreases monotonically
    to the root (``log1p`` keeps it accurate near the double root ``d ≈ sqrt(2r)``).
    """
    if c0 <= 0 or c1 <= 0:
        raise ValueError("the closed form needs c0 > 0 and c1 > 0")
    r = c0 / c1
    d = 1.0 + 2.0 * r
    for _ in range(200):
        g = d - math.log1p(d) - r
        step = g * (1.0 + d) / d
        d_new = d - step
        if not d_new < d or d_new <= 0.0:
            break  # monotone decrease ended: converged to rounding
        d = d_new
        if step <= 1e-16 * d:
            break
    return 1.0 / (1.0 + d)


def eta_objective(c0: float, c1: float, eta: float) -> float:
    """``(c0 + c1·ln(1/eta))/(1 - eta)``."""
    return (c0 + c1 * math.log(1.0 / eta)) / (1.0 - eta)


def argmin_on(c0: float, c1: float, lo: float, hi: float) -> float:
    """Minimiser of the quasi-convex ``(c0 + c1·ln(1/eta))/(1 - eta)`` over ``[lo, hi]``."""
    if c1 <= 0:
        return hi if c0 < 0 else lo
    if c0 <= 0:
        return hi  # derivative sign = c0 + c1(ln x - x + 1) < 0 everywhere
    return min(max(eta_closed_form(c0, c1), lo), hi)


@dataclass
class EtaPoint:
    """E(eta) with its per-round optimum."""

    eta: float
    energy: float
    slope: float
    round: Round


def evaluate(A: Arrays, eta: float, solver: Callable[[float, float], Round]) -> EtaPoint:
    """``E(eta)`` and ``dE/deta`` (envelope theorem) using ``solver(I, tau)``."""
    R, I, tau = A.rounds(eta), A.local(eta), A.tau(eta)
    r = solver(I, tau)
    if not r.feasible:
        return EtaPoint(eta, math.inf, math.nan, r)
    dR = A.a / (1 - eta) ** 2
    dI = -A.v / (eta * math.log(2))
    dtau = -A.T / A.a
    slope = dR * r.energy + R * (r.dG_dI * dI + r.dG_dtau * dtau)
    return EtaPoint(eta, R * r.energy, slope, r)


def _logit(e: float) -> float:
    return math.log(e / (1 - e))


def _expit(u: float) -> float:
    return 1.0 / (1.0 + math.exp(-u))


def feasible_interval(A: Arrays, *, grid: int = 12) -> tuple[float, float] | None:
    """An interval ``[lo, hi]`` containing every eta whose round is feasible, or ``None``.

    The set of feasible eta is an interval (time available per round is concave in eta);
    its end points are found by bisection and returned on their infeasible side, so no
    feasible eta lies outside.
    """
    us = list(np.linspace(_logit(1e-6), _logit(1 - 1e-6), grid))
    ok = [round_feasible(A, A.local(_expit(u)), A.tau(_expit(u))) for u in us]
    if not any(ok):
        # the feasible window may be narrower than the grid: look where the smallest
        # feasible deadline is attained
        t_min, at = min_deadline(A, None)
        u_at = _logit(at)
        if not (t_min < A.T and round_feasible(A, A.local(at), A.tau(at))):
            return None
        k = int(np.searchsorted(us, u_at))
        us.insert(k, u_at)
        ok.insert(k, True)
    first = ok.index(True)
    last = len(ok) - 1 - ok[::-1].index(True)
    grid = len(us)

    def edge(inside: float, outside: float) -> float:
        for _ in range(30):
            mid = 0.5 * (inside + outside)
            if round_feasible(A, A.local(_expit(mid)), A.tau(_expit(mid))):
                inside = mid
            else:
                outside = mid
        return outside

    lo = ETA_MIN if first == 0 else _expit(edge(us[first], us[first - 1]))
    hi = ETA_MAX if last == grid - 1 else _expit(edge(us[last], us[last + 1]))
    return max(lo, ETA_MIN), min(hi, ETA_MAX)


class _Certified(Exception):
    """Raised inside the search when the dual bound proves the incumbent optimal."""

    def __init__(self, best: EtaPoint, evals: int) -> None:
        super().__init__()
        self.best, self.evals = best, evals


def search_eta(A: Arrays, solver: Callable[[float, float], Round], lo: float, hi: float,
               *, tol: float = 1e-12, max_evals: int = 100,
               certify: float = 1e-9,
               stop: Callable[[], bool] | None = None) -> tuple[EtaPoint, int]:
    """Minimise ``E`` over ``[lo, hi]``; stops early once the dual bound certifies the best
    point to relative gap ``certify`` (see :func:`dual_bound`)."""
    state = {"best": None, "bound": -math.inf, "evals": 0}

    def ev(eta: float) -> EtaPoint:
        if stop is not None and stop() and state["best"] is not None:
            raise _Certified(state["best"], state["evals"])  # out of time: best so far
        p = evaluate(A, eta, solver)
        state["evals"] += 1
        if math.isfinite(p.energy):
            best = state["best"]
            if best is None or p.energy < best.energy:
                state["best"] = best = p
            state["bound"] = max(state["bound"], dual_bound(A, p, lo, hi))
            if best.energy - state["bound"] <= certify * best.energy:
                raise _Certified(best, state["evals"])
        return p

    try:
        best, _ = _search_eta(A, ev, lo, hi, tol=tol, max_evals=max_evals)
    except _Certified as done:
        return done.best, done.evals
    incumbent = state["best"]
    if incumbent is not None and incumbent.energy < best.energy:
        best = incumbent
    return best, int(state["evals"])


def _search_eta(A: Arrays, evaluate_at: Callable[[float], EtaPoint], lo: float, hi: float,
                *, tol: float, max_evals: int) -> tuple[EtaPoint, int]:
    """Minimise the quasi-convex ``E`` over ``[lo, hi]`` (logit scale).

    A coarse scan finds a sign change of ``dE/deta`` and a bracketed Illinois search on the
    slope refines it; when the minimum sits against an end of the feasible interval (no
    sign change), golden-section search on ``E`` (``inf`` where infeasible) is used instead.
    """
    evals = 0
    ua, ub = _logit(lo), _logit(hi)
    # 1) jumps to the minimiser of the Lagrangian (Lambert-W) bound until the slope changes sign
    u0 = min(max(0.0, ua + 1e-3 * (ub - ua)), ub - 1e-3 * (ub - ua))
    p = evaluate_at(_expit(u0))
    evals += 1
    neg: EtaPoint | None = None
    pos: EtaPoint | None = None
    best = p
    for _ in range(8):
        if not math.isfinite(p.energy):
            break
        if p.energy < best.energy:
            best = p
        if p.slope < 0 and (neg is None or p.eta > neg.eta):
            neg = p
        if p.slope > 0 and (pos is None or p.eta < pos.eta):
            pos = p
        if p.slope == 0 or (neg is not None and pos is not None):
            break
        r = p.round
        nxt = argmin_on(r.beta, r.dG_dI * A.v / math.log(2), _expit(ua + 1e-6 * (ub - ua)),
                        _expit(ub - 1e-6 * (ub - ua)))
        if abs(_logit(nxt) - _logit(p.eta)) < 1e-12:
            break
        p = evaluate_at(nxt)
        evals += 1
    if best.slope == 0:
        return best, evals
    if neg is not None and pos is not None and neg.eta < pos.eta:
        return _illinois(A, evaluate_at, neg, pos, best, tol, max_evals, evals)
    # 2) fall back: coarse scan
    grid = [evaluate_at(_expit(float(u))) for u in np.linspace(ua, ub, 9)[1:-1]]
    evals += len(grid)
    best = min([*grid, best], key=lambda p: p.energy)
    grid = sorted([*grid, best], key=lambda p: p.eta)
    if not math.isfinite(best.energy):
        return best, evals
    us = [_logit(p.eta) for p in grid]
    i = grid.index(best)
    left = grid[i - 1] if i > 0 else None
    right = grid[i + 1] if i + 1 < len(grid) else None
    if best.slope > 0 and left is not None and math.isfinite(left.energy) and left.slope < 0:
        a, b = left, best
    elif best.slope < 0 and right is not None and math.isfinite(right.energy) \
            and right.slope > 0:
        a, b = best, right
    elif best.slope == 0:
        return best, evals
    else:
        u_lo = us[i - 1] if i > 0 else ua
        u_hi = us[i + 1] if i + 1 < len(us) else ub
        return _golden(A, evaluate_at, u_lo, u_hi, best, tol, max_evals, evals)
    return _illinois(A, evaluate_at, a, b, best, tol, max_evals, evals)


def _illinois(A: Arrays, evaluate_at: Callable[[float], EtaPoint], a: EtaPoint, b: EtaPoint,
              best: EtaPoint, tol: float, max_evals: int, evals: int) -> tuple[EtaPoint, int]:
    """Bracketed Illinois search for the zero of dE/deta in logit(eta)."""
    ua_, ub_ = _logit(a.eta), _logit(b.eta)
    fa, fb = a.slope, b.slope
    side = 0
    for it in range(max_evals):
        if ub_ - ua_ <= tol * (1 + abs(ua_)):
            break
        # stop once the energy cannot change by more than 1e-13 inside the bracket
        e = best.eta
        if max(abs(fa), abs(fb)) * e * (1 - e) * (ub_ - ua_) <= 1e-13 * best.energy:
            break
        u = 0.5 * (ua_ + ub_) if it % 3 == 2 else (ua_ * fb - ub_ * fa) / (fb - fa)
        if not ua_ < u < ub_:
            u = 0.5 * (ua_ + ub_)
        p = evaluate_at(_expit(u))
        evals += 1
        if not math.isfinite(p.energy):
            break
        if p.energy < best.energy:
            best = p
        if p.slope == 0:
            break
        if p.slope < 0:
            ua_, fa = u, p.slope
            if side == 1:
                fb /= 2
            side = 1
        else:
            ub_, fb = u, p.slope
            if side == -1:
                fa /= 2
            side = -1
    return best, evals


def _golden(A: Arrays, evaluate_at: Callable[[float], EtaPoint], a: float, b: float,
            best: EtaPoint, tol: float, max_evals: int, evals: int) -> tuple[EtaPoint, int]:
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    pc, pd = evaluate_at(_expit(c)), evaluate_at(_expit(d))
    evals += 2
    for _ in range(max_evals):
        for p in (pc, pd):
            if p.energy < best.energy:
                best = p
        if b - a <= tol * (1 + abs(a)):
            break
        if not (math.isfinite(pc.energy) or math.isfinite(pd.energy)):
            if _logit(best.eta) <= c:
                b = c
            else:
                a = d
            c, d = b - g * (b - a), a + g * (b - a)
            pc, pd = evaluate_at(_expit(c)), evaluate_at(_expit(d))
            evals += 2
            continue
        if pc.energy < pd.energy:
            b, d, pd = d, c, pc
            c = b - g * (b - a)
            pc = evaluate_at(_expit(c))
        else:
            a, c, pc = c, d, pd
            d = a + g * (b - a)
            pd = evaluate_at(_expit(d))
        evals += 1
    return best, evals


def dual_bound(A: Arrays, point: EtaPoint, lo: float, hi: float) -> float:
    """Lower bound on ``min_eta E(eta)`` over ``[lo, hi]`` from the multipliers at ``point``."""
    r = point.round
    c1 = r.dG_dI * A.v / math.log(2)
    c0 = r.beta
    eta = argmin_on(c0, c1, lo, hi)
    return A.a * eta_objective(c0, c1, eta) - A.T * float(np.sum(r.mu))


def fixed_bound(A: Arrays, point: EtaPoint) -> float:
    """The Lagrangian value at the instance's fixed eta (equals the optimum at a KKT point)."""
    r = point.round
    eta = point.eta
    return A.a * eta_objective(r.beta, r.dG_dI * A.v / math.log(2), eta) - A.T * float(
        np.sum(r.mu))


def min_deadline(A: Arrays, eta: float | None) -> tuple[float, float]:
    """Smallest feasible deadline (by bisection) and the eta attaining it.

    With eta free, the smallest deadline over eta is found by golden-section search on the
    per-eta minimum deadline (itself a bisection on T).
    """

    def t_min(e: float) -> float:
        # slack(T) = log B - log sum b_min(T/R) increases with T; Illinois in log T
        I, R = A.local(e), A.rounds(e)
        t_need = float(np.max(I * A.cd / A.f_max + A.s * LN2 / A.P))  # bandwidth -> inf

        def slack(log_t: np.ndarray) -> np.ndarray:
            bmin, _ = min_bandwidths(A, I, float(np.exp(log_t[0])) / R)
            total = float(np.sum(bmin))
            return np.array([math.log(A.B / total) if np.isfinite(total) else -1e300])

        lo = math.log(R * t_need * (1 + 1e-12))
        hi = lo + 1.0
        for _ in range(200):
            if slack(np.array([hi]))[0] > 0:
                break
            lo, hi = hi, hi + 2.0
        else:
            return math.inf
        u = solve_increasing(slack, np.array([lo]), np.array([hi]), tol=1e-15,
                             log_space=False)[0]
        # return a deadline on the feasible side of the root
        for _ in range(60):
            if round_feasible(A, I, math.exp(u) / R):
                return math.exp(u)
            u += 1e-13 * (1 + abs(u))
        return math.exp(hi)

    if eta is not None:
        return t_min(eta), eta
    us = np.linspace(_logit(1e-4), _logit(1 - 1e-4), 17)
    vals = [t_min(_expit(float(u))) for u in us]
    i = int(np.argmin(vals))
    a, b = us[max(i - 1, 0)], us[min(i + 1, len(us) - 1)]
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = t_min(_expit(c)), t_min(_expit(d))
    for _ in range(45):
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = t_min(_expit(c))
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = t_min(_expit(d))
    best = min((vals[i], _expit(float(us[i]))), (fc, _expit(c)), (fd, _expit(d)))
    return best


def default_solver(A: Arrays, **kw: object) -> Callable[[float, float], Round]:
    """``solve_round`` bound to ``A``."""
    return lambda I, tau: solve_round(A, I, tau, **kw)  # type: ignore[arg-type]
