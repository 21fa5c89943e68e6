"""Independent evaluator, verifier and brute force for partition solutions.

Shares no code with the methods: it re-derives layer costs from the raw tier specs, the
routes from the raw links, and charges each tensor's hops as the union of its routes to all
reading tiers (see :mod:`formulations.partition.model`).
"""

from __future__ import annotations

import itertools
from typing import Any

from edgeopt_solve.protocol import Violation
from edgeopt_solve.status import Status
from formulations.partition.model import Instance, Solution

_REL = 1e-9


def _layer_costs(inst: Instance) -> tuple[list[list[float]], list[float]]:
    """(latency[k][v], tier-0 energy[v]) from the raw tier specs."""
    lat = []
    for t in inst.tiers:
        if t.latency is not None:
            lat.append(list(t.latency))
        else:
            lat.append([t.layer_overhead + layer.macs / float(t.compute_rate)
                        for layer in inst.graph.layers])
    t0 = inst.tiers[0]
    energy0 = list(t0.energy) if t0.energy is not None else [t0.power * x for x in lat[0]]
    return lat, energy0


def _links(inst: Instance) -> dict[tuple[int, int], tuple[float, float, float, str]]:
    """(src, dst) -> (bandwidth, rtt, device power, stage) for every usable one-hop path."""
    out: dict[tuple[int, int], tuple[float, float, float, str]] = {}
    for k, link in enumerate(inst.links):
        down = link.down_bandwidth if link.down_bandwidth is not None else link.bandwidth
        out[(k, k + 1)] = (link.bandwidth, link.rtt, link.tx_power if k == 0 else 0.0,
                           f"link{k}")
        out[(k + 1, k)] = (down, link.rtt, link.rx_power if k == 0 else 0.0, f"link{k}")
    return out


def _hops_between(inst: Instance, a: int, c: int) -> list[tuple[Any, ...]]:
    """Keys of the hops on the route a -> c: a direct link, else relayed tier by tier."""
    for i, d in enumerate(inst.direct_links):
        if (d.src, d.dst) == (a, c):
            return [("direct", i)]
    if a < c:
        return [("link", k, k + 1) for k in range(a, c)]
    return [("link", k, k - 1) for k in range(a, c, -1)]


def executed_layers(inst: Instance, sol: Solution) -> list[int]:
    """Positions of the layers that run: all, or the chosen exit and its ancestors."""
    n = inst.n_layers
    if sol.exit is None:
        return list(range(n))
    target = inst.graph.index[inst.exits[sol.exit][0]]
    keep = {target}
    for v in range(target, -1, -1):
        if v in keep:
            keep.update(inst.graph.index[p] for p in inst.graph.layers[v].inputs)
    return sorted(keep)


def breakdown(inst: Instance, sol: Solution) -> dict[str, Any]:
    """Latency, device energy, stage times and accuracy of a well-formed solution."""
    lat, energy0 = _layer_costs(inst)
    links = _links(inst)
    x = sol.tiers
    run = executed_layers(inst, sol)
    running = set(run)
    stages: dict[str, float] = {f"tier{k}": 0.0 for k in range(inst.n_tiers)}
    compute = 0.0
    energy = 0.0
    for v in run:
        compute += lat[x[v]][v]
        stages[f"tier{x[v]}"] += lat[x[v]][v]
        if x[v] == 0:
            energy += energy0[v]
    # tensors: the model input (None) and every executed layer
    readers: dict[Any, set[int]] = {None: set()}
    for v in run:
        readers.setdefault(v, set())
        names = inst.graph.layers[v].inputs
        if not names:
            readers[None].add(x[v])
        for p in names:
            readers[inst.graph.index[p]].add(x[v])
    sinks = [v for v in run if not any(s in running for s in inst.graph.successors[v])]
    if inst.return_result:
        for v in sinks:
            readers[v].add(0)
    transfer = 0.0
    for u, tiers in readers.items():
        size = inst.graph.input_bytes if u is None else inst.graph.layers[u].output_bytes
        src = inst.input_tier if u is None else x[u]
        used: set[tuple[Any, ...]] = set()
        for c in tiers:
            if c != src:
                used.update(_hops_between(inst, src, c))
        if size <= 0:
            continue
        for hop in used:
            if hop[0] == "direct":
                d = inst.direct_links[hop[1]]
                bw, rtt, stage = d.bandwidth, d.rtt, f"direct{hop[1]}"
                power = d.tx_power if d.src == 0 else d.rx_power if d.dst == 0 else 0.0
            else:
                bw, rtt, power, stage = links[(hop[1], hop[2])]
            t = rtt / 2 + 8.0 * size / bw
            transfer += t
            energy += power * t
            stages[stage] = stages.get(stage, 0.0) + t
    accuracy = inst.full_accuracy if sol.exit is None else inst.exits[sol.exit][1]

    def arrival(size: float, a: int, c: int) -> float:
        total = 0.0
        if size <= 0:
            return 0.0
        for hop in ([] if a == c else _hops_between(inst, a, c)):
            if hop[0] == "direct":
                d = inst.direct_links[hop[1]]
                total += d.rtt / 2 + 8.0 * size / d.bandwidth
            else:
                bw, rtt, _, _ = links[(hop[1], hop[2])]
                total += rtt / 2 + 8.0 * size / bw
        return total

    finish: dict[int, float] = {}
    for v in run:
        names = inst.graph.layers[v].inputs
        if names:
            ready = max(finish[inst.graph.index[p]]
                        + arrival(inst.graph.layers[inst.graph.index[p]].output_bytes,
                                  x[inst.graph.index[p]], x[v]) for p in names)
        else:
            ready = arrival(inst.graph.input_bytes, inst.input_tier, x[v])
        finish[v] = ready + lat[x[v]][v]
    critical = max(finish[v] + (arrival(inst.graph.layers[v].output_bytes, x[v], 0)
                                if inst.return_result else 0.0) for v in sinks)
    return {"latency": compute + transfer, "critical_path": critical, "compute": compute,
            "transfer": transfer, "energy": energy, "stages": stages, "accuracy": accuracy}


def objective(inst: Instance, sol: Solution) -> float:
    """The instance's objective of ``sol`` (see the model docstring)."""
    b = breakdown(inst, sol)
    kind = inst.objective
    if kind == "latency":
        return float(b["latency"])
    if kind == "energy":
        return float(b["energy"])
    if kind == "weighted":
        return float(inst.weight_latency * b["latency"] + inst.weight_energy * b["energy"])
    if kind == "throughput":
        return float(max(b["stages"].values()))
    if kind == "critical_path":
        return float(b["critical_path"])
    return float(1.0 - b["accuracy"])


def verify(inst: Instance, sol: Solution, *, tol: float = 1e-6) -> list[Violation]:
    """Every violated constraint of ``sol`` (``[]`` when feasible)."""
    n, k = inst.n_layers, inst.n_tiers
    if len(sol.tiers) != n:
        return [Violation("size", f"{len(sol.tiers)} tiers given for {n} layers")]
    bad = [v for v, t in enumerate(sol.tiers) if not (isinstance(t, int) and 0 <= t < k)]
    if bad:
        return [Violation(f"tier[layer={inst.graph.layers[bad[0]].name}]",
                          f"tier {sol.tiers[bad[0]]} not in 0..{k - 1}")]
    if sol.exit is not None:
        if inst.objective != "accuracy":
            return [Violation("exit", "early exits are allowed only with the accuracy "
                                      "objective")]
        if not 0 <= sol.exit < len(inst.exits):
            return [Violation("exit", f"exit {sol.exit} not in 0..{len(inst.exits) - 1}")]
    out: list[Violation] = []
    x = sol.tiers
    run = executed_layers(inst, sol)
    layers = inst.graph.layers
    if inst.monotone:
        for v in run:
            if not layers[v].inputs and x[v] < inst.input_tier:
                out.append(Violation(f"monotone[layer={layers[v].name}]",
                                     f"tier {x[v]} is below the input tier {inst.input_tier}"))
            for p in layers[v].inputs:
                u = inst.graph.index[p]
                if x[u] > x[v]:
                    out.append(Violation(f"monotone[{p}->{layers[v].name}]",
                                         f"data moves down from tier {x[u]} to {x[v]}"))
    running = set(run)
    for name, tier in inst.pinned:
        v = inst.graph.index[name]
        if v in running and x[v] != tier:
            out.append(Violation(f"pinned[layer={name}]", f"on tier {x[v]}, pinned to {tier}"))
    for t in range(k):
        cap = inst.tiers[t].memory
        if cap is None:
            continue
        used = sum(layers[v].param_bytes for v in run if x[v] == t)
        if used > cap + tol * max(1.0, cap):
            out.append(Violation(f"memory[tier={inst.tiers[t].name}]",
                                 f"{used:.6g} bytes > {cap:.6g}", used - cap))
    b = breakdown(inst, sol)
    if inst.device_energy_budget is not None:
        cap = inst.device_energy_budget
        if b["energy"] > cap + tol * max(1.0, cap):
            out.append(Violation("device_energy_budget", f"{b['energy']:.6g} J > {cap:.6g} J",
                                 b["energy"] - cap))
    if inst.latency_slo is not None:
        cap = inst.latency_slo
        if b["latency"] > cap + tol * max(1.0, cap):
            out.append(Violation("latency_slo", f"{b['latency']:.6g} s > {cap:.6g} s",
                                 b["latency"] - cap))
    return out


def brute_force(inst: Instance, *, max_layers: int = 12) -> tuple[Status, Solution | None]:
    """Enumerate every placement (and exit) of a tiny instance; the best feasible one.

    Monotone instances are enumerated in topological order with the tier of each layer at
    least that of its inputs, so 12-layer instances stay fast; non-monotone ones try all
    ``K**N`` placements.
    """
    n, k = inst.n_layers, inst.n_tiers
    if n > max_layers:
        raise ValueError(f"brute force is for <= {max_layers} layers, got {n}")
    exits: list[int | None] = [None]
    if inst.objective == "accuracy":
        exits += list(range(len(inst.exits)))
    preds = [[inst.graph.index[p] for p in layer.inputs] for layer in inst.graph.layers]
    best: tuple[float, Solution] | None = None
    for ex in exits:
        for x in _placements(inst, preds, n, k):
            sol = Solution(tuple(x), ex)
            if verify(inst, sol):
                continue
            value = objective(inst, sol)
            if best is None or value < best[0] - _REL * max(1.0, abs(best[0])):
                best = (value, sol)
    if best is None:
        return Status.INFEASIBLE, None
    return Status.OPTIMAL, best[1]


def _placements(inst: Instance, preds: list[list[int]], n: int, k: int):
    if not inst.monotone:
        yield from itertools.product(range(k), repeat=n)
        return
    x = [0] * n

    def rec(v: int):
        if v == n:
            yield tuple(x)
            return
        lo = max([x[u] for u in preds[v]], default=inst.input_tier)
        for t in range(lo, k):
            x[v] = t
            yield from rec(v + 1)

    yield from rec(0)
