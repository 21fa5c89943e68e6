r"""``cvxpy``: exact method by a conic solver (CVXPY + Clarabel) and a certified 1-D theta search.

Independent of the closed forms: it shares only the instance arrays with ``fast``.

1. **SUB1 + SUB2 as one convex program.** Since the minimisers of SUB1 and SUB2 do not depend
   on theta (proof in :mod:`closed_form`), and the two are separable, one program with
   both objectives gives both minimisers. Each part is divided by a positive reference
   value, which leaves the minimiser unchanged: SUB1 by its value at ``f = f_max``, and —
   because SUB2 is separable per device (``T_co = sum tau_n``, no coupling constraint) —
   each device's SUB2 term by its own ``tau_min_n·(p_max_n + kappa)``, so that devices
   whose slots differ by decades are all solved to the solver's relative accuracy.
   Scaled variables, so the solver sees numbers near 1:

   * ``f_n = f_max_n·F_n`` with ``F_n in [f_min_n/f_max_n, 1]``; ``T_cp = t_ref·T`` with
     ``t_ref = max_n A_n/f_max_n`` and ``(A_n/(f_max_n·t_ref))·inv_pos(F_n) <= T``.
   * ``tau_n = tau_min_n·y_n`` with ``y_n in [1, tau_max_n/tau_min_n]`` and
     ``m_n = ln(1 + h_n·p_max_n/N0)``. The energy ``tau·p(tau) = tau_min·(N0/h)·(y·e^{m/y} - y)``
     uses the perspective of exp through an exponential cone with the offset ``e^{-m}``
     folded in: ``(m·(1 - y), y, z) in K_exp  <=>  y·e^{m/y - m} <= z``, so
     ``tau·p = tau_min·((N0/h + p_max)·z - (N0/h)·y)`` and ``z ~ 1`` at ``y = 1``.

2. **SUB3** is solved by bisection on the sign of ``N(theta) = c + 1 - ln(theta) - 1/theta``
   (increasing; ``c = S2/(v·S1)``) on the proven bracket ``[1/(2c + 3), 1)``:
   ``N(1) = c > 0`` and, as ``ln(u) <= u/2``, ``u - ln(u) >= u/2 > 1 + c`` at
   ``u = 1/theta = 2c + 3``, i.e. ``N < 0`` there. S1 and S2 are re-evaluated at the
   solver's point (not taken from the solver's objective).

The solver's frequencies are polished: at its ``T_cp = max_n A_n/f_n`` each device only
needs ``max(f_min_n, A_n/T_cp)`` (lowering a slack frequency lowers the cost and keeps
``T_cp``); without this, devices with a negligible share of the energy stay slack within
the solver's tolerance (observed: 2e-4 relative excess cost).

OPTIMAL when the conic solver reports optimal and the bisection converged; FEASIBLE with
``Limit.OTHER`` on an inaccurate solve.

Known limitation: a device whose SNR at full power ``h·p_max/N0`` is well below 1 (0 dB)
makes its energy term a difference of two nearly equal cone variables
(``(N0/h)·(z - y)`` with ``z ~ y``); Clarabel then loses digits and may report
``optimal_inaccurate`` (so FEASIBLE). ``fast`` has no such issue. The paper-like preset
has SNR at p_max of roughly 14-60 dB.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from edgeopt_solve.backends.convex import cvxpy_module, solve_cvxpy
from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Limit, Status
from formulations.fl_fedl.closed_form import Arrays, arrays
from formulations.fl_fedl.model import Solution


def _check_windows(X: Arrays) -> MethodOutput | None:
    """INFEASIBLE when some device has p_min > p_max (its tau window is empty)."""
    bad = [i for i in range(X.n) if X.p_min[i] > X.p_max[i]]
    if not bad:
        return None
    return MethodOutput(Status.INFEASIBLE, backend="cvxpy",
                        message="empty transmit-power window (p_min > p_max), so no upload "
                                f"time tau is feasible, for devices {bad[:10]}",
                        stats={"infeasible_devices": bad})


def bisect_theta(s1: float, s2: float, v: float, iters: int = 200) -> float:
    """Minimiser of ``(s2 + v·s1·ln(1/theta))/(1 - theta)`` by bisection (module docstring)."""
    c = s2 / (v * s1)
    lo, hi = 1.0 / (2.0 * c + 3.0), 1.0
    for _ in range(iters):
        mid = 0.5 * (lo + hi)
        if c + 1.0 - math.log(mid) - 1.0 / mid < 0:
            lo = mid
        else:
            hi = mid
        if hi - lo <= 4e-16 * hi:
            break
    return 0.5 * (lo + hi)


def build_program(X: Arrays) -> tuple[Any, dict[str, Any]]:
    """The scaled SUB1 + SUB2 exponential-cone program and its variables."""
    cp = cvxpy_module()
    n = X.n
    t_ref = float(np.max(X.A / X.f_max))
    fr = cp.Variable(n, name="F")      # f / f_max
    tc = cp.Variable(name="T")         # T_cp / t_ref
    coef = X.A / (X.f_max * t_ref)
    e_cp = 0.5 * X.alpha * X.A * X.f_max ** 2          # J at F = 1
    r1 = float(np.sum(e_cp) + X.kappa * t_ref)
    obj1 = (e_cp / r1) @ cp.square(fr) + (X.kappa * t_ref / r1) * tc
    cons = [cp.multiply(coef, cp.inv_pos(fr)) <= tc, fr >= X.f_min / X.f_max, fr <= 1.0]

    tau_min = X.s / (X.B * np.log1p(X.h * X.p_max / X.N0))
    m = np.log1p(X.h * X.p_max / X.N0)
    w = X.N0 / X.h
    y = cp.Variable(n, name="y")
    z = cp.Variable(n, name="z")
    r2 = tau_min * (X.p_max + X.kappa)                # per device: SUB2 is separable
    obj2 = ((tau_min * (w + X.p_max) / r2) @ z - (tau_min * w / r2) @ y
            + (X.kappa * tau_min / r2) @ y)
    cons += [cp.constraints.ExpCone(cp.multiply(m, 1.0 - y), y, z), y >= 1.0]
    with np.errstate(divide="ignore"):
        y_max = np.log1p(X.h * X.p_max / X.N0) / np.log1p(X.h * X.p_min / X.N0)
    finite = np.isfinite(y_max)
    if finite.any():
        idx = np.flatnonzero(finite)
        cons.append(y[idx] <= y_max[idx])
    problem = cp.Problem(cp.Minimize(obj1 + obj2), cons)
    return problem, {"F": fr, "T": tc, "y": y, "tau_min": tau_min, "y_max": y_max}


def cvxpy_method(inst: Any, ctx: SolveContext, **options: Any) -> MethodOutput:
    """SUB1 + SUB2 by CVXPY/Clarabel, theta by certified bisection (module docstring)."""
    X = arrays(inst)
    bad = _check_windows(X)
    if bad is not None:
        return bad
    problem, var = build_program(X)
    run = solve_cvxpy(problem, ctx)
    stats: dict[str, Any] = {"native_status": run.native_status}
    if not run.has_solution or var["F"].value is None or var["y"].value is None:
        if run.status is Status.INFEASIBLE:   # cannot happen after the window check
            return MethodOutput(Status.INFEASIBLE, backend=run.backend,
                                solver_versions=run.versions, message="solver: infeasible")
        return MethodOutput(Status.NO_SOLUTION, limit=run.limit or Limit.OTHER,
                            backend=run.backend, solver_versions=run.versions, stats=stats,
                            message=f"conic solver returned {run.native_status}")
    f = np.clip(X.f_max * np.asarray(var["F"].value, dtype=float), X.f_min, X.f_max)
    # polish: at the solver's T_cp no device needs more than max(f_min, A/T_cp); devices
    # with a negligible energy share are otherwise left slack within the solver tolerance
    t_cp = float(np.max(X.A / f))
    f = np.clip(np.maximum(X.f_min, X.A / t_cp), X.f_min, X.f_max)
    y = np.clip(np.asarray(var["y"].value, dtype=float), 1.0, var["y_max"])
    tau = var["tau_min"] * y
    p = np.clip(X.N0 / X.h * np.expm1(X.s / (tau * X.B)), X.p_min, X.p_max)
    s1 = float(np.sum(0.5 * X.alpha * X.A * f ** 2) + X.kappa * np.max(X.A / f))
    s2 = float(np.sum(tau * p) + X.kappa * np.sum(tau))
    theta = inst.theta if inst.theta is not None else bisect_theta(s1, s2, X.v)
    sol = Solution(float(theta), tuple(float(x) for x in f), tuple(float(x) for x in tau),
                   tuple(float(x) for x in p))
    stats.update({"theta": theta, "S1": s1, "S2": s2, "solver_objective": run.objective})
    if run.status is Status.OPTIMAL:
        return MethodOutput(Status.OPTIMAL, sol, backend=run.backend,
                            solver_versions=run.versions, stats=stats)
    return MethodOutput(Status.FEASIBLE, sol, limit=run.limit or Limit.OTHER,
                        backend=run.backend, solver_versions=run.versions, stats=stats,
                        message=f"conic solver returned {run.native_status}")
