"""Picture of a placement: stacked storage use per server against its capacity."""

from __future__ import annotations

from typing import Any

from .model import Instance, Solution


def plot(inst: Instance, sol: Solution, ax: Any) -> None:
    """Bars of bytes stored per server (one segment per block), capacity as a line."""
    m = inst.m
    bottoms = [0.0] * m
    unplaced = 0
    for j, i in enumerate(sol.assignment):
        if i is None:
            unplaced += 1
            continue
        w = inst.weight[i][j]
        ax.bar(i, w, bottom=bottoms[i], edgecolor="black", linewidth=0.5)
        bottoms[i] += w
    for i in range(m):
        ax.hlines(inst.capacity[i], i - 0.4, i + 0.4, colors="red")
    ax.set_xticks(range(m))
    ax.set_xlabel("server")
    ax.set_ylabel("storage used (bytes)")
    ax.set_title(f"placement ({unplaced} unplaced)" if unplaced else "placement")
