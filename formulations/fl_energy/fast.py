"""``fast``: the exact method — closed forms, Newton on the bandwidth price, certified eta search.

Yang et al. (IEEE TWC 2021) alternate between the resource subproblem and the eta
subproblem. Here the resource subproblem at fixed eta is solved exactly
(:mod:`roundfast`: KKT closed forms in the spectral efficiency, a monotone 1-D root per
device, Newton with exact sensitivities on the bandwidth price; the bisection/Illinois
solver of :mod:`roundopt` is its fallback and reference), and eta is searched on the exact
envelope ``E(eta)`` using its derivative (envelope theorem): Lambert-W jumps, then secant
steps on ``dE/deta`` (:mod:`etasearch`), with the robust interval search of :mod:`eta` as
fallback. Optimality over eta is certified by the Lagrangian bound of
:func:`eta.dual_bound` (the Lambert-W eta subproblem at the multipliers of each evaluated
eta); ``OPTIMAL`` is reported only when that bound meets the energy within ``gap_tol`` and
the KKT residuals are below ``kkt_tol``."""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Limit, Status
from formulations.fl_energy.eta import (
    EtaPoint,
    dual_bound,
    evaluate,
    feasible_interval,
    fixed_bound,
    min_deadline,
    search_eta,
)
from formulations.fl_energy.etasearch import search_eta_fast
from formulations.fl_energy.kernels import Arrays, arrays
from formulations.fl_energy.roundfast import solve_round_newton
from formulations.fl_energy.roundopt import Round, round_feasible, solve_round, to_solution


def infeasible_output(A: Arrays, eta: float | None) -> MethodOutput:
    """INFEASIBLE with the smallest feasible deadline in the message."""
    t_min, at = min_deadline(A, eta)
    if math.isfinite(t_min):
        where = f" (at eta = {at:.6g})" if eta is None else ""
        msg = (f"deadline T = {A.T:.6g} s cannot be met; the smallest feasible deadline is "
               f"about {t_min:.6g} s{where}")
    else:
        msg = f"deadline T = {A.T:.6g} s cannot be met for any deadline"
    return MethodOutput(Status.INFEASIBLE, message=msg,
                        stats={"min_deadline": t_min if math.isfinite(t_min) else None})


def _no_solution(backend: str) -> MethodOutput:
    return MethodOutput(Status.NO_SOLUTION, limit=Limit.OTHER, backend=backend,
                        message="the round solver found no feasible allocation although one "
                                "exists (numerical failure)")


def optimise(inst: Any, ctx: SolveContext, solver: Callable[[Arrays], Callable[[float, float],
             Round]], *, eta: float | None = None, exact: bool = True,
             gap_tol: float = 1e-7, kkt_tol: float = 1e-8, backend: str = "numpy",
             kkt_keys: tuple[str, ...] | None = None,
             extra_stats: Callable[[], dict[str, Any]] | None = None,
             quick_search: bool = False) -> MethodOutput:
    """Shared driver: fixed or searched eta, solution, bound, status.

    Parameters
    ----------
    solver
        ``solver(A)`` returns ``f(I, tau) -> Round``.
    eta
        Use this eta (``None``: the instance's eta, or search when that is ``None`` too).
    exact
        Whether the per-round solver is exact (only then OPTIMAL and a bound).
    quick_search
        Free eta: try the certified secant search of :mod:`etasearch` first (no feasible
        interval needed); the robust interval search of :mod:`eta` runs only when it
        returns no certificate.
    """
    A = arrays(inst)
    fixed = inst.eta if inst.eta is not None else eta
    f = solver(A)
    stats: dict[str, Any] = {}
    if fixed is not None:
        point: EtaPoint = evaluate(A, fixed, f)
        if not math.isfinite(point.energy):
            if round_feasible(A, A.local(fixed), A.tau(fixed)):
                return _no_solution(backend)
            return infeasible_output(A, fixed)
        bound = None
        if exact and inst.eta is not None:
            r0 = point.round
            bound = (A.rounds(fixed) * r0.lower if r0.lower is not None
                     else fixed_bound(A, point))
        stats["eta_evaluations"] = 1
    else:
        quick = (search_eta_fast(A, f, stop=ctx.out_of_time) if quick_search and exact
                 else None)
        if quick is not None and quick.best is None:
            return MethodOutput(Status.NO_SOLUTION, limit=ctx.limit_hit() or Limit.TIME,
                                backend=backend, message="stopped by the time limit before "
                                "a feasible eta was found")
        if quick is not None:
            point, bound = quick.best, quick.bound
            stats["eta_evaluations"] = quick.evals
            stats["eta_search"] = "secant"
        else:
            interval = feasible_interval(A)
            if interval is None:
                return infeasible_output(A, None)
            lo, hi = interval
            point, evals = search_eta(A, f, lo, hi, stop=ctx.out_of_time)
            if not math.isfinite(point.energy):
                return _no_solution(backend)  # the interval is feasible: a solver failure
            bound = dual_bound(A, point, lo, hi) if exact else None
            stats["eta_evaluations"] = evals
            stats["eta_interval"] = [lo, hi]
            stats["eta_search"] = "interval"
    r = point.round
    sol = to_solution(A, point.eta, A.local(point.eta), r)
    kkt = max((v for k, v in r.kkt.items() if kkt_keys is None or k in kkt_keys),
              default=0.0)
    stats.update({"eta": point.eta, "rounds": A.rounds(point.eta),
                  "local_iterations": A.local(point.eta), "bandwidth_price": r.lam,
                  "kkt_residuals": dict(r.kkt), "devices_at_p_max": r.power_bound,
                  "devices_at_f_max": r.freq_bound, "dE_deta": point.slope})
    if extra_stats is not None:
        stats.update(extra_stats())
    if not exact:
        return MethodOutput(Status.FEASIBLE, sol, backend=backend, stats=stats)
    limit = ctx.limit_hit()
    if bound is not None:
        bound = min(bound, point.energy)
        gap = (point.energy - bound) / max(point.energy, 1e-300)
        stats["duality_gap"] = gap
        proved = gap <= gap_tol and kkt <= kkt_tol
    else:
        proved = kkt <= kkt_tol
    if proved:
        return MethodOutput(Status.OPTIMAL, sol, bound=bound, backend=backend, stats=stats)
    if limit is not None:
        return MethodOutput(Status.FEASIBLE, sol, bound=bound, limit=limit, backend=backend,
                            stats=stats, message="stopped by the time limit")
    return MethodOutput(Status.FEASIBLE, sol, bound=bound, limit=Limit.OTHER, backend=backend,
                        stats=stats, message="optimality not certified within tolerance")


def fast(inst: Any, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Exact closed-form/Newton method (see the module docstring)."""
    options.setdefault("quick_search", True)
    return optimise(inst, ctx, newton_solver, **options)


def newton_solver(A: Arrays) -> Callable[[float, float], Round]:
    """:func:`roundfast.solve_round_newton` warm-started at the previous round: price,
    roots, active sets and their first-order sensitivities to ``(I, tau)``."""
    last: dict[str, Any] = {}

    def f(I: float, tau: float) -> Round:
        r = solve_round_newton(A, I, tau, lam_hint=last.get("lam"), x_hint=last.get("x"),
                               sens=last.get("sens"))
        if r.feasible:
            last["lam"], last["x"], last["sens"] = r.lam, r.warm, r.sens
        return r

    return f


def warm_solver(A: Arrays, **kw: Any) -> Callable[[float, float], Round]:
    """``solve_round`` warm-started at the previous price and spectral efficiencies."""
    last: dict[str, Any] = {}

    def f(I: float, tau: float) -> Round:
        r = solve_round(A, I, tau, lam_hint=last.get("lam"), x_hint=last.get("x"), **kw)
        if r.feasible:
            last["lam"], last["x"] = r.lam, r.warm
        return r

    return f
