"""The formulation protocol: what every ``formulations/<name>/`` package exposes.

A formulation package defines, at module level::

    NAME: str                         # "placement"; equals the package folder name
    SENSE: "min" | "max"
    Instance                          # frozen; from_dict()/to_dict(); errors name the field
    Solution                          # decision values only; from_dict()/to_dict()
    def objective(inst, sol) -> float                     # independent evaluator
    def verify(inst, sol, *, tol=1e-6) -> list[Violation] # [] means feasible
    def generate(size: int, seed: int) -> Instance
    METHODS: dict[str, Method]
    def solve(inst, method=DEFAULT_METHOD, *, time_limit=None, seed=0, **options) -> Result

and optionally::

    DEFAULT_METHOD: str               # "exact" if absent
    def brute_force(inst) -> tuple[Status, Solution | None]   # tiny instances only
    FORMATS: dict[str, Callable[[Path], Instance]]            # foreign-file importers
    Instance.json_schema() -> dict    # JSON Schema of the instance ``data``
    def plot(inst, sol, ax) -> None   # the formulation's own picture

``solve`` is almost always ``functools.partial(run_method, sys.modules[__name__])``-like:
:func:`run_method` looks the method up, runs it with a :class:`SolveContext`, verifies
the answer with the formulation's own ``verify``, recomputes the objective with its
``objective`` and builds the :class:`Result`. A method never computes the reported
objective itself, so a wrong method cannot report a wrong number.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any, Literal, Protocol, runtime_checkable

from edgeopt_solve.context import SolveContext, StopToken
from edgeopt_solve.exceptions import InvalidOptionError, SolverError
from edgeopt_solve.result import Result, relative_gap
from edgeopt_solve.status import Limit, Status

log = logging.getLogger(__name__)

Sense = Literal["min", "max"]


@dataclass(frozen=True)
class Violation:
    """One violated constraint found by a verifier.

    Attributes
    ----------
    constraint
        Which constraint, with its index (``"capacity[server=2]"``).
    message
        What is wrong, with the numbers.
    amount
        By how much it is violated, in the constraint's unit, when that is meaningful.
    """

    constraint: str
    message: str
    amount: float | None = None

    def __str__(self) -> str:
        return f"{self.constraint}: {self.message}"


@dataclass(frozen=True)
class MethodOutput:
    """What a method returns; ``run_method`` turns it into a verified :class:`Result`.

    Attributes
    ----------
    status
        OPTIMAL only from an exact method with a proof; heuristics say FEASIBLE.
    solution
        The formulation's ``Solution`` or ``None``.
    bound
        A proven bound on the optimum (lower for min, upper for max), if known.
    limit
        The limit that stopped an exact method early (TIME, INTERRUPTED, ...).
    backend
        Solver library used.
    solver_versions
        Versions of the libraries used.
    message
        Detail for the user, e.g. why the instance is infeasible.
    stats
        Counters worth reporting.
    """

    status: Status
    solution: Any = None
    bound: float | None = None
    limit: Limit | None = None
    backend: str = "python"
    solver_versions: dict[str, str] = field(default_factory=dict)
    message: str = ""
    stats: dict[str, Any] = field(default_factory=dict)


MethodFunction = Callable[..., MethodOutput]


@dataclass(frozen=True)
class Method:
    """A registered way of solving a formulation.

    Attributes
    ----------
    func
        ``func(inst, ctx: SolveContext, **options) -> MethodOutput``.
    exact
        Whether the method can prove optimality.
    reference
        The paper or algorithm it implements (short citation).
    description
        One line for ``edgeopt-solve list``.
    """

    func: MethodFunction
    exact: bool
    reference: str
    description: str = ""


@runtime_checkable
class Formulation(Protocol):
    """Static shape of a formulation module (checked by ``tests/test_protocol.py``)."""

    NAME: str
    SENSE: Sense
    METHODS: Mapping[str, Method]
    Instance: type
    Solution: type

    def objective(self, inst: Any, sol: Any) -> float: ...

    def verify(self, inst: Any, sol: Any, *, tol: float = 1e-6) -> list[Violation]: ...

    def generate(self, size: int, seed: int) -> Any: ...

    def solve(
        self,
        inst: Any,
        method: str = ...,
        *,
        time_limit: float | None = None,
        seed: int = 0,
        **options: Any,
    ) -> Result: ...


def check_time_limit(time_limit: float | None) -> float | None:
    """Validate a time limit: ``None`` or a finite number of seconds > 0."""
    if time_limit is None:
        return None
    if isinstance(time_limit, bool) or not isinstance(time_limit, int | float):
        raise InvalidOptionError(f"time limit must be a number of seconds, got {time_limit!r}",
                                 field="time_limit")
    if not math.isfinite(time_limit) or time_limit <= 0:
        raise InvalidOptionError(f"time limit must be > 0 seconds, got {time_limit!r}",
                                 field="time_limit")
    return float(time_limit)


def lookup_method(module: ModuleType, method: str) -> Method:
    """The :class:`Method` registered under ``method`` or an :class:`InvalidOptionError`."""
    methods: Mapping[str, Method] = module.METHODS
    if method not in methods:
        known = ", ".join(sorted(methods))
        raise InvalidOptionError(f"unknown method {method!r} for {module.NAME}; known: {known}",
                                 field="method")
    return methods[method]


def run_method(
    module: ModuleType,
    inst: Any,
    method: str,
    *,
    time_limit: float | None = None,
    seed: int = 0,
    stop: StopToken | None = None,
    tol: float = 1e-6,
    **options: Any,
) -> Result:
    """Run one method and return its verified :class:`Result`.

    Parameters
    ----------
    module
        The formulation module.
    inst
        A validated ``module.Instance``.
    method
        A key of ``module.METHODS``.
    time_limit
        Seconds, or ``None``.
    seed
        Random seed.
    stop
        Stop token (Ctrl-C); a fresh one if ``None``.
    tol
        Feasibility tolerance handed to ``verify``.
    **options
        Passed to the method.

    Raises
    ------
    InvalidOptionError
        Unknown method or bad time limit.
    SolverError
        The method's answer failed verification, or it claimed what it may not.
    """
    spec = lookup_method(module, method)
    ctx = SolveContext(time_limit=check_time_limit(time_limit), seed=int(seed),
                       stop=stop or StopToken())
    if not isinstance(inst, module.Instance):
        raise InvalidOptionError(
            f"{module.NAME}.solve needs a {module.NAME}.Instance, got {type(inst).__name__}")
    log.debug("solving %s with %s (time limit %s, seed %s)", module.NAME, method, time_limit, seed)
    t0 = time.perf_counter()
    out = spec.func(inst, ctx, **options)
    runtime = time.perf_counter() - t0
    return _verified_result(module, inst, method, spec, out, runtime, tol)


def _verified_result(module: ModuleType, inst: Any, method: str, spec: Method,
                     out: MethodOutput, runtime: float, tol: float) -> Result:
    """Check a method's output and recompute its objective independently."""
    where = f"{module.NAME}/{method}"
    if out.status is Status.OPTIMAL and not spec.exact:
        raise SolverError(f"{where}: a heuristic claimed OPTIMAL")
    if out.status.has_solution and out.solution is None:
        raise SolverError(f"{where}: status {out.status.value} without a solution")
    objective = None
    solution = out.solution if out.status.has_solution else None
    if solution is not None:
        violations = module.verify(inst, solution, tol=tol)
        if violations:
            shown = "; ".join(str(v) for v in violations[:5])
            raise SolverError(f"{where} returned an infeasible solution: {shown}")
        objective = float(module.objective(inst, solution))
    bound = None if out.bound is None else float(out.bound)
    _check_bound(module.SENSE, objective, bound, where)
    return Result(
        formulation=module.NAME, method=method, exact=spec.exact, status=out.status,
        solution=solution, objective=objective, bound=bound,
        gap=relative_gap(objective, bound), limit=out.limit, runtime=runtime,
        backend=out.backend, solver_versions=dict(out.solver_versions),
        message=out.message, stats=dict(out.stats),
    )


def _check_bound(sense: Sense, objective: float | None, bound: float | None, where: str) -> None:
    """A bound on the wrong side of a verified objective is a bug."""
    if objective is None or bound is None or not math.isfinite(bound):
        return
    slack = 1e-6 * max(1.0, abs(objective))
    wrong = bound > objective + slack if sense == "min" else bound < objective - slack
    if wrong:
        raise SolverError(f"{where}: bound {bound} is on the wrong side of objective {objective}")
