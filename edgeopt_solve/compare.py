"""Run several methods on one instance and line them up against the best bound.

The table ``edgeopt-solve compare`` prints, and what notebooks plot: per method its
status, verified objective, its own bound, and the gap to the *best* bound any method
proved (an optimal objective counts as a bound).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any

from edgeopt_solve.context import StopToken
from edgeopt_solve.exceptions import SolverError, SolverUnavailable
from edgeopt_solve.protocol import lookup_method, run_method
from edgeopt_solve.result import Result, relative_gap
from edgeopt_solve.status import Status


@dataclass(frozen=True)
class Row:
    """One method's line in a comparison."""

    method: str
    exact: bool
    result: Result | None
    gap_to_best: float | None
    error: str = ""

    def to_dict(self) -> dict[str, Any]:
        """The stable ``compare --json`` fields."""
        r = self.result
        return {
            "method": self.method, "exact": self.exact,
            "status": "error" if r is None else r.status.value,
            "objective": None if r is None else r.objective,
            "bound": None if r is None else r.bound,
            "gap": self.gap_to_best,
            "runtime": None if r is None else r.runtime,
            "limit": None if r is None or r.limit is None else r.limit.value,
            "error": self.error,
        }


def best_bound(sense: str, results: Iterable[Result]) -> float | None:
    """The tightest proven bound: bounds of every result and objectives of optimal ones."""
    values = []
    for r in results:
        if r.bound is not None:
            values.append(r.bound)
        if r.status is Status.OPTIMAL and r.objective is not None:
            values.append(r.objective)
    if not values:
        return None
    return max(values) if sense == "min" else min(values)


def compare(module: ModuleType, inst: Any, methods: Iterable[str], *,
            time_limit: float | None = None, seed: int = 0, stop: StopToken | None = None,
            on_done: Callable[[str], None] | None = None) -> list[Row]:
    """Solve ``inst`` with each method and compute the gap to the best bound.

    A method that fails (missing backend, or a verification failure, which is a bug) is
    kept as a row with its error instead of aborting the comparison.
    """
    done: list[tuple[str, bool, Result | None, str]] = []
    for name in methods:
        spec = lookup_method(module, name)
        try:
            res = run_method(module, inst, name, time_limit=time_limit, seed=seed, stop=stop)
            done.append((name, spec.exact, res, ""))
        except (SolverError, SolverUnavailable) as exc:
            done.append((name, spec.exact, None, str(exc)))
        if on_done:
            on_done(name)
    bound = best_bound(module.SENSE, [r for _, _, r, _ in done if r is not None])
    return [
        Row(name, exact, res, None if res is None else relative_gap(res.objective, bound), err)
        for name, exact, res, err in done
    ]
