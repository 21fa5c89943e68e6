"""Exact MILP of the placement GAP with HiGHS (highspy directly).

Variables ``x_ij`` in {0,1} for every server ``i`` a block ``j`` fits on, ``u_j`` in {0,1}
for blocks that may stay unplaced, and ``z >= 0`` (maximum utilisation) in the min-max mode.

    min  sum c_ij x_ij + sum p_j u_j + lambda z
    s.t. sum_i x_ij + u_j = 1                    (every block placed once or unplaced)
         sum_j w_ij x_ij <= b_i                  (storage, bytes)
         sum_j (w_ij / b_i) x_ij - z <= 0        (min-max mode, servers with b_i > 0)

The model is handed to highspy as sparse arrays, which builds in milliseconds where a
Pyomo model of the same size takes about a second. Stopped early it reports the incumbent,
HiGHS's dual bound and the gap (FEASIBLE + Limit) or NO_SOLUTION.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput

from .core import (
    Gap,
    gap_arrays,
    highs_without_solution,
    infeasibility,
    infeasible_output,
    to_solution,
)
from .model import Instance


@dataclass(frozen=True)
class Layout:
    """Where the variables are: ``rows[c], cols[c]`` of column ``c`` of the ``x`` part."""

    gap: Gap
    rows: np.ndarray
    cols: np.ndarray
    z: int | None


def build_highs(inst: Instance, ctx: SolveContext, *,
                integer: bool = True) -> tuple[object, Layout]:
    """The MILP (or its LP relaxation) of ``inst`` in a fresh ``Highs``."""
    return build_gap_model(gap_arrays(inst), ctx, integer=integer,
                           minmax=inst.mode == "minmax", load_weight=inst.load_weight)


def build_gap_model(g: Gap, ctx: SolveContext, *, integer: bool = True, minmax: bool = False,
                    load_weight: float = 0.0) -> tuple[object, Layout]:
    """The MILP (or LP relaxation) of the GAP arrays ``g`` in a fresh ``Highs``."""
    from edgeopt_solve.backends.highs import new_highs

    rows, cols = np.nonzero(g.allowed)
    nx = rows.size
    cost = g.cost[rows, cols]
    ncols = nx + (1 if minmax else 0)
    h = new_highs(ctx)
    obj = np.append(cost, load_weight) if minmax else cost
    lower = np.zeros(ncols)
    upper = np.ones(ncols)
    if minmax:
        upper[-1] = np.inf
    h.addCols(ncols, obj, lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
              np.zeros(0))
    if integer and nx:
        h.changeColsIntegrality(nx, np.arange(nx, dtype=np.int32),
                                np.ones(nx, dtype=np.uint8))
    # assignment rows: one per block
    order = np.lexsort((rows, cols))
    starts = np.searchsorted(cols[order], np.arange(g.n)).astype(np.int32)
    h.addRows(g.n, np.ones(g.n), np.ones(g.n), nx, starts, order.astype(np.int32),
              np.ones(nx))
    # capacity rows for the real servers
    real = rows < g.m
    ridx = np.flatnonzero(real)
    ordr = ridx[np.argsort(rows[ridx], kind="stable")]
    starts = np.searchsorted(rows[ordr], np.arange(g.m)).astype(np.int32)
    wts = g.weight[rows[ordr], cols[ordr]].astype(float)
    h.addRows(g.m, np.full(g.m, -np.inf), g.capacity[: g.m].astype(float), ordr.size, starts,
              ordr.astype(np.int32), wts)
    z = None
    if minmax:
        z = nx
        pos = [i for i in range(g.m) if g.capacity[i] > 0]
        idx: list[int] = []
        val: list[float] = []
        st: list[int] = []
        for i in pos:
            st.append(len(idx))
            members = ordr[rows[ordr] == i]
            idx.extend(members.tolist())
            val.extend((g.weight[i, cols[members]] / g.capacity[i]).tolist())
            idx.append(z)
            val.append(-1.0)
        if pos:
            h.addRows(len(pos), np.full(len(pos), -np.inf), np.zeros(len(pos)), len(idx),
                      np.array(st, dtype=np.int32), np.array(idx, dtype=np.int32),
                      np.array(val))
    return h, Layout(g, rows, cols, z)


def read_x(h: object, layout: Layout) -> np.ndarray:
    """Column values as a dense ``(k, n)`` array."""
    g = layout.gap
    vals = np.asarray(h.getSolution().col_value, dtype=float)
    x = np.zeros((g.k, g.n))
    x[layout.rows, layout.cols] = vals[: layout.rows.size]
    return x


def assignment_from_x(x: np.ndarray) -> np.ndarray:
    """Row of the largest value in each column."""
    return np.argmax(x, axis=0).astype(np.int64)


def set_start(h: object, layout: Layout, assign: np.ndarray) -> None:
    """Give HiGHS a feasible start (sum mode)."""
    import highspy

    vals = (layout.rows == assign[layout.cols]).astype(float)
    if layout.z is not None:
        return
    sol = highspy.HighsSolution()
    sol.col_value = vals.tolist()
    sol.value_valid = True
    h.setSolution(sol)


def milp(inst: Instance, ctx: SolveContext, *, start: np.ndarray | None = None,
         **highs_options: object) -> MethodOutput:
    """Solve exactly with HiGHS; ``start`` is an optional feasible assignment hint.

    With movable tasks the linearised GQAP of :mod:`movable` is solved instead.
    """
    from edgeopt_solve.backends.highs import run_highs

    if inst.movable:
        from .movable import milp_gqap

        return milp_gqap(inst, ctx)
    reason = infeasibility(inst)
    if reason:
        return infeasible_output(reason)
    h, layout = build_highs(inst, ctx)
    for key, value in highs_options.items():
        h.setOptionValue(key, value)
    if start is not None:
        set_start(h, layout, start)
    run = run_highs(h, ctx)
    stats = {"variables": int(layout.rows.size), "native_status": run.native_status}
    nodes = getattr(h.getInfo(), "mip_node_count", None)
    if nodes is not None:
        stats["nodes"] = int(nodes)
    unsolved = highs_without_solution(run, stats)
    if unsolved is not None:
        return unsolved
    assign = assignment_from_x(read_x(h, layout))
    bound = run.bound
    if bound is not None and run.objective is not None:
        bound = min(bound, run.objective)
    return MethodOutput(run.status, to_solution(layout.gap, assign), bound=bound,
                        limit=run.limit, backend="highs", solver_versions=run.versions,
                        stats=stats)
