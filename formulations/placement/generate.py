"""Random system-form instances (Li et al. style edge data placement).

``size`` is the number of data blocks. The generator draws servers (2-4 of them for
small sizes, about one per 8 blocks beyond), block sizes in bytes, a full bandwidth matrix,
tasks at random sites reading 1-3 blocks, current block locations (for the replacement
cost) and, for odd seeds, the unplaced option (blocks served from the cloud). Capacities
are set from a random hidden placement so that every instance is feasible.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .model import Instance

MB = 1_000_000


def generate(size: int, seed: int) -> Instance:
    """A feasible random instance with ``size`` blocks (deterministic in ``seed``)."""
    rng = np.random.default_rng([int(seed), int(size), 7])
    n = max(int(size), 1)
    m = int(min(2 + n // 4, max(3, n // 8))) if n > 3 else 2
    sizes = rng.integers(1, 64, size=n) * MB
    hidden = rng.integers(0, m, size=n)
    load = np.bincount(hidden, weights=sizes, minlength=m)
    slack = rng.uniform(1.0, 1.3, size=m)
    capacity = [int(max(load[i] * slack[i], sizes.max())) for i in range(m)]
    servers = [{"capacity": capacity[i], "speed": float(rng.uniform(1e9, 4e9))}
               for i in range(m)]
    bw = rng.uniform(50e6, 1e9, size=(m, m))
    bw = (bw + bw.T) / 2
    np.fill_diagonal(bw, 0.0)
    blocks = []
    for j in range(n):
        b: dict[str, Any] = {"size": int(sizes[j])}
        if rng.random() < 0.7:
            b["origin"] = int(rng.integers(0, m))
        blocks.append(b)
    tasks = []
    for _t in range(max(2, n)):
        k = int(rng.integers(1, min(3, n) + 1))
        tasks.append({"site": int(rng.integers(0, m)),
                      "blocks": sorted(int(v) for v in rng.choice(n, size=k, replace=False)),
                      "rate": float(rng.uniform(0.1, 2.0)),
                      "cycles_per_byte": float(rng.uniform(0.0, 20.0))})
    data: dict[str, Any] = {
        "servers": servers,
        "blocks": blocks,
        "tasks": tasks,
        "bandwidth": bw.tolist(),
        "cloud_bandwidth": rng.uniform(10e6, 100e6, size=m).tolist(),
        "replacement_weight": float(rng.uniform(0.05, 0.5)),
        "allow_unplaced": bool(seed % 2 == 1),
    }
    return Instance.from_dict(data)
