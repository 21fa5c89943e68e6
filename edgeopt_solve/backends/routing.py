"""OR-Tools routing (vehicle routing with local search): status map and search parameters."""

from __future__ import annotations

from typing import Any

from edgeopt_solve.backends.common import SolverRun, outcome_status
from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import SolverUnavailable
from edgeopt_solve.status import Limit, Status

#: RoutingSearchStatus name -> convention of ``outcome_status``. Routing is a heuristic:
#: even ROUTING_OPTIMAL (local optimum of the search) is reported FEASIBLE.
STATUS_MAP: dict[str, tuple[Status | None, Limit | None]] = {
    "ROUTING_SUCCESS": (Status.FEASIBLE, None),
    "ROUTING_PARTIAL_SUCCESS_LOCAL_OPTIMUM_NOT_REACHED": (Status.FEASIBLE, None),
    "ROUTING_OPTIMAL": (Status.FEASIBLE, None),
    "ROUTING_FAIL": (Status.NO_SOLUTION, None),
    "ROUTING_FAIL_TIMEOUT": (None, Limit.TIME),
    "ROUTING_INFEASIBLE": (Status.INFEASIBLE, None),
    "ROUTING_INVALID": (Status.ERROR, None),
    "ROUTING_NOT_SOLVED": (Status.NO_SOLUTION, None),
}


def routing_modules() -> tuple[Any, Any]:
    """``(pywrapcp, routing_enums_pb2)`` or :class:`SolverUnavailable`."""
    try:
        from ortools.constraint_solver import pywrapcp, routing_enums_pb2
    except ImportError as exc:  # pragma: no cover
        raise SolverUnavailable("OR-Tools is not installed: pip install ortools") from exc
    return pywrapcp, routing_enums_pb2


def search_parameters(ctx: SolveContext, *, default_time_limit: float = 10.0) -> Any:
    """Guided local search with a mandatory time limit (GLS never stops by itself)."""
    pywrapcp, enums = routing_modules()
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = enums.FirstSolutionStrategy.PATH_CHEAPEST_ARC
    params.local_search_metaheuristic = enums.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    remaining = ctx.remaining()
    seconds = default_time_limit if remaining is None else max(remaining, 0.01)
    params.time_limit.FromMilliseconds(int(seconds * 1000))
    return params


def map_status(routing: Any, solution: Any) -> SolverRun:
    """Map the routing model's status after ``SolveWithParameters``."""
    _, enums = routing_modules()
    name = enums.RoutingSearchStatus.Value.Name(routing.status())
    status, limit = outcome_status(STATUS_MAP.get(name), solution is not None)
    if status is Status.NO_SOLUTION and limit is None and solution is not None:
        status = Status.FEASIBLE
    import ortools

    return SolverRun(status, limit, None, None, name, "ortools-routing",
                     {"ortools": ortools.__version__}, routing)
