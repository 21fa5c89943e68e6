"""Baselines of the kind Luo et al. (IEEE TWC 2020, Sec. VI) compare HFEL against.

Association baselines (resources then allocated optimally per edge server):

* ``greedy``: every device on its strongest reachable edge server (capacity-aware, by a
  maximum b-matching that tries the strongest first);
* ``random``: every device on a random reachable edge server (seeded, capacity-aware).

Resource baselines (on the ``greedy`` association):

* ``max-frequency``: every device computes at f_max, bandwidth and edge time optimal;
* ``uniform-bandwidth``: each edge server's bandwidth split equally, frequencies and edge
  time optimal.

The paper's exact benchmark list is not reproduced verbatim (it also pairs its own
association with reduced resource policies); these are the same ideas with the
cheapest association, so the tables show what each ingredient is worth.
"""

from __future__ import annotations

import random
from typing import Any

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.fl_hierarchical.association import infeasible_message
from formulations.fl_hierarchical.common import CostCache
from formulations.fl_hierarchical.hfel import initial
from formulations.fl_hierarchical.model import Instance


def _with_policy(inst: Instance, ctx: SolveContext, init: str, policy: str) -> MethodOutput:
    rng = random.Random(ctx.seed)
    assoc, placed = initial(inst, rng, init)
    if placed < inst.n:
        return MethodOutput(Status.INFEASIBLE, message=infeasible_message(inst, placed))
    cache = CostCache(inst, policy)
    return MethodOutput(Status.FEASIBLE, cache.solution(assoc),
                        stats={"policy": policy, "association": init})


def greedy(inst: Instance, ctx: SolveContext, **_: Any) -> MethodOutput:
    """Strongest-channel association, optimal resources."""
    return _with_policy(inst, ctx, "gain", "optimal")


def random_association(inst: Instance, ctx: SolveContext, **_: Any) -> MethodOutput:
    """Random association, optimal resources."""
    return _with_policy(inst, ctx, "random", "optimal")


def max_frequency(inst: Instance, ctx: SolveContext, **_: Any) -> MethodOutput:
    """Strongest-channel association, f = f_max, optimal bandwidth."""
    return _with_policy(inst, ctx, "gain", "max-frequency")


def uniform_bandwidth(inst: Instance, ctx: SolveContext, **_: Any) -> MethodOutput:
    """Strongest-channel association, equal bandwidth shares, optimal frequencies."""
    return _with_policy(inst, ctx, "gain", "uniform-bandwidth")
