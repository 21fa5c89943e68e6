"""The ``exact`` method: the fastest exact algorithm that applies to the instance.

* equal weights, no ``min_coverage``: threshold Moore–Hodgson (:mod:`.exact_mh`),
  polynomial;
* unequal integer weights with a small DP table (``n W <= 2e7`` cells and
  ``thresholds x n W <= 3e8`` updates), no ``min_coverage``: the weight-indexed DP
  (:mod:`.exact_dp`);
* otherwise (real weights, large weights, coverage constraints): the compact MILP
  (:mod:`.exact_milp`).

``Result.stats["algorithm"]`` says which one ran.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput

from .common import has_coverage
from .exact_dp import solve_dp
from .exact_mh import solve_exact_mh
from .exact_milp import solve_milp
from .model import Instance

DP_MAX_CELLS = 2e7
DP_MAX_WORK = 3e8


def solve_exact(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Dispatch to Moore–Hodgson, the DP or the MILP (see the module docstring)."""
    if has_coverage(inst):
        out = solve_milp(inst, ctx, **options)
        out.stats["algorithm"] = "milp"
        return out
    if not inst.weighted:
        return solve_exact_mh(inst, ctx, **options)
    w = np.asarray([c.weight for c in inst.clients])
    thresholds = len({c.download_time for c in inst.clients}) if inst.download == "broadcast" \
        else 1
    cells = len(w) * (w.sum() + 1)
    if (np.all(w == np.round(w)) and cells <= DP_MAX_CELLS
            and cells * thresholds <= DP_MAX_WORK and not options):
        return solve_dp(inst, ctx)
    out = solve_milp(inst, ctx, **options)
    out.stats["algorithm"] = "milp"
    return out
