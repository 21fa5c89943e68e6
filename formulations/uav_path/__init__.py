"""UAV data-collection tours: where to hover, in which order, how fast to fly.

A rotary-wing UAV leaves its base, hovers once at every hovering point to collect the
data of the IoT devices in range, and returns (Cao et al., as surveyed: cluster the
devices, hover once per cluster, order the visits by ant colony optimisation minimising
energy). The objective is the mission energy in joules, flight ``sum P(V)·L/V`` plus
hovering ``P(0)·data/rate``, with the rotary-wing power model of Zeng, Xu, Zhang
(IEEE TWC 2019), under an optional battery and deadline — or, for TSPLIB imports, the
plain tour length with TSPLIB EUC_2D rounding. See :mod:`.model` for the full model
and :mod:`.graph` for why the shortest tour is the energy-minimal one.

Methods: ``exact`` (DFJ MILP on HiGHS with lazy subtour cuts, LP bound and
reduced-cost fixing), ``ils`` (our 2-opt + Or-opt iterated local search), ``nn-2opt``,
``aco`` (Ant Colony System baseline) and ``routing`` (OR-Tools guided local search).
Hovering points can be derived from devices with :mod:`.clustering` (k-means, or the
fewest points covering every device by a set-cover MILP); :mod:`.speed_control` sets
fair per-cluster speeds under an energy budget (Li et al., bisection with a
monotonicity check); :mod:`.multi_uav` splits the points among several UAVs with a
battery each (OR-Tools routing).
"""

from __future__ import annotations

import sys
from typing import Any

from edgeopt_solve.protocol import Method, run_method
from edgeopt_solve.result import Result
from formulations.uav_path.aco import aco
from formulations.uav_path.brute import brute_force
from formulations.uav_path.evaluate import objective, verify
from formulations.uav_path.exact_milp import exact
from formulations.uav_path.generate import generate
from formulations.uav_path.heuristics import iterated_local_search, nn_two_opt
from formulations.uav_path.io_tsplib import read_tsplib
from formulations.uav_path.model import Device, Instance, Solution
from formulations.uav_path.plot import plot
from formulations.uav_path.routing import routing

NAME = "uav_path"
SENSE = "min"
DEFAULT_METHOD = "exact"

METHODS: dict[str, Method] = {
    "exact": Method(exact, True,
                    "Dantzig, Fulkerson, Johnson 1954 (DFJ subtour cuts, lazily); HiGHS",
                    "TSP MILP with lazy subtour cuts, LP bound and reduced-cost fixing"),
    "ils": Method(iterated_local_search, False,
                  "Lourenco, Martin, Stuetzle 2003 (ILS); Croes 1958 (2-opt); Or 1976",
                  "our best: 2-opt + Or-opt with neighbour lists and double-bridge kicks"),
    "nn-2opt": Method(nn_two_opt, False,
                      "Rosenkrantz, Stearns, Lewis 1977; Croes 1958; Or 1976",
                      "nearest neighbour, then 2-opt + Or-opt"),
    "aco": Method(aco, False,
                  "Dorigo, Gambardella 1997 (Ant Colony System), as used by Cao et al.",
                  "published baseline: ant colony system, 10 ants, beta 2, q0 0.9"),
    "routing": Method(routing, False,
                      "OR-Tools routing, guided local search (Voudouris, Tsang 1999)",
                      "general solver: OR-Tools GLS with a time limit"),
}

FORMATS = {"tsplib": read_tsplib}


def solve(inst: Instance, method: str = DEFAULT_METHOD, *, time_limit: float | None = None,
          seed: int = 0, **options: Any) -> Result:
    """Solve ``inst`` with ``method``; the answer is verified and re-evaluated."""
    return run_method(sys.modules[__name__], inst, method, time_limit=time_limit, seed=seed,
                      **options)


__all__ = [
    "DEFAULT_METHOD", "FORMATS", "METHODS", "NAME", "SENSE", "Device", "Instance", "Solution",
    "brute_force", "generate", "objective", "plot", "solve", "verify",
]
