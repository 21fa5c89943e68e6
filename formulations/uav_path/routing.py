"""OR-Tools routing (one vehicle) with guided local search — the general-solver reference.

Guided local search (Voudouris & Tsang 1999) never stops by itself, so a time limit is
mandatory: ``search_time`` seconds (default ``max(0.25, 0.05·n)``), never more than what
remains of the call's time limit. First solution: PATH_CHEAPEST_ARC. Arc costs are the
distances, scaled to integers (x1 for TSPLIB lengths, x1000, i.e. millimetres,
otherwise) and registered as a matrix, so no Python callback runs during the
search.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgeopt_solve.backends.routing import map_status, routing_modules, search_parameters
from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.uav_path.graph import (
    distance_matrix,
    infeasible_output,
    integral,
    range_problem,
    tour_output,
    trivial_cycle,
)
from formulations.uav_path.model import Instance


def routing(inst: Instance, ctx: SolveContext, *, search_time: float | None = None,
            **_: Any) -> MethodOutput:
    """Shortest tour by OR-Tools routing with guided local search."""
    reason = range_problem(inst)
    if reason:
        return infeasible_output(reason, "ortools-routing")
    trivial = trivial_cycle(inst)
    if trivial is not None:
        return tour_output(inst, ctx, trivial, backend="python")
    pywrapcp, _ = routing_modules()
    d = distance_matrix(inst)
    n = d.shape[0]
    scale = 1.0 if integral(inst) else 1000.0
    cost = np.rint(d * scale).astype(np.int64).tolist()
    manager = pywrapcp.RoutingIndexManager(n, 1, 0)
    model = pywrapcp.RoutingModel(manager)

    model.SetArcCostEvaluatorOfAllVehicles(model.RegisterTransitMatrix(cost))
    seconds = max(0.25, 0.05 * n) if search_time is None else float(search_time)
    left = ctx.remaining()
    if left is not None:
        seconds = min(seconds, max(left, 0.01))
    params = search_parameters(ctx, default_time_limit=seconds)
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    unregister = ctx.stop.on_stop(model.solver().FinishCurrentSearch)
    try:
        assignment = model.SolveWithParameters(params)
    finally:
        unregister()
    run = map_status(model, assignment)
    if assignment is None:
        status = run.status if run.status is not Status.FEASIBLE else Status.NO_SOLUTION
        return MethodOutput(status, limit=run.limit, backend="ortools-routing",
                            message=f"OR-Tools routing: {run.native_status}",
                            solver_versions=run.versions)
    cycle, index = [], model.Start(0)
    while not model.IsEnd(index):
        cycle.append(manager.IndexToNode(index))
        index = assignment.Value(model.NextVar(index))
    return tour_output(inst, ctx, cycle, backend="ortools-routing", versions=run.versions,
                       stats={"search_time": seconds, "native_status": run.native_status})
