"""Baselines (heuristics) in the spirit of the benchmark schemes of Mo & Xu (JCIN 2021).

* ``max-frequency`` — communication-only design: every device computes at f_max
  (T_c = max C_k/f_max_k), the upload over the rest of the round is optimal.
* ``fixed-split`` — no joint design: T_c is fixed in the middle of its feasible range
  ``[max C/f_max, T - L_min]``, the devices compute as slowly as T_c allows and the upload
  is optimal for the remaining window.
* ``equal-slots`` — equal time allocation: TDMA slots of equal length ``(T - T_c)/K``,
  with the best T_c (a convex 1-D search). On a NOMA instance the same TDMA schedule is
  returned as NOMA powers: each device sends at its average power ``p_k·tau_k/L`` over
  the whole window, which by concavity of the capacity lies inside the capacity region
  (time sharing is one SIC strategy) and costs the same energy — the "OMA" reference.

The paper's exact benchmark definitions could not be checked; these are our reading.
All report FEASIBLE without a bound; an infeasible deadline gives INFEASIBLE (the
feasibility test is exact) and an equal-slot schedule that cannot meet the power limits
on a feasible instance gives NO_SOLUTION.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Limit, Status
from formulations.fl_uplink.fast import (
    infeasible_output,
    make_solution,
    min_deadline,
    noma_upload,
    tdma_price_search,
)
from formulations.fl_uplink.kernels import (
    Arrays,
    arrays,
    compute_energy,
    convex_min,
    slot_energy,
    slot_power,
)
from formulations.fl_uplink.model import Solution


def _upload(A: Arrays, tc: float, ctx: SolveContext) -> tuple[np.ndarray, np.ndarray] | None:
    """Optimal powers and upload times for the window ``T - tc``."""
    L = A.T - tc
    if A.access == "tdma":
        r = tdma_price_search(A, L, with_compute=False, stop=ctx.out_of_time)
        return slot_power(A, r["tau"]), r["tau"]
    up = noma_upload(A, L)
    return None if up is None else (up[1], np.full(A.n, L))


def _finish(A: Arrays, sol: Solution | None, stats: dict[str, Any]) -> MethodOutput:
    if sol is None:
        return MethodOutput(Status.NO_SOLUTION, limit=Limit.OTHER, stats=stats,
                            message="the baseline found no feasible schedule")
    return MethodOutput(Status.FEASIBLE, sol, backend="numpy", stats=stats)


def max_frequency(inst: Any, ctx: SolveContext, **_: Any) -> MethodOutput:
    """Every device at f_max; the upload optimal over the rest of the round."""
    A = arrays(inst)
    bad = infeasible_output(A)
    if bad is not None:
        return bad
    tc = A.tc_min
    up = _upload(A, tc, ctx)
    if up is None:
        return _finish(A, None, {})
    sol = Solution(tc, tuple(float(f) for f in A.fmax), tuple(float(x) for x in up[0]),
                   tuple(float(x) for x in up[1]))
    return _finish(A, sol, {"compute_time": tc})


def fixed_split(inst: Any, ctx: SolveContext, **_: Any) -> MethodOutput:
    """T_c in the middle of its feasible range; the rest optimal."""
    A = arrays(inst)
    bad = infeasible_output(A)
    if bad is not None:
        return bad
    tc = A.tc_min + (A.T - min_deadline(A)) / 2
    up = _upload(A, tc, ctx)
    sol = None if up is None else make_solution(A, tc, up[0], up[1])
    return _finish(A, sol, {"compute_time": tc})


def equal_slots(inst: Any, ctx: SolveContext, **_: Any) -> MethodOutput:
    """Equal TDMA slots with the best computation phase (NOMA: as average powers)."""
    A = arrays(inst)
    bad = infeasible_output(A)
    if bad is not None:
        return bad
    n = A.n
    hi = A.T - n * float(np.max(A.tau_min))
    if hi < A.tc_min:
        return _finish(A, None, {"reason": "equal slots violate a power limit"})

    def F(tc: float) -> float:
        tau = np.full(n, (A.T - tc) / n)
        return compute_energy(A, tc) + float(np.sum(slot_energy(A, tau)))

    res = convex_min(F, A.tc_min, hi, stop=ctx.out_of_time, rel_tol=1e-10)
    tc = res.x
    tau = np.full(n, (A.T - tc) / n)
    power = np.minimum(slot_power(A, tau), A.pmax)
    if A.access == "tdma":
        sol = make_solution(A, tc, power, tau)
    else:
        L = A.T - tc
        sol = make_solution(A, tc, power * tau / L, np.full(n, L))
    return _finish(A, sol, {"compute_time": tc, "slot": float(tau[0])})
