"""Plots shared by the notebooks and ``edgeopt-solve solve --plot``.

Each function draws on a given matplotlib ``Axes`` and labels axes with units; the
formulation's own picture (Gantt chart, tour map, heat map ...) is its module's
``plot(inst, sol, ax)``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np


def gap_distribution(rows: Iterable[dict[str, Any]], ax: Any, *,
                     methods: Sequence[str] | None = None) -> None:
    """Box plot of each method's gap to the best known bound, in percent."""
    gaps: dict[str, list[float]] = defaultdict(list)
    for r in rows:
        if r.get("gap_to_best") is not None and (methods is None or r["method"] in methods):
            gaps[r["method"]].append(100 * float(r["gap_to_best"]))
    names = [m for m in (methods or sorted(gaps)) if gaps.get(m)]
    if not names:
        ax.text(0.5, 0.5, "no run has a gap to a bound", ha="center", va="center",
                transform=ax.transAxes)
        ax.set_axis_off()
        return
    ax.boxplot([gaps[m] for m in names], tick_labels=names, showmeans=True)
    ax.set_ylabel("gap to best bound (%)")
    ax.set_xlabel("method")
    ax.set_title("Heuristic-to-optimal gap")
    ax.grid(axis="y", alpha=0.3)


def runtime_scaling(rows: Iterable[dict[str, Any]], ax: Any) -> None:
    """Median runtime against instance size per method, log-log."""
    times: dict[str, dict[int, list[float]]] = defaultdict(lambda: defaultdict(list))
    for r in rows:
        if r.get("runtime") is not None and r.get("size") is not None:
            times[r["method"]][int(r["size"])].append(max(float(r["runtime"]), 1e-6))
    for method in sorted(times):
        sizes = sorted(times[method])
        ax.plot(sizes, [float(np.median(times[method][n])) for n in sizes], marker="o",
                label=method)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel("instance size")
    ax.set_ylabel("median runtime (s)")
    ax.set_title("Runtime scaling")
    ax.legend(fontsize="small")
    ax.grid(alpha=0.3, which="both")


def status_counts(rows: Iterable[dict[str, Any]]) -> dict[str, dict[str, int]]:
    """Per method, how many runs ended in each status."""
    out: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for r in rows:
        out[r["method"]][r["status"]] += 1
    return {m: dict(c) for m, c in out.items()}
