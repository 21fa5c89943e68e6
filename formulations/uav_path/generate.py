"""Random UAV data-collection fields for tests, notebooks and benchmarks."""

from __future__ import annotations

import math

import numpy as np

from formulations.uav_path.model import Instance


def generate(size: int, seed: int) -> Instance:
    """A square field with ``size`` hovering points and 1-3 devices around each.

    The field is ``300·sqrt(size)`` m wide, the base at its centre; devices lie within
    80 % of the 100 m communication range of their hovering point, hold 1-20 Mbit and
    send at 1-5 Mbit/s; the battery is 500 kJ (about 139 Wh) and every other parameter
    is the default (Zeng et al. 2019 Table I power model, speeds up to 30 m/s).
    """
    size = max(1, int(size))
    rng = np.random.default_rng([seed, size, 8])
    side = 300.0 * math.sqrt(size)
    points = rng.uniform(0.0, side, size=(size, 2)).round(1)
    devices = []
    for j, (px, py) in enumerate(points):
        for k in range(int(rng.integers(1, 4))):
            r = 80.0 * math.sqrt(rng.uniform())
            a = rng.uniform(0.0, 2 * math.pi)
            devices.append({
                "id": f"d{j}-{k}",
                "position": [round(float(px + r * math.cos(a)), 1),
                             round(float(py + r * math.sin(a)), 1)],
                "data_bits": float(round(rng.uniform(1e6, 2e7), -3)),
                "rate": float(round(rng.uniform(1e6, 5e6), -3)),
            })
    data = {
        "base": [round(side / 2, 1), round(side / 2, 1)],
        "points": [[float(x), float(y)] for x, y in points],
        "devices": devices,
        "comm_range": 100.0,
        "battery": 5e5,
    }
    return Instance.from_dict(data)
