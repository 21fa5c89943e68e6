"""Picture of a FEDL solution: per-device CPU frequency and TDMA slot, sorted by channel gain."""

from __future__ import annotations

from typing import Any

import numpy as np


def plot(inst: Any, sol: Any, ax: Any) -> None:
    """Frequency (bars, GHz) and upload time (line, ms) per device, weakest channel first.

    Parameters
    ----------
    inst, sol
        ``fl_fedl.Instance`` and ``fl_fedl.Solution``.
    ax
        A matplotlib axes.
    """
    gain = np.array([d.gain for d in inst.devices])
    order = np.argsort(gain)
    k = np.arange(inst.n)
    f = np.asarray(sol.frequency)[order] / 1e9
    ax.bar(k, f, color="tab:blue", alpha=0.6, label="CPU frequency (GHz)")
    fmax = np.array([d.f_max for d in inst.devices])[order] / 1e9
    ax.plot(k, fmax, "_", color="tab:blue", ms=10, label="f_max")
    ax.set_xlabel("device (sorted by channel gain, weakest first)")
    ax.set_ylabel("frequency (GHz)")
    ax2 = ax.twinx()
    ax2.plot(k, np.asarray(sol.upload_time)[order] * 1e3, "o-", color="tab:red", ms=3,
             label="upload time tau (ms)")
    ax2.set_ylabel("upload time per round (ms)")
    ax2.set_ylim(bottom=0)
    ax.set_title(f"FEDL: theta = {sol.theta:.3g}, kappa = {inst.kappa:g} J/s")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="best", fontsize="small")
