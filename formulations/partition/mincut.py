"""Exact K-tier partitioning by one minimum s-t cut on a layered (Ishikawa) graph.

Reference: H. Ishikawa, "Exact optimization for Markov random fields with convex priors",
IEEE TPAMI 25(10), 2003 (layered graph for ordered labels); two-tier DNN cut: DADS, Hu et
al., INFOCOM 2019.

Graph. For every layer ``v`` and boundary ``k = 0..K-2`` (between tiers k and k+1) a node
``(v, k)``; ``(v, k)`` on the *source* side means ``x_v > k``. Edges:

* chain ``s -> (v,0) -> (v,1) -> ... -> (v,K-2) -> t``; its j-th edge carries ``c_v(j)``,
  the cost of running v on tier j (compute, plus returning its output to tier 0 if it is a
  sink and the result returns; ``inf`` on tiers v may not use: pin, memory, input tier),
  and infinite reverse edges ``(v,j) -> (v,j-1)``;
* for each DAG edge ``u -> v`` and each k, an infinite edge ``(u,k) -> (v,k)``;
* for each tensor u with readers ``R(u)`` and each boundary k, an auxiliary node ``a`` with
  infinite edges ``(r,k) -> a`` for ``r`` in ``R(u)`` and an edge ``a -> (u,k)`` of capacity
  ``w_k(d_u)``, the cost of sending u's output over link k upwards (one reader: the edge
  ``(r,k) -> (u,k)`` directly). The model input is a tensor pinned to ``input_tier``:
  its ``(in, k)`` is the sink ``t`` for ``k >= input_tier``.

Proof of exactness (for monotone placements with relayed transfers). (i) Finite cuts are
exactly the monotone placements: the reverse chain edges force each chain's source side to
be a prefix ``(v,0..x_v-1)``, i.e. a tier ``x_v``, cutting exactly the chain edge ``c_v(x_v)``;
the edge ``(u,k) -> (v,k)`` is cut iff ``x_u > k >= x_v``, so a finite cut has ``x_u <= x_v``
on every DAG edge. (ii) For such a placement, tensor u crosses boundary k (relayed tier by
tier: ``x_u <= k < max_r x_r``) iff ``(u,k)`` is on the sink side and some ``(r,k)`` on the
source side; then ``a`` must be on the source side (else an infinite edge is cut) and the
edge ``a -> (u,k)`` costs ``w_k(d_u)`` once, however many readers are above k; otherwise ``a``
can join the sink side at no cost. So the minimum cut value is the minimum over monotone
placements of (compute + return + each tensor's upward hops charged once) — the sum
objective of :mod:`model` when routes are relayed (no ``direct_links``).

When it may claim OPTIMAL: the objective is a sum (latency, energy, weighted), there are no
direct links, and either the instance is ``monotone`` (its feasible set is what the cut
searches), or it is a chain without pins, memory limits or result return whose layer costs
do not increase with the tier (then lifting any placement to ``x'_v = max(x_v, x'_{v-1})``
costs no more: compute does not rise and each boundary is still crossed once by the same
tensor). With a memory limit, energy budget or SLO the cut is a relaxation: its answer is
OPTIMAL if it satisfies them, otherwise NO_SOLUTION with the cut value as a lower bound.
Capacities are scaled to int32 for scipy's Dinic with a proven rounding bound
(:mod:`maxflow`); the reported objective is the evaluator's.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.partition import costs
from formulations.partition.maxflow import cut_value, min_cut
from formulations.partition.model import Instance, Solution


@dataclass(frozen=True)
class CutPlan:
    """Result of one layered min cut."""

    tiers: list[int] | None
    value: float
    bound: float
    message: str = ""
    backend: str = "scipy"
    infeasible: bool = False
    """True when no placement at all is feasible (a layer fits on no tier)."""


def layered_cut(inst: Instance, w: costs.Weights) -> CutPlan:
    """Minimum-cost monotone placement for sum weights ``w`` (relayed transfers)."""
    n, k_tiers = inst.n_layers, inst.n_tiers
    allowed, why = costs.allowed_tiers(inst)
    if why:
        return CutPlan(None, float("inf"), float("inf"), why, infeasible=True)
    start, why = costs.lowest_monotone(inst, allowed)
    if start is None:
        return CutPlan(None, float("inf"), float("inf"), why)
    unary = costs.unary(inst, w)
    inf = float("inf")
    forbidden = np.ones((n, k_tiers), dtype=bool)
    for v, ok in enumerate(allowed):
        forbidden[v, ok] = False
    forbidden[:, : inst.input_tier] = True  # monotone: nothing runs below the input's tier
    unary[forbidden] = inf
    if inst.return_result:
        for v in inst.graph.sinks:
            for j in range(k_tiers):
                unary[v, j] += costs.return_cost(inst, v, j, w)
    if k_tiers == 1:
        return CutPlan([0] * n, float(unary[:, 0].sum()), float(unary[:, 0].sum()))
    b = k_tiers - 1
    s, t = n * b, n * b + 1
    src: list[int] = []
    dst: list[int] = []
    cap: list[float] = []

    def edge(a: int, c: int, value: float) -> None:
        src.append(a)
        dst.append(c)
        cap.append(value)

    for v in range(n):
        base = v * b
        edge(s, base, unary[v, 0])
        for j in range(1, b):
            edge(base + j - 1, base + j, unary[v, j])
            edge(base + j, base + j - 1, inf)
        edge(base + b - 1, t, unary[v, b])
    g = inst.graph
    next_node = t + 1
    up = [inst.hops[(k, k + 1)] for k in range(b)]
    tensors: list[tuple[int | None, float, tuple[int, ...]]] = [
        (None, g.input_bytes, g.sources)]
    tensors += [(u, g.layers[u].output_bytes, tuple(sorted(set(g.successors[u]))))
                for u in range(n)]
    for u, size, readers in tensors:
        if u is not None:
            for r in readers:
                for k in range(b):
                    edge(u * b + k, r * b + k, inf)
        if not readers or size <= 0:
            continue
        for k in range(b):
            if u is None and k < inst.input_tier:
                continue  # readers are above k anyway (forced by their unary costs)
            wk = costs.hop_cost(up[k], size, w)
            if wk <= 0:
                continue
            head = t if u is None else u * b + k
            if len(readers) == 1:
                edge(readers[0] * b + k, head, wk)
            else:
                for r in readers:
                    edge(r * b + k, next_node, inf)
                edge(next_node, head, wk)
                next_node += 1
    src_a, dst_a, cap_a = np.array(src), np.array(dst), np.array(cap)
    side0 = _labelling_side(start, n, b, next_node, s, src_a, dst_a, cap_a)
    ub = cut_value(src_a, dst_a, cap_a, side0)
    if ub <= 0:
        return CutPlan(list(start), 0.0, 0.0)
    cut = min_cut(next_node, src_a, dst_a, cap_a, s, t, ub)
    side = cut.source_side
    x = side[: n * b].reshape(n, b).sum(axis=1).astype(int).tolist()
    return CutPlan(x, cut.value, cut.bound, backend=cut.backend)


def _labelling_side(x: list[int], n: int, b: int, n_nodes: int, s: int, src: np.ndarray,
                    dst: np.ndarray, cap: np.ndarray) -> np.ndarray:
    """Source-side mask of the cheapest cut that encodes placement ``x``."""
    side = np.zeros(n_nodes, dtype=bool)
    side[s] = True
    for v, tier in enumerate(x):
        side[v * b:v * b + tier] = True
    aux = np.arange(n_nodes) > s + 1
    # an auxiliary node is on the source side iff one of its readers is
    into_aux = aux[dst] & side[src] & ~np.isfinite(cap)
    side[dst[into_aux]] = True
    return side


def exact_conditions(inst: Instance) -> bool:
    """Whether the layered cut's feasible set and costs are the instance's (see module doc)."""
    if not costs.is_sum(inst) or inst.direct_links:
        return False
    if inst.monotone:
        return True
    if not inst.graph.is_chain or inst.pinned or inst.return_result:
        return False
    if any(t.memory is not None for t in inst.tiers):
        return False
    u = costs.unary(inst, costs.weights(inst))
    return bool(np.all(np.diff(u, axis=1) <= 1e-15 * np.maximum(1.0, np.abs(u[:, :-1]))))


def run(inst: Instance, ctx: SolveContext, **options: object) -> MethodOutput:
    """The ``mincut`` method (see the module docstring)."""
    if inst.objective == "accuracy":
        from formulations.partition.edgent import solve_by_exits

        return solve_by_exits(inst, ctx, "mincut")
    plan = layered_cut(inst, costs.weights(inst))
    return plan_output(inst, plan, exact_conditions(inst), "scipy")


def plan_output(inst: Instance, plan: CutPlan, exact: bool, backend: str) -> MethodOutput:
    """Status, bound and message for a plan from a relaxation over monotone placements."""
    stats = {"cut_value": plan.value}
    if plan.tiers is None:
        if plan.infeasible or (exact and inst.monotone):
            return MethodOutput(Status.INFEASIBLE, message=plan.message, backend=backend)
        return MethodOutput(Status.NO_SOLUTION, message=plan.message, backend=backend)
    sol = Solution(tuple(plan.tiers))
    broken = costs.side_violation(inst, plan.tiers)
    if broken is None and exact and costs.is_sum(inst):
        return MethodOutput(Status.OPTIMAL, sol, bound=plan.bound, backend=plan.backend,
                            stats=stats)
    if broken is not None and exact and _only_violated_own_objective(inst, broken):
        return MethodOutput(Status.INFEASIBLE, backend=plan.backend, stats=stats,
                            message=f"the minimum of the {inst.objective} objective already "
                                    f"exceeds {broken}")
    if broken is not None:
        bound = plan.bound if exact else None
        return MethodOutput(Status.NO_SOLUTION, bound=bound, backend=plan.backend, stats=stats,
                            message=f"the cut's plan violates {broken}; use method 'milp'")
    note = ("not a sum objective: the plan minimises the sum" if not costs.is_sum(inst)
            else "placement or routes outside the cut's model: heuristic answer")
    return MethodOutput(Status.FEASIBLE, sol, backend=plan.backend, stats=stats, message=note)


def _only_violated_own_objective(inst: Instance, broken: str) -> bool:
    """Whether ``broken`` bounds the very quantity minimised, with no other side constraint
    (then the minimum exceeding it proves infeasibility)."""
    if any(t.memory is not None for t in inst.tiers):
        return False
    if broken == "latency_slo":
        return inst.objective == "latency" and inst.device_energy_budget is None
    if broken == "device_energy_budget":
        return inst.objective == "energy" and inst.latency_slo is None
    return False
