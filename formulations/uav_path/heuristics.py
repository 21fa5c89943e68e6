"""Tour heuristics as methods: ``nn-2opt`` and ``ils`` (our best improver).

See :mod:`formulations.uav_path.local_search` for the algorithms and their sources.
"""

from __future__ import annotations

from typing import Any

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from formulations.uav_path import local_search
from formulations.uav_path.graph import (
    distance_matrix,
    infeasible_output,
    one_tree_bound,
    range_problem,
    tour_output,
    trivial_cycle,
)
from formulations.uav_path.model import Instance


def nn_two_opt(inst: Instance, ctx: SolveContext, *, neighbours: int = 10,
               **_: Any) -> MethodOutput:
    """Nearest neighbour from the base, then 2-opt + Or-opt to a local optimum."""
    reason = range_problem(inst)
    if reason:
        return infeasible_output(reason)
    trivial = trivial_cycle(inst)
    if trivial is not None:
        return tour_output(inst, ctx, trivial, backend="python")
    d = distance_matrix(inst)
    cycle = local_search.improve(d, local_search.nearest_neighbour(d), k=int(neighbours),
                                 stop=ctx.out_of_time)
    return tour_output(inst, ctx, cycle, backend="python", limit=ctx.limit_hit())


def iterated_local_search(inst: Instance, ctx: SolveContext, *,
                          iterations: int | None = None, neighbours: int = 10,
                          window: int = 50, **_: Any) -> MethodOutput:
    """2-opt + Or-opt ILS with local double-bridge kicks (default ``100·n`` kicks).

    Reports the Held–Karp 1-tree bound (without multipliers) as a proven lower bound.
    """
    reason = range_problem(inst)
    if reason:
        return infeasible_output(reason)
    trivial = trivial_cycle(inst)
    if trivial is not None:
        return tour_output(inst, ctx, trivial, backend="python")
    d = distance_matrix(inst)
    n = d.shape[0]
    kicks = max(200, 100 * n) if iterations is None else int(iterations)
    cycle, done = local_search.ils(d, local_search.nearest_neighbour(d), seed=ctx.seed,
                                   iterations=kicks, stop=ctx.out_of_time,
                                   k=int(neighbours), window=int(window))
    return tour_output(inst, ctx, cycle, backend="python", limit=ctx.limit_hit(),
                       length_bound=one_tree_bound(d), stats={"kicks": done})
