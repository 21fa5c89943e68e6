"""``fast``: the exact method — closed forms, a time-price bisection (TDMA) or a certified
golden-section search over the upload window (NOMA).

Both access modes split the round into a computation phase [0, T_c] and an upload phase
[T_c, T]; energy falls with both lengths, so ``T_c + (upload length) = T`` at the optimum.

**TDMA.** Minimise ``kappa·sum C_k³/T_c² + sum_k phi_k(tau_k)`` s.t. ``T_c + sum tau_k <= T``,
``T_c >= max C_k/f_max_k``, ``tau_k >= tau_min_k`` (power limit). One coupling constraint:
for a time price ``mu`` the Lagrangian separates into closed forms (``T_c(mu)`` and the
Lambert-W slots of :mod:`kernels`); ``T_c(mu) + sum tau_k(mu)`` falls with ``mu`` and is
bisected (in log mu) to T. Every ``mu`` gives the Lagrangian dual value — a proven lower
bound — so OPTIMAL is reported with a duality gap below ``gap_tol``.

**NOMA.** For a window L the minimum upload energy ``E_up(L) = L·sum_k a_k·q_k(L)`` comes
from the SIC decoding-order result of :mod:`sic` (with the box-greedy when power limits
bind); ``F(L) = kappa·sum C³/(T - L)² + E_up(L)`` is convex in L (partial minimisation of
a jointly convex program: the capacity constraints are perspectives of concave functions
in (energy, L)), so a golden-section search on ``[L_min, T - max C/f_max]`` finds the
optimum and the chord extensions of :func:`kernels.convex_min` certify the lower bound.

Infeasible deadlines (``T < max C/f_max + L_min``) give INFEASIBLE with that smallest
feasible deadline in closed form (``L_min = sum tau_min`` for TDMA, :func:`sic.min_window`
for NOMA).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Limit, Status
from formulations.fl_uplink.kernels import (
    Arrays,
    arrays,
    compute_energy,
    compute_time_for_price,
    convex_min,
    slot_energy,
    slot_power,
    slots_for_price,
)
from formulations.fl_uplink.model import Solution
from formulations.fl_uplink.sic import decoding_order, min_snr, min_window, ordered_snr


def min_deadline(A: Arrays) -> float:
    """The smallest deadline for which the instance is feasible, s."""
    upload = float(np.sum(A.tau_min)) if A.access == "tdma" else min_window(A)
    return A.tc_min + upload


def infeasible_output(A: Arrays) -> MethodOutput | None:
    """INFEASIBLE with the smallest feasible deadline, or ``None`` when feasible."""
    t_min = min_deadline(A)
    if t_min <= A.T * (1 + 1e-12):
        return None
    msg = (f"deadline T = {A.T:.6g} s cannot be met: computing at f_max takes "
           f"{A.tc_min:.6g} s and uploading at p_max ({A.access.upper()}) "
           f"{t_min - A.tc_min:.6g} s; the smallest feasible deadline is {t_min:.9g} s")
    return MethodOutput(Status.INFEASIBLE, message=msg, stats={"min_deadline": t_min})


def make_solution(A: Arrays, tc: float, power: np.ndarray, upload: np.ndarray) -> Solution:
    """A ``Solution`` with every device computing at ``C_k/tc``."""
    f = np.minimum(A.C / tc, A.fmax)
    return Solution(float(tc), tuple(float(x) for x in f), tuple(float(x) for x in power),
                    tuple(float(x) for x in upload))


# ---- TDMA ---------------------------------------------------------------------------------

def tdma_price_search(A: Arrays, total: float, *, with_compute: bool,
                      stop: Any = lambda: False, gap_tol: float = 1e-12,
                      max_iter: int = 400) -> dict[str, Any]:
    """Bisect the time price so that ``[T_c +] sum tau_k = total``.

    Returns the feasible primal (``tc``, ``tau``, ``energy``), the best dual value
    ``lower`` and the bracket; ``with_compute=False`` optimises the slots alone for a
    fixed upload window ``total`` (no T_c term).
    """
    tc_of = (lambda mu: compute_time_for_price(A, mu)) if with_compute else (lambda mu: 0.0)

    def at(mu: float) -> tuple[float, np.ndarray, float]:
        tc, tau = tc_of(mu), slots_for_price(A, mu)
        return tc, tau, tc + float(np.sum(tau))

    def energy(tc: float, tau: np.ndarray) -> float:
        e = float(np.sum(slot_energy(A, tau)))
        return e + (compute_energy(A, tc) if with_compute else 0.0)

    scale = float(np.max(A.a))
    lo = hi = scale
    while at(hi)[2] > total:
        hi *= 10.0
        if hi > 1e300:
            tc, tau = (A.tc_min if with_compute else 0.0), A.tau_min.copy()
            return {"tc": tc, "tau": tau, "energy": energy(tc, tau), "lower": -math.inf,
                    "mu": math.inf, "iterations": 0, "stopped": False}
    while at(lo)[2] <= total:
        lo /= 10.0
    lower = -math.inf
    best: tuple[float, np.ndarray] | None = None
    stopped = False
    iterations = 0
    while iterations < max_iter:
        iterations += 1
        mid = math.sqrt(lo * hi)
        tc, tau, dur = at(mid)
        lower = max(lower, energy(tc, tau) + mid * (dur - total))
        if dur <= total:
            hi = mid
            best = (tc, tau)
        else:
            lo = mid
        if best is not None:
            e = _fill(A, best, total, with_compute, energy)
            if e - lower <= gap_tol * e or hi / lo - 1.0 < 1e-15:
                break
        if stop():
            stopped = True
            break
    if best is None:
        tc, tau, _ = at(hi)
        best = (tc, tau)
    tc, tau = best
    if with_compute:
        tc = max(tc, total - float(np.sum(tau)))  # idle time goes to computing
    return {"tc": tc, "tau": tau, "energy": energy(tc, tau), "lower": lower, "mu": hi,
            "iterations": iterations, "stopped": stopped}


def _fill(A: Arrays, best: tuple[float, np.ndarray], total: float, with_compute: bool,
          energy: Any) -> float:
    tc, tau = best
    if with_compute:
        tc = max(tc, total - float(np.sum(tau)))
    return energy(tc, tau)


def tdma_fast(A: Arrays, ctx: SolveContext, gap_tol: float) -> MethodOutput:
    """Exact TDMA optimum (see the module docstring)."""
    r = tdma_price_search(A, A.T, with_compute=True, stop=ctx.out_of_time,
                          gap_tol=gap_tol / 10)
    sol = make_solution(A, r["tc"], slot_power(A, r["tau"]), r["tau"])
    stats = {"time_price": r["mu"], "iterations": r["iterations"], "compute_time": r["tc"],
             "slots_at_p_max": int(np.sum(r["tau"] <= A.tau_min * (1 + 1e-12)))}
    return _certified(r["energy"], r["lower"], sol, stats, ctx, gap_tol, "numpy+scipy")


# ---- NOMA ---------------------------------------------------------------------------------

def noma_upload(A: Arrays, L: float) -> tuple[float, np.ndarray] | None:
    """Minimum upload energy and powers for a NOMA window ``L``; ``None`` if infeasible."""
    q = min_snr(A.s / (L * A.W), A.h, A.u)
    if q is None:
        return None
    p = np.minimum(A.a * q, A.pmax)
    return float(L * np.sum(p)), p


def noma_fast(A: Arrays, ctx: SolveContext, gap_tol: float) -> MethodOutput:
    """Exact NOMA optimum (see the module docstring)."""
    lo = min_window(A) * (1 + 1e-12)
    hi = A.T - A.tc_min
    lo = min(lo, hi)

    def F(L: float) -> float:
        up = noma_upload(A, L)
        return math.inf if up is None else compute_energy(A, A.T - L) + up[0]

    res = convex_min(F, lo, hi, stop=ctx.out_of_time, rel_tol=gap_tol / 10)
    L = res.x
    up = noma_upload(A, L)
    if up is None or not math.isfinite(res.value):
        return MethodOutput(Status.NO_SOLUTION, limit=Limit.OTHER,
                            message="no feasible window found (numerical failure)")
    sol = make_solution(A, A.T - L, up[1], np.full(A.n, L))
    ordered = bool(np.all(ordered_snr(A.s / (L * A.W), A.h) <= A.u))
    stats = {"window": L, "compute_time": A.T - L, "evaluations": res.evaluations,
             "powers_at_p_max": int(np.sum(up[1] >= A.pmax * (1 - 1e-9))),
             "sic": "strongest-first order" if ordered else "box greedy (power limits bind)"}
    if ordered and A.n <= 50:
        stats["decoding_order"] = [int(k) for k in decoding_order(A.h)]
    return _certified(res.value, res.lower, sol, stats, ctx, gap_tol, "numpy")


# ---- shared -------------------------------------------------------------------------------

def _certified(energy: float, lower: float, sol: Solution, stats: dict[str, Any],
               ctx: SolveContext, gap_tol: float, backend: str) -> MethodOutput:
    bound = min(max(lower, 0.0), energy) if math.isfinite(lower) else None  # energy >= 0
    gap = None if bound is None else (energy - bound) / max(energy, 1e-300)
    stats["gap"] = gap
    if gap is not None and gap <= gap_tol:
        return MethodOutput(Status.OPTIMAL, sol, bound=bound, backend=backend, stats=stats)
    limit = ctx.limit_hit() or Limit.OTHER
    return MethodOutput(Status.FEASIBLE, sol, bound=bound, limit=limit, backend=backend,
                        stats=stats, message="stopped before the optimality gap closed")


def fast(inst: Any, ctx: SolveContext, *, gap_tol: float = 1e-9,
         **options: Any) -> MethodOutput:
    """Exact method: closed forms and 1-D searches (see the module docstring)."""
    if options:
        from edgeopt_solve.exceptions import InvalidOptionError

        raise InvalidOptionError(f"unknown options for fast: {sorted(options)}")
    A = arrays(inst)
    bad = infeasible_output(A)
    if bad is not None:
        return bad
    return tdma_fast(A, ctx, gap_tol) if A.access == "tdma" else noma_fast(A, ctx, gap_tol)
