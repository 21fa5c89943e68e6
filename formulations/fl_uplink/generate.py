"""Random instances in the spirit of the simulation set-up of Mo & Xu (JCIN 2021, Sec. V).

Parameters (``PRESET``) and where they come from. The published PDF could not be consulted
while writing this module, so every value below is marked "not confirmed": they are
common choices of this literature (the path-loss law and noise density of 3GPP TR 36.814
used by Yang et al. TWC 2021 and many FEEL papers) and were tuned so that computation and
upload energy are of the same order:

=================  ===========================================  ==================
parameter          value                                        provenance
=================  ===========================================  ==================
bandwidth W        1 MHz                                        not confirmed
noise PSD N0       -174 dBm/Hz                                  3GPP; not confirmed
path loss          128.1 + 37.6·log10(d [km]) dB, no fading     3GPP TR 36.814
placement          distance uniform in [50, 500] m from server  chosen
kappa              1e-28                                        not confirmed
cycles/sample      uniform in [1, 3]·1e4                        not confirmed
samples            integer uniform in [500, 1500]               chosen
local epochs       1                                            chosen
model bits s_k     1e5 bit (same model for every device)        chosen
p_max              20 dBm = 0.1 W                               not confirmed
f_max              2 GHz                                        not confirmed
deadline T         2 × the smallest feasible TDMA deadline,     chosen
                   rounded to 4 significant digits
=================  ===========================================  ==================

:func:`generate` alternates the access mode with the seed (even: TDMA, odd: NOMA) so that
the conformance tests exercise both; :func:`mo_xu_instance` chooses it explicitly.
"""

from __future__ import annotations

import math

import numpy as np

from edgeopt_solve.system import dbm_to_watt, path_loss_db
from formulations.fl_uplink.model import Device, Instance

PRESET = {
    "bandwidth": 1e6,
    "noise_psd_dbm_hz": -174.0,
    "kappa": 1e-28,
    "distance": (50.0, 500.0),
    "cycles_per_sample": (1e4, 3e4),
    "samples": (500, 1500),
    "local_epochs": 1,
    "model_bits": 1e5,
    "p_max_dbm": 20.0,
    "f_max": 2e9,
    "deadline_factor": 2.0,
}


def tdma_min_deadline(inst: Instance) -> float:
    """Smallest feasible TDMA deadline: compute at f_max, then every slot at p_max, s."""
    n0w = inst.noise_psd * inst.bandwidth
    tc = max(d.cycles_per_sample * d.samples * d.local_epochs / d.f_max for d in inst.devices)
    up = sum(d.model_bits / (inst.bandwidth * math.log2(1 + d.gain * d.p_max / n0w))
             for d in inst.devices)
    return tc + up


def mo_xu_instance(n: int = 10, seed: int = 0, *, access: str = "tdma",
                   deadline: float | None = None,
                   deadline_factor: float | None = None) -> Instance:
    """An instance with ``n`` devices drawn from ``PRESET`` (see the module table).

    Parameters
    ----------
    n
        Number of devices.
    seed
        Random seed (distances, cycles per sample, samples).
    access
        ``"tdma"`` or ``"noma"``.
    deadline
        Round length T in seconds; default ``deadline_factor`` times the smallest
        feasible TDMA deadline (rounded to 4 significant digits).
    deadline_factor
        Default ``PRESET["deadline_factor"]``.
    """
    rng = np.random.default_rng(seed)
    dmin, dmax = PRESET["distance"]
    dist = rng.uniform(dmin, dmax, size=n)
    lo, hi = PRESET["cycles_per_sample"]
    cycles = rng.uniform(lo, hi, size=n)
    slo, shi = PRESET["samples"]
    samples = rng.integers(slo, shi + 1, size=n)
    devices = tuple(
        Device(cycles_per_sample=float(round(cycles[k], 3)), samples=float(samples[k]),
               local_epochs=int(PRESET["local_epochs"]), model_bits=PRESET["model_bits"],
               gain=float(10 ** (-path_loss_db(float(dist[k])) / 10)),
               p_max=dbm_to_watt(PRESET["p_max_dbm"]), f_max=PRESET["f_max"])
        for k in range(n))
    inst = Instance(access=access, bandwidth=PRESET["bandwidth"],
                    noise_psd=dbm_to_watt(PRESET["noise_psd_dbm_hz"]), deadline=1.0,
                    kappa=PRESET["kappa"], devices=devices)
    if deadline is None:
        factor = PRESET["deadline_factor"] if deadline_factor is None else deadline_factor
        t = factor * tdma_min_deadline(inst)
        deadline = float(f"{t:.4g}")
    return inst.with_changes(deadline=float(deadline))


def generate(size: int, seed: int) -> Instance:
    """A random instance with ``size`` devices; TDMA for even seeds, NOMA for odd ones."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    return mo_xu_instance(size, seed, access="tdma" if seed % 2 == 0 else "noma")
