"""Termination status of a solve and the limit that stopped it early.

Kept apart, as in OR-Tools MathOpt: ``Status`` says what is known about the answer,
``Limit`` says which budget ran out when an exact method stopped before a proof.
"""

from __future__ import annotations

from enum import StrEnum


class Status(StrEnum):
    """What is known about the returned answer."""

    OPTIMAL = "optimal"
    """An exact method proved the solution optimal (within the solver's gap tolerance)."""
    FEASIBLE = "feasible"
    """A verified feasible solution without a proof of optimality (heuristics, or a limit)."""
    INFEASIBLE = "infeasible"
    """Proved that no feasible solution exists."""
    UNBOUNDED = "unbounded"
    """Proved that the objective is unbounded."""
    NO_SOLUTION = "no_solution"
    """Stopped (see ``Limit``) before any feasible solution was found."""
    ERROR = "error"
    """The backend reported a status this package does not understand."""

    @property
    def has_solution(self) -> bool:
        """Whether a result with this status carries a solution."""
        return self in (Status.OPTIMAL, Status.FEASIBLE)


class Limit(StrEnum):
    """The budget that stopped an exact method before it finished."""

    TIME = "time"
    ITERATION = "iteration"
    NODE = "node"
    INTERRUPTED = "interrupted"
    OTHER = "other"
