"""FL client selection: FedCS (Nishio & Yonetani, ICC 2019) solved exactly and greedily.

Which clients take part in a federated-learning round when the model is broadcast, every
client trains locally and the updates share one upload channel before a deadline. The
model, units and side constraints are stated in :mod:`.model`.

Methods:

* ``exact`` (default): threshold enumeration x Moore–Hodgson by branch and bound,
  polynomial, proof in :mod:`.exact_mh`; weighted instances go to the DP or the MILP
  (:mod:`.exact`);
* ``fedcs``: the published greedy (Algorithm 2 of the paper, :mod:`.greedy`);
* ``milp``: compact no-big-M MILP with HiGHS; also handles ``min_coverage``;
* ``dp``: weighted exact, pseudo-polynomial in the total integer weight;
* ``greedy``: weighted baseline (FedCS rule with weight per added second).

Other client-selection models live in their own modules with their own functions, because
they are different models, not methods of this formulation: Oort's utility-guided
multi-round selection (Lai et al., OSDI 2021) as a simulation against random and
fastest-first selection (:mod:`.oort`); online budgeted selection with a secretary rule
against the offline optimum (Mohammed et al., IEEE IoT J 2021; :mod:`.online`); and the
hierarchical user-edge association by class distribution (Mhaisen et al., IEEE TNSE 2022)
with an exact MILP and a greedy + local-search heuristic (:mod:`.hierarchical`).
"""

from __future__ import annotations

import sys
from typing import Any

from edgeopt_solve.protocol import Method, run_method
from edgeopt_solve.result import Result

from .brute import brute_force
from .evaluate import objective, schedule, verify
from .exact import solve_exact
from .exact_dp import solve_dp
from .exact_milp import solve_milp
from .generate import generate
from .greedy import solve_fedcs, solve_greedy
from .model import Client, Instance, Solution
from .plot import plot

NAME = "client_selection"
SENSE = "max"
DEFAULT_METHOD = "exact"

_FEDCS = "Nishio & Yonetani, Client Selection for FL with Heterogeneous Resources, ICC 2019"

METHODS: dict[str, Method] = {
    "exact": Method(solve_exact, True,
                    "thresholds x Moore (1968) Moore–Hodgson; weighted: DP / MILP",
                    "exact polynomial selection (branch and bound over download thresholds)"),
    "fedcs": Method(solve_fedcs, False, _FEDCS + ", Algorithm 2",
                    "published greedy: add the client that lengthens the round least"),
    "milp": Method(solve_milp, True, "compact MILP (Jackson order, suffix sums), HiGHS",
                   "MILP cross-check; handles weights and min_coverage"),
    "dp": Method(solve_dp, True, "Lawler & Moore (1969) DP indexed by integer weight",
                 "weighted exact, pseudo-polynomial in the total weight"),
    "greedy": Method(solve_greedy, False, _FEDCS + " (weighted variant)",
                     "weighted baseline: best weight per added second"),
}


def solve(inst: Instance, method: str = DEFAULT_METHOD, *, time_limit: float | None = None,
          seed: int = 0, **options: Any) -> Result:
    """Solve ``inst`` with ``method`` and return the verified :class:`Result`."""
    return run_method(sys.modules[__name__], inst, method, time_limit=time_limit, seed=seed,
                      **options)


__all__ = [
    "DEFAULT_METHOD", "METHODS", "NAME", "SENSE", "Client", "Instance", "Solution",
    "brute_force", "generate", "objective", "plot", "schedule", "solve", "verify",
]
