"""Random instances following the simulation set-up of Yang et al. (IEEE TWC 2021, Sec. VI).

Parameters (``PRESET``) and where they come from:

================  ======================================  ==========================
parameter         value                                   provenance
================  ======================================  ==========================
devices           50                                      Yang et al. Sec. VI
bandwidth B       20 MHz                                  Yang et al. Sec. VI
path loss         128.1 + 37.6·log10(d [km]) dB           Yang et al. (3GPP TR 36.814)
shadowing         log-normal, std 8 dB, clipped at        Yang et al. (not confirmed
                  +-16 dB (2 std) so that ``generate``    against the published PDF);
                  draws stay feasible                     the clipping is ours
N0                -174 dBm/Hz                             Yang et al. Sec. VI
kappa             1e-28                                   Yang et al. Sec. VI
C_k               uniform in [1, 3]·1e4 cycles/sample     Yang et al. Sec. VI
D_k               500 samples                             Yang et al. Sec. VI
s                 28.1 kbit                               Yang et al. Sec. VI
p_max             10 dBm                                  Yang et al. Sec. VI
f_max             2 GHz                                   Yang et al. Sec. VI
area              devices uniform in a 500 m x 500 m      not confirmed; chosen
                  square, base station at the centre,
                  distance at least 50 m (the path-loss
                  law is not meant for shorter ranges)
v, a              v = 2, a = 10                           not confirmed: the paper
                                                          derives them from
                                                          learning constants (L,
                                                          gamma, delta, epsilon_0);
                                                          chosen so that local
                                                          iterations (~3-7) and
                                                          rounds (~11-20) are
                                                          realistic
T                 2.5·max(1, K/400) s (``generate``)     chosen; the paper sweeps T
================  ======================================  ==========================

All values are converted to SI units (W, Hz, W/Hz, bit).
"""

from __future__ import annotations

import numpy as np

from edgeopt_solve.system import dbm_to_watt, square_cell_losses
from formulations.fl_energy.model import Device, Instance

PRESET = {
    "bandwidth": 20e6,
    "noise_psd_dbm_hz": -174.0,
    "kappa": 1e-28,
    "cycles_per_sample": (1e4, 3e4),
    "samples": 500.0,
    "model_bits": 28.1e3,
    "p_max_dbm": 10.0,
    "f_max": 2e9,
    "area_side": 500.0,
    "min_distance": 50.0,
    "shadowing_db": 8.0,
    "local_iter_const": 2.0,
    "global_round_const": 10.0,
    "deadline": 2.0,
}


def yang_instance(n: int = 50, seed: int = 0, *, deadline: float | None = None,
                  eta: float | None = None, shadowing: bool = True) -> Instance:
    """An instance drawn from the Yang et al. set-up (see the module table).

    Parameters
    ----------
    n
        Number of devices.
    seed
        Random seed (positions, shadowing, cycles per sample).
    deadline
        Total training time T in seconds (default ``PRESET["deadline"]``).
    eta
        Fix the local accuracy (``None``: optimised).
    shadowing
        Add log-normal shadowing (std 8 dB, clipped at two standard deviations).
    """
    rng = np.random.default_rng(seed)
    side = PRESET["area_side"]
    loss_db = square_cell_losses(rng, n, side=side, min_distance=PRESET["min_distance"],
                                 shadowing_db=PRESET["shadowing_db"] if shadowing else 0.0)
    lo, hi = PRESET["cycles_per_sample"]
    cycles = rng.uniform(lo, hi, size=n)
    devices = []
    for k in range(n):
        devices.append(Device(
            cycles_per_sample=float(round(cycles[k], 3)),
            samples=PRESET["samples"],
            gain=float(10 ** (-loss_db[k] / 10)),
            p_max=dbm_to_watt(PRESET["p_max_dbm"]),
            f_max=PRESET["f_max"],
        ))
    return Instance(
        bandwidth=PRESET["bandwidth"],
        noise_psd=dbm_to_watt(PRESET["noise_psd_dbm_hz"]),
        deadline=float(PRESET["deadline"] if deadline is None else deadline),
        model_bits=PRESET["model_bits"],
        kappa=PRESET["kappa"],
        local_iter_const=PRESET["local_iter_const"],
        global_round_const=PRESET["global_round_const"],
        devices=tuple(devices),
        eta=eta,
    )


def generate(size: int, seed: int) -> Instance:
    """A random instance with ``size`` devices from the Yang et al. distribution.

    Deterministic in ``(size, seed)``. The deadline is ``2.5·max(1, size/400)`` s: the
    bandwidth per device shrinks as ``size`` grows, so the deadline grows with it (it is
    about 2.5-4 times the smallest feasible deadline for 50-10,000 devices).
    """
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    deadline = 2.5 * max(1.0, size / 400.0)
    return yang_instance(size, seed, deadline=deadline)
