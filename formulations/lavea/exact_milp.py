"""Exact disjunctive MILP (big-M, Manne 1960) solved with HiGHS.

Variables: ``x[j,o]`` binary (task ``j`` at location ``o``), ``S1_j, S2_j, C_j >= 0``
continuous (upload start, compute start, completion, seconds), ``y[j,k]`` binary
(``j`` before ``k`` when they share a server; one literal for both machines, which
makes the schedule a permutation flow shop). Constraints, with ``M`` a horizon::

    sum_o x[j,o] = 1
    S1_j >= r_j
    S2_j >= S1_j + sum_s p1[j][s] x[j,s]
    C_j  >= S2_j + sum_s p2[j][s] x[j,s]
    C_j  >= (r_j + local_j) x[j,local]
    S1_k >= S1_j + p1[j][s] - M (1 - y[j,k]) - M (2 - x[j,s] - x[k,s])   (and S2; and k before j)

Objective: ``Cmax >= C_j`` then ``min Cmax``; or ``min sum_j (w_j) C_j``. Times are
continuous, so no rounding is involved; the big-M relaxation is weak and the model is
meant for small instances (CP-SAT is the default exact method).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgeopt_solve.backends.highs import new_highs, run_highs
from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.lavea.model import LOCAL, Instance
from formulations.lavea.schedule import infeasible_output, infeasible_task, make_solution


class _Builder:
    """Collects columns and rows for highspy's low-level API."""

    def __init__(self, h: Any):
        import highspy

        self.h = h
        self.inf = highspy.kHighsInf
        self.kint = highspy.HighsVarType.kInteger
        self.n = 0

    def var(self, lb: float, ub: float, cost: float = 0.0, binary: bool = False) -> int:
        self.h.addVar(lb, ub)
        idx = self.n
        self.n += 1
        if cost:
            self.h.changeColCost(idx, cost)
        if binary:
            self.h.changeColIntegrality(idx, self.kint)
        return idx

    def row(self, terms: dict[int, float], lb: float, ub: float | None = None) -> None:
        idx = np.array(list(terms), dtype=np.int32)
        val = np.array(list(terms.values()), dtype=float)
        self.h.addRow(lb, self.inf if ub is None else ub, len(idx), idx, val)


def milp(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Solve the disjunctive MILP with HiGHS."""
    bad = infeasible_task(inst)
    if bad is not None:
        return infeasible_output(inst, bad)
    n, m = inst.n, inst.m
    if n == 0:
        return MethodOutput(Status.OPTIMAL, make_solution([], [[] for _ in range(m)]), bound=0.0)
    h = new_highs(ctx)
    b = _Builder(h)
    horizon = max(inst.release) + sum(
        max((inst.p1[j][o] + inst.p2[j][o] if o != LOCAL  # type: ignore[index,operator]
             else inst.local_time[j]) for o in inst.allowed[j])  # type: ignore[type-var]
        for j in range(n)) + 1.0
    big = horizon
    kind = inst.objective
    s1 = [b.var(inst.release[j], horizon) for j in range(n)]
    s2 = [b.var(inst.release[j], horizon) for j in range(n)]
    cost = [0.0 if kind == "makespan" else (inst.weight[j] if kind == "weighted_completion"
                                            else 1.0) for j in range(n)]
    done = [b.var(inst.release[j], horizon, cost[j]) for j in range(n)]
    x = {(j, o): b.var(0.0, 1.0, binary=True) for j in range(n) for o in inst.allowed[j]}
    for j in range(n):
        b.row({x[j, o]: 1.0 for o in inst.allowed[j]}, 1.0, 1.0)
        servers = [o for o in inst.allowed[j] if o != LOCAL]
        b.row({s2[j]: 1.0, s1[j]: -1.0, **{x[j, s]: -inst.p1[j][s] for s in servers}}, 0.0)
        b.row({done[j]: 1.0, s2[j]: -1.0, **{x[j, s]: -inst.p2[j][s] for s in servers}}, 0.0)
        if LOCAL in inst.allowed[j]:
            b.row({done[j]: 1.0, x[j, LOCAL]: -(inst.release[j] + inst.local_time[j])}, 0.0)
    for j in range(n):
        for k in range(j + 1, n):
            shared = [s for s in range(m) if s in inst.allowed[j] and s in inst.allowed[k]]
            if not shared:
                continue
            y = b.var(0.0, 1.0, binary=True)
            for s in shared:
                for first, second, sv in ((s1, s1, inst.p1), (s2, s2, inst.p2)):
                    # j before k (y = 1): second[k] >= first[j] + p_j - M(1-y) - M(2-xj-xk)
                    b.row({second[k]: 1.0, first[j]: -1.0, y: -big, x[j, s]: -big,
                           x[k, s]: -big}, sv[j][s] - 3 * big)
                    # k before j (y = 0): first[j] >= second[k] + p_k - M y - M(2-xj-xk)
                    b.row({first[j]: 1.0, second[k]: -1.0, y: big, x[j, s]: -big,
                           x[k, s]: -big}, sv[k][s] - 2 * big)
    if kind == "makespan":
        cmax = b.var(0.0, horizon, 1.0)
        for j in range(n):
            b.row({cmax: 1.0, done[j]: -1.0}, 0.0)
    run = run_highs(h, ctx)
    if not run.has_solution:
        status = Status.INFEASIBLE if run.status is Status.INFEASIBLE else run.status
        return MethodOutput(status, limit=run.limit, backend="highs",
                            solver_versions=run.versions, message=run.native_status)
    col = np.asarray(h.getSolution().col_value)
    location: list[int | str] = [max(inst.allowed[j], key=lambda o: col[x[j, o]])
                                 for j in range(n)]
    orders = []
    for s in range(m):
        on = [j for j in range(n) if location[j] == s]
        on.sort(key=lambda j: (round(col[s1[j]], 9), round(col[s2[j]], 9), j))
        orders.append(on)
    return MethodOutput(run.status, make_solution(location, orders), bound=run.bound,
                        limit=run.limit, backend="highs", solver_versions=run.versions)
