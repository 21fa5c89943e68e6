"""Minimum s-t cut with real capacities on top of scipy's integer max flow.

``scipy.sparse.csgraph.maximum_flow`` (Dinic) takes int32 capacities only (int64 input
silently returns 0, checked 2026-11-29), so capacities are scaled and rounded:

1. Given an upper bound ``UB`` on the minimum cut (the value of any feasible labelling),
   every capacity above ``UB`` can be treated as infinite (a cut containing it is worse
   than ``UB``); the scale is ``2**29 / UB``, "infinity" is ``2**30`` — the max flow is at
   most ``2**29`` and no capacity overflows int32.
2. Capacities are rounded *down*, so the integer max flow is a feasible flow of the real
   network and ``flow / scale`` is a proven lower bound on the real minimum cut (weak
   duality). The cut found is evaluated with the real capacities; it exceeds the bound by
   less than (number of its edges) / scale.
3. If the gap between the cut's real value and that bound exceeds ``rel_gap``, the cut is
   redone with ``UB`` = the value just found (a finer scale), and if still too coarse, with
   networkx's float preflow-push (exact up to floating point, slower).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

INF_INT = 2**30
FLOW_CAP = 2**29


@dataclass(frozen=True)
class Cut:
    """A minimum cut: ``source_side[i]`` for every node, its real value and a lower bound."""

    source_side: np.ndarray
    value: float
    bound: float
    backend: str


def min_cut(n: int, src: np.ndarray, dst: np.ndarray, cap: np.ndarray, s: int, t: int,
            upper_bound: float, *, rel_gap: float = 1e-6) -> Cut:
    """Minimum ``s``-``t`` cut of a graph with capacities ``cap`` (``np.inf`` allowed).

    Parameters
    ----------
    n
        Number of nodes.
    src, dst, cap
        Edge lists (parallel edges are summed).
    s, t
        Source and sink.
    upper_bound
        Value of some finite cut (a feasible labelling); must be finite.
    rel_gap
        Relative gap between the cut's value and the proven bound accepted as exact.
    """
    src = np.asarray(src, dtype=np.int64)
    dst = np.asarray(dst, dtype=np.int64)
    cap = np.asarray(cap, dtype=float)
    keep = (src != dst) & (cap > 0)
    src, dst, cap = src[keep], dst[keep], cap[keep]
    best: Cut | None = None
    ub = float(upper_bound)
    if not 1e-100 < ub < 1e100:  # scaling would under/overflow: exact float cut instead
        return _float_cut(n, src, dst, cap, s, t)
    for _ in range(2):
        cut = _scaled_cut(n, src, dst, cap, s, t, ub)
        if best is None or cut.value < best.value:
            best = Cut(cut.source_side, cut.value, max(cut.bound, best.bound if best else 0.0),
                       cut.backend)
        else:
            best = Cut(best.source_side, best.value, max(cut.bound, best.bound), best.backend)
        if best.value - best.bound <= rel_gap * max(abs(best.value), 1e-300):
            return best
        ub = best.value if best.value > 0 else ub
    return _float_cut(n, src, dst, cap, s, t)


def cut_value(src: np.ndarray, dst: np.ndarray, cap: np.ndarray, side: np.ndarray) -> float:
    """Real capacity of the edges from the source side to the sink side."""
    mask = side[src] & ~side[dst]
    return float(np.sum(cap[mask]))


def _scaled_cut(n: int, src: np.ndarray, dst: np.ndarray, cap: np.ndarray, s: int, t: int,
                ub: float) -> Cut:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import breadth_first_order, maximum_flow

    scale = FLOW_CAP / ub
    finite = np.isfinite(cap) & (cap <= ub)
    icap = np.full(cap.shape, INF_INT, dtype=np.int64)
    icap[finite] = np.floor(cap[finite] * scale).astype(np.int64)
    graph = sp.csr_array((icap, (src, dst)), shape=(n, n))
    graph.sum_duplicates()
    graph.data = np.minimum(graph.data, INF_INT).astype(np.int32)
    graph = sp.csr_array((graph.data, graph.indices, graph.indptr), shape=(n, n))
    res = maximum_flow(graph, s, t)
    residual = graph.astype(np.int64) - res.flow.astype(np.int64)
    residual = sp.csr_array(residual)
    residual.data = (residual.data > 0).astype(np.int8)
    residual.eliminate_zeros()
    reach = breadth_first_order(residual, s, directed=True, return_predecessors=False)
    side = np.zeros(n, dtype=bool)
    side[reach] = True
    value = cut_value(src, dst, cap, side)
    bound = float(res.flow_value) / scale
    return Cut(side, value, min(bound, value), "scipy")


def _float_cut(n: int, src: np.ndarray, dst: np.ndarray, cap: np.ndarray, s: int,
               t: int) -> Cut:
    import networkx as nx
    from networkx.algorithms.flow import preflow_push

    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for a, b, c in zip(src.tolist(), dst.tolist(), cap.tolist(), strict=True):
        if g.has_edge(a, b):
            if "capacity" in g[a][b]:
                if np.isfinite(c):
                    g[a][b]["capacity"] += c
                else:
                    del g[a][b]["capacity"]
        elif np.isfinite(c):
            g.add_edge(a, b, capacity=c)
        else:
            g.add_edge(a, b)
    value, (reach, _) = nx.minimum_cut(g, s, t, flow_func=preflow_push)
    side = np.zeros(n, dtype=bool)
    side[list(reach)] = True
    real = cut_value(src, dst, cap, side)
    return Cut(side, real, min(float(value), real), "networkx")
