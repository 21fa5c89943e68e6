"""Picture of a mission: base, hovering points, devices with their links, the tour."""

from __future__ import annotations

from typing import Any

from formulations.uav_path.model import Instance, Solution


def plot(inst: Instance, sol: Solution | None, ax: Any) -> None:
    """Draw ``inst`` (and the tour of ``sol`` if given) on matplotlib axes ``ax``."""
    from formulations.uav_path.evaluate import _serving_point

    xs = [p[0] for p in inst.points]
    ys = [p[1] for p in inst.points]
    for i, dev in enumerate(inst.devices):
        j = _serving_point(inst, i)
        ax.plot([dev.position[0]], [dev.position[1]], ".", color="tab:green", ms=4)
        if j is not None:
            p = inst.points[j]
            ax.plot([dev.position[0], p[0]], [dev.position[1], p[1]], ":", color="tab:green",
                    lw=0.7)
    ax.plot(xs, ys, "o", color="tab:blue", ms=4, label="hovering points")
    ax.plot([inst.base[0]], [inst.base[1]], "s", color="tab:red", ms=8, label="base")
    if sol is not None and len(sol.tour) == len(inst.points):
        path = [inst.base, *(inst.points[j] for j in sol.tour), inst.base]
        ax.plot([p[0] for p in path], [p[1] for p in path], "-", color="tab:gray", lw=1)
    ax.set_aspect("equal")
    ax.set_xlabel("x (m)")
    ax.set_ylabel("y (m)")
    ax.legend(loc="best", fontsize="small")
