"""Gantt chart of one FedCS round: distribution, updates and the shared upload channel."""

from __future__ import annotations

from typing import Any

from .evaluate import schedule
from .model import Instance, Solution


def plot(inst: Instance, sol: Solution, ax: Any) -> None:
    """Draw the replayed round of ``sol`` on the matplotlib axes ``ax``.

    One row per selected client (upload order, top to bottom): model download (grey),
    local update (blue), upload (orange); the dashed line is the deadline.
    """
    by_id = {c.id: c for c in inst.clients}
    rows = schedule(inst, sol)
    for y, (cid, has_model, up_start, up_end) in enumerate(rows):
        c = by_id[cid]
        row = len(rows) - 1 - y
        start = has_model - c.download_time if inst.download == "parallel" else \
            inst.selection_time
        ax.barh(row, has_model - start, left=start, color="0.75")
        ax.barh(row, c.update_time, left=has_model, color="tab:blue")
        ax.barh(row, up_end - up_start, left=up_start, color="tab:orange")
    ax.axvline(inst.deadline - inst.aggregation_time, color="k", linestyle="--")
    ax.set_yticks(range(len(rows)))
    ax.set_yticklabels([r[0] for r in reversed(rows)])
    ax.set_xlabel("time (s)")
    ax.set_title(f"{len(rows)} of {len(inst.clients)} clients selected")
