"""Random HFEL instances: devices and edge servers scattered over a square area.

The HFEL paper (Luo et al., IEEE TWC 2020, Sec. VI) simulates devices and edge servers in a
square area with a path-loss channel; its exact constants were not checked against the
published PDF, so every value below is *chosen* (plausible orders of magnitude, consistent
with the ``fl_energy`` formulation's Yang et al. set-up where the two overlap):

=====================  ==============================================================
parameter              value
=====================  ==============================================================
area                   500 m x 500 m, devices and edge servers uniform
edge servers           ``min(20, max(2, round(size/8)))``
reachability           within 350 m, and always the nearest edge server
path loss              128.1 + 37.6·log10(d [km]) dB (3GPP), d >= 20 m,
                       log-normal shadowing std 8 dB clipped at +-16 dB
N0                     -174 dBm/Hz
p_i                    uniform 10..23 dBm
c_i, D_i               uniform 1e4..3e4 cycles/sample, 100..1000 samples
f_max                  uniform 1..2 GHz
alpha                  2e-28 (energy L·alpha/2·c·D·f²)
L, I                   5 local iterations per edge iteration, 5 edge iterations
s                      1e6 bit (about 31k float32 parameters)
B_j                    uniform 1..10 MHz
cloud upload           model over a 10..100 Mbit/s backhaul at 1..5 W
lambda_e, lambda_t     1 /J, 1 /s
max_devices            none
=====================  ==============================================================
"""

from __future__ import annotations

import numpy as np

from edgeopt_solve.system import dbm_to_watt, path_loss_db
from formulations.fl_hierarchical.model import Device, Edge, Instance

SIDE = 500.0
REACH = 350.0
MODEL_BITS = 1e6


def edge_count(size: int) -> int:
    """Number of edge servers of ``generate(size, ...)``."""
    return min(20, max(2, round(size / 8)))


def generate(size: int, seed: int, *, edges: int | None = None) -> Instance:
    """A random instance with ``size`` devices (deterministic in ``(size, seed)``)."""
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ValueError(f"size must be a positive integer, got {size!r}")
    rng = np.random.default_rng([seed, size])
    m = edge_count(size) if edges is None else edges
    epos = rng.uniform(0.0, SIDE, size=(m, 2))
    dpos = rng.uniform(0.0, SIDE, size=(size, 2))
    dist = np.maximum(np.hypot(dpos[:, None, 0] - epos[None, :, 0],
                               dpos[:, None, 1] - epos[None, :, 1]), 20.0)
    shadow = np.clip(rng.normal(0.0, 8.0, size=(size, m)), -16.0, 16.0)
    cycles = rng.uniform(1e4, 3e4, size=size)
    samples = rng.integers(100, 1001, size=size)
    f_max = rng.uniform(1e9, 2e9, size=size)
    p_dbm = rng.uniform(10.0, 23.0, size=size)
    bw = rng.uniform(1e6, 10e6, size=m)
    backhaul = rng.uniform(10e6, 100e6, size=m)
    edge_power = rng.uniform(1.0, 5.0, size=m)
    out_edges = tuple(
        Edge(bandwidth=float(round(bw[j], -3)), cloud_time=float(MODEL_BITS / backhaul[j]),
             cloud_energy=float(edge_power[j] * MODEL_BITS / backhaul[j]),
             position=(float(round(epos[j, 0], 1)), float(round(epos[j, 1], 1))))
        for j in range(m))
    devices = []
    for i in range(size):
        near = int(np.argmin(dist[i]))
        gains: list[float | None] = []
        for j in range(m):
            if dist[i, j] <= REACH or j == near:
                loss = path_loss_db(float(dist[i, j])) + float(shadow[i, j])
                gains.append(float(10 ** (-loss / 10)))
            else:
                gains.append(None)
        devices.append(Device(cycles_per_sample=float(round(cycles[i], 1)),
                              samples=float(samples[i]), f_max=float(round(f_max[i], -6)),
                              power=float(round(dbm_to_watt(float(p_dbm[i])), 6)),
                              gains=tuple(gains),
                              position=(float(round(dpos[i, 0], 1)),
                                        float(round(dpos[i, 1], 1)))))
    return Instance(model_bits=MODEL_BITS, noise_psd=dbm_to_watt(-174.0), capacitance=2e-28,
                    local_iterations=5.0, edge_iterations=5.0, energy_weight=1.0,
                    time_weight=1.0, edges=out_edges, devices=tuple(devices))
