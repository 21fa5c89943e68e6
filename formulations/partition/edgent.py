"""Edgent (Li, Zhou, Chen; MECOMM 2018 / IEEE TWC 2019): early exit plus partitioning.

The model has BranchyNet-style exits (``exits``: a sink layer of each exit branch with its
accuracy; the full model has ``full_accuracy``). Running exit e executes e and its
ancestors. Edgent picks the most accurate exit whose best partition meets the latency
requirement ``latency_slo``: for each exit in order of decreasing accuracy it searches the
partition points of the (topologically ordered) branch between the device and the edge
server — Neurosurgeon's search — and stops at the first that meets the SLO. The published
method uses regression-estimated layer latencies; here the tier cost models give them.

:func:`solve_by_exits` is the exact version used by ``mincut`` and ``milp`` for the
``accuracy`` objective: the same exit order, each exit's minimum latency solved exactly,
so the first exit that is feasible is optimal once every more accurate one is proven
infeasible.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.partition.model import Instance, Solution


def exit_order(inst: Instance) -> list[tuple[int | None, float]]:
    """``(exit index or None for the full model, accuracy)``, most accurate first."""
    items: list[tuple[int | None, float]] = [(None, inst.full_accuracy)]
    items += [(i, acc) for i, (_, acc) in enumerate(inst.exits)]
    return sorted(items, key=lambda it: (-it[1], -1 if it[0] is None else it[0]))


def truncated(inst: Instance, exit_index: int | None) -> tuple[Instance, list[int]]:
    """The latency instance of one exit (its layers only) and their positions."""
    g = inst.graph
    if exit_index is None:
        keep = list(range(inst.n_layers))
    else:
        target = g.index[inst.exits[exit_index][0]]
        marked = {target}
        for v in range(target, -1, -1):
            if v in marked:
                marked.update(g.predecessors[v])
        keep = sorted(marked)
    data: dict[str, Any] = inst.to_dict()
    layers = [g.layers[v].to_dict() for v in keep]
    data["model"] = {"name": g.name, "input_bytes": g.input_bytes, "layers": layers}
    for tier in data["tiers"]:
        for key in ("latency", "energy"):
            if key in tier:
                tier[key] = [tier[key][v] for v in keep]
    names = {g.layers[v].name for v in keep}
    data["pinned"] = {k: t for k, t in dict(inst.pinned).items() if k in names}
    data["objective"] = "latency"
    data.pop("exits", None)
    data.pop("full_accuracy", None)
    return Instance.from_dict(data), keep


def _lift(inst: Instance, keep: list[int], sub: Solution, exit_index: int | None) -> Solution:
    x = [inst.input_tier] * inst.n_layers
    for pos, v in enumerate(keep):
        x[v] = sub.tiers[pos]
    return Solution(tuple(x), exit_index)


def solve_by_exits(inst: Instance, ctx: SolveContext, method: str) -> MethodOutput:
    """Exact accuracy objective: exits by accuracy, each solved for latency by ``method``."""
    from formulations.partition import METHODS

    proven = True
    for exit_index, _ in exit_order(inst):
        sub, keep = truncated(inst, exit_index)
        out = METHODS[method].func(sub, ctx)
        if out.status.has_solution:
            status = Status.OPTIMAL if (proven and out.status is Status.OPTIMAL) else \
                Status.FEASIBLE
            return MethodOutput(status, _lift(inst, keep, out.solution, exit_index),
                                backend=out.backend, solver_versions=out.solver_versions,
                                stats={"exit": exit_index})
        if out.status is not Status.INFEASIBLE:
            proven = False
        if ctx.out_of_time():
            break
    if proven:
        return MethodOutput(Status.INFEASIBLE, message="no exit meets the latency SLO")
    return MethodOutput(Status.NO_SOLUTION, limit=ctx.limit_hit(),
                        message="no exit's plan was proven to meet the SLO")


def run(inst: Instance, ctx: SolveContext, **options: object) -> MethodOutput:
    """The ``edgent`` method (published heuristic, see the module docstring)."""
    from formulations.partition.chain import neurosurgeon

    exits = exit_order(inst) if inst.objective == "accuracy" else [(None, inst.full_accuracy)]
    for exit_index, _ in exits:
        sub, keep = truncated(inst, exit_index) if exit_index is not None or \
            inst.objective == "accuracy" else (inst, list(range(inst.n_layers)))
        out = neurosurgeon(sub, ctx)
        if out.status.has_solution:
            sol = _lift(inst, keep, out.solution, exit_index) if sub is not inst else \
                out.solution
            return MethodOutput(Status.FEASIBLE, sol, stats={"exit": exit_index})
        if ctx.out_of_time():
            break
    return MethodOutput(Status.NO_SOLUTION, message="no exit's split meets the latency SLO")


def with_exits(inst: Instance, exits: list[tuple[str, float]], full_accuracy: float,
               latency_slo: float) -> Instance:
    """A copy of ``inst`` with exits, the accuracy objective and an SLO."""
    return dataclasses.replace(inst, exits=tuple(exits), full_accuracy=full_accuracy,
                               latency_slo=latency_slo, objective="accuracy")
