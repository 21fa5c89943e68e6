"""Exact CP-SAT model of the placement GAP (OR-Tools).

Booleans ``x_ij`` (block ``j`` on server ``i``, only where it fits) and ``u_j`` (unplaced,
only with a penalty); ``AddExactlyOne`` per block; a linear storage constraint per server;
minimise the cost. Weights and capacities are integers (bytes), so the constraints are
exact. CP-SAT needs integer costs: integral costs are used as they are; otherwise costs
are scaled by ``S`` (so the largest is about 1e9) and rounded, and the reported bound is
lowered by the largest possible total rounding error ``n / (2 S)``, so it stays a true bound
and OPTIMAL means optimal within ``n / (2 S)`` (far below the 1e-6 relative tolerance).
The min-max objective is not supported here (use ``milp``).
"""

from __future__ import annotations

import math

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status

from .core import gap_arrays, infeasibility, infeasible_output, require_sum, to_solution
from .model import Instance


def cost_scale(finite_costs: np.ndarray) -> float:
    """1 for integral costs, else a power of 10 that brings the largest cost near 1e9."""
    if finite_costs.size == 0 or np.all(finite_costs == np.round(finite_costs)):
        return 1.0
    big = float(np.abs(finite_costs).max()) or 1.0
    return 10.0 ** math.floor(math.log10(1e9 / big))


def cpsat(inst: Instance, ctx: SolveContext, *, start: np.ndarray | None = None,
          workers: int = 2, **params: object) -> MethodOutput:
    """Solve exactly with CP-SAT; ``start`` is an optional assignment hint."""
    from edgeopt_solve.backends.cpsat import cp_model, solve_cpsat

    require_sum(inst, "cpsat")
    reason = infeasibility(inst)
    if reason:
        return infeasible_output(reason)
    g = gap_arrays(inst)
    cpm = cp_model()
    model = cpm.CpModel()
    finite = g.cost[g.allowed]
    scale = cost_scale(finite)
    icost = np.where(g.allowed, np.round(np.where(g.allowed, g.cost, 0.0) * scale), 0)
    icost = icost.astype(np.int64)
    x: dict[tuple[int, int], object] = {}
    for j in range(g.n):
        rows = np.flatnonzero(g.allowed[:, j])
        lits = []
        for i in rows:
            v = model.NewBoolVar(f"x{i}_{j}")
            x[int(i), j] = v
            lits.append(v)
        model.AddExactlyOne(lits)
    for i in range(g.m):
        terms = [(x[i, j], int(g.weight[i, j])) for j in range(g.n) if (i, j) in x]
        if terms and sum(w for _, w in terms) > g.capacity[i]:
            model.Add(sum(w * v for v, w in terms) <= int(g.capacity[i]))
    model.Minimize(sum(int(icost[i, j]) * v for (i, j), v in x.items()))
    if start is not None:
        for (i, j), v in x.items():
            model.AddHint(v, int(start[j] == i))
    run = solve_cpsat(model, ctx, workers=workers, **params)
    stats = {"native_status": run.native_status, "cost_scale": scale}
    if run.status is Status.INFEASIBLE:
        return MethodOutput(Status.INFEASIBLE, message="CP-SAT proved that no placement fits "
                            "the storage capacities", backend="cp-sat",
                            solver_versions=run.versions, stats=stats)
    if not run.status.has_solution:
        return MethodOutput(run.status, limit=run.limit, backend="cp-sat",
                            solver_versions=run.versions, stats=stats,
                            message=f"CP-SAT: {run.native_status}")
    solver = run.handle
    assign = np.zeros(g.n, dtype=np.int64)
    for (i, j), v in x.items():
        if solver.Value(v):
            assign[j] = i
    bound = None
    if run.bound is not None:
        slack = 0.0 if scale == 1.0 else 0.5 * g.n / scale
        bound = float(run.bound) / scale - slack
    return MethodOutput(run.status, to_solution(g, assign), bound=bound, limit=run.limit,
                        backend="cp-sat", solver_versions=run.versions, stats=stats)
