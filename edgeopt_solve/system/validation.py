"""Small checks shared by the system-model types; each error names its field."""

from __future__ import annotations

import math
from collections.abc import Iterable

from edgeopt_solve.exceptions import InvalidInstanceError


def finite(field: str, value: float) -> float:
    """``value`` as a float, or an error if it is not a finite number."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInstanceError(f"must be a number, got {value!r}", field=field)
    if not math.isfinite(value):
        raise InvalidInstanceError(f"must be finite, got {value!r}", field=field)
    return float(value)


def positive(field: str, value: float) -> float:
    """A finite number > 0."""
    value = finite(field, value)
    if value <= 0:
        raise InvalidInstanceError(f"must be > 0, got {value!r}", field=field)
    return value


def nonnegative(field: str, value: float) -> float:
    """A finite number >= 0."""
    value = finite(field, value)
    if value < 0:
        raise InvalidInstanceError(f"must be >= 0, got {value!r}", field=field)
    return value


def unique(field: str, values: Iterable[str]) -> None:
    """No value twice."""
    seen: set[str] = set()
    for value in values:
        if value in seen:
            raise InvalidInstanceError(f"duplicate id {value!r}", field=field)
        seen.add(value)
