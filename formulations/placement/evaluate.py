"""Independent evaluator of a placement: objective and constraint check.

Shares no code with the methods: it reads the validated input (``inst.spec``) directly,
recomputing response times from tasks and bandwidths in the system form rather than using
the cost matrix the methods optimise, so a bug in deriving that matrix shows up here.
"""

from __future__ import annotations

from typing import Any

from edgeopt_solve.protocol import Violation


def _server_of(sol: Any, j: int, m: int) -> int | None:
    a = sol.assignment[j]
    if a is None:
        return None
    if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < m:
        raise ValueError(f"block {j}: {a!r} is not a server index")
    return a


def _storage(spec: Any, i: int, j: int) -> int:
    b = spec.blocks[j]
    return int(b.weight[i]) if b.weight is not None else int(b.size or 0)


def _block_cost_plain(spec: Any, j: int, i: int | None, sites: Any = None) -> float:
    b = spec.blocks[j]
    if i is None:
        return float(b.unplaced_penalty)
    return float(b.cost[i])


def _block_cost_system(spec: Any, j: int, i: int | None, sites: Any) -> float:
    """Response time of every task reading block ``j`` plus its replacement cost (s)."""
    b = spec.blocks[j]
    size = float(b.size or 0)
    total = 0.0
    for t, task in enumerate(spec.tasks):
        if j not in task.blocks:
            continue
        site = task.site if sites is None else sites[t]
        uses = task.blocks.count(j)
        speed = spec.servers[site].speed
        compute = size * task.cycles_per_byte / speed if task.cycles_per_byte > 0 else 0.0
        if i is None:
            fetch = 8.0 * size / spec.cloud_bandwidth[site] if size > 0 else 0.0
        elif i == site or size == 0:
            fetch = 0.0
        else:
            fetch = 8.0 * size / spec.bandwidth[i][site]
        total += uses * task.rate * (fetch + compute)
    if i is not None and spec.replacement_weight > 0 and size > 0:
        if b.origin is None:
            total += spec.replacement_weight * 8.0 * size / spec.cloud_bandwidth[i]
        elif b.origin != i:
            total += spec.replacement_weight * 8.0 * size / spec.bandwidth[b.origin][i]
    return total


def objective(inst: Any, sol: Any) -> float:
    """Total cost of a (verified) placement.

    Sum over blocks of the cost on the chosen server (or the unplaced penalty), with every
    task at ``sol.sites`` (or its current site), plus ``load_weight * max_i load_i /
    capacity_i`` in the min-max mode.
    """
    spec = inst.spec
    m, n = len(spec.servers), len(spec.blocks)
    per_block = _block_cost_system if spec.tasks is not None else _block_cost_plain
    total = 0.0
    load = [0] * m
    sites = getattr(sol, "sites", None)
    for j in range(n):
        i = _server_of(sol, j, m)
        total += per_block(spec, j, i, sites)
        if i is not None:
            load[i] += _storage(spec, i, j)
    if spec.objective == "minmax":
        util = [load[i] / spec.servers[i].capacity for i in range(m)
                if spec.servers[i].capacity > 0]
        total += spec.load_weight * max(util, default=0.0)
    return total


def verify(inst: Any, sol: Any, *, tol: float = 1e-6) -> list[Violation]:
    """Every violated constraint of ``sol`` ([] when feasible).

    Checks: one entry per block; each entry a server index or ``None`` (allowed only for a
    block with an unplaced option); each server's storage within its capacity; task sites
    (if given) one per task, each the task's current site or one of its candidates.
    """
    spec = inst.spec
    m, n = len(spec.servers), len(spec.blocks)
    out: list[Violation] = []
    assignment = getattr(sol, "assignment", None)
    if not isinstance(assignment, tuple | list):
        return [Violation("assignment", "solution has no assignment list")]
    if len(assignment) != n:
        return [Violation("assignment", f"{len(assignment)} entries for {n} blocks",
                          float(abs(len(assignment) - n)))]
    system = spec.tasks is not None
    out.extend(_check_sites(spec, getattr(sol, "sites", None)))
    load = [0] * m
    for j, a in enumerate(assignment):
        if a is None:
            allowed = spec.allow_unplaced if system else spec.blocks[j].unplaced_penalty is not None
            if not allowed:
                out.append(Violation(f"placed[block={j}]",
                                     "block is unplaced but must be placed exactly once", 1.0))
            continue
        if isinstance(a, bool) or not isinstance(a, int) or not 0 <= a < m:
            out.append(Violation(f"server[block={j}]", f"{a!r} is not a server in 0..{m - 1}"))
            continue
        load[a] += _storage(spec, a, j)
    for i in range(m):
        cap = spec.servers[i].capacity
        if load[i] > cap + tol * max(1.0, cap):
            out.append(Violation(f"capacity[server={i}]",
                                 f"stores {load[i]} bytes, capacity {cap}", float(load[i] - cap)))
    return out


def _check_sites(spec: Any, sites: Any) -> list[Violation]:
    """Task sites: one per task, each the task's current site or one of its candidates."""
    if sites is None:
        return []
    tasks = spec.tasks or []
    if not isinstance(sites, tuple | list) or len(sites) != len(tasks):
        size = len(sites) if isinstance(sites, tuple | list) else "no"
        return [Violation("sites", f"{size} sites for {len(tasks)} tasks")]
    out = []
    for t, (task, k) in enumerate(zip(tasks, sites, strict=True)):
        allowed = {task.site, *(task.candidates or [])}
        if k not in allowed:
            out.append(Violation(f"site[task={t}]",
                                 f"runs at {k!r}; allowed: {sorted(allowed)}"))
    return out
