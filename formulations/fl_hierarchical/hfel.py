"""``hfel``: the edge-association algorithm of Luo et al. (IEEE TWC 2020, Algorithm 2).

Start from an initial association and apply *permitted adjustments* while they lower the
total cost ``sum_j C_j(S_j)`` (each C_j the optimal per-edge cost from the exact inner
solver):

* transfer: device i leaves S_j for S_k (k reachable, with room) when
  ``C_j(S_j - i) + C_k(S_k + i) < C_j(S_j) + C_k(S_k)``;
* exchange: devices i in S_j and i' in S_k swap edge servers when the two edge costs drop.

It stops when no transfer or exchange is permitted (a stable point, in which no single
adjustment helps) or when the time limit is reached. The total cost strictly decreases with
every adjustment, so it terminates (finitely many associations).

Choices where the paper leaves room: the initial association is each device on its
strongest reachable edge server (capacity-aware; the paper starts from a random
allocation — ``init="random"`` does that); devices are scanned in a seeded random order;
an adjustment is accepted when it lowers the cost by more than ``1e-12`` relative (first
improvement, not best); all transfers are tried before exchanges, and after a successful
exchange the scan restarts with transfers. Per-edge costs are memoised.

Speed (not a change of the algorithm): a candidate move is rejected *without* solving its
new per-edge problems when exact lower bounds on their costs (:mod:`bounds`: the cost of a
set plus one device is at least the set's cost plus that device's dual-priced upload cost)
already show it cannot lower the total by the acceptance threshold (with a relative margin
of 1e-9 for the solver's rounding). Such a move would have been rejected anyway, so the
search visits the same associations as without the bounds (option ``prune=False``).

``hfel-merge`` (ours, not in the paper) adds a third adjustment once transfers and
exchanges are exhausted: *merge* all devices of one edge server into another (when they
all reach it and it has room). Each used edge server adds its own delay and cloud terms,
so optima often consolidate devices, and single transfers cannot empty a group (every
intermediate step can be uphill); merges escape those stable points.
"""

from __future__ import annotations

import math
import random
from typing import Any

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.fl_hierarchical.association import (
    by_gain,
    capacity,
    infeasible_message,
    match,
)
from formulations.fl_hierarchical.bounds import AddBounds
from formulations.fl_hierarchical.common import CostCache, groups
from formulations.fl_hierarchical.model import Instance

REL_IMPROVEMENT = 1e-12
PRUNE_MARGIN = 1e-9  # relative slack on the lower bounds (solver residuals are ~1e-12)


def initial(inst: Instance, rng: random.Random, init: str) -> tuple[list[int], int]:
    """Initial association: strongest channel (``"gain"``) or random (``"random"``)."""
    if init == "gain":
        return match(inst, by_gain(inst))
    if init == "random":
        pref = []
        for d in inst.devices:
            r = d.reachable()
            rng.shuffle(r)
            pref.append(r)
        order = list(range(inst.n))
        rng.shuffle(order)
        return match(inst, pref, order)
    raise ValueError(f"unknown init {init!r} (gain, random)")


def local_search(inst: Instance, ctx: SolveContext, cache: CostCache, assoc: list[int],
                 rng: random.Random, exchanges: bool = True, merges: bool = False,
                 prune: bool = True) -> tuple[list[int], dict[str, int]]:
    """Transfers and exchanges until none lowers the cost (or time runs out).

    With ``prune`` a move is skipped without solving its new per-edge problems when a lower
    bound on their cost (:mod:`bounds`) already shows it cannot be accepted; the search
    takes the same steps either way (the bound is exact, with a margin for rounding).
    """
    members = [set(g) for g in groups(inst, assoc)]
    cost = [cache.cost(j, members[j]) for j in range(inst.m)]
    stats = {"transfers": 0, "exchanges": 0, "merges": 0, "passes": 0, "pruned": 0}
    order = list(range(inst.n))
    bounds = AddBounds(inst, cache)

    def threshold() -> float:
        return REL_IMPROVEMENT * max(1.0, abs(math.fsum(cost)))

    def margin() -> float:
        return PRUNE_MARGIN * max(1.0, abs(math.fsum(cost)))

    def lower(j: int, base: set[int], i: int) -> float:
        """A lower bound on C_j(base + i) (see :mod:`bounds`)."""
        return bounds.cost_with(j, base, i)

    while not ctx.out_of_time():
        stats["passes"] += 1
        rng.shuffle(order)
        improved = False
        for i in order:  # transfers
            if ctx.out_of_time():
                break
            j = assoc[i]
            for k in inst.devices[i].reachable():
                if k == j or len(members[k]) >= capacity(inst, k):
                    continue
                cj = cache.cost(j, members[j] - {i})
                if prune and cj + lower(k, members[k], i) - margin() >= (
                        cost[j] + cost[k] - threshold()):
                    stats["pruned"] += 1
                    continue
                ck = cache.cost(k, members[k] | {i})
                if cj + ck < cost[j] + cost[k] - threshold():
                    members[j].discard(i)
                    members[k].add(i)
                    assoc[i], cost[j], cost[k] = k, cj, ck
                    stats["transfers"] += 1
                    improved = True
                    j = k
        if improved:
            continue
        if not exchanges:
            break
        for i in order:  # exchanges
            if ctx.out_of_time() or improved:
                break
            for i2 in order:
                j, k = assoc[i], assoc[i2]
                if i2 <= i or j == k:
                    continue
                if inst.devices[i].gains[k] is None or inst.devices[i2].gains[j] is None:
                    continue
                if prune and (lower(j, members[j] - {i}, i2) + lower(k, members[k] - {i2}, i)
                              - margin() >= cost[j] + cost[k] - threshold()):
                    stats["pruned"] += 1
                    continue
                sj = (members[j] - {i}) | {i2}
                sk = (members[k] - {i2}) | {i}
                cj, ck = cache.cost(j, sj), cache.cost(k, sk)
                if cj + ck < cost[j] + cost[k] - threshold():
                    members[j], members[k] = sj, sk
                    assoc[i], assoc[i2] = k, j
                    cost[j], cost[k] = cj, ck
                    stats["exchanges"] += 1
                    improved = True
                    break
        if not improved and merges:
            improved = _merge(inst, ctx, cache, assoc, members, cost, threshold(), stats)
        if not improved:
            break
    return assoc, stats


def _merge(inst: Instance, ctx: SolveContext, cache: CostCache, assoc: list[int],
           members: list[set[int]], cost: list[float], eps: float,
           stats: dict[str, int]) -> bool:
    """Move all devices of one edge server to another one if that lowers the cost.

    Not in the paper: with the per-edge cost, each used edge server adds its own delay
    and cloud terms, so the optimum often consolidates devices, and single transfers
    cannot empty a group of several devices (each step up is uphill).
    """
    for j in range(inst.m):
        for k in range(inst.m):
            if ctx.out_of_time():
                return False
            if j == k or not members[j] or not members[k]:
                continue
            if len(members[j]) + len(members[k]) > capacity(inst, k):
                continue
            if any(inst.devices[i].gains[k] is None for i in members[j]):
                continue
            merged = members[k] | members[j]
            ck = cache.cost(k, merged)
            if ck < cost[j] + cost[k] - eps:
                for i in members[j]:
                    assoc[i] = k
                members[k], members[j] = merged, set()
                cost[k], cost[j] = ck, 0.0
                stats["merges"] += 1
                return True
    return False


def hfel(inst: Instance, ctx: SolveContext, *, init: str = "gain", exchanges: bool = True,
         merges: bool = False, prune: bool = True, **_: Any) -> MethodOutput:
    """Transfer-and-exchange local search (see the module docstring)."""
    rng = random.Random(ctx.seed)
    assoc, placed = initial(inst, rng, init)
    if placed < inst.n:
        return MethodOutput(Status.INFEASIBLE, message=infeasible_message(inst, placed))
    cache = CostCache(inst)
    assoc, stats = local_search(inst, ctx, cache, assoc, rng, exchanges, merges, prune)
    stats["edge_solves"] = len(cache.table)
    limit = ctx.limit_hit()
    return MethodOutput(Status.FEASIBLE, cache.solution(assoc), limit=limit, stats=stats,
                        message="stopped by the time limit before a stable point"
                        if limit is not None else "")


def hfel_merge(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """``hfel`` plus merge moves (all devices of one edge server to another), ours."""
    options.setdefault("merges", True)
    return hfel(inst, ctx, **options)
