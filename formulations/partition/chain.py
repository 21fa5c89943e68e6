"""Chain methods: Neurosurgeon's single split, JointDNN's shortest path, min-max stage DP.

All three read the layers in the graph's topological order as a chain (as the published
baselines do for DAGs); the reported objective is always the evaluator's.
"""

from __future__ import annotations

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.partition import costs
from formulations.partition.model import Instance, Solution


def route_coeffs(inst: Instance, a: int, c: int, w: costs.Weights) -> tuple[float, float]:
    """``(alpha, beta)``: the weighted cost of route ``a -> c`` is ``alpha + beta * bytes``
    for a non-empty tensor (0 for an empty one)."""
    alpha = beta = 0.0
    for h in inst.route(a, c):
        f = w.latency + w.energy * h.device_power
        alpha += f * h.rtt / 2
        beta += f * 8.0 / h.bandwidth
    return alpha, beta


def split_search(local: np.ndarray, remote: np.ndarray, cut_bytes: np.ndarray,
                 alpha: float, beta: float) -> tuple[int, float]:
    """Neurosurgeon's O(N) search: best ``p`` running layers ``< p`` locally.

    ``cut_bytes[p]`` is the tensor sent when splitting at ``p`` (``p = 0..N``; 0 bytes at
    ``p = N``). Cost(p) = prefix(local, p) + suffix(remote, p) + transfer(cut_bytes[p]).
    """
    pre = np.concatenate(([0.0], np.cumsum(local)))
    suf = np.concatenate((np.cumsum(remote[::-1])[::-1], [0.0]))
    trans = np.where(cut_bytes > 0, alpha + beta * cut_bytes, 0.0)
    total = pre + suf + trans
    p = int(np.argmin(total))
    return p, float(total[p])


def neurosurgeon(inst: Instance, ctx: SolveContext, **options: object) -> MethodOutput:
    """Neurosurgeon (Kang et al., ASPLOS 2017): one split point between two tiers.

    Layers before the split run on the input's tier, the rest on one remote tier (every
    remote tier is tried). The published estimate charges only the tensor at the split
    (the previous layer's output, chain assumption); on DAGs the evaluator also charges
    the branches crossing the split. Splits violating pins or memory are skipped.
    """
    w = costs.weights(inst)
    u = costs.unary(inst, w)
    n = inst.n_layers
    a = inst.input_tier
    g = inst.graph
    sizes = costs.sizes(inst)
    cut_bytes = np.concatenate(([g.input_bytes], sizes[:-1], [0.0]))
    best: tuple[float, list[int]] | None = None
    allowed, why = costs.allowed_tiers(inst)
    if why:
        return MethodOutput(Status.INFEASIBLE, message=why)
    for r in range(inst.n_tiers):
        if inst.monotone and r < a:
            continue  # r == a is the all-local plan
        alpha, beta = route_coeffs(inst, a, r, w)
        local = u[:, a].copy()
        remote = u[:, r].copy()
        if inst.return_result:
            ra, rb = route_coeffs(inst, r, 0, w)
            la, lb = route_coeffs(inst, a, 0, w)
            d = sizes[-1]
            remote[-1] += ra + rb * d if (r != 0 and d > 0) else 0.0
            local[-1] += la + lb * d if (a != 0 and d > 0) else 0.0
        for v in range(n):
            if a not in allowed[v]:
                local[v] = np.inf
            if r not in allowed[v]:
                remote[v] = np.inf
        p, value = split_search(local, remote, cut_bytes, alpha, beta)
        if not np.isfinite(value):
            continue
        x = [a] * p + [r] * (n - p)
        if not costs.memory_ok(inst, x):
            x = _memory_split(inst, local, remote, cut_bytes, alpha, beta, a, r)
            if x is None:
                continue
        if best is None or value < best[0]:
            best = (value, x)
    return _heuristic_output(inst, best[1] if best else None, "neurosurgeon")


def _memory_split(inst: Instance, local: np.ndarray, remote: np.ndarray, cut_bytes: np.ndarray,
                  alpha: float, beta: float, a: int, r: int) -> list[int] | None:
    n = inst.n_layers
    params = np.array([layer.param_bytes for layer in inst.graph.layers])
    pre = np.concatenate(([0.0], np.cumsum(params)))
    cost = (np.concatenate(([0.0], np.cumsum(local)))
            + np.concatenate((np.cumsum(remote[::-1])[::-1], [0.0]))
            + np.where(cut_bytes > 0, alpha + beta * cut_bytes, 0.0))
    for tier, used in ((a, pre), (r, pre[-1] - pre)):
        cap = inst.tiers[tier].memory
        if cap is not None:
            cost = np.where(used <= cap * (1 + 1e-9), cost, np.inf)
    p = int(np.argmin(cost))
    return None if not np.isfinite(cost[p]) else [a] * p + [r] * (n - p)


def jointdnn(inst: Instance, ctx: SolveContext, **options: object) -> MethodOutput:
    """JointDNN (Eshratifar, Abrishami, Pedram, IEEE TMC 2021): shortest path over
    (layer, tier) along the chain, any number of switches between tiers.

    State = tier of the current layer; arc cost = the next layer's cost on its tier plus
    the route cost of the current layer's output. Monotone instances only allow arcs to the
    same or a higher tier. Exact (OPTIMAL) for chains with a sum objective when the answer
    meets the side constraints; on DAGs a heuristic (the topological order as a chain).
    """
    w = costs.weights(inst)
    u = costs.unary(inst, w)
    n, k = inst.n_layers, inst.n_tiers
    g = inst.graph
    allowed, why = costs.allowed_tiers(inst)
    if why:
        return MethodOutput(Status.INFEASIBLE, message=why)
    inf = np.inf
    coef = {(i, j): route_coeffs(inst, i, j, w) for i in range(k) for j in range(k)}

    def move(i: int, j: int, size: float) -> float:
        if i == j or size <= 0:
            return 0.0
        al, be = coef[i, j]
        return al + be * size

    cost = np.full(k, inf)
    back = np.zeros((n, k), dtype=int)
    a = inst.input_tier
    for j in allowed[0]:
        if inst.monotone and j < a:
            continue
        cost[j] = move(a, j, g.input_bytes) + u[0, j]
    for v in range(1, n):
        size = g.layers[v - 1].output_bytes
        new = np.full(k, inf)
        for j in allowed[v]:
            for i in range(k):
                if not np.isfinite(cost[i]) or (inst.monotone and i > j):
                    continue
                c = cost[i] + move(i, j, size) + u[v, j]
                if c < new[j]:
                    new[j], back[v, j] = c, i
        cost = new
    if inst.return_result:
        cost = cost + np.array([move(j, 0, g.layers[-1].output_bytes) for j in range(k)])
    j = int(np.argmin(cost))
    if not np.isfinite(cost[j]):
        status = Status.INFEASIBLE if (g.is_chain and inst.monotone) else Status.NO_SOLUTION
        return MethodOutput(status, message="no placement satisfies pins, memory and "
                                            "monotonicity along the chain")
    x = [0] * n
    for v in range(n - 1, -1, -1):
        x[v] = j
        j = int(back[v, j])
    exact = g.is_chain and costs.is_sum(inst)
    return _heuristic_output(inst, x, "jointdnn", exact=exact, bound=float(np.min(cost)))


def _heuristic_output(inst: Instance, x: list[int] | None, name: str, *, exact: bool = False,
                      bound: float | None = None) -> MethodOutput:
    if x is None:
        return MethodOutput(Status.NO_SOLUTION, message=f"{name}: no admissible plan")
    broken = costs.side_violation(inst, x)
    if broken is not None:
        return MethodOutput(Status.NO_SOLUTION, message=f"{name}'s plan violates {broken}",
                            bound=bound if exact else None)
    status = Status.OPTIMAL if exact else Status.FEASIBLE
    return MethodOutput(status, Solution(tuple(x)), bound=bound if exact else None)


def min_max_chain(inst: Instance) -> tuple[list[int] | None, float]:
    """Exact minimum of the slowest pipeline stage over monotone chain placements.

    ``q_k`` = index of the first layer above tier k (non-decreasing, ``q_{K-1} = N``):
    tier k runs ``[q_{k-1}, q_k)``; link k carries the tensor at ``q_k`` upwards when
    ``q_k < N`` (and the result downwards then). DP over k with an N x N table per level.
    Relayed routes (no direct links) are assumed.
    """
    n, kt = inst.n_layers, inst.n_tiers
    g = inst.graph
    lat = np.asarray(inst.latency, dtype=float)
    pins = inst.pin_index
    params = np.array([layer.param_bytes for layer in g.layers])
    cut_bytes = np.concatenate(([g.input_bytes], costs.sizes(inst)[:-1], [0.0]))
    q = np.arange(n + 1)
    lo, hi = q[:, None], q[None, :]   # block [lo, hi)
    f = None  # f[q] = best max over tiers < k and links < k with q_{k-1} = q
    arg: list[np.ndarray] = []
    for k in range(kt):
        pre = np.concatenate(([0.0], np.cumsum(lat[k])))
        comp = pre[hi] - pre[lo]
        bad = np.array([1.0 if (v in pins and pins[v] != k) else 0.0 for v in range(n)])
        if inst.monotone and k < inst.input_tier:
            bad[:] = 1.0
        bpre = np.concatenate(([0.0], np.cumsum(bad)))
        ppre = np.concatenate(([0.0], np.cumsum(params)))
        block = np.where(hi >= lo, comp, np.inf)
        block = np.where(bpre[hi] - bpre[lo] > 0, np.inf, block)
        cap = inst.tiers[k].memory
        if cap is not None:
            block = np.where(ppre[hi] - ppre[lo] > cap * (1 + 1e-9), np.inf, block)
        start = np.where(q == 0, 0.0, np.inf) if f is None else f
        cand = np.maximum(start[:, None], block)
        best_prev = np.argmin(cand, axis=0)
        val = cand[best_prev, q]
        if k < kt - 1:
            up = inst.hops[(k, k + 1)]
            down = inst.hops[(k + 1, k)]
            link = np.array([up.time(b) for b in cut_bytes])
            if inst.return_result:
                link = link + down.time(g.layers[-1].output_bytes)
            link[n] = 0.0
            if inst.input_tier > k:
                link[0] = 0.0
            val = np.maximum(val, link)
        arg.append(best_prev)
        f = val
    assert f is not None
    if not np.isfinite(f[n]):
        return None, float("inf")
    x = [0] * n
    cur = n
    for k in range(kt - 1, -1, -1):
        prev = int(arg[k][cur])
        for v in range(prev, cur):
            x[v] = k
        cur = prev
    return x, float(f[n])


def throughput(inst: Instance, ctx: SolveContext, **options: object) -> MethodOutput:
    """Minimise the slowest pipeline stage (DADS heavy-load objective, Hu et al. 2019).

    Chains with relayed routes and a monotone feasible set: exact DP (:func:`min_max_chain`).
    Otherwise the MILP of :mod:`milp` with the throughput objective. OPTIMAL only when the
    instance's own objective is ``throughput``.
    """
    target = inst if inst.objective == "throughput" else _as_throughput(inst)
    if target.graph.is_chain and target.monotone and not target.direct_links:
        x, value = min_max_chain(target)
        if x is None:
            return MethodOutput(Status.INFEASIBLE, message="no monotone placement meets pins "
                                                           "and memory")
        broken = costs.side_violation(inst, x)
        if broken is None:
            status = Status.OPTIMAL if inst.objective == "throughput" else Status.FEASIBLE
            bound = value if status is Status.OPTIMAL else None
            return MethodOutput(status, Solution(tuple(x)), bound=bound,
                                stats={"max_stage": value})
    from formulations.partition import milp

    out = milp.run(target, ctx)
    if inst.objective == "throughput" or not out.status.has_solution:
        if inst.objective != "throughput" and out.status is not Status.INFEASIBLE:
            return MethodOutput(Status.NO_SOLUTION, message=out.message, limit=out.limit)
        return out
    return MethodOutput(Status.FEASIBLE, out.solution, backend=out.backend,
                        solver_versions=out.solver_versions)


def _as_throughput(inst: Instance) -> Instance:
    import dataclasses

    return dataclasses.replace(inst, objective="throughput")
