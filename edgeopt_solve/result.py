"""The result of a solve: status, verified objective, bound, gap and provenance."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from edgeopt_solve.status import Limit, Status


def relative_gap(objective: float | None, bound: float | None) -> float | None:
    """``|objective - bound| / max(|objective|, 1e-9)``, or ``None`` without both values."""
    if objective is None or bound is None:
        return None
    if not (math.isfinite(objective) and math.isfinite(bound)):
        return None
    return abs(objective - bound) / max(abs(objective), 1e-9)


@dataclass(frozen=True)
class Result:
    """A verified answer of one method on one instance.

    Attributes
    ----------
    formulation
        Name of the formulation (``"placement"``).
    method
        Name of the method that produced the answer.
    exact
        Whether the method is exact (can prove optimality).
    status
        What is known about the answer (see :class:`Status`).
    solution
        The formulation's ``Solution``, or ``None`` when there is none.
    objective
        Objective recomputed by the formulation's independent evaluator, not by the method.
    bound
        Proven bound on the optimum (lower for ``min``, upper for ``max``), if any.
    gap
        ``|objective - bound| / max(|objective|, 1e-9)``; ``None`` without a bound.
    limit
        The limit that stopped an exact method early, else ``None``.
    runtime
        Wall-clock seconds spent in the method.
    backend
        The solver library used (``"highs"``, ``"cp-sat"``, ``"clarabel"``, ``"python"``).
    solver_versions
        Versions of the libraries involved.
    message
        Human-readable detail, e.g. the reason an instance is infeasible.
    stats
        Method-specific counters (iterations, nodes, cuts added ...).
    """

    formulation: str
    method: str
    exact: bool
    status: Status
    solution: Any = None
    objective: float | None = None
    bound: float | None = None
    gap: float | None = None
    limit: Limit | None = None
    runtime: float = 0.0
    backend: str = ""
    solver_versions: dict[str, str] = field(default_factory=dict)
    message: str = ""
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def is_optimal(self) -> bool:
        """Whether optimality was proved."""
        return self.status is Status.OPTIMAL

    @property
    def has_solution(self) -> bool:
        """Whether a verified solution is attached."""
        return self.solution is not None

    def summary(self) -> str:
        """One line: method, status, objective, bound, gap and time."""
        obj = "-" if self.objective is None else f"{self.objective:.6g}"
        bnd = "-" if self.bound is None else f"{self.bound:.6g}"
        gap = "-" if self.gap is None else f"{100 * self.gap:.3f}%"
        lim = f" ({self.limit.value} limit)" if self.limit else ""
        return (
            f"{self.method}: {self.status.value}{lim} objective={obj} bound={bnd} "
            f"gap={gap} time={self.runtime:.3f}s"
        )

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields (the solution as its own ``to_dict()``)."""
        return {
            "formulation": self.formulation,
            "method": self.method,
            "exact": self.exact,
            "status": self.status.value,
            "objective": self.objective,
            "bound": self.bound,
            "gap": self.gap,
            "limit": None if self.limit is None else self.limit.value,
            "runtime": self.runtime,
            "backend": self.backend,
            "solver_versions": dict(self.solver_versions),
            "message": self.message,
            "stats": _jsonable(self.stats),
            "solution": None if self.solution is None else self.solution.to_dict(),
        }


def _jsonable(value: Any) -> Any:
    """Numbers, strings, lists and dicts only (numpy scalars become Python ones)."""
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if hasattr(value, "item") and callable(value.item):
        return value.item()
    if isinstance(value, Status | Limit):
        return value.value
    return value
