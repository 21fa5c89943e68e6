"""General exact model: mixed-integer program solved by HiGHS through Pyomo.

Variables: ``x[v,j]`` binary, layer v runs on tier j (one per layer); ``z[u,h]`` in [0,1],
tensor u (the model input or a layer's output) uses hop h; for the throughput objective a
stage time ``T``. With ``G[u,k] = sum_{j>k} x[u,j]`` (1 iff u is above boundary k):

* relayed routes (no direct links): an up hop ``k -> k+1`` is on the route ``a -> c`` iff
  ``a <= k < c``, so tensor u with reader v uses it iff ``G[v,k] - G[u,k] = 1``:
  ``z[u,up k] >= G[v,k] - G[u,k]`` and ``z[u,down k] >= G[u,k] - G[v,k]`` (the union over
  readers is the max, each hop charged once). This is the min-cut LP when no side
  constraint is present, so the relaxation is tight for chains;
* with direct links, route membership is explicit: for every tier pair ``(a, c)`` and hop h
  on the route ``a -> c``: ``z[u,h] >= x[u,a] + y[u,c] - 1`` with ``y[u,c] >= x[v,c]`` for
  each reader v (``y`` continuous);
* the result returns to tier 0: tier 0 reads every sink; the input is fixed on
  ``input_tier``;
* monotone instances: ``sum_j j x[u,j] <= sum_j j x[v,j]`` on every edge, sources at least
  the input tier; pins fix ``x``; ``sum_v param_v x[v,j] <= memory_j``; the tier-0 energy and
  the latency expressions bounded by the budget and the SLO.

Objective: the instance's (latency, energy, weighted; throughput: min T with T above every
tier's compute time and every link's busy time; critical_path: min T over finish times
``F_v >= F_u + route time(u -> v) + latency(v)``, see :func:`_critical_path`). Exact for
every placement (monotone or not), route and side constraint of :mod:`model`. HiGHS runs
with presolve off by default (option ``presolve="on"`` to change): its presolve took
2.7-5 s on ResNet-50 models that then solve in 0.1 s.
"""

from __future__ import annotations

import itertools
import math
from typing import Any

from edgeopt_solve.backends.highs import solve_pyomo
from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.partition import costs
from formulations.partition.model import Hop, Instance, Solution


def run(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """The ``milp`` method."""
    if inst.objective == "accuracy":
        from formulations.partition.edgent import solve_by_exits

        return solve_by_exits(inst, ctx, "milp")
    allowed, why = costs.allowed_tiers(inst)
    if why:
        return MethodOutput(Status.INFEASIBLE, message=why, backend="highs")
    model, x = build(inst, allowed)
    # HiGHS 1.16's presolve spends seconds on these models (measured: 2.7-5 s of a 3 s
    # solve on ResNet-50, 0.07 s without); the LP relaxation is already tight
    run_ = solve_pyomo(model, ctx, presolve=str(options.get("presolve", "off")),
                       user_objective_scale=objective_scale_exponent(inst))
    sol = None
    if run_.status.has_solution:
        tiers = []
        for v in range(inst.n_layers):
            vals = [x[v, j].value or 0.0 for j in range(inst.n_tiers)]
            tiers.append(max(range(inst.n_tiers), key=lambda j, vals=vals: vals[j]))
        sol = Solution(tuple(tiers))
    bound = run_.bound if run_.status in (Status.OPTIMAL, Status.FEASIBLE) else None
    msg = "" if run_.status is not Status.INFEASIBLE else "no placement meets the constraints"
    return MethodOutput(run_.status, sol, bound=bound, limit=run_.limit, backend="highs",
                        solver_versions=run_.versions, message=msg,
                        stats={"native_status": run_.native_status})


def objective_scale_exponent(inst: Instance) -> int:
    """``k`` with ``2^k ·`` (the largest cost term of the objective) near 1.

    HiGHS accepts reduced costs down to its dual feasibility tolerance (1e-7) as zero, so
    with costs of 1e-7 s it called a worse plan optimal (found by hypothesis); its
    ``user_objective_scale`` (a power of two, exact in floating point) brings the terms to
    order one. The terms: layer latencies and transfer times (latency, throughput and
    critical-path objectives), device energies (energy), both weighted (weighted).
    """
    g = inst.graph
    sizes = [g.input_bytes, *(layer.output_bytes for layer in g.layers)]
    hops = list(inst.hops.values()) + list(inst.direct.values())
    times = [v for row in inst.latency for v in row]
    times += [h.time(b) for h in hops for b in sizes if b > 0]
    energies = list(inst.energy[0])
    if inst.objective == "energy":
        values = energies
    elif inst.objective == "weighted":
        w = costs.weights(inst)
        values = [w.latency * v for v in times] + [w.energy * v for v in energies]
    else:
        values = times
    largest = max((abs(v) for v in values if v and math.isfinite(v)), default=1.0)
    return int(max(-60, min(60, -round(math.log2(largest)))))


def build(inst: Instance, allowed: list[list[int]]) -> tuple[Any, Any]:
    """The Pyomo model and its ``x`` variables."""
    import pyomo.environ as pyo

    n, k_tiers = inst.n_layers, inst.n_tiers
    g = inst.graph
    m = pyo.ConcreteModel()
    m.x = pyo.Var(range(n), range(k_tiers), domain=pyo.Binary)
    x = m.x
    m.cons = pyo.ConstraintList()
    for v in range(n):
        m.cons.add(sum(x[v, j] for j in range(k_tiers)) == 1)
        for j in range(k_tiers):
            if j not in allowed[v]:
                x[v, j].fix(0)

    def tier_of(v: int) -> Any:
        return sum(j * x[v, j] for j in range(1, k_tiers))

    if inst.monotone and k_tiers > 1:
        for v in range(n):
            if not g.predecessors[v] and inst.input_tier > 0:
                m.cons.add(tier_of(v) >= inst.input_tier)
            for u in set(g.predecessors[v]):
                m.cons.add(tier_of(u) <= tier_of(v))
    # tensors: (size, producer one-hot or fixed tier, readers, sink reads tier 0)
    tensors: list[tuple[float, int | None, int | None, list[int], bool]] = [
        (g.input_bytes, None, inst.input_tier, list(g.sources), False)]
    for u in range(n):
        tensors.append((g.layers[u].output_bytes, u, None, sorted(set(g.successors[u])),
                        inst.return_result and not g.successors[u]))

    def onehot(u: int | None, fixed: int | None, j: int) -> Any:
        return (1.0 if fixed == j else 0.0) if u is None else x[u, j]

    m.above = pyo.Expression(range(n), range(max(0, k_tiers - 1)),
                             rule=lambda _m, v, k: pyo.quicksum(x[v, j]
                                                                for j in range(k + 1, k_tiers)))

    def above(u: int | None, fixed: int | None, k: int) -> Any:
        if u is None:
            return 1.0 if (fixed or 0) > k else 0.0
        return m.above[u, k]

    hop_list: list[Hop] = list(inst.hops.values()) + list(inst.direct.values())
    m.z = pyo.Var(range(len(tensors)), range(len(hop_list)), bounds=(0, 1))
    used: dict[tuple[int, int], Any] = {}
    for ti, (size, u, fixed, readers, to_device) in enumerate(tensors):
        if size <= 0 or (not readers and not to_device):
            continue
        if not inst.direct:
            for hi, h in enumerate(hop_list):
                k = min(h.src, h.dst)
                upward = h.dst > h.src
                terms = [above(r, None, k) for r in readers]
                if to_device:
                    terms.append(0.0)
                for term in terms:
                    expr = term - above(u, fixed, k) if upward else above(u, fixed, k) - term
                    if isinstance(expr, float):
                        if expr > 0:
                            m.cons.add(m.z[ti, hi] >= expr)
                        continue
                    m.cons.add(m.z[ti, hi] >= expr)
                used[ti, hi] = m.z[ti, hi]
            continue
        y = {}
        for c in range(k_tiers):
            y[c] = pyo.Var(bounds=(0, 1))
            m.add_component(f"y_{ti}_{c}", y[c])
            for r in readers:
                m.cons.add(y[c] >= x[r, c])
        if to_device:
            y[0].fix(1)
        for a, c in itertools.permutations(range(k_tiers), 2):
            for h in inst.route(a, c):
                hi = hop_list.index(h)
                m.cons.add(m.z[ti, hi] >= onehot(u, fixed, a) + y[c] - 1)
                used[ti, hi] = m.z[ti, hi]
    lat_t = inst.latency
    en0 = inst.energy[0]
    compute = pyo.quicksum(lat_t[j][v] * x[v, j] for v in range(n) for j in range(k_tiers))
    transfer = pyo.quicksum(hop_list[hi].time(tensors[ti][0]) * z
                            for (ti, hi), z in used.items())
    energy = (pyo.quicksum(en0[v] * x[v, 0] for v in range(n))
              + pyo.quicksum(hop_list[hi].time(tensors[ti][0]) * hop_list[hi].device_power * z
                             for (ti, hi), z in used.items()))
    latency = compute + transfer
    for t, tier in enumerate(inst.tiers):
        if tier.memory is not None:
            m.cons.add(sum(g.layers[v].param_bytes * x[v, t] for v in range(n)) <= tier.memory)
    if inst.device_energy_budget is not None:
        m.cons.add(energy <= inst.device_energy_budget)
    if inst.latency_slo is not None:
        m.cons.add(latency <= inst.latency_slo)
    if inst.objective == "throughput":
        m.T = pyo.Var(domain=pyo.NonNegativeReals)
        for j in range(k_tiers):
            m.cons.add(sum(lat_t[j][v] * x[v, j] for v in range(n)) <= m.T)
        stages: dict[str, list[Any]] = {}
        for (ti, hi), z in used.items():
            stages.setdefault(hop_list[hi].stage, []).append(
                hop_list[hi].time(tensors[ti][0]) * z)
        for terms in stages.values():
            m.cons.add(sum(terms) <= m.T)
        m.obj = pyo.Objective(expr=m.T, sense=pyo.minimize)
    elif inst.objective == "critical_path":
        _critical_path(inst, m, x, above, hop_list)
    else:
        w = costs.weights(inst)
        expr = 0
        if w.latency:
            expr = expr + w.latency * latency
        if w.energy:
            expr = expr + w.energy * energy
        m.obj = pyo.Objective(expr=expr, sense=pyo.minimize)
    return m, x


def _critical_path(inst: Instance, m: Any, x: Any, above: Any, hop_list: list[Hop]) -> None:
    """Longest-path latency: finish times ``F`` with ``F_v >= F_u + route time + latency``.

    Route time of a tensor from u's tier to v's tier: relayed, ``sum_k t_up_k e_up + t_down_k
    e_down`` with ``e_up[k] >= G[v,k] - G[u,k]`` (hop k on the way up) and likewise down;
    with direct links, pair indicators ``p[a,c] >= x[u,a] + x[v,c] - 1`` times the route time
    of ``a -> c``. Every such variable only lower-bounds a finish time, so at the minimum
    it takes its exact 0/1 value.
    """
    import pyomo.environ as pyo

    n, k_tiers = inst.n_layers, inst.n_tiers
    g = inst.graph
    lat = inst.latency
    m.F = pyo.Var(range(n), domain=pyo.NonNegativeReals)
    m.T = pyo.Var(domain=pyo.NonNegativeReals)
    counter = [0]

    def new_var() -> Any:
        counter[0] += 1
        var = pyo.Var(bounds=(0, 1))
        m.add_component(f"cp_{counter[0]}", var)
        return var

    def onehot(u: int | None, j: int) -> Any:
        if u is None:
            return 1.0 if j == inst.input_tier else 0.0
        return x[u, j]

    def route_time(u: int | None, v: int | None, size: float) -> Any:
        """Time to move ``size`` bytes from u's tier to v's (None: input / tier 0)."""
        if size <= 0:
            return 0.0
        terms = []
        if not inst.direct:
            for k in range(k_tiers - 1):
                gu = above(u, inst.input_tier, k)
                gv = 0.0 if v is None else above(v, None, k)
                for expr, hop in ((gv - gu, inst.hops[(k, k + 1)]),
                                  (gu - gv, inst.hops[(k + 1, k)])):
                    if isinstance(expr, float):
                        if expr > 0:
                            terms.append(hop.time(size))
                        continue
                    e = new_var()
                    m.cons.add(e >= expr)
                    terms.append(hop.time(size) * e)
            return pyo.quicksum(terms) if terms else 0.0
        for a in range(k_tiers):
            for c in range(k_tiers):
                if a == c:
                    continue
                t = sum(h.time(size) for h in inst.route(a, c))
                left = onehot(u, a)
                right = 1.0 if (v is None and c == 0) else (0.0 if v is None else x[v, c])
                if isinstance(left, float) and isinstance(right, float):
                    if left + right - 1 > 0:
                        terms.append(t)
                    continue
                p = new_var()
                m.cons.add(p >= left + right - 1)
                terms.append(t * p)
        return pyo.quicksum(terms) if terms else 0.0

    for v in range(n):
        own = pyo.quicksum(lat[j][v] * x[v, j] for j in range(k_tiers))
        if not g.predecessors[v]:
            m.cons.add(m.F[v] >= route_time(None, v, g.input_bytes) + own)
        for u in set(g.predecessors[v]):
            m.cons.add(m.F[v] >= m.F[u] + route_time(u, v, g.layers[u].output_bytes) + own)
        if not g.successors[v]:
            back = route_time(v, None, g.layers[v].output_bytes) if inst.return_result else 0.0
            m.cons.add(m.F[v] + back <= m.T)
    m.obj = pyo.Objective(expr=m.T, sense=pyo.minimize)
