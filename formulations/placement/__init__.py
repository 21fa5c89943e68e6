"""Edge data placement: where to cache data blocks on storage-limited edge servers.

Sources: Li, Bai and Tang, "Joint optimization of data placement and scheduling for
improving user experience in edge computing", J. Parallel Distrib. Comput. 2019 (response
time + replacement cost, tabu search); Du et al., ICWS 2020 as best identified (discrete
PSO); Xie et al. (load-balanced relocation among edge data repositories, min-max objective).
With the task sites fixed the model is a generalized assignment problem (GAP): see
:mod:`formulations.placement.model` for variables, objective, constraints and units.

Methods: ``milp`` (HiGHS, default), ``cpsat`` (OR-Tools), ``knapsack-dp`` (exact DP),
``greedy``, ``tabu``, ``dpso`` and ``lns`` (our best heuristic, with the LP bound). With
movable tasks (``candidates``; Du et al.) ``milp`` solves the linearised generalized
quadratic assignment exactly, the heuristics alternate placement and task sites, and
``cpsat``/``knapsack-dp`` decline.
"""

from __future__ import annotations

import sys
from typing import Any

from edgeopt_solve.protocol import Method, run_method
from edgeopt_solve.result import Result

from .brute import brute_force
from .dpso import dpso
from .evaluate import objective, verify
from .exact_cpsat import cpsat
from .exact_dp import knapsack_dp
from .exact_milp import milp
from .generate import generate
from .greedy import greedy
from .io_orlib import read_orlib_gap
from .lns import lns
from .model import Instance, Solution
from .movable import alternating, fixed_sites_only
from .plot import plot
from .tabu import tabu

NAME = "placement"
SENSE = "min"
DEFAULT_METHOD = "milp"

METHODS: dict[str, Method] = {
    "milp": Method(milp, True,
                   "GAP MILP (Ross & Soland 1975); linearised GQAP for movable tasks; HiGHS",
                   "exact MILP with HiGHS (incumbent, bound and gap on a time limit)"),
    "cpsat": Method(fixed_sites_only(cpsat, "cpsat"), True, "GAP as a CP-SAT model (OR-Tools)",
                    "exact CP-SAT model (sum objective)"),
    "knapsack-dp": Method(fixed_sites_only(knapsack_dp, "knapsack-dp"), True,
                          "0-1 knapsack DP (Bellman 1957; Kellerer, Pferschy & Pisinger 2004)",
                          "exact DP: knapsack for one server, load-vector DP for small ones"),
    "greedy": Method(alternating(greedy), False,
                     "Martello & Toth 1981 regret greedy; Xie et al. load-balanced greedy",
                     "greedy construction (rule=regret|density|xie) with the LP bound"),
    "tabu": Method(alternating(tabu), False, "Li, Bai & Tang, JPDC 2019 (shift/swap tabu search)",
                   "shift/swap tabu search from the regret greedy"),
    "dpso": Method(alternating(dpso), False, "Du et al., ICWS 2020 (discrete particle swarm)",
                   "discrete PSO with crossover/mutation velocity and repair"),
    "lns": Method(alternating(lns), False,
                  "LNS (Danna et al. 2005) + oscillating tabu (Díaz & Fernández 2001)",
                  "our best: CP-SAT sub-GAP LNS + penalty tabu from an LP start, LP bound"),
}

FORMATS = {"orlib-gap": read_orlib_gap}


def solve(inst: Instance, method: str = DEFAULT_METHOD, *, time_limit: float | None = None,
          seed: int = 0, **options: Any) -> Result:
    """Solve ``inst`` with ``method`` and return the verified :class:`Result`."""
    return run_method(sys.modules[__name__], inst, method, time_limit=time_limit, seed=seed,
                      **options)


__all__ = [
    "DEFAULT_METHOD", "FORMATS", "METHODS", "NAME", "SENSE", "Instance", "Solution",
    "brute_force", "generate", "objective", "plot", "solve", "verify",
]
