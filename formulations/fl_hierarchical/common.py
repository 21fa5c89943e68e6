"""Shared pieces of the methods: per-edge problems, a cost cache, assembling solutions.

(The evaluator in :mod:`evaluate` shares none of this.)
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from formulations.fl_hierarchical.edge_alloc import (
    EdgeAllocation,
    EdgeProblem,
    equal_bandwidth,
    solve_edge,
)
from formulations.fl_hierarchical.model import Instance, Solution

#: resource policies: optimal (the convex program), or the two baselines
POLICIES = ("optimal", "max-frequency", "uniform-bandwidth")


def edge_problem(inst: Instance, j: int, devices: Sequence[int]) -> EdgeProblem:
    """The per-edge-iteration problem of edge ``j`` serving ``devices``."""
    L, alpha = inst.local_iterations, inst.capacitance
    ds = [inst.devices[i] for i in devices]
    gains = np.array([d.gains[j] for d in ds], dtype=float)
    p = np.array([d.power for d in ds])
    cd = np.array([d.cycles_per_sample * d.samples for d in ds])
    return EdgeProblem(A=gains * p / inst.noise_psd, p=p, a=L * 0.5 * alpha * cd, w=L * cd,
                       f_max=np.array([d.f_max for d in ds]), s=inst.model_bits,
                       B=inst.edges[j].bandwidth, we=inst.energy_weight, wt=inst.time_weight)


def allocate(inst: Instance, j: int, devices: Sequence[int], policy: str = "optimal",
             hint: EdgeAllocation | None = None) -> EdgeAllocation:
    """The allocation of edge ``j`` for ``devices`` under a resource policy.

    ``hint``: the allocation of a similar device set on the same edge (warm start).
    """
    P = edge_problem(inst, j, devices)
    h = None if hint is None else (hint.T, hint.price)
    if policy == "optimal":
        return solve_edge(P, hint=h)
    if policy == "max-frequency":
        return solve_edge(P, fixed_frequency=True, hint=h)
    if policy == "uniform-bandwidth":
        return equal_bandwidth(P)
    raise ValueError(f"unknown resource policy {policy!r}")


def edge_cost_of(inst: Instance, j: int, alloc: EdgeAllocation | None) -> float:
    """Cost per cloud round of edge j: I·value + weighted cloud terms (0 without devices)."""
    if alloc is None:
        return 0.0
    e = inst.edges[j]
    return (inst.edge_iterations * alloc.value + inst.energy_weight * e.cloud_energy
            + inst.time_weight * e.cloud_time)


@dataclass
class CostCache:
    """Optimal cost of (edge, device set), memoised."""

    inst: Instance
    policy: str = "optimal"
    table: dict[tuple[int, frozenset[int]], tuple[float, EdgeAllocation | None]] = field(
        default_factory=dict)
    last: dict[int, EdgeAllocation] = field(default_factory=dict)

    def get(self, j: int, devices: Iterable[int]) -> tuple[float, EdgeAllocation | None]:
        """(cost, allocation) of edge j with exactly these devices."""
        key = (j, frozenset(devices))
        hit = self.table.get(key)
        if hit is None:
            if not key[1]:
                hit = (0.0, None)
            else:
                alloc = allocate(self.inst, j, sorted(key[1]), self.policy,
                                 self._neighbour(j, key[1]))
                hit = (edge_cost_of(self.inst, j, alloc), alloc)
                self.last[j] = alloc
            self.table[key] = hit
        return hit

    def _neighbour(self, j: int, devices: frozenset[int]) -> EdgeAllocation | None:
        """A solved set on edge j that differs by one device, else the last one solved."""
        for i in devices:
            hit = self.table.get((j, devices - {i}))
            if hit is not None and hit[1] is not None:
                return hit[1]
        return self.last.get(j)

    def cost(self, j: int, devices: Iterable[int]) -> float:
        """Cost of edge j with these devices."""
        return self.get(j, devices)[0]

    def total(self, assoc: Sequence[int]) -> float:
        """Total cost of an association."""
        return math.fsum(self.cost(j, members) for j, members in enumerate(groups(self.inst,
                                                                                  assoc)))

    def solution(self, assoc: Sequence[int]) -> Solution:
        """The solution of an association with this cache's allocations."""
        freq = [0.0] * self.inst.n
        band = [0.0] * self.inst.n
        for j, members in enumerate(groups(self.inst, assoc)):
            if not members:
                continue
            _, alloc = self.get(j, members)
            assert alloc is not None
            for k, i in enumerate(sorted(members)):
                freq[i] = float(alloc.frequency[k])
                band[i] = float(alloc.bandwidth[k])
        return Solution(tuple(int(j) for j in assoc), tuple(freq), tuple(band))


def groups(inst: Instance, assoc: Sequence[int]) -> list[list[int]]:
    """Devices of every edge server."""
    out: list[list[int]] = [[] for _ in range(inst.m)]
    for i, j in enumerate(assoc):
        out[j].append(i)
    return out
