"""Ant Colony System — the published baseline for ordering hovering points.

Cao et al. (as surveyed in the edge-intelligence UAV literature) cluster the devices and
order the hovering points by ant colony optimisation minimising UAV energy. The survey
does not state the colony's parameters, so this is the standard Ant Colony System of
Dorigo & Gambardella, "Ant Colony System: A Cooperative Learning Approach to the
Traveling Salesman Problem", IEEE Trans. Evol. Comput. 1(1), 1997, with that paper's
parameters and *without* local search (as a baseline):

* ``m = 10`` ants, heuristic ``eta = 1/d``, ``beta = 2``, exploitation ``q0 = 0.9``;
* local pheromone update ``tau <- (1 - xi)·tau + xi·tau0`` on each traversed edge,
  ``xi = 0.1``; global update on the best-so-far tour only,
  ``tau <- (1 - rho)·tau + rho/L_best``, ``rho = 0.1``; ``tau0 = 1/(n·L_nn)``;
* candidate lists are not used (every unvisited node is a candidate).

Energy is ``a·L + const`` for a fixed speed plan, so minimising length minimises energy.
The colony runs ``iterations`` iterations (default 200) or until the time limit.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from formulations.uav_path import local_search
from formulations.uav_path.graph import (
    cycle_length,
    distance_matrix,
    infeasible_output,
    range_problem,
    tour_output,
    trivial_cycle,
)
from formulations.uav_path.model import Instance

PARAMETERS = {"ants": 10, "beta": 2.0, "q0": 0.9, "rho": 0.1, "xi": 0.1}


def ant_colony(d: np.ndarray, *, seed: int, iterations: int, stop: Any, ants: int = 10,
               beta: float = 2.0, q0: float = 0.9, rho: float = 0.1,
               xi: float = 0.1) -> tuple[list[int], int]:
    """ACS tour; returns the best cycle and the iterations run."""
    n = d.shape[0]
    rng = np.random.default_rng(seed)
    nn = local_search.nearest_neighbour(d)
    best, best_len = nn, cycle_length(d, nn)
    tau0 = 1.0 / (n * max(best_len, 1e-12))
    tau = np.full((n, n), tau0)
    with np.errstate(divide="ignore"):
        eta = np.where(d > 0, 1.0 / np.where(d > 0, d, 1.0), 1e12) ** beta
    np.fill_diagonal(eta, 0.0)
    rows = np.arange(ants)
    done = 0
    while done < iterations and not stop():
        done += 1
        cur = rng.integers(0, n, size=ants)
        start = cur.copy()
        visited = np.zeros((ants, n), dtype=bool)
        visited[rows, cur] = True
        tours = np.empty((ants, n), dtype=np.int64)
        tours[:, 0] = cur
        for step in range(1, n):
            w = tau[cur] * eta[cur]
            w[visited] = 0.0
            greedy = np.argmax(w, axis=1)
            cum = np.cumsum(w, axis=1)
            total = cum[:, -1]
            r = rng.random(ants) * total
            roulette = np.minimum((cum < r[:, None]).sum(axis=1), n - 1)
            explore = rng.random(ants) >= q0
            nxt = np.where(explore, roulette, greedy)
            bad = visited[rows, nxt] | (total <= 0)
            if bad.any():  # numerical corner: take any unvisited node
                for a in np.flatnonzero(bad):
                    nxt[a] = int(np.flatnonzero(~visited[a])[0])
            tau[cur, nxt] = (1 - xi) * tau[cur, nxt] + xi * tau0
            tau[nxt, cur] = tau[cur, nxt]
            visited[rows, nxt] = True
            tours[:, step] = nxt
            cur = nxt
        tau[cur, start] = (1 - xi) * tau[cur, start] + xi * tau0
        tau[start, cur] = tau[cur, start]
        lengths = d[tours, np.roll(tours, -1, axis=1)].sum(axis=1)
        k = int(np.argmin(lengths))
        if lengths[k] < best_len - 1e-9:
            best_len, best = float(lengths[k]), tours[k].tolist()
        b = np.asarray(best)
        nb = np.roll(b, -1)
        tau[b, nb] = (1 - rho) * tau[b, nb] + rho / max(best_len, 1e-12)  # all points may coincide
        tau[nb, b] = tau[b, nb]
    return best, done


def aco(inst: Instance, ctx: SolveContext, *, iterations: int = 200, **options: Any
        ) -> MethodOutput:
    """Order the hovering points by Ant Colony System (parameters in ``PARAMETERS``)."""
    reason = range_problem(inst)
    if reason:
        return infeasible_output(reason)
    trivial = trivial_cycle(inst)
    if trivial is not None:
        return tour_output(inst, ctx, trivial, backend="python")
    params = {**PARAMETERS, **{k: v for k, v in options.items() if k in PARAMETERS}}
    d = distance_matrix(inst)
    cycle, done = ant_colony(d, seed=ctx.seed, iterations=int(iterations),
                             stop=ctx.out_of_time, **params)
    return tour_output(inst, ctx, cycle, backend="python", limit=ctx.limit_hit(),
                       stats={"iterations": done, **params})
