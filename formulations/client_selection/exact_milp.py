"""Compact MILP of (weighted) FedCS selection without big-M constraints, solved by HiGHS.

Sort the eligible clients by release ``r_k`` (update-finish time after distribution:
``u_k`` for broadcast, ``d_k + u_k`` for parallel download), ties by position, and write
``j' >= j`` for "at or after ``j`` in that order". Variables:

* ``x_k in {0, 1}``: client ``k`` is selected;
* ``D >= 0`` (broadcast only): the distribution time (s);
* ``s_j >= 0``: upload seconds of the selected clients at or after ``j`` (a suffix sum,
  so the model has ``O(n)`` non-zeros instead of ``O(n^2)``).

Model::

    max  sum_k w_k x_k
    s.t. s_j = p_j x_j + s_{next(j)}                 (suffix sums, s after the last = 0)
         D + r_j x_j + s_j <= B                       for every client j
         D >= d_k x_k                                 for every client k (broadcast)
         sum_{k holds c} x_k >= m_c                   for every class c in min_coverage

Why it is exact without big-M: by Jackson's rule the selected set ``S`` fits iff
``D + max_{j in S} (r_j + sum_{i in S, i >= j} p_i) <= B`` with ``D = max_{S} d_k``.
For ``j in S`` the row above is exactly that term. For ``j`` not in ``S`` it reads
``D + s_j <= B``; it is implied by the row of the first selected ``i >= j`` (same suffix
sum, ``r_i >= 0``) or, when there is none, by ``s_j = 0`` and ``D <= B`` (which the rows of
the selected clients imply as well, or ``D`` may be 0 when ``S`` is empty).
Energy budgets are handled by leaving ineligible clients out of the model.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgeopt_solve.backends.highs import new_highs, run_highs
from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status

from .common import has_coverage, prepare, to_solution
from .model import Instance


def solve_milp(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Build and solve the compact MILP with HiGHS; extra ``options`` go to HiGHS."""
    prep = prepare(inst)
    n = prep.n
    if n == 0:
        if has_coverage(inst):
            return MethodOutput(Status.INFEASIBLE, None, message="no eligible client, so"
                                " min_coverage cannot be met")
        return MethodOutput(Status.OPTIMAL, to_solution(inst, prep, []), bound=0.0,
                            message="no eligible client")
    h = new_highs(ctx, **options)
    inf = h.getInfinity() if hasattr(h, "getInfinity") else 1e30
    rel = prep.release()
    order = np.lexsort((np.arange(n), rel))
    nx = n
    col_d = 2 * n  # index of D when broadcast
    ncols = 2 * n + (1 if prep.broadcast else 0)
    cost = np.zeros(ncols)
    cost[:n] = -prep.weight
    lower = np.zeros(ncols)
    upper = np.full(ncols, inf)
    upper[:n] = 1.0
    h.addCols(ncols, cost, lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
              np.zeros(0))
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.ones(n, dtype=np.uint8))
    rows_lo: list[float] = []
    rows_hi: list[float] = []
    starts: list[int] = []
    index: list[int] = []
    value: list[float] = []

    def row(lo: float, hi: float, cols: list[int], vals: list[float]) -> None:
        rows_lo.append(lo)
        rows_hi.append(hi)
        starts.append(len(index))
        index.extend(cols)
        value.extend(vals)

    for q, j in enumerate(order.tolist()):
        cols, vals = [nx + j, j], [1.0, -float(prep.upload[j])]
        if q + 1 < n:
            cols.append(nx + int(order[q + 1]))
            vals.append(-1.0)
        row(0.0, 0.0, cols, vals)
        cols, vals = [j, nx + j], [float(rel[j]), 1.0]
        if prep.broadcast:
            cols.append(col_d)
            vals.append(1.0)
        row(-inf, prep.budget, cols, vals)
        if prep.broadcast:
            row(0.0, inf, [col_d, j], [1.0, -float(prep.download[j])])
    for cls_name, need in inst.min_coverage:
        if need <= 0:
            continue
        members = [j for j in range(n)
                   if cls_name in inst.clients[int(prep.idx[j])].classes]
        row(float(need), inf, members, [1.0] * len(members))
    if rows_lo:
        h.addRows(len(rows_lo), np.asarray(rows_lo), np.asarray(rows_hi), len(index),
                  np.asarray(starts, dtype=np.int32), np.asarray(index, dtype=np.int32),
                  np.asarray(value, dtype=float))
    run = run_highs(h, ctx)
    stats = {"columns": ncols, "rows": len(rows_lo), "native_status": run.native_status}
    bound = None if run.bound is None else -run.bound
    common = {"backend": run.backend, "solver_versions": run.versions, "stats": stats}
    if run.status is Status.INFEASIBLE:
        return MethodOutput(Status.INFEASIBLE, None, message="no selection meets min_coverage"
                            " within the deadline", **common)
    if not run.has_solution:
        return MethodOutput(run.status, None, limit=run.limit,
                            message=f"HiGHS: {run.native_status}", **common)
    x = np.asarray(h.getSolution().col_value[:n])
    chosen = np.flatnonzero(x > 0.5)
    sol = to_solution(inst, prep, chosen)
    if run.status is Status.OPTIMAL and bound is not None:
        # HiGHS proves optimality within mip_rel_gap; report the proven bound, never below
        # the incumbent's own value
        bound = max(bound, float(prep.weight[chosen].sum()))
    return MethodOutput(run.status, sol, bound=bound, limit=run.limit,
                        message="" if chosen.size else "no client fits the deadline", **common)
