"""Fast certified eta search: secant/inverse-quadratic steps on dE/deta, Lambert-W jumps.

``E(eta) = R(eta)·G(I(eta), tau(eta))`` is evaluated with the per-round solver; its
derivative comes from the envelope theorem (:func:`eta.evaluate`). Each evaluation also
gives the Lagrangian lower bound of :func:`eta.dual_bound`: for the multipliers at that
eta, ``R(eta')·D(eta')`` is below ``E(eta')`` for *every* eta' (weak duality), so its
minimum over ``[ETA_MIN, ETA_MAX]`` (Lambert-W closed form) bounds the optimum over all eta
— infeasible eta included (``E = +inf`` there), so no feasible interval is needed. The
search stops as soon as the best energy found and the best bound meet within ``certify``
(relative): that is the optimality proof, independent of any unimodality argument.

Steps, in ``u = logit(eta)`` with ``S(u) = dE/du``:

* while ``S`` has not changed sign: jump to the minimiser of the current Lagrangian bound
  (the Lambert-W eta subproblem of Yang et al.); it moves downhill;
* once a sign change brackets the root of ``S``: inverse quadratic interpolation on the last
  three points (secant with two), accepted only strictly inside the bracket and when it
  shrinks fast enough, otherwise the Lambert-W jump (if inside) or bisection.

Near the optimum the bound gap is quadratic in the distance to it, so the secant/IQI order
(about 1.6-1.8) certifies ``1e-9`` in about 4-6 evaluations. When the search meets an
infeasible eta, or does not certify within ``max_evals``, it returns ``None`` and the caller
uses the robust search of :mod:`eta` on the exact feasible interval.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from formulations.fl_energy.eta import (
    ETA_MAX,
    ETA_MIN,
    EtaPoint,
    _expit,
    _logit,
    argmin_on,
    dual_bound,
    evaluate,
)
from formulations.fl_energy.kernels import LN2, Arrays, phi_inverse
from formulations.fl_energy.roundopt import Round

U_MIN = _logit(ETA_MIN)
U_MAX = _logit(ETA_MAX)


@dataclass
class Certified:
    """Outcome of the search: certified, or stopped by the time limit (``stopped``; then
    ``best`` is the best point so far, ``None`` if none was feasible, and ``bound`` is
    still a valid lower bound)."""

    best: EtaPoint | None
    bound: float
    evals: int
    stopped: bool = False


def _jump(A: Arrays, p: EtaPoint) -> float:
    """``logit`` of the minimiser of the Lagrangian bound at ``p`` (Lambert W)."""
    r = p.round
    c1 = r.dG_dI * A.v / math.log(2)
    return _logit(argmin_on(r.beta, c1, ETA_MIN, ETA_MAX))


def search_eta_fast(A: Arrays, solver: Callable[[float, float], Round], *,
                    start: float = 0.5, certify: float = 1e-10, max_evals: int = 30,
                    stop: Callable[[], bool] | None = None) -> Certified | None:
    """Minimise ``E`` over eta with a certificate; ``None`` means "use the robust search".

    Returns the best point, the best Lagrangian bound over all eta and the number of
    per-round solves, once ``best.energy - bound <= certify·best.energy``; or, when
    ``stop()`` turns true (checked after the first evaluation), the best so far with
    ``stopped=True``.
    """
    best: EtaPoint | None = None
    bound = -math.inf
    pts: list[tuple[float, float, float]] = []  # (u, dE/du, dE/deta) of feasible points
    neg: tuple[float, float] | None = None  # largest u with S < 0
    pos: tuple[float, float] | None = None  # smallest u with S > 0
    u = _logit(start)
    last_ok: float | None = None  # u of the last feasible point
    evals = 0
    for evals in range(1, max_evals + 1):
        if stop is not None and evals > 1 and stop():
            return Certified(best, min(bound, best.energy) if best else bound, evals - 1,
                             stopped=True)
        eta = _expit(u)
        p = evaluate(A, eta, solver)
        if not math.isfinite(p.energy) or not math.isfinite(p.slope):
            # outside the feasible interval (an interval in eta): go back half-way
            if last_ok is None:
                start_u = _feasible_start(A)
                if start_u is None or abs(start_u - u) <= 1e-12:
                    return None
                u = start_u
            else:
                u = 0.5 * (u + last_ok)
            continue
        last_ok = u
        if best is None or p.energy < best.energy:
            best = p
        bound = max(bound, dual_bound(A, p, ETA_MIN, ETA_MAX))
        if best.energy - bound <= certify * abs(best.energy):
            return Certified(best, min(bound, best.energy), evals)
        s = p.slope * eta * (1.0 - eta)
        pts.append((u, s, p.slope))
        if s < 0 and (neg is None or u > neg[0]):
            neg = (u, s)
        elif s > 0 and (pos is None or u < pos[0]):
            pos = (u, s)
        elif s == 0:
            return None  # stationary but not certified: leave it to the robust search
        jump = min(max(_jump(A, p), U_MIN), U_MAX)
        if neg is None or pos is None:
            if abs(jump - u) <= 1e-15 * (1 + abs(u)):
                return None
            u = jump
            continue
        a, b = neg[0], pos[0]
        cand = _secant(pts)
        margin = 1e-13 * (1.0 + abs(a) + abs(b))
        ok = cand is not None and a + margin < cand < b - margin
        if ok and len(pts) >= 2 and abs(cand - u) > 2.0 * abs(pts[-1][0] - pts[-2][0]):
            ok = False  # the secant step grows: do not trust it
        if not ok:
            cand = jump if a + margin < jump < b - margin else 0.5 * (a + b)
        if abs(cand - u) <= 1e-15 * (1 + abs(u)):
            return None
        u = cand
    return None


def _slack(A: Arrays, us: np.ndarray) -> np.ndarray:
    """``B - sum_k b_min,k`` at ``eta = expit(u)`` for each ``u`` (``-inf``: a device cannot
    meet the round even with unlimited bandwidth); one vectorised Lambert-W evaluation."""
    etas = 1.0 / (1.0 + np.exp(-us))
    local = A.v * np.log2(1.0 / etas)
    tau = A.T * (1.0 - etas) / A.a
    avail = tau[:, None] - local[:, None] * (A.cd / A.f_max)[None, :]
    target = np.where(avail > 0, A.P[None, :] * np.maximum(avail, 0.0) / A.s, 0.0)
    x_cap = phi_inverse(target.ravel()).reshape(avail.shape)
    with np.errstate(divide="ignore", over="ignore"):
        bmin = np.where(x_cap > 0, A.P[None, :] / np.expm1(x_cap * LN2), np.inf)
    total = bmin.sum(axis=1)
    return np.where(np.isfinite(total), A.B - total, -np.inf)


def _feasible_start(A: Arrays, grid: int = 9, refine: int = 40) -> float | None:
    """``logit`` of an eta with bandwidth to spare (``None``: none found).

    The grid point with the most slack; when none is feasible, golden-section search for
    the largest slack around the best grid point (the feasible set is an interval), stopping
    at the first feasible point. ``None`` sends the caller to the robust interval search.
    """
    us = np.linspace(-6.0, 6.0, grid)
    sl = _slack(A, us)
    k = int(np.argmax(sl))
    if sl[k] > 0:
        return float(us[k])
    if not np.isfinite(sl[k]):
        return None
    a, b = float(us[max(k - 1, 0)]), float(us[min(k + 1, grid - 1)])
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = _slack(A, np.array([c, d]))
    for _ in range(refine):
        if fc > 0:
            return c
        if fd > 0:
            return d
        if fc > fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = float(_slack(A, np.array([c]))[0])
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = float(_slack(A, np.array([d]))[0])
    return None


def _secant(pts: list[tuple[float, float, float]]) -> float | None:
    """Root of ``dE/deta`` from the last two points, in the eta subproblem's own family.

    Fits ``f(eta) = (A0 + A1·ln(1/eta))/(1 - eta)`` (the shape of ``E`` and of its
    Lagrangian bound) to the two slopes — linear in ``(A0, A1)`` — and returns the logit of
    its minimiser (Lambert-W closed form). Falls back to the plain secant of ``dE/du`` in
    ``u = logit(eta)`` when the fit is not convex-shaped (``A1 <= 0``) or singular.
    """
    if len(pts) < 2:
        return None
    (u0, s0, d0), (u1, s1, d1) = pts[-2:]
    e0, e1 = _expit(u0), _expit(u1)

    def row(e: float) -> tuple[float, float]:
        return 1.0 / (1.0 - e) ** 2, math.log(1.0 / e) / (1.0 - e) ** 2 - 1.0 / (e * (1.0 - e))

    (a, b), (c, d) = row(e0), row(e1)
    det = a * d - b * c
    if det != 0 and math.isfinite(det):
        A0 = (d0 * d - b * d1) / det
        A1 = (a * d1 - c * d0) / det
        if A1 > 0 and math.isfinite(A0):
            return _logit(argmin_on(A0, A1, ETA_MIN, ETA_MAX))
    if s0 != s1:
        return u1 - s1 * (u1 - u0) / (s1 - s0)
    return None
