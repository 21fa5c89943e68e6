"""``fast``: the exact method — closed forms of SUB1, SUB2 (Lambert W) and SUB3 (Lambert W).

Tran et al. (INFOCOM 2019) solve FEDL by decomposing it into three convex subproblems
with closed-form solutions; :mod:`closed_form` derives them and proves that the
decomposition is exact (the SUB1/SUB2 minimisers do not depend on theta). The answer is a
global optimum (OPTIMAL) up to floating point; no iterative search is involved beyond
Newton polishing of the two Lambert-W roots, so it runs in O(N log N) (a sort of the
SUB1 breakpoints).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.fl_fedl.closed_form import (
    Arrays,
    arrays,
    empty_power_windows,
    optimal_theta,
    sub1_cpu,
    sub1_value,
    sub2_tdma,
    sub2_value,
    sub3_cost,
)
from formulations.fl_fedl.model import Solution


def infeasible_output(X: Arrays) -> MethodOutput | None:
    """INFEASIBLE naming the devices whose power (hence tau) window is empty, else ``None``."""
    bad = empty_power_windows(X)
    if bad.size == 0:
        return None
    shown = ", ".join(f"device {i}: p_min = {X.p_min[i]:.6g} W > p_max = {X.p_max[i]:.6g} W"
                      for i in bad[:5])
    more = f" (and {bad.size - 5} more)" if bad.size > 5 else ""
    return MethodOutput(Status.INFEASIBLE,
                        message=f"empty transmit-power window, so no upload time tau is "
                                f"feasible: {shown}{more}",
                        stats={"infeasible_devices": [int(i) for i in bad]})


def build_solution(X: Arrays, theta: float, f: np.ndarray, tau: np.ndarray) -> Solution:
    """A ``Solution`` with the power that tau needs."""
    p = np.clip(X.power(tau), X.p_min, X.p_max)
    return Solution(float(theta), tuple(float(x) for x in f), tuple(float(x) for x in tau),
                    tuple(float(x) for x in p))


def device_sets(X: Arrays, f: np.ndarray, tau: np.ndarray, rtol: float = 1e-9) -> dict[str, int]:
    """How many devices sit at each bound (the paper's three SUB1 sets, and SUB2's)."""
    tau_min, tau_max = X.tau_range()
    at_fmax = np.isclose(f, X.f_max, rtol=rtol, atol=0)
    at_fmin = np.isclose(f, X.f_min, rtol=rtol, atol=0) & ~at_fmax
    at_pmax = np.isclose(tau, tau_min, rtol=rtol, atol=0)
    at_pmin = np.isfinite(tau_max) & np.isclose(tau, tau_max, rtol=rtol, atol=0) & ~at_pmax
    n = X.n
    return {"f_max": int(at_fmax.sum()), "f_min": int(at_fmin.sum()),
            "f_interior": int(n - at_fmax.sum() - at_fmin.sum()),
            "p_max": int(at_pmax.sum()), "p_min": int(at_pmin.sum()),
            "p_interior": int(n - at_pmax.sum() - at_pmin.sum())}


def solve_closed_form(inst: Any, *, theta: float | None = None) -> tuple[MethodOutput | None,
                                                                           dict[str, Any]]:
    """SUB1 + SUB2 + SUB3; ``(infeasible output, {})`` or ``(None, parts)``."""
    X = arrays(inst)
    bad = infeasible_output(X)
    if bad is not None:
        return bad, {}
    f, t_cp = sub1_cpu(X)
    tau = sub2_tdma(X)
    s1, s2 = sub1_value(X, f), sub2_value(X, tau)
    fixed = inst.theta if inst.theta is not None else theta
    th = optimal_theta(s1, s2, X.v) if fixed is None else float(fixed)
    return None, {"X": X, "f": f, "tau": tau, "theta": th, "S1": s1, "S2": s2,
                  "T_cp": t_cp, "T_co": float(np.sum(tau))}


def round_stats(parts: dict[str, Any]) -> dict[str, Any]:
    """Stats shared by the closed-form methods."""
    X, th = parts["X"], parts["theta"]
    return {"theta": th, "global_rounds": X.a / (1 - th),
            "local_iterations": X.v * math.log(1 / th), "S1": parts["S1"], "S2": parts["S2"],
            "T_cp": parts["T_cp"], "T_co": parts["T_co"],
            "predicted_cost": sub3_cost(X, th, parts["S1"], parts["S2"]),
            "device_sets": device_sets(X, parts["f"], parts["tau"])}


def fast(inst: Any, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Exact closed-form solution of FEDL (see the module docstring)."""
    bad, parts = solve_closed_form(inst)
    if bad is not None:
        return bad
    sol = build_solution(parts["X"], parts["theta"], parts["f"], parts["tau"])
    return MethodOutput(Status.OPTIMAL, sol, backend="numpy", stats=round_stats(parts))
