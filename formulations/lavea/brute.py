"""Exhaustive enumeration for tiny instances (shares no code with the methods).

Every allowed location of every task is tried; for each assignment every permutation of
each server's tasks is tried. Servers are independent once the assignment is fixed, so
the best permutation of each (server, task set) is memoised: the objective is the max
(makespan) or the sum (total/weighted completion) of per-server terms and local terms.
"""

from __future__ import annotations

import itertools
from functools import cache

from edgeopt_solve.status import Status
from formulations.lavea.model import LOCAL, Instance, Solution


def brute_force(inst: Instance) -> tuple[Status, Solution | None]:
    """The optimum over every assignment and permutation (feasible for about n <= 8)."""
    n, m = inst.n, inst.m
    if any(not opts for opts in inst.allowed):
        return Status.INFEASIBLE, None
    kind = inst.objective

    def term(j: int, finish: float) -> float:
        return inst.weight[j] * finish if kind == "weighted_completion" else finish

    def combine(values: list[float]) -> float:
        if not values:
            return 0.0
        return max(values) if kind == "makespan" else sum(values)

    @cache
    def best_sequence(s: int, tasks: frozenset[int]) -> tuple[float, tuple[int, ...]]:
        best_v, best_p = float("inf"), ()
        for perm in itertools.permutations(sorted(tasks)):
            up_end = cpu_end = 0.0
            parts = []
            for j in perm:
                up_end = max(up_end, inst.release[j]) + inst.p1[j][s]
                cpu_end = max(cpu_end, up_end) + inst.p2[j][s]
                parts.append(term(j, cpu_end))
            v = combine(parts)
            if v < best_v:
                best_v, best_p = v, perm
        return best_v, best_p

    best_value, best = float("inf"), None
    for choice in itertools.product(*inst.allowed):
        parts = []
        orders = []
        for s in range(m):
            tasks = frozenset(j for j in range(n) if choice[j] == s)
            v, perm = best_sequence(s, tasks)
            if tasks:
                parts.append(v)
            orders.append(perm)
        for j in range(n):
            if choice[j] == LOCAL:
                parts.append(term(j, inst.release[j] + inst.local_time[j]))
        total = combine(parts)
        if total < best_value - 1e-12:
            best_value = total
            best = Solution(tuple(choice), tuple(tuple(o) for o in orders))
    return Status.OPTIMAL, best
