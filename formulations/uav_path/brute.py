"""Exhaustive enumeration for tiny instances (at most 9 hovering points).

Shares no code with the methods: every visiting order (one of each mirror pair) is
scored with its own distance code; the shortest is flown at the speed found by a
bounded 1-D search of the energy ``L·P(V)/V`` over the speeds the deadline allows
(``[L/(T-H), max_speed]``). The answer is then checked with the independent
verifier; if it violates the battery or deadline, so does every tour (energy and the
needed speed grow with length), and the instance is INFEASIBLE.
"""

from __future__ import annotations

import itertools
import math

from edgeopt_solve.exceptions import InvalidOptionError
from edgeopt_solve.status import Status
from formulations.uav_path.evaluate import verify
from formulations.uav_path.model import Instance, Solution

MAX_POINTS = 9


def brute_force(inst: Instance) -> tuple[Status, Solution | None]:
    """Optimal mission by enumerating every tour (<= 9 hovering points)."""
    n = len(inst.points)
    if n > MAX_POINTS:
        raise InvalidOptionError(f"brute force handles at most {MAX_POINTS} points, got {n}")
    nodes = [inst.base, *inst.points]

    def dist(a: int, b: int) -> float:
        d = math.dist(nodes[a], nodes[b])
        return float(math.floor(d + 0.5)) if inst.distance == "euc_2d" else d

    dm = [[dist(a, b) for b in range(n + 1)] for a in range(n + 1)]
    best_len, best_perm = math.inf, tuple(range(n))
    for perm in itertools.permutations(range(1, n + 1)):
        if n > 1 and perm[0] > perm[-1]:
            continue
        length = dm[0][perm[0]] + dm[perm[-1]][0]
        for k in range(n - 1):
            length += dm[perm[k]][perm[k + 1]]
        if length < best_len - 1e-12:
            best_len, best_perm = length, perm
    tour = tuple(p - 1 for p in best_perm)
    sol = Solution(tour, _speeds(inst, best_len, n + 1))
    if any(v.constraint.startswith("range") for v in verify(inst, sol)):
        return Status.INFEASIBLE, None
    if verify(inst, sol):
        return Status.INFEASIBLE, None
    return Status.OPTIMAL, sol


def _speeds(inst: Instance, length: float, legs: int) -> tuple[float, ...] | None:
    if inst.objective == "length" or inst.speed is not None:
        return None
    from scipy.optimize import minimize_scalar

    hover = sum(dev.data_bits / dev.rate for dev in inst.devices)
    low = 1e-3
    if inst.deadline is not None and length > 0:
        slack = inst.deadline - hover
        low = inst.max_speed if slack <= 0 else max(low, min(length / slack, inst.max_speed))
    model = inst.energy_model
    if low >= inst.max_speed:
        v = inst.max_speed
    else:
        res = minimize_scalar(lambda s: float(model.power(s)) / s, bounds=(low, inst.max_speed),
                              method="bounded", options={"xatol": 1e-9})
        v = float(res.x)
        for edge in (low, inst.max_speed):
            if float(model.power(edge)) / edge < float(model.power(v)) / v:
                v = edge
    return tuple([v] * legs)
