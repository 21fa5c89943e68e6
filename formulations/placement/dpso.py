"""Discrete particle swarm optimisation (Du et al. style).

Du et al. (ICWS 2020, as best identified: data placement for workflows / shared datasets
at the edge) use a discrete PSO whose velocity update is realised by genetic operators; we
implement that family of DPSO for the GAP view of the model:

* a particle is an assignment vector (block -> server, or the unplaced pseudo-server);
* update of each particle, per block: with probability ``c1`` take the personal best's
  server (cognitive crossover), else with probability ``c2`` the global best's (social
  crossover), else keep the current one (inertia); then each block mutates to a random
  allowed server with probability ``mutation`` (velocity);
* infeasible particles are repaired (blocks moved off overloaded servers, cheapest first)
  and, as in most DPSO variants for assignment, improved by one shift/swap descent
  (``local_search=True``);
* stop: ``iterations`` swarm updates (default 100), ``patience`` updates without a new
  global best (default 30), the time limit, or reaching the LP bound.

Swarm of ``particles`` (default 20) seeded with the regret greedy and random repaired
assignments. Same seed, same answer.
"""

from __future__ import annotations

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput

from .core import (
    finish,
    is_feasible,
    local_search,
    lp_bound,
    repair,
    start_search,
    total_cost,
)
from .greedy import construct
from .model import Instance


def dpso(inst: Instance, ctx: SolveContext, *, particles: int = 20, iterations: int = 100,
         c1: float = 0.3, c2: float = 0.3, mutation: float | None = None,
         local_search_rounds: int = 3, patience: int = 30,
         bound: bool = True) -> MethodOutput:
    """Discrete PSO with crossover/mutation velocity and repair."""
    start = start_search(inst, ctx, "dpso")
    if isinstance(start, MethodOutput):
        return start
    g, ctx = start
    n = g.n
    lb = lp_bound(inst, ctx)[0] if bound else None
    rng = np.random.default_rng(ctx.seed)
    mutation = 1.0 / max(n, 1) if mutation is None else mutation
    allowed_rows = [np.flatnonzero(g.allowed[:, j]) for j in range(n)]

    def random_assign() -> np.ndarray:
        return np.array([rng.choice(r) for r in allowed_rows], dtype=np.int64)

    def polish(a: np.ndarray | None) -> np.ndarray | None:
        if a is None:
            return None
        if not is_feasible(g, a):
            a = repair(g, a)
            if a is None:
                return None
        if local_search_rounds:
            a = local_search(g, a, ctx, max_rounds=local_search_rounds)
        return a

    swarm: list[np.ndarray | None] = [polish(construct(inst, g, "regret"))]
    while len(swarm) < particles and not ctx.out_of_time():
        swarm.append(polish(random_assign()))
    value = [total_cost(g, a) if a is not None else np.inf for a in swarm]
    pbest = [None if a is None else a.copy() for a in swarm]
    pval = list(value)
    gi = int(np.argmin(pval))
    gbest, gval = (None if pbest[gi] is None else pbest[gi].copy()), pval[gi]
    it = stale = 0
    while it < iterations:
        if ctx.out_of_time() or (lb is not None and gval <= lb + 1e-9) or stale >= patience:
            break
        it += 1
        stale += 1
        for p in range(len(swarm)):
            if ctx.out_of_time():
                break
            cur = swarm[p] if swarm[p] is not None else random_assign()
            new = cur.copy()
            r = rng.random(n)
            if pbest[p] is not None:
                take = r < c1
                new[take] = pbest[p][take]
            if gbest is not None:
                take = (r >= c1) & (r < c1 + c2)
                new[take] = gbest[take]
            for j in np.flatnonzero(rng.random(n) < mutation):
                new[j] = rng.choice(allowed_rows[j])
            new = polish(new)
            swarm[p] = new
            if new is None:
                continue
            v = total_cost(g, new)
            if v < pval[p] - 1e-12:
                pbest[p], pval[p] = new.copy(), v
            if v < gval - 1e-12:
                gbest, gval, stale = new.copy(), v, 0
            if ctx.out_of_time():
                break
    return finish(g, gbest, lb, {"iterations": it, "particles": len(swarm)}, ctx)
