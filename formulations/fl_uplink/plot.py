"""Picture of a solution: per-device timeline, computation then upload."""

from __future__ import annotations

from typing import Any


def plot(inst: Any, sol: Any, ax: Any) -> None:
    """Gantt chart: one row per device, computing (blue) then uploading (orange).

    The bar label of each upload shows the transmit power in mW; the dashed lines mark
    T_c and the deadline T.

    Parameters
    ----------
    inst, sol
        ``fl_uplink.Instance`` and ``fl_uplink.Solution``.
    ax
        A matplotlib axes.
    """
    from formulations.fl_uplink.evaluate import objective, timeline

    rows = timeline(inst, sol)
    for k, (c0, c1, u0, u1) in enumerate(rows):
        ax.broken_barh([(c0, c1 - c0)], (k - 0.4, 0.8), color="tab:blue", alpha=0.7,
                       label="compute" if k == 0 else None)
        ax.broken_barh([(u0, u1 - u0)], (k - 0.4, 0.8), color="tab:orange", alpha=0.8,
                       label="upload" if k == 0 else None)
        if inst.n <= 20:
            ax.text(u1, k, f" {1e3 * sol.power[k]:.3g} mW", va="center", fontsize="x-small")
    ax.axvline(sol.compute_time, color="grey", ls="--", lw=0.8)
    ax.axvline(inst.deadline, color="black", ls="-", lw=0.8)
    ax.set_xlim(0, inst.deadline * 1.15)
    ax.set_ylim(-0.7, inst.n + 0.9)  # room for the legend above the last device
    ax.set_xlabel("time in the round (s)")
    ax.set_ylabel("device")
    ax.set_title(f"{inst.access.upper()} round: energy {1e3 * objective(inst, sol):.4g} mJ, "
                 f"T_c = {sol.compute_time:.4g} s, T = {inst.deadline:.4g} s")
    ax.legend(loc="upper right", fontsize="small", ncol=2)
