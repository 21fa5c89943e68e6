"""edgeopt: optimization and scheduling solvers for edge intelligence.

Python API for planners::

    import edgeopt_solve
    loaded = edgeopt_solve.load("instances/placement/small.json")
    result = edgeopt_solve.solve(loaded.instance, method="milp", time_limit=10, seed=0)
    print(result.status, result.objective, result.gap)

Each formulation's typed API is also importable directly, e.g.
``from formulations import placement; placement.solve(placement.generate(20, seed=1))``.
"""

from __future__ import annotations

import logging
from typing import Any

from edgeopt_solve.context import StopToken
from edgeopt_solve.exceptions import (
    EdgeOptError,
    InvalidInstanceError,
    InvalidOptionError,
    SolverError,
    SolverUnavailable,
)
from edgeopt_solve.io import LoadedInstance, load
from edgeopt_solve.result import Result
from edgeopt_solve.status import Limit, Status

__version__ = "0.1.0"

logging.getLogger(__name__).addHandler(logging.NullHandler())


def formulation_of(instance: Any) -> Any:
    """The formulation module an instance (or a :class:`LoadedInstance`) belongs to."""
    from edgeopt_solve import registry

    if isinstance(instance, LoadedInstance):
        return instance.module
    package = type(instance).__module__.rsplit(".", 1)[0]
    for name, path in registry.module_paths().items():
        if package == path or type(instance).__module__ == path:
            return registry.get(name)
    raise InvalidOptionError(f"{type(instance).__name__} is not an instance of any formulation")


def solve(instance: Any, method: str | None = None, *, time_limit: float | None = None,
          seed: int = 0, stop: StopToken | None = None, **options: Any) -> Result:
    """Solve an instance of any formulation and return its verified :class:`Result`.

    Parameters
    ----------
    instance
        A formulation's ``Instance`` or a :class:`LoadedInstance` from :func:`load`.
    method
        A method name (``edgeopt-solve list``); the formulation's default if ``None``.
    time_limit
        Seconds (> 0) or ``None``.
    seed
        Seed for randomised methods.
    stop
        A :class:`StopToken` another thread may use to interrupt the solve.
    **options
        Method-specific options.
    """
    from edgeopt_solve import registry
    from edgeopt_solve.protocol import run_method

    module = formulation_of(instance)
    inst = instance.instance if isinstance(instance, LoadedInstance) else instance
    return run_method(module, inst, method or registry.default_method(module),
                      time_limit=time_limit, seed=seed, stop=stop, **options)


__all__ = [
    "EdgeOptError", "InvalidInstanceError", "InvalidOptionError", "Limit", "LoadedInstance",
    "Result", "SolverError", "SolverUnavailable", "Status", "StopToken", "load", "solve",
]
