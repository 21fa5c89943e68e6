"""Our best heuristic: CP-SAT large-neighbourhood search + oscillating tabu search.

The state of the art for the GAP combines a strong start, neighbourhoods that re-optimise
many blocks at once, search through infeasible space, and a bound to know when to stop
(Yagiura, Ibaraki and Glover's ejection chains with adaptive penalties; Díaz and
Fernández's oscillating tabu search, EJOR 2001; MIP-based LNS as in Danna, Rothberg and
Le Pape, Math. Program. 2005). Here:

1. **Bound and start.** Solve the LP relaxation (HiGHS): its value is the lower bound
   reported beside the answer. Start: the LP solution rounded (each block to its largest
   fraction) and repaired, or the Martello–Toth regret greedy if that fails, improved by
   shift/swap descent.
2. **Oscillation.** Every ``ts_every`` rounds, ``ts_iters`` moves of tabu search with
   adaptive overload penalties (:mod:`oscillation`) from the incumbent.
3. **Destroy and repair.** Free ``size`` blocks (drawn from a few random servers, or the
   blocks whose LP and incumbent servers differ, as in RINS, topped up at random), fix all
   other blocks, and solve the remaining small GAP exactly with single-worker CP-SAT
   (capacities reduced by the fixed blocks, incumbent as the hint, a deterministic work
   limit ``work``). Accept improvements.
4. **Adapt.** A sub-problem solved to optimality without improvement makes the next one
   larger; one stopped by the work limit makes it smaller.
5. **Stop** at the time limit, after ``max_rounds`` rounds or ``patience`` rounds without
   improvement, when the incumbent reaches the LP bound, or when a neighbourhood grown to
   every block was solved to optimality (the incumbent is then optimal; as a heuristic the
   method still reports FEASIBLE). All limits except the time limit count work, not
   seconds, so without a time limit the same seed gives the same answer.
"""

from __future__ import annotations

import time

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput

from .core import (
    Gap,
    finish,
    is_feasible,
    local_search,
    lp_bound,
    repair,
    start_search,
    total_cost,
)
from .exact_cpsat import cost_scale
from .exact_milp import assignment_from_x
from .greedy import construct
from .model import Instance
from .oscillation import oscillating_tabu


def _sub_gap(g: Gap, best: np.ndarray, free: np.ndarray) -> Gap:
    """The GAP over the ``free`` blocks with capacities reduced by the fixed ones."""
    fixed = np.ones(g.n, dtype=bool)
    fixed[free] = False
    used = np.bincount(best[fixed], weights=g.weight[best[fixed], np.flatnonzero(fixed)],
                       minlength=g.k).astype(np.int64)
    cap = g.capacity - used
    w = g.weight[:, free]
    allowed = g.allowed[:, free] & (w <= cap[:, None])
    cost = np.where(allowed, g.cost[:, free], np.inf)
    return Gap(cost, w, cap, allowed, g.m, g.has_dummy)


def _solve_sub(sub: Gap, start: np.ndarray, ctx: SolveContext,
               work: float) -> tuple[np.ndarray | None, bool]:
    """Exact sub-GAP with single-worker CP-SAT (deterministic ``work`` limit).

    Costs are scaled to integers as in :mod:`exact_cpsat`; the caller re-evaluates the
    true cost, so rounding can only make a sub-problem less useful, never wrong.
    Returns (assignment or None, proved optimal).
    """
    from edgeopt_solve.backends.cpsat import cp_model

    cpm = cp_model()
    model = cpm.CpModel()
    scale = cost_scale(sub.cost[sub.allowed])
    x: dict[tuple[int, int], object] = {}
    for j in range(sub.n):
        lits = []
        for i in np.flatnonzero(sub.allowed[:, j]):
            v = model.NewBoolVar("")
            x[int(i), j] = v
            lits.append(v)
            model.AddHint(v, int(start[j] == i))
        model.AddExactlyOne(lits)
    for i in range(sub.m):
        terms = [(x[i, j], int(sub.weight[i, j])) for j in range(sub.n) if (i, j) in x]
        if terms and sum(w for _, w in terms) > sub.capacity[i]:
            model.Add(sum(w * v for v, w in terms) <= int(sub.capacity[i]))
    model.Minimize(sum(round(sub.cost[i, j] * scale) * v for (i, j), v in x.items()))
    solver = cpm.CpSolver()
    solver.parameters.num_workers = 1
    solver.parameters.random_seed = int(ctx.seed) % (2**31 - 1)
    solver.parameters.max_deterministic_time = work
    remaining = ctx.remaining()
    if remaining is not None:
        solver.parameters.max_time_in_seconds = max(remaining, 1e-3)
    unregister = ctx.stop.on_stop(solver.stop_search)
    try:
        status = solver.solve(model)
    finally:
        unregister()
    if status not in (cpm.OPTIMAL, cpm.FEASIBLE):
        return None, False
    got = np.zeros(sub.n, dtype=np.int64)
    for (i, j), v in x.items():
        if solver.Value(v):
            got[j] = i
    return got, status == cpm.OPTIMAL


def lns(inst: Instance, ctx: SolveContext, *, max_rounds: int = 400, patience: int = 150,
        work: float = 0.05, start_blocks: int = 24, ts_iters: int = 150,
        ts_every: int = 4) -> MethodOutput:
    """CP-SAT large-neighbourhood search (see the module docstring)."""
    start = start_search(inst, ctx, "lns")
    if isinstance(start, MethodOutput):
        return start
    g, ctx = start
    lb, xlp = lp_bound(inst, ctx)
    rng = np.random.default_rng(ctx.seed)
    starts = [] if xlp is None else [repair(g, assignment_from_x(xlp))]
    if not starts or starts[0] is None:
        starts.append(construct(inst, g, "regret"))
    best, best_v = None, np.inf
    for a in starts:
        if a is None or not is_feasible(g, a):
            continue
        a = local_search(g, a, ctx)
        v = total_cost(g, a)
        if v < best_v:
            best, best_v = a, v
    stats: dict[str, object] = {"rounds": 0, "improvements": 0}
    if best is None or g.n == 0:
        return finish(g, best, lb, stats, ctx, backend="cp-sat")
    size = min(start_blocks, g.n)
    lp_rows = None if xlp is None else assignment_from_x(xlp)
    stale = 0
    while not ctx.out_of_time() and stats["rounds"] < max_rounds and stale < patience:
        if lb is not None and best_v <= lb + 1e-9 * max(1.0, abs(lb)):
            break
        stats["rounds"] += 1
        if ts_iters and stats["rounds"] % ts_every == 1:
            a, v, moves = oscillating_tabu(g, best, ctx, rng, iterations=ts_iters, lower=lb)
            stats["tabu_moves"] = int(stats.get("tabu_moves", 0)) + moves
            if v < best_v - 1e-9 * max(1.0, abs(best_v)):
                best, best_v = a, v
                stats["improvements"] += 1
                stale = 0
        free = _neighbourhood(g, best, lp_rows, size, rng)
        sub_ctx = SolveContext(time_limit=ctx.remaining(), seed=int(rng.integers(2**31 - 1)),
                               stop=ctx.stop, started=time.perf_counter())
        got, proved = _solve_sub(_sub_gap(g, best, free), best[free], sub_ctx, work)
        improved = False
        if got is not None:
            cand = best.copy()
            cand[free] = got
            v = total_cost(g, cand)
            if v < best_v - 1e-9 * max(1.0, abs(best_v)) and is_feasible(g, cand):
                best, best_v, improved = cand, v, True
                stats["improvements"] += 1
        stale = 0 if improved else stale + 1
        if proved and free.size == g.n:
            stats["proved_optimal"] = True
            break
        if proved and not improved:
            size = min(size + max(2, size // 8), g.n)
        elif not proved:
            size = max(8, size - max(2, size // 8))
    stats["final_size"] = size
    return finish(g, best, lb, stats, ctx, backend="cp-sat")


def _neighbourhood(g: Gap, best: np.ndarray, lp_rows: np.ndarray | None, size: int,
                   rng: np.random.Generator) -> np.ndarray:
    """Blocks to free: ``size`` of them from a few servers, or around LP disagreements."""
    if lp_rows is not None and rng.random() < 0.2:
        diff = np.flatnonzero(lp_rows != best)
        if 0 < diff.size < size:
            rest = np.setdiff1d(np.arange(g.n), diff)
            extra = rng.choice(rest, size=min(rest.size, size - diff.size), replace=False)
            return np.union1d(diff, extra)
    order = rng.permutation(g.k)
    chosen: list[int] = []
    pool = np.zeros(0, dtype=np.int64)
    for i in order:
        chosen.append(int(i))
        pool = np.flatnonzero(np.isin(best, chosen))
        if pool.size >= size and len(chosen) >= 2:
            break
    if pool.size > size:
        pool = np.sort(rng.choice(pool, size=size, replace=False))
    return pool
