"""Exhaustive enumeration for tiny instances (shares no code with the methods).

Every subset of clients is scheduled by its own Jackson order (uploads by update-finish
time), its round replayed from scratch and compared with the deadline.
"""

from __future__ import annotations

from itertools import combinations

from edgeopt_solve.exceptions import InvalidOptionError
from edgeopt_solve.status import Status

from .model import Instance, Solution

MAX_CLIENTS = 16


def _round_end(inst: Instance, group: list) -> float:
    start = inst.selection_time
    if inst.download == "broadcast":
        dist = max((c.download_time for c in group), default=0.0)
        ready = {c.id: start + dist + c.update_time for c in group}
    else:
        ready = {c.id: start + c.download_time + c.update_time for c in group}
    free = start
    for c in sorted(group, key=lambda c: ready[c.id]):
        free = max(free, ready[c.id]) + c.upload_time
    return free + inst.aggregation_time


def brute_force(inst: Instance) -> tuple[Status, Solution | None]:
    """Optimal selection by enumerating every subset (at most 16 clients)."""
    if len(inst.clients) > MAX_CLIENTS:
        raise InvalidOptionError(f"brute_force handles at most {MAX_CLIENTS} clients",
                                 field="clients")
    usable = [c for c in inst.clients
              if c.energy_budget is None or c.energy <= c.energy_budget]
    slack = 1e-9 * max(1.0, inst.deadline - inst.selection_time - inst.aggregation_time)
    best: tuple[float, list] | None = None
    for size in range(len(usable) + 1):
        for group in combinations(usable, size):
            ok = all(sum(1 for c in group if name in c.classes) >= need
                     for name, need in inst.min_coverage)
            if not ok or _round_end(inst, list(group)) > inst.deadline + slack:
                continue
            value = sum(c.weight for c in group)
            if best is None or value > best[0]:
                best = (value, list(group))
    if best is None:
        return Status.INFEASIBLE, None
    group = best[1]
    ready = {c.id: (c.update_time if inst.download == "broadcast"
                    else c.download_time + c.update_time) for c in group}
    ordered = sorted(group, key=lambda c: ready[c.id])
    return Status.OPTIMAL, Solution(tuple(c.id for c in ordered))
