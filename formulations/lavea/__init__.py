"""LAVEA: latency-aware task scheduling of offloaded video analytics at edge servers.

Clients offload tasks to edge servers; each task is uploaded, then computed, on the
server it is placed on (a two-machine permutation flow shop per server), or run on its
own client (or in an optional cloud). Decide placement and order to minimise makespan, total or weighted
completion time (seconds). See :mod:`formulations.lavea.model` for the exact model.

Sources: S. Yi, Z. Hao, Q. Zhang, Q. Zhang, W. Shi, Q. Li, "LAVEA: Latency-Aware Video
Analytics on Edge Computing Platform", ACM/IEEE SEC 2017 (Johnson ordering at the edge
node; STTF / SQLF / SSLF inter-edge placement); S. M. Johnson, "Optimal two- and
three-stage production schedules with setup times included", Naval Research Logistics
Quarterly 1(1):61-68, 1954. Online behaviour: :mod:`formulations.lavea.simulate`.
"""

from __future__ import annotations

import sys
from typing import Any

from edgeopt_solve.protocol import Method, run_method
from edgeopt_solve.result import Result
from formulations.lavea.brute import brute_force
from formulations.lavea.evaluate import objective, verify
from formulations.lavea.exact_cpsat import cpsat
from formulations.lavea.exact_milp import milp
from formulations.lavea.generate import generate
from formulations.lavea.improve import local_search
from formulations.lavea.model import Instance, Solution
from formulations.lavea.plot import plot
from formulations.lavea.policies import (
    cloud,
    dispatch_rules,
    fifo,
    johnson,
    local,
    sqlf,
    sslf,
    sttf,
)

NAME = "lavea"
SENSE = "min"
DEFAULT_METHOD = "cpsat"

_LAVEA = "Yi et al., LAVEA: Latency-aware Video Analytics on Edge Computing Platform, SEC 2017"

METHODS: dict[str, Method] = {
    "cpsat": Method(cpsat, True, "CP-SAT interval/no-overlap model; " + _LAVEA,
                    "exact assignment + sequencing (OR-Tools CP-SAT)"),
    "milp": Method(milp, True, "Disjunctive big-M MILP (Manne 1960) on HiGHS; " + _LAVEA,
                   "exact MILP with precedence variables (HiGHS)"),
    "johnson": Method(johnson, True, "Johnson, Naval Res. Logist. Q. 1(1):61-68, 1954",
                      "Johnson's rule; optimal (and OPTIMAL) only for F2||Cmax"),
    "sttf": Method(sttf, False, _LAVEA + " (STTF)", "shortest transmission time first"),
    "sqlf": Method(sqlf, False, _LAVEA + " (SQLF)", "shortest queue length first"),
    "sslf": Method(sslf, False, _LAVEA + " (SSLF)", "shortest scheduling latency first"),
    "dispatch": Method(dispatch_rules, False,
                       "Dispatching rules (Johnson on released set, FIFO, SPT, WSPT, ECT); "
                       "Pinedo, Scheduling, 2016",
                       "best of several list-scheduling rules"),
    "local_search": Method(local_search, False,
                           "Insertion/relocation local search from the dispatch schedule",
                           "first-improvement insertion and relocation moves"),
    "local": Method(local, False, _LAVEA + " (local-execution baseline)",
                    "every task on its client"),
    "fifo": Method(fifo, False, _LAVEA + " (FIFO offloading baseline)",
                   "all to the front server in arrival order"),
    "cloud": Method(cloud, False, _LAVEA + " (cloud-only baseline)",
                    "all to the instance's cloud in arrival order"),
}


def solve(inst: Instance, method: str = DEFAULT_METHOD, *, time_limit: float | None = None,
          seed: int = 0, **options: Any) -> Result:
    """Solve ``inst`` with ``method``; the answer is verified and re-evaluated."""
    return run_method(sys.modules[__name__], inst, method, time_limit=time_limit, seed=seed,
                      **options)


__all__ = [
    "DEFAULT_METHOD", "METHODS", "NAME", "SENSE", "Instance", "Solution", "brute_force",
    "generate", "objective", "plot", "solve", "verify",
]
