"""CVXPY with a fallback chain of conic solvers (Clarabel first).

``STATUS_MAP`` maps CVXPY's status strings; ``optimal_inaccurate`` makes the helper try the
next solver of the chain and is reported as FEASIBLE with ``Limit.OTHER`` when no solver
does better. FL energy terms span many decades, so callers scale units first.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

from edgeopt_solve.backends.common import SolverRun
from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import SolverUnavailable
from edgeopt_solve.status import Limit, Status

STATUS_MAP: dict[str, tuple[Status | None, Limit | None]] = {
    "optimal": (Status.OPTIMAL, None),
    "infeasible": (Status.INFEASIBLE, None),
    "unbounded": (Status.UNBOUNDED, None),
    "optimal_inaccurate": (None, Limit.OTHER),
    "infeasible_inaccurate": (None, Limit.OTHER),
    "unbounded_inaccurate": (None, Limit.OTHER),
    "user_limit": (Status.NO_SOLUTION, Limit.TIME),  # an interior iterate, not trusted
}

DEFAULT_CHAIN: tuple[str, ...] = ("CLARABEL", "SCS")

#: The option through which each solver of the chain takes a wall-clock limit (seconds).
TIME_LIMIT_OPTION: dict[str, str] = {"CLARABEL": "time_limit", "SCS": "time_limit_secs"}


def cvxpy_module() -> Any:
    """``cvxpy``, or :class:`SolverUnavailable`."""
    try:
        import cvxpy
    except ImportError as exc:  # pragma: no cover
        raise SolverUnavailable("cvxpy is not installed: pip install cvxpy") from exc
    return cvxpy


def solve_cvxpy(problem: Any, ctx: SolveContext,
                chain: Sequence[str] = DEFAULT_CHAIN, **solver_options: Any) -> SolverRun:
    """Solve ``problem`` with the first solver of ``chain`` that answers accurately.

    The context's remaining time is passed to each solver as its own time-limit option
    (unless the caller set it); a solver stopped by it maps to ``Limit.TIME``, and no
    further solver of the chain is tried once the time is up.
    """
    cp = cvxpy_module()
    installed = set(cp.installed_solvers())
    tried: list[str] = []
    run = SolverRun(Status.ERROR, native_status="no solver", backend="cvxpy", versions=versions())
    for name in chain:
        if name not in installed:
            continue
        if tried and ctx.out_of_time():
            break
        tried.append(name)
        options = dict(solver_options)
        remaining = ctx.remaining()
        if remaining is not None and name in TIME_LIMIT_OPTION:
            options.setdefault(TIME_LIMIT_OPTION[name], max(remaining, 1e-3))
        try:
            with warnings.catch_warnings():  # inaccuracy is mapped to a status, not printed
                warnings.simplefilter("ignore", UserWarning)
                problem.solve(solver=name, **options)
        except cp.error.SolverError as exc:
            run = SolverRun(Status.ERROR, native_status=f"{name}: {exc}", backend=name.lower(),
                            versions=versions())
            continue
        run = _map(problem.status, problem.value, name)
        if run.status is not Status.ERROR and run.limit is None:
            return run
    if not tried:
        raise SolverUnavailable(f"none of the conic solvers {list(chain)} is installed")
    return run


def _map(native: str, value: Any, solver: str) -> SolverRun:
    mapped = STATUS_MAP.get(native)
    if mapped is None:
        return SolverRun(Status.ERROR, native_status=native, backend=solver.lower(),
                         versions=versions())
    status, limit = mapped
    if status is None:
        status = Status.FEASIBLE if native == "optimal_inaccurate" else Status.ERROR
    obj = float(value) if status.has_solution and value is not None else None
    return SolverRun(status, limit, obj, None, native, solver.lower(), versions())


def versions() -> dict[str, str]:
    """CVXPY and solver versions."""
    cp = cvxpy_module()
    out = {"cvxpy": cp.__version__}
    try:
        import clarabel

        out["clarabel"] = getattr(clarabel, "__version__", "")
    except ImportError:  # pragma: no cover
        pass
    return out
