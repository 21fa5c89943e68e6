"""DNN layer partitioning across device, edge and cloud tiers.

Where should each layer of a DNN run — on the end device, an edge server or the cloud —
so that inference latency (or device energy, or pipeline throughput) is smallest, subject
to memory, energy and latency limits. Model: :mod:`formulations.partition.model`.

Methods: ``mincut`` (exact K-tier layered min cut, default), ``milp`` (general exact
model, pyomo + HiGHS), ``neurosurgeon`` (Kang et al. 2017), ``jointdnn`` (Eshratifar et
al. 2021), ``dads`` (Hu et al. 2019, corrected), ``dads_heavy`` (DADS heavy-load
baseline), ``throughput`` (exact min-max stage), ``edgent`` (Li et al. 2019),
``parametric`` (plans as a function of bandwidth). ``brute_force`` enumerates tiny
instances (<= 12 layers). Where each exact method may claim OPTIMAL is stated in its
module docstring.
"""

from __future__ import annotations

import sys
from typing import Any

from edgeopt_solve.protocol import Method, run_method
from edgeopt_solve.result import Result
from formulations.partition import chain, dads, edgent, milp, mincut, parametric
from formulations.partition.evaluate import brute_force, objective, verify
from formulations.partition.generate import generate
from formulations.partition.io_onnx import FORMATS
from formulations.partition.model import Instance, Solution
from formulations.partition.plot import plot

NAME = "partition"
SENSE = "min"
DEFAULT_METHOD = "mincut"

METHODS: dict[str, Method] = {
    "mincut": Method(
        mincut.run, exact=True,
        reference="Ishikawa, IEEE TPAMI 2003 (layered min cut); DADS, Hu et al., INFOCOM 2019",
        description="exact K-tier layered min cut for monotone placements, relayed transfers"),
    "milp": Method(
        milp.run, exact=True, reference="MILP in the spirit of JointDNN's ILP (Eshratifar et al., "
        "IEEE TMC 2021); solved by HiGHS via Pyomo",
        description="general exact model: any placement, direct links, every side constraint"),
    "neurosurgeon": Method(
        chain.neurosurgeon, exact=False,
        reference="Kang et al., Neurosurgeon, ASPLOS 2017",
        description="single split point on the topological order, O(N) prefix sums"),
    "jointdnn": Method(
        chain.jointdnn, exact=True,
        reference="Eshratifar, Abrishami, Pedram, JointDNN, IEEE TMC 2021",
        description="shortest path over (layer, tier); exact on chains, heuristic on DAGs"),
    "dads": Method(
        dads.run, exact=True,
        reference="Hu et al., DADS, INFOCOM 2019 (corrected construction)",
        description="two-tier DAG min cut with infinite reverse edges and fan-out nodes"),
    "dads_heavy": Method(
        dads.heavy_load, exact=False,
        reference="Hu et al., DADS heavy-load (alpha/gamma-scaled cuts), INFOCOM 2019",
        description="min-max stage by re-weighted light-load cuts (published baseline)"),
    "throughput": Method(
        chain.throughput, exact=True,
        reference="Hu et al., DADS heavy-load objective, INFOCOM 2019",
        description="min slowest pipeline stage: chain DP, MILP on DAGs"),
    "edgent": Method(
        edgent.run, exact=False,
        reference="Li, Zhou, Chen, Edgent, MECOMM 2018 / IEEE TWC 2019",
        description="most accurate early exit whose best split meets the latency SLO"),
    "parametric": Method(
        parametric.run, exact=True,
        reference="Eisner & Severance, JACM 1976 (parametric envelope); Neurosurgeon 2017",
        description="optimal plan for every bandwidth of link 0 (breakpoint table)"),
}


def solve(inst: Instance, method: str = DEFAULT_METHOD, *, time_limit: float | None = None,
          seed: int = 0, **options: Any) -> Result:
    """Solve ``inst`` with ``method`` and return a verified :class:`Result`."""
    return run_method(sys.modules[__name__], inst, method, time_limit=time_limit, seed=seed,
                      **options)


__all__ = ["DEFAULT_METHOD", "FORMATS", "METHODS", "NAME", "SENSE", "Instance", "Solution", "brute_force",
           "generate", "objective", "plot", "solve", "verify"]
