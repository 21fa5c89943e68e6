"""Movable tasks (Du et al. style shared data): the generalized quadratic assignment case.

When tasks may run at one of several ``candidates`` sites, the response time of task
``t`` reading block ``j`` depends on the pair (server ``i`` holding ``j``, site ``k`` of
``t``): ``rate_t * (8 s_j / bandwidth[i][k] + s_j * cycles_per_byte_t / speed_k)`` (0
transfer when ``i = k``; the cloud link when ``j`` is unplaced). This module computes those
pair costs on the method side (the evaluator recomputes them independently) and provides:

* :func:`milp_gqap` — the exact linearised MILP (HiGHS): binaries ``x_ij``, ``y_tk``,
  continuous ``z_tjik >= 0`` with ``sum_k z_tjik = x_ij`` and ``sum_i z_tjik = y_tk``
  (for binary ``x``, ``y`` these force ``z = x y``; the LP relaxation is the strong
  Adams–Johnson-type one). Sum objective only.
* :func:`alternating` — wraps a fixed-site heuristic: place blocks with the tasks where
  they are, move each task to its best site for that placement, re-place, ... until the
  sites stop changing (block-coordinate descent; at most ``max_alternations`` rounds).
  No bound is reported (the fixed-site LP bound is not valid once tasks move).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import InvalidOptionError
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status

from .core import highs_without_solution, infeasibility, infeasible_output
from .model import Instance, Solution


@dataclass(frozen=True)
class PairCosts:
    """Method-side cost pieces of a movable-task instance.

    ``rows`` are the servers plus, with ``allow_unplaced``, the cloud (index ``m``).
    ``replacement[i, j]`` is the replacement cost (0 in the cloud row); ``reads[t]`` maps
    each block task ``t`` reads to its multiplicity; ``sites[t]`` lists the sites task ``t``
    may use; ``pair(t, j, i, k)`` is the response time of those reads.
    """

    inst: Instance
    replacement: np.ndarray
    reads: list[Counter]
    sites: list[list[int]]

    def pair(self, t: int, j: int, i: int, k: int) -> float:
        """Response time of task ``t``'s reads of block ``j`` from row ``i`` at site ``k``."""
        spec = self.inst.spec
        task = spec.tasks[t]
        size = float(spec.blocks[j].size or 0)
        m = len(spec.servers)
        if size == 0 or task.rate == 0:
            fetch = 0.0
        elif i == m:
            fetch = 8.0 * size / spec.cloud_bandwidth[k]
        elif i == k:
            fetch = 0.0
        else:
            fetch = 8.0 * size / spec.bandwidth[i][k]
        compute = 0.0
        if task.cycles_per_byte > 0:
            compute = size * task.cycles_per_byte / spec.servers[k].speed
        return self.reads[t][j] * task.rate * (fetch + compute)


def pair_costs(inst: Instance) -> PairCosts:
    """The pieces of the quadratic cost."""
    spec = inst.spec
    m, n = inst.m, inst.n
    rows = m + (1 if spec.allow_unplaced else 0)
    rep = np.zeros((rows, n))
    w = spec.replacement_weight
    for j, b in enumerate(spec.blocks):
        bits = 8.0 * float(b.size or 0)
        if w <= 0 or bits == 0:
            continue
        for i in range(m):
            if b.origin is None:
                rep[i, j] = w * bits / spec.cloud_bandwidth[i]
            elif b.origin != i:
                rep[i, j] = w * bits / spec.bandwidth[b.origin][i]
    reads = [Counter(t.blocks) for t in spec.tasks or []]
    sites = [sorted({t.site, *(t.candidates or [])}) for t in spec.tasks or []]
    return PairCosts(inst, rep, reads, sites)


def best_sites(pc: PairCosts, assign: tuple[int | None, ...]) -> tuple[int, ...]:
    """Each task's cheapest allowed site for a fixed block placement (current site on ties)."""
    m = pc.inst.m
    out = []
    for t, options in enumerate(pc.sites):
        current = pc.inst.spec.tasks[t].site
        def total(k: int, t: int = t) -> float:
            return sum(pc.pair(t, j, m if assign[j] is None else assign[j], k)
                       for j in pc.reads[t])
        out.append(min(options, key=lambda k: (total(k), k != current, k)))
    return tuple(out)


def value(pc: PairCosts, assign: tuple[int | None, ...], sites: tuple[int, ...]) -> float:
    """Method-side total cost of a placement with task sites."""
    m = pc.inst.m
    total = sum(pc.replacement[m if a is None else a, j] for j, a in enumerate(assign))
    for t, k in enumerate(sites):
        total += sum(pc.pair(t, j, m if assign[j] is None else assign[j], k)
                     for j in pc.reads[t])
    return float(total)


def milp_gqap(inst: Instance, ctx: SolveContext) -> MethodOutput:
    """Exact linearised MILP of the movable-task model (sum objective)."""
    from edgeopt_solve.backends.highs import new_highs, run_highs

    if inst.mode != "sum":
        raise InvalidOptionError("movable tasks are supported with objective 'sum' only",
                                 field="objective")
    reason = infeasibility(inst)
    if reason:
        return infeasible_output(reason)
    pc = pair_costs(inst)
    m, n = inst.m, inst.n
    unplaced = inst.spec.allow_unplaced
    cost: list[float] = []
    integer: list[int] = []
    rows_lb: list[float] = []
    rows_ub: list[float] = []
    rows: list[tuple[list[int], list[float]]] = []
    x: dict[tuple[int, int], int] = {}

    def col(c: float, is_int: bool) -> int:
        cost.append(c)
        if is_int:
            integer.append(len(cost) - 1)
        return len(cost) - 1

    for j in range(n):
        for i in range(m):
            if inst.weight[i][j] <= inst.capacity[i]:
                x[i, j] = col(float(pc.replacement[i, j]), True)
        if unplaced:
            x[m, j] = col(0.0, True)
        idx = [x[i, j] for i in range(m + 1) if (i, j) in x]
        rows.append((idx, [1.0] * len(idx)))
        rows_lb.append(1.0)
        rows_ub.append(1.0)
    for i in range(m):
        idx = [x[i, j] for j in range(n) if (i, j) in x]
        rows.append((idx, [float(inst.weight[i][j]) for j in range(n) if (i, j) in x]))
        rows_lb.append(-np.inf)
        rows_ub.append(float(inst.capacity[i]))
    y: dict[tuple[int, int], int] = {}
    for t, options in enumerate(pc.sites):
        for k in options:
            y[t, k] = col(0.0, True)
        idx = [y[t, k] for k in options]
        rows.append((idx, [1.0] * len(idx)))
        rows_lb.append(1.0)
        rows_ub.append(1.0)
        for j in pc.reads[t]:
            held = [i for i in range(m + 1) if (i, j) in x]
            z = {(i, k): col(pc.pair(t, j, i, k), False) for i in held for k in options}
            for i in held:   # sum_k z = x_ij
                rows.append(([z[i, k] for k in options] + [x[i, j]],
                             [1.0] * len(options) + [-1.0]))
                rows_lb.append(0.0)
                rows_ub.append(0.0)
            for k in options:   # sum_i z = y_tk
                rows.append(([z[i, k] for i in held] + [y[t, k]], [1.0] * len(held) + [-1.0]))
                rows_lb.append(0.0)
                rows_ub.append(0.0)
    h = new_highs(ctx)
    nc = len(cost)
    h.addCols(nc, np.array(cost), np.zeros(nc), np.ones(nc), 0, np.zeros(0, np.int32),
              np.zeros(0, np.int32), np.zeros(0))
    if integer:
        h.changeColsIntegrality(len(integer), np.array(integer, dtype=np.int32),
                                np.ones(len(integer), dtype=np.uint8))
    starts = np.cumsum([0] + [len(r[0]) for r in rows[:-1]]).astype(np.int32)
    index = np.array([i for r in rows for i in r[0]], dtype=np.int32)
    vals = np.array([v for r in rows for v in r[1]], dtype=float)
    h.addRows(len(rows), np.array(rows_lb), np.array(rows_ub), index.size, starts, index, vals)
    run = run_highs(h, ctx)
    stats = {"variables": nc, "rows": len(rows), "native_status": run.native_status,
             "model": "linearised GQAP"}
    unsolved = highs_without_solution(run, stats)
    if unsolved is not None:
        return unsolved
    v = np.asarray(h.getSolution().col_value)
    assign: list[int | None] = []
    for j in range(n):
        held = [i for i in range(m + 1) if (i, j) in x]
        i = max(held, key=lambda i: v[x[i, j]])
        assign.append(None if i == m else i)
    sites = tuple(max(options, key=lambda k, t=t: v[y[t, k]])
                  for t, options in enumerate(pc.sites))
    bound = run.bound
    if bound is not None and run.objective is not None:
        bound = min(bound, run.objective)
    return MethodOutput(run.status, Solution(tuple(assign), sites), bound=bound,
                        limit=run.limit, backend="highs", solver_versions=run.versions,
                        stats=stats)


def alternating(func: Callable[..., MethodOutput], *, max_alternations: int = 6
                ) -> Callable[..., MethodOutput]:
    """Wrap a fixed-site heuristic so that it also moves tasks (see the module docstring)."""

    def run(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
        if not inst.movable:
            return func(inst, ctx, **options)
        pc = pair_costs(inst)
        sites = inst.sites_of()
        best: tuple[tuple[int | None, ...], tuple[int, ...]] | None = None
        best_v = np.inf
        last: MethodOutput | None = None
        rounds = 0
        while rounds < max_alternations:
            rounds += 1
            last = func(inst.with_sites(sites), ctx, **options)
            if not last.status.has_solution:
                break
            assign = last.solution.assignment
            new_sites = best_sites(pc, assign)
            v = value(pc, assign, new_sites)
            if v < best_v - 1e-12 * max(1.0, abs(v)):
                best, best_v = (assign, new_sites), v
            if new_sites == sites or ctx.out_of_time():
                break
            sites = new_sites
        if best is None:
            assert last is not None
            return MethodOutput(last.status, limit=last.limit, message=last.message,
                                backend=last.backend, stats=dict(last.stats))
        stats = {**dict(last.stats if last else {}), "alternations": rounds}
        return MethodOutput(Status.FEASIBLE, Solution(best[0], best[1]), bound=None,
                            backend=last.backend if last else "python", stats=stats,
                            solver_versions=dict(last.solver_versions) if last else {})

    run.__doc__ = func.__doc__
    run.__name__ = getattr(func, "__name__", "alternating")
    return run


def fixed_sites_only(func: Callable[..., MethodOutput], name: str
                     ) -> Callable[..., MethodOutput]:
    """Wrap an exact fixed-site method so that it refuses movable tasks."""

    def run(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
        if inst.movable:
            raise InvalidOptionError(f"method {name!r} handles fixed task sites only; use milp "
                                     "(exact) or a heuristic for movable tasks", field="method")
        return func(inst, ctx, **options)

    run.__doc__ = func.__doc__
    run.__name__ = getattr(func, "__name__", name)
    return run
