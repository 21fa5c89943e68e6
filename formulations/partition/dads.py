"""DADS (Hu, Bao, Wang, Zhou, Hu; INFOCOM 2019): two-tier DAG partitioning by min s-t cut.

Published construction (light load): source e = the local tier, sink c = the remote tier;
for each layer v an edge ``e -> v`` with the remote cost and ``v -> c`` with the local cost;
for each DAG edge ``u -> v`` an edge of capacity the transfer time of u's output. A cut
puts v on the local side (pays ``v -> c``) or the remote side (pays ``e -> v``) and pays
every DAG edge leaving the local side. Two flaws, both shown by
``tests/partition/test_partition_dads.py``:

1. an edge from the remote side back to the local side costs nothing, so a layer can run
   remotely and its successor locally again with no transfer charged;
2. a tensor read by several remote layers is charged once per reader.

Corrected construction (``dads``): infinite reverse edges ``v -> u`` for each DAG edge
(a cut with u remote and v local is infinite: every finite cut is physically consistent,
data only moves away from the input), and one auxiliary node per fan-out tensor
(``u -> a`` with the transfer cost, ``a -> v`` infinite for each reader) so the tensor is
charged once. This is the two-tier case of :mod:`mincut`; for K > 2 tiers each remote tier
is tried and the best plan kept (a heuristic unless K = 2).
"""

from __future__ import annotations

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.partition import costs
from formulations.partition.chain import route_coeffs
from formulations.partition.maxflow import cut_value, min_cut
from formulations.partition.mincut import CutPlan, exact_conditions, plan_output
from formulations.partition.model import Instance


def two_tier_cut(inst: Instance, local: int, remote: int, *, published: bool = False
                 ) -> CutPlan:
    """Best placement on tiers ``local``/``remote`` by the corrected (or published) cut.

    The returned ``value`` is the cut value: for ``published=True`` that is the published
    model's claimed cost, which the evaluator may contradict.
    """
    w = costs.weights(inst)
    u = costs.unary(inst, w)
    n = inst.n_layers
    g = inst.graph
    allowed, why = costs.allowed_tiers(inst)
    if why:
        return CutPlan(None, np.inf, np.inf, why, infeasible=True)
    alpha, beta = route_coeffs(inst, local, remote, w)

    def trans(size: float) -> float:
        return alpha + beta * size if size > 0 else 0.0

    s, t = n, n + 1
    src: list[int] = []
    dst: list[int] = []
    cap: list[float] = []

    def edge(a: int, c: int, value: float) -> None:
        src.append(a)
        dst.append(c)
        cap.append(value)

    inf = np.inf
    for v in range(n):
        c_local = u[v, local] + costs.return_cost(inst, v, local, w)
        c_remote = u[v, remote] + costs.return_cost(inst, v, remote, w)
        edge(s, v, c_remote if remote in allowed[v] else inf)
        edge(v, t, c_local if local in allowed[v] else inf)
    nxt = n + 2
    tensors = [(None, g.input_bytes, tuple(g.sources))]
    tensors += [(v, g.layers[v].output_bytes, tuple(sorted(set(g.successors[v]))))
                for v in range(n)]
    for tu, size, readers in tensors:
        head = s if tu is None else tu
        if tu is not None and not published:
            for r in readers:
                edge(r, tu, inf)
        if size <= 0 or not readers:
            continue
        if published or len(readers) == 1:
            for r in readers:
                edge(head, r, trans(size))
        else:
            edge(head, nxt, trans(size))
            for r in readers:
                edge(nxt, r, inf)
            nxt += 1
    src_a, dst_a, cap_a = np.array(src), np.array(dst), np.array(cap)
    # an upper bound: the largest predecessor-closed local set the pins/memory allow
    side0 = np.zeros(nxt, dtype=bool)
    side0[s] = True
    for v in range(n):
        side0[v] = local in allowed[v] and (published or all(side0[p]
                                                             for p in g.predecessors[v]))
    side0[n + 2:] = False  # auxiliary nodes on the sink side: a valid (loose) bound
    ub = cut_value(src_a, dst_a, cap_a, side0)
    if not np.isfinite(ub):
        return CutPlan(None, np.inf, np.inf, "no two-tier placement respects pins/memory")
    if ub <= 0:
        return CutPlan([local if side0[v] else remote for v in range(n)], 0.0, 0.0)
    cut = min_cut(nxt, src_a, dst_a, cap_a, s, t, ub)
    if not np.isfinite(cut.value):
        return CutPlan(None, np.inf, np.inf, "no two-tier placement respects pins/memory")
    x = [local if cut.source_side[v] else remote for v in range(n)]
    return CutPlan(x, cut.value, cut.bound, backend=cut.backend)


def run(inst: Instance, ctx: SolveContext, **options: object) -> MethodOutput:
    """The ``dads`` method: corrected DADS cut, best remote tier."""
    local = inst.input_tier
    best: CutPlan | None = None
    for r in range(inst.n_tiers):
        if inst.monotone and r < local:
            continue  # r == local is the all-local plan
        plan = two_tier_cut(inst, local, r)
        if plan.infeasible:
            return MethodOutput(Status.INFEASIBLE, message=plan.message)
        if plan.tiers is not None and (best is None or plan.value < best.value):
            best = plan
    if best is None:
        return MethodOutput(Status.NO_SOLUTION, message="no two-tier plan")
    exact = exact_conditions(inst) and inst.n_tiers <= 2 and local == 0
    return plan_output(inst, best, exact, "scipy")


def heavy_load(inst: Instance, ctx: SolveContext, **options: object) -> MethodOutput:
    """DADS heavy-load baseline (Hu et al., INFOCOM 2019, Sec. IV-B): approximate the
    min-max stage partition with light-load cuts whose compute and transmission costs are
    scaled (the paper's alpha/gamma factors).

    The paper scales the edge/cloud compute and transmission terms and re-solves the cut;
    it does not fix a schedule for the factors. Our reading: start from 1, and after each
    cut multiply the factor of the bottleneck stage (a tier's compute or a link) by 1.5,
    for ``iterations`` (default 30) cuts; keep the plan with the smallest slowest stage.
    A heuristic (FEASIBLE); the exact answer is method ``throughput``.
    """
    import dataclasses

    from formulations.partition.mincut import layered_cut

    iterations = int(options.get("iterations", 30))  # type: ignore[call-overload]
    k = inst.n_tiers
    alpha = [1.0] * k
    gamma = [1.0] * max(0, k - 1)
    best: tuple[float, list[int]] | None = None
    base_lat = inst.latency
    for _ in range(max(1, iterations)):
        tiers = tuple(dataclasses.replace(t, latency=tuple(alpha[j] * v for v in base_lat[j]))
                      for j, t in enumerate(inst.tiers))
        links = tuple(link.model_copy(update={
            "bandwidth": link.bandwidth / gamma[j], "rtt": link.rtt * gamma[j],
            "down_bandwidth": (link.down_bandwidth or link.bandwidth) / gamma[j]})
            for j, link in enumerate(inst.links))
        scaled = dataclasses.replace(inst, tiers=tiers, links=links, objective="latency",
                                     direct_links=())
        plan = layered_cut(scaled, costs.Weights(1.0, 0.0))
        if plan.tiers is None:
            break
        stages = costs.stage_times(inst, plan.tiers)
        worst = max(stages, key=stages.__getitem__)
        if costs.side_violation(inst, plan.tiers) is None and (
                best is None or stages[worst] < best[0]):
            best = (stages[worst], list(plan.tiers))
        if worst.startswith("tier"):
            alpha[int(worst[4:])] *= 1.5
        elif worst.startswith("link"):
            gamma[int(worst[4:])] *= 1.5
        else:
            break
        if ctx.out_of_time():
            break
    if best is None:
        return MethodOutput(Status.NO_SOLUTION, message="no scaled cut met the constraints")
    from formulations.partition.model import Solution

    return MethodOutput(Status.FEASIBLE, Solution(tuple(best[1])),
                        stats={"max_stage": best[0]})
