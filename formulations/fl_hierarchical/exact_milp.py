"""``exact``: set partitioning over per-edge optimal costs, solved by HiGHS.

With the decomposed cost (each edge server's own weighted energy plus time, see the package
docstring) the association problem is::

    min  sum_{j, S} C_j(S)·x_{j,S}
    s.t. sum_{(j, S) : i in S} x_{j,S} = 1      for every device i
         sum_S x_{j,S} <= 1                     for every edge server j
         x binary

with one column per edge server j and non-empty set S of devices that can reach j with
|S| <= max_devices_j, and C_j(S) the optimal per-edge cost from the exact inner solver
(:mod:`edge_alloc`). Not using an edge server costs nothing. The number of columns is
``sum_j sum_{k <= max_devices_j} binom(n_j, k)`` (n_j devices reach j); above
``max_columns`` (option, default 16384; a column costs about 1 ms of inner solving, each
warm-started from its subset without the last device) the method refuses with NO_SOLUTION
and ``Limit.OTHER``. OPTIMAL is reported when HiGHS proves the MILP optimal (option
``mip_rel_gap``, default 1e-9) and every inner solve meets its KKT conditions (1e-8).
"""

from __future__ import annotations

import itertools
import math
from typing import Any

import numpy as np

from edgeopt_solve.backends.highs import new_highs, run_highs
from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Limit, Status
from formulations.fl_hierarchical.association import capacity
from formulations.fl_hierarchical.common import CostCache
from formulations.fl_hierarchical.model import Instance

MAX_COLUMNS = 16384
KKT_TOL = 1e-8


def column_count(inst: Instance) -> int:
    """Number of set-partitioning columns: non-empty reachable sets within max_devices."""
    total = 0
    for j in range(inst.m):
        nj = sum(1 for d in inst.devices if d.gains[j] is not None)
        total += sum(math.comb(nj, k) for k in range(1, min(nj, capacity(inst, j)) + 1))
    return total


def exact(inst: Instance, ctx: SolveContext, *, max_columns: int = MAX_COLUMNS,
          mip_rel_gap: float = 1e-9, **_: Any) -> MethodOutput:
    """Set-partitioning MILP over all (edge server, device set) columns."""
    count = column_count(inst)
    if count > max_columns:
        return MethodOutput(Status.NO_SOLUTION, limit=Limit.OTHER, backend="highs",
                            message=f"{count} columns exceed max_columns = {max_columns}; "
                                    "use the hfel method for instances this large",
                            stats={"columns": count})
    cache = CostCache(inst)
    cols: list[tuple[int, tuple[int, ...], float]] = []
    worst_kkt = 0.0
    for j in range(inst.m):
        reach = [i for i, d in enumerate(inst.devices) if d.gains[j] is not None]
        cap = capacity(inst, j)
        for size in range(1, min(cap, len(reach)) + 1):
            for S in itertools.combinations(reach, size):
                if ctx.out_of_time():
                    return MethodOutput(Status.NO_SOLUTION, limit=ctx.limit_hit(),
                                        backend="highs",
                                        message="stopped while computing column costs",
                                        stats={"columns_done": len(cols), "columns": count})
                cost, alloc = cache.get(j, S)
                assert alloc is not None
                worst_kkt = max(worst_kkt, alloc.kkt)
                cols.append((j, S, cost))
    h = new_highs(ctx, mip_rel_gap=mip_rel_gap)
    inf = math.inf
    ncol = len(cols)
    costs = np.array([c for _, _, c in cols], dtype=float)
    if ncol:
        h.addVars(ncol, np.zeros(ncol), np.ones(ncol))
        h.changeColsCost(ncol, np.arange(ncol, dtype=np.int32), costs)
        h.changeColsIntegrality(ncol, np.arange(ncol, dtype=np.int32),
                                np.ones(ncol, dtype=np.uint8))
    dev_rows: list[list[int]] = [[] for _ in range(inst.n)]
    edge_rows: list[list[int]] = [[] for _ in range(inst.m)]
    for k, (j, S, _) in enumerate(cols):
        edge_rows[j].append(k)
        for i in S:
            dev_rows[i].append(k)
    for rows, lo, hi in ((dev_rows, 1.0, 1.0), (edge_rows, -inf, 1.0)):
        for idx in rows:
            h.addRow(lo, hi, len(idx), np.array(idx, dtype=np.int32), np.ones(len(idx)))
    run = run_highs(h, ctx)
    stats = {"columns": ncol, "inner_kkt": worst_kkt, "native_status": run.native_status}
    if run.status is Status.INFEASIBLE:
        return MethodOutput(Status.INFEASIBLE, backend="highs", solver_versions=run.versions,
                            message="no association respects reachability and max_devices "
                                    "(set-partitioning MILP infeasible)", stats=stats)
    if not run.status.has_solution:
        return MethodOutput(run.status, limit=run.limit, backend="highs",
                            solver_versions=run.versions, message=run.native_status,
                            stats=stats)
    x = np.asarray(h.getSolution().col_value)
    assoc = [-1] * inst.n
    for k in np.flatnonzero(x > 0.5):
        j, S, _ = cols[int(k)]
        for i in S:
            assoc[i] = j
    sol = cache.solution(assoc)
    if run.status is Status.OPTIMAL and worst_kkt > KKT_TOL:
        return MethodOutput(Status.FEASIBLE, sol, bound=run.bound, limit=Limit.OTHER,
                            backend="highs", solver_versions=run.versions, stats=stats,
                            message="inner solver KKT residual above tolerance")
    return MethodOutput(run.status, sol, bound=run.bound, limit=run.limit, backend="highs",
                        solver_versions=run.versions, stats=stats)
