"""Picture of a partition: layers in topological order, coloured by tier."""

from __future__ import annotations

from typing import Any

from formulations.partition.model import Instance, Solution

_COLOURS = ("tab:blue", "tab:orange", "tab:green", "tab:red", "tab:purple")


def plot(inst: Instance, sol: Solution, ax: Any) -> None:
    """Bars of each layer's latency on its tier (log scale), coloured by tier; edges of
    the DAG that cross tiers drawn as arcs below the axis."""
    lat = inst.latency
    xs = range(inst.n_layers)
    heights = [max(lat[t][v], 1e-9) for v, t in enumerate(sol.tiers)]
    colours = [_COLOURS[t % len(_COLOURS)] for t in sol.tiers]
    ax.bar(xs, heights, color=colours)
    ax.set_yscale("log")
    ax.set_xlabel(f"layer ({inst.graph.name}, topological order)")
    ax.set_ylabel("latency on its tier (s)")
    for v, preds in enumerate(inst.graph.predecessors):
        for u in preds:
            if sol.tiers[u] != sol.tiers[v]:
                ax.axvline(u + 0.5, color="grey", lw=0.5, ls=":")
    handles = [ax.bar([0], [0], color=_COLOURS[k % len(_COLOURS)], label=t.name)
               for k, t in enumerate(inst.tiers)]
    ax.legend(handles=handles, loc="upper right")
