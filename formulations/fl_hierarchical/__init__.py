"""Hierarchical federated edge learning: edge association and resource allocation (HFEL).

Source: S. Luo, X. Chen, Q. Wu, Z. Zhou, S. Yu, "HFEL: Joint Edge Association and Resource
Allocation for Cost-Efficient Hierarchical Federated Edge Learning", IEEE Trans. Wireless
Commun. 19(10):6535-6548, 2020.

Model (SI units). Devices i (c_i cycles/sample, D_i samples, f_i in (0, f_max_i], fixed
transmit power p_i, channel gain g_ij to the edge servers it can reach), edge servers j
(bandwidth B_j shared by FDMA, edge-to-cloud upload time T_cloud_j and energy E_cloud_j per
cloud round, optional max_devices), a cloud. Decisions: the association (one reachable edge
server per device), CPU frequencies f_i and bandwidths b_i. Per edge iteration (L local
iterations, a constant of the instance)::

    comp_i = L·c_i·D_i/f_i              E_comp_i = L·(alpha/2)·c_i·D_i·f_i²
    comm_i = s/(b_i·log2(1 + g_ij·p_i/(N0·b_i)))        E_comm_i = p_i·comm_i
    T_j = max_{i in S_j} (comp_i + comm_i)            E_j = sum_{i in S_j} (E_comp_i + E_comm_i)

and per cloud round (I edge iterations)::

    C_j = lambda_e·(I·E_j + E_cloud_j) + lambda_t·(I·T_j + T_cloud_j)   (0 when S_j is empty)
    minimise  sum_j C_j   s.t.  sum_{i in S_j} b_i <= B_j,  |S_j| <= max_devices_j.

Choices. (1) The cost is the paper's decomposition: each edge server's own weighted energy
plus delay, summed over edge servers. The global round time of HFEL is the maximum over edge
servers; that max would couple the edge servers and break the decomposition the paper's
algorithm relies on (its adjustments compare sums of per-edge costs, as read here; not
checked against the published PDF), so it is deliberately *not* used: the delay term of an
edge server is its own I·T_j + T_cloud_j. With this cost the association is a set-
partitioning problem over per-edge optimal costs C_j(S). (2) The channel is Shannon with
noise power N0·b_i (noise PSD times bandwidth), as in the shared system layer; the paper
writes the rate with a bandwidth-independent noise term. (3) Edge aggregation time and
energy are not modelled (they are constants per used edge server and could be folded into
the cloud terms). (4) lambda_e, lambda_t > 0 (with lambda_t = 0 the optimum is not
attained).

Methods: ``exact`` (set-partitioning MILP over all per-edge optimal column costs, HiGHS;
small instances), ``hfel`` (default: the paper's transfer/exchange adjustment algorithm),
``hfel-merge`` (ours: hfel plus moves of a whole edge group to another edge server),
baselines ``greedy``, ``random`` (association), ``max-frequency`` and
``uniform-bandwidth`` (resources). The inner per-edge convex problem is solved exactly by
:mod:`edge_alloc` (a joint 2-D Newton on the edge time and bandwidth price,
:mod:`edge_joint`, ~1 ms for 10 devices, with the nested monotone roots of
:mod:`edge_nested` as fallback); :mod:`convex` is a CVXPY cross-check. ``hfel`` skips
moves that exact lower bounds (:mod:`bounds`) show cannot improve.
"""

from __future__ import annotations

import sys
from typing import Any

from edgeopt_solve.protocol import Method, run_method
from edgeopt_solve.result import Result
from formulations.fl_hierarchical.baselines import (
    greedy,
    max_frequency,
    random_association,
    uniform_bandwidth,
)
from formulations.fl_hierarchical.evaluate import device_times, edge_costs, objective, verify
from formulations.fl_hierarchical.exact_milp import exact
from formulations.fl_hierarchical.generate import generate
from formulations.fl_hierarchical.hfel import hfel, hfel_merge
from formulations.fl_hierarchical.model import Device, Edge, Instance, Solution
from formulations.fl_hierarchical.plot import plot

NAME = "fl_hierarchical"
SENSE = "min"
DEFAULT_METHOD = "hfel"

_LUO = "Luo, Chen, Wu, Zhou, Yu, IEEE TWC 19(10) 2020"

METHODS: dict[str, Method] = {
    "exact": Method(exact, True, _LUO + " model; set-partitioning MILP (HiGHS) over exact "
                    "per-edge costs", "exact: all (edge, device set) columns, small instances"),
    "hfel": Method(hfel, False, _LUO + " Algorithm 2 (transfer and exchange adjustments)",
                   "published local search over associations, exact per-edge resources"),
    "hfel-merge": Method(hfel_merge, False, "ours: " + _LUO + " Algorithm 2 plus merge "
                         "adjustments", "hfel plus moving a whole edge group to another edge"),
    "greedy": Method(greedy, False, _LUO + " baseline (greedy association)",
                     "baseline: strongest channel, optimal resources"),
    "random": Method(random_association, False, _LUO + " baseline (random association)",
                     "baseline: random reachable edge, optimal resources"),
    "max-frequency": Method(max_frequency, False, _LUO + " baseline (no computation "
                            "optimisation)", "baseline: greedy association, f = f_max"),
    "uniform-bandwidth": Method(uniform_bandwidth, False, _LUO + " baseline (no bandwidth "
                                "optimisation)", "baseline: greedy association, B_j/|S_j| each"),
}


def solve(inst: Instance, method: str = DEFAULT_METHOD, *, time_limit: float | None = None,
          seed: int = 0, **options: Any) -> Result:
    """Solve with a registered method; the answer is verified and its cost recomputed."""
    return run_method(sys.modules[__name__], inst, method, time_limit=time_limit, seed=seed,
                      **options)


__all__ = [
    "DEFAULT_METHOD", "METHODS", "NAME", "SENSE", "Device", "Edge", "Instance", "Solution",
    "device_times", "edge_costs", "generate", "objective", "plot", "solve", "verify",
]
