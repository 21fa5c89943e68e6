"""OR-Tools CP-SAT: time limit, seed, deterministic parallel search, Ctrl-C, status map."""

from __future__ import annotations

from typing import Any

from edgeopt_solve.backends.common import SolverRun, outcome_status
from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import SolverUnavailable
from edgeopt_solve.status import Limit, Status

#: CpSolverStatus name -> (final status, None) or (None, limit). UNKNOWN means the
#: search stopped (time or interrupt) without a solution; FEASIBLE means it stopped with one.
STATUS_MAP: dict[str, tuple[Status | None, Limit | None]] = {
    "OPTIMAL": (Status.OPTIMAL, None),
    "INFEASIBLE": (Status.INFEASIBLE, None),
    "FEASIBLE": (None, Limit.TIME),
    "UNKNOWN": (None, Limit.TIME),
}


def cp_model() -> Any:
    """``ortools.sat.python.cp_model``, or :class:`SolverUnavailable`."""
    try:
        from ortools.sat.python import cp_model as module
    except ImportError as exc:  # pragma: no cover
        raise SolverUnavailable("OR-Tools is not installed: pip install ortools") from exc
    return module


def solve_cpsat(model: Any, ctx: SolveContext, *, workers: int = 2, **params: Any) -> SolverRun:
    """Solve a ``CpModel``; returns a :class:`SolverRun` whose ``handle`` is the solver.

    The search is deterministic for a seed (``interleave_search``), so the same seed
    gives the same answer when optimality is proved within the limit.
    """
    module = cp_model()
    solver = module.CpSolver()
    solver.parameters.random_seed = int(ctx.seed) % (2**31 - 1)
    solver.parameters.num_workers = workers
    solver.parameters.interleave_search = workers > 1
    remaining = ctx.remaining()
    if remaining is not None:
        solver.parameters.max_time_in_seconds = max(remaining, 1e-3)
    for key, value in params.items():
        setattr(solver.parameters, key, value)
    unregister = ctx.stop.on_stop(solver.stop_search)
    try:
        native = solver.solve(model)
    finally:
        unregister()
    name = native.name
    has_primal = name in ("OPTIMAL", "FEASIBLE")
    status, limit = outcome_status(STATUS_MAP.get(name), has_primal)
    if limit is not None and ctx.stop.requested:
        limit = Limit.INTERRUPTED
    if name == "MODEL_INVALID":
        status, limit = Status.ERROR, None
    objective = solver.objective_value if has_primal else None
    bound = solver.best_objective_bound if has_primal or name == "OPTIMAL" else None
    return SolverRun(status, limit, objective, bound, name, "cp-sat", versions(), solver)


def versions() -> dict[str, str]:
    """OR-Tools version."""
    import ortools

    return {"ortools": ortools.__version__}
