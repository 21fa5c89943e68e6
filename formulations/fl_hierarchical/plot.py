"""Picture of an association: devices coloured by their edge server, links drawn."""

from __future__ import annotations

from typing import Any

import numpy as np


def plot(inst: Any, sol: Any, ax: Any) -> None:
    """Devices (dots) and edge servers (squares) coloured by edge, with association links.

    Uses the optional positions of the instance; without them, edge servers are placed on
    a circle and every device near its edge server.

    Parameters
    ----------
    inst, sol
        ``fl_hierarchical.Instance`` and ``fl_hierarchical.Solution``.
    ax
        A matplotlib axes.
    """
    import matplotlib.pyplot as plt

    m, n = inst.m, inst.n
    if all(e.position is not None for e in inst.edges) and all(
            d.position is not None for d in inst.devices):
        epos = np.array([e.position for e in inst.edges], dtype=float)
        dpos = np.array([d.position for d in inst.devices], dtype=float)
    else:
        ang = 2 * np.pi * np.arange(m) / max(m, 1)
        epos = np.c_[np.cos(ang), np.sin(ang)] * 10.0
        rng = np.random.default_rng(0)
        dpos = epos[list(sol.association)] + rng.normal(0.0, 2.0, size=(n, 2))
    cmap = plt.get_cmap("tab20" if m > 10 else "tab10")
    for i, j in enumerate(sol.association):
        ax.plot([dpos[i, 0], epos[j, 0]], [dpos[i, 1], epos[j, 1]], color=cmap(j % cmap.N),
                lw=0.6, alpha=0.5)
    ax.scatter(dpos[:, 0], dpos[:, 1], c=[cmap(j % cmap.N) for j in sol.association], s=18,
               zorder=3)
    ax.scatter(epos[:, 0], epos[:, 1], c=[cmap(j % cmap.N) for j in range(m)], marker="s",
               s=90, edgecolors="black", zorder=4)
    for j in range(m):
        ax.annotate(str(j), epos[j], textcoords="offset points", xytext=(5, 5))
    used = len(set(sol.association))
    ax.set_title(f"HFEL association: {n} devices on {used} of {m} edge servers")
    ax.set_aspect("equal", adjustable="datalim")
