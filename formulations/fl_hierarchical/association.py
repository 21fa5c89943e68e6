"""Feasible associations: every device on a reachable edge server within ``max_devices``.

A bipartite b-matching by augmenting paths (Kuhn's algorithm with capacities): devices are
inserted one by one, each trying its edge servers in its own preference order and, when
they are full, moving devices already placed along an augmenting path. The result is a
maximum matching, so when it leaves a device out no feasible association exists (proof).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

from formulations.fl_hierarchical.model import Instance


def capacity(inst: Instance, j: int) -> int:
    """Most devices edge j may serve."""
    cap = inst.edges[j].max_devices
    return inst.n if cap is None else cap


def match(inst: Instance, preference: Sequence[Sequence[int]],
          order: Sequence[int] | None = None) -> tuple[list[int], int]:
    """(association with -1 for unplaced devices, number placed) — a maximum b-matching.

    Parameters
    ----------
    preference
        For every device, its reachable edge servers, most preferred first.
    order
        Order in which devices are inserted (default 0..n-1).
    """
    n = inst.n
    caps = [capacity(inst, j) for j in range(inst.m)]
    assoc = [-1] * n
    members: list[list[int]] = [[] for _ in range(inst.m)]
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(max(limit, 4 * n + 100))
    try:
        placed = 0
        for i in (range(n) if order is None else order):
            if _augment(i, preference, caps, assoc, members, set()):
                placed += 1
    finally:
        sys.setrecursionlimit(limit)
    return assoc, placed


def _augment(i: int, pref: Sequence[Sequence[int]], caps: list[int], assoc: list[int],
             members: list[list[int]], seen: set[int]) -> bool:
    for j in pref[i]:
        if len(members[j]) < caps[j]:
            _place(i, j, assoc, members)
            return True
    for j in pref[i]:
        if j in seen:
            continue
        seen.add(j)
        for k in list(members[j]):
            if _augment(k, pref, caps, assoc, members, seen):
                # k moved away from j (to another edge): i takes its place
                _place(i, j, assoc, members)
                return True
    return False


def _place(i: int, j: int, assoc: list[int], members: list[list[int]]) -> None:
    old = assoc[i]
    if old >= 0:
        members[old].remove(i)
    assoc[i] = j
    members[j].append(i)


def by_gain(inst: Instance) -> list[list[int]]:
    """Reachable edge servers of every device, strongest channel first."""
    return [sorted(d.reachable(), key=lambda j, d=d: -(d.gains[j] or 0.0))
            for d in inst.devices]


def infeasible_message(inst: Instance, placed: int) -> str:
    """Why no association exists."""
    return (f"no association respects reachability and max_devices: at most {placed} of "
            f"{inst.n} devices can be placed (maximum bipartite b-matching)")
