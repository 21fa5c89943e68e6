"""Sweeps for notebooks: generate instances, run them through the batch runner, read rows.

Notebooks stay short and never rot: they call :func:`sweep` with sizes chosen by
:func:`scale` — small when the test suite executes them, full size when
``EDGEOPT_FULL=1`` is set.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from edgeopt_solve import batch, registry


def scale(small: Sequence[int], full: Sequence[int]) -> list[int]:
    """``full`` when ``EDGEOPT_FULL=1`` is set, else ``small``."""
    return list(full if os.environ.get("EDGEOPT_FULL") == "1" else small)


def sweep(formulation: str, sizes: Sequence[int], seeds: Sequence[int],
          methods: Sequence[str] | None = None, *, time_limit: float | None = 10.0,
          results: str | Path | None = None, workers: int = 2,
          scheduler: str | None = None) -> list[dict[str, Any]]:
    """Run every (generated instance, method, seed); return the finalised rows of this sweep.

    A results file reused across sweeps keeps every row (and a restarted sweep skips
    those already there); only the rows of the runs asked for here are returned.
    """
    module = registry.get(formulation)
    names = list(methods or module.METHODS)
    runs = [batch.Run(formulation, m, s, time_limit, size=n)
            for n in sizes for s in seeds for m in names]
    if results is None:
        results = Path(tempfile.mkdtemp(prefix="edgeopt-")) / f"{formulation}.csv"
    batch.run_sweep(runs, results, workers=workers, scheduler=scheduler)
    wanted = {run.key for run in runs}
    return [row for row in batch.finalize(results) if row["key"] in wanted]
