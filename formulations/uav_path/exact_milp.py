"""Exact shortest tour: symmetric TSP MILP with lazy subtour cuts on HiGHS.

Model (Dantzig, Fulkerson, Johnson, "Solution of a large-scale traveling-salesman
problem", Oper. Res. 2(4), 1954): one binary ``x_e`` per edge ``e = {i, j}`` of the
complete graph on the base and the hovering points, cost ``c_e`` = edge length (m);

    min sum_e c_e x_e
    s.t. sum_{e in delta(i)} x_e = 2                  for every node i   (degree)
         sum_{e in delta(S)} x_e >= 2                 for every 2 <= |S| <= N-2 (subtour)

(``delta(S)`` the edges with exactly one end in ``S``; written as
``sum_{e in E(S)} x_e <= |S| - 1`` when that has fewer non-zeros — equivalent under the
degree equations). Subtour constraints are added only when violated:

1. LP phase: solve the LP relaxation; add a cut for every connected component of the
   support graph, or, when it is connected, for every minimum 0-t cut (max-flow) of
   weight below 2; repeat until no cut is violated. Its value is a lower
   bound ``LB``.
2. Reduced-cost fixing (Dantzig et al. 1954; standard in Concorde): with an incumbent
   tour of length ``UB`` from the 2-opt/Or-opt ILS, an edge whose LP reduced cost
   ``d_e`` has ``LB + d_e > UB`` (``> UB - 1`` for integer TSPLIB lengths) lies in no
   tour shorter than the incumbent and is removed.
3. MIP phase on the remaining edges with the LP cuts: solve; if the integer solution
   has several subtours, add a cut per subtour and solve again (the DFJ loop). Stop
   when the MIP's optimum is a single tour (a better tour, optimal) or not better than
   the incumbent (the incumbent is optimal), or when it is infeasible (same).

When the time limit stops it, the incumbent is returned FEASIBLE with the best proven
lower bound: the Held–Karp 1-tree bound, the LP value with the cuts found so far, or
the MIP bound of the relaxation with the cuts so far.
In energy mode the optimal tour is the shortest (see :mod:`graph`), and the bounds map
through the monotone energy-of-length function.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from edgeopt_solve.backends.highs import new_highs, run_highs, versions
from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Limit, Status
from formulations.uav_path import local_search
from formulations.uav_path.graph import (
    cycle_length,
    distance_matrix,
    infeasible_output,
    integral,
    one_tree_bound,
    range_problem,
    tour_output,
    trivial_cycle,
)
from formulations.uav_path.model import Instance

log = logging.getLogger(__name__)


class _Edges:
    """Edge arrays of the complete graph restricted to ``keep``."""

    def __init__(self, d: np.ndarray, keep: np.ndarray | None = None):
        n = d.shape[0]
        u, v = np.triu_indices(n, k=1)
        if keep is not None:
            u, v = u[keep], v[keep]
        self.n = n
        self.u, self.v = u.astype(np.int32), v.astype(np.int32)
        self.cost = d[u, v].astype(float)

    def cut_row(self, members: np.ndarray) -> tuple[float, float, np.ndarray]:
        """Subtour row for node set ``members``: (lower, upper, column indices)."""
        mask = np.zeros(self.n, dtype=bool)
        mask[members] = True
        inside = np.flatnonzero(mask[self.u] & mask[self.v])
        cross = np.flatnonzero(mask[self.u] ^ mask[self.v])
        if len(inside) <= len(cross):
            return -np.inf, float(len(members) - 1), inside
        return 2.0, np.inf, cross


def _build(h: Any, edges: _Edges, integer: bool) -> None:
    m = len(edges.cost)
    h.addCols(m, edges.cost, np.zeros(m), np.ones(m), 0,
              np.zeros(m, dtype=np.int32), np.zeros(0, dtype=np.int32), np.zeros(0))
    rows_idx, starts = [], [0]
    for i in range(edges.n):
        cols = np.flatnonzero((edges.u == i) | (edges.v == i))
        rows_idx.append(cols)
        starts.append(starts[-1] + len(cols))
    idx = np.concatenate(rows_idx).astype(np.int32)
    h.addRows(edges.n, np.full(edges.n, 2.0), np.full(edges.n, 2.0), len(idx),
              np.array(starts[:-1], dtype=np.int32), idx, np.ones(len(idx)))
    if integer:
        h.changeColsIntegrality(m, np.arange(m, dtype=np.int32), np.ones(m, dtype=np.uint8))


def _add_cuts(h: Any, edges: _Edges, sets: list[np.ndarray]) -> None:
    lows, ups, starts, idx = [], [], [], []
    total = 0
    for s in sets:
        lo, up, cols = edges.cut_row(s)
        lows.append(lo)
        ups.append(up)
        starts.append(total)
        idx.append(cols)
        total += len(cols)
    if not sets:
        return
    inf = 1e30
    h.addRows(len(sets), np.clip(np.array(lows), -inf, inf), np.clip(np.array(ups), -inf, inf),
              total, np.array(starts, dtype=np.int32),
              np.concatenate(idx).astype(np.int32), np.ones(total))


def _components(n: int, u: np.ndarray, v: np.ndarray) -> list[np.ndarray]:
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    g = coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n))
    k, labels = connected_components(g, directed=False)
    return [np.flatnonzero(labels == c) for c in range(k)]


def _violated_sets(edges: _Edges, x: np.ndarray, max_cuts: int = 60) -> list[np.ndarray]:
    """Node sets whose subtour constraint ``x`` violates.

    The connected components of the support graph when there are several; otherwise
    the minimum 0-t cuts (max-flow, ``scipy.sparse.csgraph.maximum_flow`` on capacities
    ``x`` scaled to integers) for every other node t, kept when their exact weight
    (recomputed from ``x``) is below 2. Their minimum is the global minimum cut, so no
    violated subtour constraint is missed.
    """
    def weight(mask: np.ndarray) -> float:  # x(delta(S)) over every edge
        return float(x[mask[edges.u] ^ mask[edges.v]].sum())

    def member_mask(nodes: np.ndarray) -> np.ndarray:
        mask = np.zeros(edges.n, dtype=bool)
        mask[nodes] = True
        return mask

    on = x > 1e-6
    u, v, w = edges.u[on], edges.v[on], x[on]
    comps = _components(edges.n, u, v)
    if len(comps) > 1:
        violated = [c for c in comps if weight(member_mask(c)) < 2 - 1e-6]
        if violated:
            return violated
    from scipy.sparse import csr_matrix
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    n = edges.n
    cap = np.maximum(np.rint(w * 1e6), 1).astype(np.int32)
    graph = csr_matrix((np.concatenate([cap, cap]), (np.concatenate([u, v]),
                                                     np.concatenate([v, u]))), shape=(n, n))
    found: list[np.ndarray] = []
    seen: set[bytes] = set()
    for t in range(1, n):
        res = maximum_flow(graph, 0, t)
        if res.flow_value >= 2e6 - 1e3:
            continue
        residual = graph - res.flow
        residual.data[residual.data <= 0] = 0
        residual.eliminate_zeros()
        side = breadth_first_order(residual, 0, directed=True, return_predecessors=False)
        mask = np.zeros(n, dtype=bool)
        mask[side] = True
        if mask.sum() * 2 > n:
            mask = ~mask
        key = mask.tobytes()
        if key in seen:
            continue
        seen.add(key)
        if weight(mask) < 2 - 1e-6:
            found.append(np.flatnonzero(mask))
            if len(found) >= max_cuts:
                break
    return found


def exact(inst: Instance, ctx: SolveContext, *, ils_iterations: int | None = None,
          **_: Any) -> MethodOutput:
    """Shortest tour by LP cutting planes, reduced-cost fixing and the DFJ MILP loop."""
    reason = range_problem(inst)
    if reason:
        return infeasible_output(reason, "highs")
    trivial = trivial_cycle(inst)
    if trivial is not None:
        return tour_output(inst, ctx, trivial, backend="python", proved=True)
    d = distance_matrix(inst)
    n = d.shape[0]
    whole = int(ils_iterations if ils_iterations is not None else min(20 * n, 3000))
    start = local_search.nearest_neighbour(d)
    best, _ = local_search.ils(d, start, seed=ctx.seed, iterations=whole,
                               stop=ctx.out_of_time)
    ub = cycle_length(d, best)
    is_int = integral(inst)
    stats: dict[str, Any] = {"lp_rounds": 0, "mip_rounds": 0, "cuts": 0}
    vers = versions()

    # 1. LP phase ------------------------------------------------------------------
    edges = _Edges(d)
    h = new_highs(ctx)
    _build(h, edges, integer=False)
    cuts: list[np.ndarray] = []
    lb = None
    partial = one_tree_bound(d)  # any LP with a subset of the cuts is also a bound
    while True:
        h.setOptionValue("time_limit", _seconds_left(ctx))
        run = run_highs(h, ctx)
        stats["lp_rounds"] += 1
        if run.status is not Status.OPTIMAL:
            return _stopped(inst, ctx, best, partial, stats, vers, run.limit)
        partial = max(partial, float(h.getInfo().objective_function_value))
        x = np.asarray(h.getSolution().col_value)
        sets = _violated_sets(edges, x)
        if not sets:
            lb = float(h.getInfo().objective_function_value)
            break
        cuts.extend(sets)
        stats["cuts"] += len(sets)
        _add_cuts(h, edges, sets)
        if ctx.out_of_time():
            return _stopped(inst, ctx, best, partial, stats, vers, ctx.limit_hit() or Limit.TIME)
    stats["lp_bound"] = lb
    slack = 1.0 - 1e-3 if is_int else -1e-9 * max(1.0, ub)
    if lb >= ub - slack:
        return tour_output(inst, ctx, best, backend="highs", proved=True, stats=stats,
                           versions=vers)

    # 2. reduced-cost fixing -------------------------------------------------------
    rc = np.asarray(h.getSolution().col_dual)
    keep = lb + rc <= ub - slack
    stats["edges_kept"] = int(keep.sum())
    log.debug("LP bound %s, incumbent %s, %d of %d edges kept", lb, ub, keep.sum(), len(keep))

    # 3. MIP phase -----------------------------------------------------------------
    edges = _Edges(d, keep)
    # integer lengths: stop only when the gap is below one unit (no relative tolerance)
    h = new_highs(ctx, **({"mip_rel_gap": 0.0, "mip_abs_gap": 1 - 1e-3} if is_int else {}))
    _build(h, edges, integer=True)
    _add_cuts(h, edges, cuts)
    while True:
        if ctx.out_of_time():
            return _stopped(inst, ctx, best, lb, stats, vers, ctx.limit_hit() or Limit.TIME)
        h.setOptionValue("time_limit", _seconds_left(ctx))
        run = run_highs(h, ctx)
        stats["mip_rounds"] += 1
        if run.status is Status.INFEASIBLE:
            break  # no tour shorter than the incumbent
        if run.status is not Status.OPTIMAL:
            bound = lb if run.bound is None else max(lb, min(run.bound, ub))
            return _stopped(inst, ctx, best, bound, stats, vers, run.limit or Limit.OTHER)
        x = np.asarray(h.getSolution().col_value)
        proven = float(run.bound if run.bound is not None else run.objective)
        if proven >= ub - slack:
            break  # no tour (of the kept edges) is shorter than the incumbent
        on = x > 0.5
        comps = _components(edges.n, edges.u[on], edges.v[on])
        if len(comps) == 1:
            best = _cycle_from_edges(edges.n, edges.u[on], edges.v[on])
            break
        cuts.extend(comps)
        stats["cuts"] += len(comps)
        _add_cuts(h, edges, comps)
    return tour_output(inst, ctx, best, backend="highs", proved=True, stats=stats,
                       versions=vers)


def _stopped(inst: Instance, ctx: SolveContext, best: list[int], bound: float | None,
             stats: dict[str, Any], vers: dict[str, str], limit: Any) -> MethodOutput:
    out = tour_output(inst, ctx, best, backend="highs", length_bound=bound,
                      limit=limit or Limit.TIME, stats=stats, versions=vers)
    if out.status is Status.INFEASIBLE:
        return out
    if out.status is Status.FEASIBLE:
        return MethodOutput(Status.FEASIBLE, out.solution, bound=out.bound,
                            limit=limit or Limit.TIME, backend="highs", stats=out.stats,
                            solver_versions=vers)
    return out


def _seconds_left(ctx: SolveContext) -> float:
    """Seconds left for the next ``run()`` (HiGHS's limit applies per run)."""
    left = ctx.remaining()
    return 1e9 if left is None else max(left, 1e-3)


def _cycle_from_edges(n: int, u: np.ndarray, v: np.ndarray) -> list[int]:
    adj: list[list[int]] = [[] for _ in range(n)]
    for a, b in zip(u.tolist(), v.tolist(), strict=True):
        adj[a].append(b)
        adj[b].append(a)
    cycle, prev, cur = [0], -1, 0
    for _ in range(n - 1):
        nxt = adj[cur][0] if adj[cur][0] != prev else adj[cur][1]
        cycle.append(nxt)
        prev, cur = cur, nxt
    return cycle
