"""Exhaustive enumeration for tiny instances (independent of the methods).

Tries every server (or "unplaced", where a block allows it) for every block, checks the
capacities and evaluates the objective from ``inst.cost`` / ``inst.penalty`` directly.
"""

from __future__ import annotations

import itertools

from edgeopt_solve.status import Status

from .model import Instance, Solution

MAX_COMBINATIONS = 2_000_000


def brute_force(inst: Instance) -> tuple[Status, Solution | None]:
    """``(OPTIMAL, best)`` or ``(INFEASIBLE, None)``; refuses instances too big to enumerate.

    With movable tasks every combination of task sites is enumerated too (each one a
    fixed-site instance, whose cost matrix is derived by the model).
    """
    if not inst.movable:
        status, best, _ = _enumerate(inst)
        return status, best
    tasks = inst.spec.tasks or []
    options = [sorted({t.site, *(t.candidates or [])}) for t in tasks]
    best_value, best = None, None
    for sites in itertools.product(*options):
        status, sol, value = _enumerate(inst.with_sites(sites))
        if sol is not None and (best_value is None or value < best_value - 1e-12):
            best_value, best = value, Solution(sol.assignment, tuple(sites))
    if best is None:
        return Status.INFEASIBLE, None
    return Status.OPTIMAL, best


def _enumerate(inst: Instance) -> tuple[Status, Solution | None, float]:
    m, n = inst.m, inst.n
    choices = [list(range(m)) + ([None] if inst.penalty[j] is not None else [])
               for j in range(n)]
    total = 1
    for c in choices:
        total *= len(c)
    if total > MAX_COMBINATIONS:
        raise ValueError(f"{total} combinations: too many for brute force")
    best_value, best = None, None
    for combo in itertools.product(*choices):
        load = [0] * m
        value = 0.0
        ok = True
        for j, i in enumerate(combo):
            if i is None:
                value += inst.penalty[j]
                continue
            load[i] += inst.weight[i][j]
            if load[i] > inst.capacity[i]:
                ok = False
                break
            value += inst.cost[i][j]
        if not ok:
            continue
        if inst.mode == "minmax":
            util = [load[i] / inst.capacity[i] for i in range(m) if inst.capacity[i] > 0]
            value += inst.load_weight * max(util, default=0.0)
        if best_value is None or value < best_value - 1e-12:
            best_value, best = value, combo
    if best is None:
        return Status.INFEASIBLE, None, float("inf")
    return Status.OPTIMAL, Solution(tuple(best)), float(best_value)
