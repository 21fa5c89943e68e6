"""HiGHS through highspy directly or through Pyomo's APPSI interface.

``STATUS_MAP`` covers every ``HighsModelStatus``; a status not in it becomes ERROR.
Ctrl-C (the context's stop token) calls ``Highs.cancelSolve``, and the incumbent comes
back with ``Limit.INTERRUPTED``.
"""

from __future__ import annotations

import functools
import math
import os
import sys
from typing import Any

from edgeopt_solve.backends.common import SolverRun, outcome_status
from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import SolverUnavailable
from edgeopt_solve.status import Limit, Status

#: HighsModelStatus name -> (final status, None) or (None, limit that stopped it)
STATUS_MAP: dict[str, tuple[Status | None, Limit | None]] = {
    "kOptimal": (Status.OPTIMAL, None),
    "kInfeasible": (Status.INFEASIBLE, None),
    "kUnbounded": (Status.UNBOUNDED, None),
    "kModelEmpty": (Status.OPTIMAL, None),
    "kTimeLimit": (None, Limit.TIME),
    "kIterationLimit": (None, Limit.ITERATION),
    "kSolutionLimit": (None, Limit.OTHER),
    "kObjectiveBound": (None, Limit.OTHER),
    "kObjectiveTarget": (None, Limit.OTHER),
    "kMemoryLimit": (None, Limit.OTHER),
    "kInterrupt": (None, Limit.INTERRUPTED),
    "kHighsInterrupt": (None, Limit.INTERRUPTED),
}

#: Pyomo APPSI TerminationCondition name -> same convention
APPSI_STATUS_MAP: dict[str, tuple[Status | None, Limit | None]] = {
    "optimal": (Status.OPTIMAL, None),
    "infeasible": (Status.INFEASIBLE, None),
    "unbounded": (Status.UNBOUNDED, None),
    "maxTimeLimit": (None, Limit.TIME),
    "maxIterations": (None, Limit.ITERATION),
    "objectiveLimit": (None, Limit.OTHER),
    "interrupted": (None, Limit.INTERRUPTED),
}

#: OPTIMAL means HiGHS closed the gap to 1e-6 relative. Its default absolute gap (1e-6)
#: would stop first on objectives below 1 (a 1.2e-7 s plan was "optimal" against a 0 s
#: one, found by hypothesis), so the absolute gap is 1e-9.
DEFAULT_OPTIONS: dict[str, Any] = {"mip_rel_gap": 1e-6, "mip_abs_gap": 1e-9,
                                   "output_flag": False}


def highspy_module() -> Any:
    """``highspy``, or :class:`SolverUnavailable`."""
    try:
        import highspy
    except ImportError as exc:  # pragma: no cover - dependency of the package
        raise SolverUnavailable("highspy is not installed: pip install highspy") from exc
    _swallow_banner(highspy)
    return highspy


@functools.cache
def _swallow_banner(highspy: Any) -> None:
    """HiGHS prints a banner on the process's first ``Highs()``; send it to /dev/null.

    Library code never prints (``--json`` output must stay parseable), so the first
    instance is made once with file descriptor 1 pointed at /dev/null.
    """
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 1)
            highspy.Highs()
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def new_highs(ctx: SolveContext, **options: Any) -> Any:
    """A silent ``highspy.Highs`` with the context's time limit and seed applied."""
    highspy = highspy_module()
    h = highspy.Highs()
    for key, value in {**DEFAULT_OPTIONS, **options}.items():
        h.setOptionValue(key, value)
    h.setOptionValue("random_seed", int(ctx.seed) % (2**31 - 1))
    remaining = ctx.remaining()
    if remaining is not None:
        h.setOptionValue("time_limit", max(remaining, 1e-3))
    return h


def run_highs(h: Any, ctx: SolveContext) -> SolverRun:
    """Run ``h.run()`` with stop support and map the outcome."""
    h.HandleUserInterrupt = True  # cancelSolve works through HiGHS's interrupt callbacks
    unregister = ctx.stop.on_stop(h.cancelSolve)
    try:
        h.run()
    finally:
        unregister()
    native = h.modelStatusToString(h.getModelStatus())
    name = h.getModelStatus().name
    info = h.getInfo()
    has_primal = info.primal_solution_status == 2  # kSolutionStatusFeasible
    status, limit = outcome_status(STATUS_MAP.get(name), has_primal)
    if limit is not None and ctx.stop.requested:
        limit = Limit.INTERRUPTED
    objective = info.objective_function_value if has_primal else None
    bound = _finite(getattr(info, "mip_dual_bound", None))
    if status is Status.OPTIMAL and bound is None:
        bound = objective
    return SolverRun(status, limit, objective, bound, native, "highs", versions(), h)


def solve_pyomo(model: Any, ctx: SolveContext, **options: Any) -> SolverRun:
    """Solve a Pyomo model with HiGHS (APPSI); values are loaded into the model if any."""
    try:
        from pyomo.contrib.appsi.solvers.highs import Highs
    except ImportError as exc:  # pragma: no cover
        raise SolverUnavailable("pyomo is not installed: pip install pyomo") from exc
    highspy_module()  # silences HiGHS's banner before APPSI makes its Highs()
    opt = Highs()
    opt.config.load_solution = False
    opt.config.stream_solver = False
    remaining = ctx.remaining()
    if remaining is not None:
        opt.config.time_limit = max(remaining, 1e-3)
    opt.highs_options.update({**DEFAULT_OPTIONS, **options, "random_seed": ctx.seed % (2**31 - 1)})
    opt.highs_options.pop("output_flag", None)

    opt.set_instance(model)  # creates the highspy object now, so it can be made cancellable
    opt._solver_model.HandleUserInterrupt = True
    unregister = ctx.stop.on_stop(opt._solver_model.cancelSolve)
    try:
        res = opt.solve(model)
    finally:
        unregister()
    native = res.termination_condition.name
    mapped = APPSI_STATUS_MAP.get(native)
    if ctx.stop.requested and native == "unknown":  # APPSI reports HiGHS's kInterrupt so
        mapped = (None, Limit.INTERRUPTED)
    info = opt._solver_model.getInfo()
    has_primal = res.best_feasible_objective is not None or info.primal_solution_status == 2
    status, limit = outcome_status(mapped, has_primal)
    if limit is not None and ctx.stop.requested:
        limit = Limit.INTERRUPTED
    if has_primal:
        res.solution_loader.load_vars()
    bound = _finite(res.best_objective_bound)
    objective = _finite(res.best_feasible_objective)
    if objective is None and has_primal:
        objective = _finite(info.objective_function_value)
    return SolverRun(status, limit, objective, bound, native, "highs", versions(), opt)


def versions() -> dict[str, str]:
    """Versions of HiGHS (and Pyomo when it is loaded)."""
    highspy = highspy_module()
    h = highspy.Highs
    out = {"highs": f"{h().versionMajor()}.{h().versionMinor()}.{h().versionPatch()}"}
    if "pyomo" in sys.modules:
        out["pyomo"] = getattr(sys.modules["pyomo"], "__version__", "") or _pyomo_version()
    return out


def _pyomo_version() -> str:
    from pyomo.version import version

    return str(version)


def _finite(value: Any) -> float | None:
    if value is None:
        return None
    value = float(value)
    return value if math.isfinite(value) and abs(value) < 1e29 else None
