"""Cost tables the methods share (the evaluator in ``evaluate.py`` does not use them).

For a sum objective ``w_lat * latency + w_en * energy`` every cost separates into
per-layer *unary* terms and per-(tensor, hop) *transfer* terms:

* ``unary[v, k] = w_lat * latency[k][v] + w_en * [k = 0] * energy[0][v]``
* a hop's cost for ``d`` bytes is ``time(d) * (w_lat + w_en * device_power)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from formulations.partition.model import Hop, Instance


@dataclass(frozen=True)
class Weights:
    """Weights of latency and tier-0 energy in a sum objective."""

    latency: float
    energy: float


def weights(inst: Instance) -> Weights:
    """The sum-objective weights; ``throughput``/``accuracy`` fall back to latency."""
    if inst.objective == "energy":
        return Weights(0.0, 1.0)
    if inst.objective == "weighted":
        return Weights(inst.weight_latency, inst.weight_energy)
    return Weights(1.0, 0.0)


def unary(inst: Instance, w: Weights) -> np.ndarray:
    """``(N, K)`` compute cost of each layer on each tier."""
    lat = np.asarray(inst.latency, dtype=float).T.copy()
    if w.latency != 1.0:
        lat *= w.latency
    if w.energy:
        lat[:, 0] += w.energy * np.asarray(inst.energy[0], dtype=float)
    return lat


def hop_cost(hop: Hop, size: float, w: Weights) -> float:
    """Weighted cost of sending ``size`` bytes over ``hop``."""
    t = hop.time(size)
    return t * (w.latency + w.energy * hop.device_power)


def route_cost(inst: Instance, a: int, c: int, size: float, w: Weights) -> float:
    """Weighted cost of the route ``a -> c`` for one tensor."""
    return sum(hop_cost(h, size, w) for h in inst.route(a, c))


def return_cost(inst: Instance, v: int, k: int, w: Weights) -> float:
    """Cost of bringing sink ``v``'s output from tier ``k`` back to tier 0."""
    if not inst.return_result or inst.graph.successors[v]:
        return 0.0
    return route_cost(inst, k, 0, inst.graph.layers[v].output_bytes, w)


def sizes(inst: Instance) -> np.ndarray:
    """Output bytes of each layer."""
    return np.array([layer.output_bytes for layer in inst.graph.layers], dtype=float)


def is_sum(inst: Instance) -> bool:
    """Whether the objective is a sum of layer and hop costs."""
    return inst.objective in ("latency", "energy", "weighted")


def has_side_constraints(inst: Instance) -> bool:
    """Memory limits, an energy budget or a latency SLO (not expressible in a cut)."""
    return (any(t.memory is not None for t in inst.tiers)
            or inst.device_energy_budget is not None or inst.latency_slo is not None)


def tensor_hops(inst: Instance, x: list[int] | tuple[int, ...]) -> list[tuple[float, set[Hop]]]:
    """Each tensor's size and the set of link hops it crosses under placement ``x``.

    The model input starts on ``inst.input_tier``; a layer's output goes from its tier to
    the tiers of its readers (and back to the device when the result returns). A hop
    shared by several readers carries the tensor once (union of routes).
    """
    g = inst.graph
    tensors: list[tuple[float, int, set[int]]] = [
        (g.input_bytes, inst.input_tier, {x[v] for v in g.sources})]
    for u in range(inst.n_layers):
        readers = {x[v] for v in g.successors[u]}
        if inst.return_result and not g.successors[u]:
            readers.add(0)
        tensors.append((g.layers[u].output_bytes, x[u], readers))
    return [(size, {h for c in readers for h in inst.route(a, c)})
            for size, a, readers in tensors]


def placement_cost(inst: Instance, x: list[int] | tuple[int, ...], w: Weights) -> float:
    """Weighted sum cost of a full placement ``x`` (union-of-routes transfer charging)."""
    u_cost = unary(inst, w)
    total = float(sum(u_cost[v, x[v]] for v in range(inst.n_layers)))
    for size, hops in tensor_hops(inst, x):
        total += sum(hop_cost(h, size, w) for h in hops)
    return total


def memory_ok(inst: Instance, x: list[int] | tuple[int, ...]) -> bool:
    """Whether every tier's memory holds the parameters of its layers."""
    for k, tier in enumerate(inst.tiers):
        if tier.memory is None:
            continue
        used = sum(layer.param_bytes for layer, t in zip(inst.graph.layers, x, strict=True)
                   if t == k)
        if used > tier.memory * (1 + 1e-9):
            return False
    return True


def side_violation(inst: Instance, x: list[int] | tuple[int, ...]) -> str | None:
    """The first side constraint ``x`` violates (memory, energy budget, SLO), or ``None``."""
    if not memory_ok(inst, x):
        return "memory"
    if inst.device_energy_budget is not None:
        e = placement_cost(inst, x, Weights(0.0, 1.0))
        if e > inst.device_energy_budget * (1 + 1e-9):
            return "device_energy_budget"
    if inst.latency_slo is not None:
        lat = placement_cost(inst, x, Weights(1.0, 0.0))
        if lat > inst.latency_slo * (1 + 1e-9):
            return "latency_slo"
    return None


def allowed_tiers(inst: Instance) -> tuple[list[list[int]], str | None]:
    """Tiers each layer may use alone (pin, its own memory need); a message if none."""
    out: list[list[int]] = []
    pins = inst.pin_index
    for v, layer in enumerate(inst.graph.layers):
        ok = [k for k, t in enumerate(inst.tiers)
              if t.memory is None or layer.param_bytes <= t.memory * (1 + 1e-9)]
        if not ok:
            caps = ", ".join(f"{t.name} {t.memory:.4g}" for t in inst.tiers)
            return out, (f"layer {layer.name!r} fits on no tier: it needs "
                         f"{layer.param_bytes:.4g} bytes of memory ({caps})")
        if v in pins:
            if pins[v] not in ok:
                return out, (f"layer {layer.name!r} is pinned to tier {pins[v]} whose memory "
                             "cannot hold it")
            ok = [pins[v]]
        out.append(ok)
    return out, None


def lowest_monotone(inst: Instance, allowed: list[list[int]]) -> tuple[list[int] | None, str]:
    """The pointwise-lowest monotone placement within ``allowed``, or ``None`` and why.

    Every monotone placement is at least this one layer by layer, so if it does not exist
    no monotone placement does.
    """
    g = inst.graph
    x: list[int] = []
    for v in range(inst.n_layers):
        lo = max((x[u] for u in g.predecessors[v]), default=inst.input_tier)
        choice = next((k for k in allowed[v] if k >= lo), None)
        if choice is None:
            return None, (f"layer {g.layers[v].name!r} cannot be placed: its inputs are on "
                          f"tier >= {lo} but it may only run on tiers {allowed[v]}")
        x.append(choice)
    return x, ""


def stage_times(inst: Instance, x: list[int] | tuple[int, ...]) -> dict[str, float]:
    """Busy time of every pipeline stage (tier compute, link transfers) for placement ``x``."""
    lat = inst.latency
    out: dict[str, float] = {f"tier{k}": 0.0 for k in range(inst.n_tiers)}
    for v, k in enumerate(x):
        out[f"tier{k}"] += lat[k][v]
    for size, hops in tensor_hops(inst, x):
        for h in hops:
            out[h.stage] = out.get(h.stage, 0.0) + h.time(size)
    return out
