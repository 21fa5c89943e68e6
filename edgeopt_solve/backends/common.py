"""What every backend helper returns, and the status/limit mapping rule they share."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from edgeopt_solve.status import Limit, Status


@dataclass
class SolverRun:
    """The outcome of one backend call, in this package's terms.

    Attributes
    ----------
    status
        Mapped status (see each backend's ``STATUS_MAP``).
    limit
        The limit hit, if the solver stopped early.
    objective
        The solver's own objective value (informational; ``Result.objective`` is recomputed).
    bound
        The solver's proven dual bound, if any.
    native_status
        The solver's own status name, for messages.
    backend
        Library name.
    versions
        Library versions.
    handle
        The solver object, to read values from.
    """

    status: Status
    limit: Limit | None = None
    objective: float | None = None
    bound: float | None = None
    native_status: str = ""
    backend: str = ""
    versions: dict[str, str] = field(default_factory=dict)
    handle: Any = None

    @property
    def has_solution(self) -> bool:
        """Whether the solver holds a primal solution."""
        return self.status.has_solution


def outcome_status(
    mapped: tuple[Status | None, Limit | None] | None, has_primal: bool
) -> tuple[Status, Limit | None]:
    """Resolve a ``STATUS_MAP`` entry.

    Entries are ``(status, None)`` for a final answer and ``(None, limit)`` for an early
    stop, where the status is FEASIBLE with an incumbent and NO_SOLUTION without. An
    unknown native status (``mapped is None``) is ERROR.
    """
    if mapped is None:
        return Status.ERROR, None
    status, limit = mapped
    if status is None:
        return (Status.FEASIBLE if has_primal else Status.NO_SOLUTION), limit
    return status, limit
