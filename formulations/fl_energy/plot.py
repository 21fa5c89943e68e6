"""Picture of a solution: per-device bandwidth share against channel gain, power and frequency."""

from __future__ import annotations

from typing import Any

import numpy as np


def plot(inst: Any, sol: Any, ax: Any) -> None:
    """Bandwidth (bars, MHz) per device sorted by channel gain; power and frequency as lines.

    Parameters
    ----------
    inst, sol
        ``fl_energy.Instance`` and ``fl_energy.Solution``.
    ax
        A matplotlib axes.
    """
    gain = np.array([d.gain for d in inst.devices])
    order = np.argsort(gain)
    k = np.arange(inst.n)
    ax.bar(k, np.asarray(sol.bandwidth)[order] / 1e6, color="tab:blue", alpha=0.6,
           label="bandwidth (MHz)")
    ax.set_xlabel("device (sorted by channel gain, weakest first)")
    ax.set_ylabel("bandwidth (MHz)")
    ax2 = ax.twinx()
    pmax = np.array([d.p_max for d in inst.devices])[order]
    fmax = np.array([d.f_max for d in inst.devices])[order]
    ax2.plot(k, np.asarray(sol.power)[order] / pmax, "o-", color="tab:red", ms=3,
             label="p / p_max")
    ax2.plot(k, np.asarray(sol.frequency)[order] / fmax, "s-", color="tab:green", ms=3,
             label="f / f_max")
    ax2.set_ylim(0, 1.05)
    ax2.set_ylabel("fraction of the maximum")
    ax.set_title(f"FL energy: eta = {sol.eta:.3g}")
    lines = ax.get_legend_handles_labels()
    lines2 = ax2.get_legend_handles_labels()
    ax.legend(lines[0] + lines2[0], lines[1] + lines2[1], loc="upper left", fontsize="small")
