"""Several UAVs with battery limits: a distance-constrained VRP on OR-Tools routing.

Model: ``K`` identical UAVs start and end at the base; every hovering point is visited
by exactly one UAV; UAV ``k`` flies its route at the maximum-range speed ``v*`` and its
mission energy ``E_k = (P(v*)/v*)·L_k + P(0)·H_k`` (``L_k`` route length, ``H_k`` the
hovering time of its points) must not exceed ``battery`` (J). Objective: total energy
``sum_k E_k`` (J). Unused UAVs stay at the base. (The single-UAV problem's ``speed``
applies if set; the deadline is ignored here.)

Solved by OR-Tools routing (guided local search, mandatory time limit) with an
"energy" dimension whose arc transits are rounded *up* to 0.1 J, so every route the
solver accepts meets the battery exactly; :func:`check_routes` re-checks routes
independently of the solver.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from edgeopt_solve.backends.routing import map_status, routing_modules, search_parameters
from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import InvalidOptionError
from edgeopt_solve.status import Status
from formulations.uav_path.evaluate import hover_times
from formulations.uav_path.graph import distance_matrix, range_problem
from formulations.uav_path.model import Instance

SCALE = 10.0  # 0.1 J units


@dataclass(frozen=True)
class MultiUavPlan:
    """Routes of several UAVs (point indices, base implicit at both ends)."""

    status: Status
    routes: tuple[tuple[int, ...], ...] = ()
    energy: float | None = None
    message: str = ""


def _cruise(inst: Instance) -> float:
    if inst.speed is not None:
        return inst.speed
    return inst.energy_model.max_range_speed(v_max=inst.max_speed)


def route_energies(inst: Instance, routes: tuple[tuple[int, ...], ...]) -> list[float]:
    """Mission energy of each route, J (independent of the solver)."""
    v = _cruise(inst)
    per_metre = float(inst.energy_model.power(v)) / v
    hover = hover_times(inst)
    out = []
    for route in routes:
        nodes = [inst.base, *(inst.points[j] for j in route), inst.base]
        length = math.fsum(math.dist(nodes[k], nodes[k + 1]) for k in range(len(nodes) - 1))
        if inst.distance == "euc_2d":
            length = math.fsum(math.floor(math.dist(nodes[k], nodes[k + 1]) + 0.5)
                               for k in range(len(nodes) - 1))
        out.append(per_metre * length + inst.energy_model.hover_power
                   * math.fsum(hover[j] for j in route))
    return out


def check_routes(inst: Instance, routes: tuple[tuple[int, ...], ...]) -> list[str]:
    """Violations: points missed or repeated, routes over the battery."""
    problems = []
    visits = sorted(j for r in routes for j in r)
    if visits != list(range(inst.n)):
        problems.append("every hovering point must be visited exactly once")
    if inst.battery is not None:
        for k, e in enumerate(route_energies(inst, routes)):
            if e > inst.battery * (1 + 1e-9):
                problems.append(f"route {k}: {e:.6g} J exceeds the battery {inst.battery:.6g} J")
    return problems


def plan_routes(inst: Instance, uavs: int, *, time_limit: float = 5.0,
                seed: int = 0) -> MultiUavPlan:
    """Split the hovering points among ``uavs`` UAVs, each within the battery."""
    if uavs < 1:
        raise InvalidOptionError(f"need at least one UAV, got {uavs}", field="uavs")
    if inst.objective != "energy":
        raise InvalidOptionError("multi-UAV planning needs objective 'energy'",
                                 field="objective")
    reason = range_problem(inst)
    if reason:
        return MultiUavPlan(Status.INFEASIBLE, message=reason)
    hover = hover_times(inst)
    v = _cruise(inst)
    per_metre = float(inst.energy_model.power(v)) / v
    p_hover = inst.energy_model.hover_power
    if inst.battery is not None:
        for j in range(inst.n):
            alone = route_energies(inst, ((j,),))[0]
            if alone > inst.battery:
                return MultiUavPlan(Status.INFEASIBLE, message=(
                    f"visiting hovering point {j} alone takes {alone:.6g} J, more than the "
                    f"battery {inst.battery:.6g} J"))
    pywrapcp, _ = routing_modules()
    d = distance_matrix(inst)
    n = d.shape[0]
    hov = [0.0, *hover]
    cost = [[math.ceil(SCALE * (per_metre * d[i, j] + p_hover * hov[j]))
             for j in range(n)] for i in range(n)]
    manager = pywrapcp.RoutingIndexManager(n, uavs, 0)
    model = pywrapcp.RoutingModel(manager)

    cb = model.RegisterTransitMatrix(cost)
    model.SetArcCostEvaluatorOfAllVehicles(cb)
    cap = math.floor(SCALE * inst.battery) if inst.battery is not None else 2**62
    model.AddDimension(cb, 0, cap, True, "energy")
    ctx = SolveContext(time_limit=time_limit, seed=seed)
    params = search_parameters(ctx, default_time_limit=time_limit)
    assignment = model.SolveWithParameters(params)
    run = map_status(model, assignment)
    if assignment is None:
        return MultiUavPlan(Status.NO_SOLUTION, message=f"OR-Tools: {run.native_status}")
    routes = []
    for k in range(uavs):
        idx, route = model.Start(k), []
        while not model.IsEnd(idx):
            node = manager.IndexToNode(idx)
            if node:
                route.append(node - 1)
            idx = assignment.Value(model.NextVar(idx))
        if route:
            routes.append(tuple(route))
    plan = tuple(routes)
    return MultiUavPlan(Status.FEASIBLE, plan, math.fsum(route_energies(inst, plan)))
