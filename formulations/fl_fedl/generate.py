"""Random FEDL instances with paper-like parameters.

The INFOCOM 2019 paper (Tran et al.) and its extended version (C. T. Dinh, N. H. Tran et
al., "Federated Learning over Wireless Networks: Convergence Analysis and Resource
Allocation", IEEE/ACM ToN 29(1), 2021) simulate a single cell of UEs. The values below are
as recalled from those papers; **none was confirmed against the published PDFs** while
writing this module (no copy was at hand), so treat the preset as "paper-like":

=================  =====================================  ==============================
parameter          value                                  provenance
=================  =====================================  ==============================
devices            50                                     paper (recalled)
bandwidth B        1 MHz                                  paper (recalled)
path loss          128.1 + 37.6·log10(d [km]) dB,         paper (recalled); the 8 dB
                   log-normal shadowing std 8 dB,         clipping is ours
                   clipped at +-16 dB
noise N0           -174 dBm/Hz over B (so ~4e-15 W)       paper (recalled)
area               UEs uniform in a 580 m x 580 m square  recalled, not confirmed;
                   around the BS, at least 20 m away      the 20 m floor is ours
model size s       25,000 nats (about 4.5 kB)             paper (recalled)
p_min, p_max       0.2 W, 1 W                             paper (recalled)
c_n                uniform in [10, 30] cycles/bit         paper (recalled)
D_n                uniform in [5, 10] MB (as bits)        paper (recalled); here
                                                          ``samples`` counts bits
f_min, f_max       0.3 GHz; f_max uniform [1, 2] GHz      paper (recalled)
alpha              2e-28                                  paper (recalled)
kappa              1 J/s (``generate``)                   the paper sweeps kappa
                                                          (0.1 ... 10); chosen
v, a               v = 1, a = 1                           chosen: the paper only
                                                          states K_l = O(log(1/theta))
                                                          and K_g = O(log(1/eps))/(1-theta);
                                                          a only scales the cost
=================  =====================================  ==============================

Values are rounded to a few significant digits so that files stay readable.
"""

from __future__ import annotations

import math

import numpy as np

from edgeopt_solve.system import dbm_to_watt, square_cell_losses
from formulations.fl_fedl.model import Device, Instance

PRESET = {
    "bandwidth": 1e6,
    "noise_psd_dbm_hz": -174.0,
    "model_size": 25_000.0,
    "capacitance": 2e-28,
    "kappa": 1.0,
    "p_min": 0.2,
    "p_max": 1.0,
    "cycles_per_bit": (10.0, 30.0),
    "data_bytes": (5e6, 10e6),
    "f_min": 0.3e9,
    "f_max": (1e9, 2e9),
    "area_side": 580.0,
    "min_distance": 20.0,
    "shadowing_db": 8.0,
    "local_iter_const": 1.0,
    "global_round_const": 1.0,
}


def _sig(x: float, digits: int = 6) -> float:
    """Round to ``digits`` significant digits."""
    if x == 0 or not math.isfinite(x):
        return x
    return float(f"{x:.{digits}g}")


def paper_instance(n: int = 50, seed: int = 0, *, kappa: float | None = None,
                   theta: float | None = None, shadowing: bool = True) -> Instance:
    """An instance drawn from the paper-like preset (see the module table).

    Parameters
    ----------
    n
        Number of devices.
    seed
        Random seed (positions, shadowing, cycles, data sizes, f_max).
    kappa
        Energy/time weight, J/s (default ``PRESET["kappa"]``).
    theta
        Fix the local accuracy (``None``: optimised).
    shadowing
        Add log-normal shadowing (std 8 dB, clipped at two standard deviations).
    """
    rng = np.random.default_rng(seed)
    side = PRESET["area_side"]
    loss_db = square_cell_losses(rng, n, side=side, min_distance=PRESET["min_distance"],
                                 shadowing_db=PRESET["shadowing_db"] if shadowing else 0.0)
    cycles = rng.uniform(*PRESET["cycles_per_bit"], size=n)
    bits = 8.0 * rng.uniform(*PRESET["data_bytes"], size=n)
    f_max = rng.uniform(*PRESET["f_max"], size=n)
    devices = tuple(
        Device(cycles_per_sample=_sig(float(cycles[k]), 4), samples=_sig(float(bits[k]), 6),
               gain=_sig(10 ** (-float(loss_db[k]) / 10)),
               f_min=PRESET["f_min"], f_max=_sig(float(f_max[k]), 4),
               p_min=PRESET["p_min"], p_max=PRESET["p_max"])
        for k in range(n))
    return Instance(
        bandwidth=PRESET["bandwidth"],
        noise_power=_sig(dbm_to_watt(PRESET["noise_psd_dbm_hz"]) * PRESET["bandwidth"]),
        model_size=PRESET["model_size"],
        capacitance=PRESET["capacitance"],
        kappa=float(PRESET["kappa"] if kappa is None else kappa),
        local_iter_const=PRESET["local_iter_const"],
        global_round_const=PRESET["global_round_const"],
        devices=devices,
        theta=theta,
    )


def generate(size: int, seed: int) -> Instance:
    """A random instance with ``size`` devices from the paper-like preset (deterministic)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    return paper_instance(size, seed)
