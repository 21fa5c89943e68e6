"""Random FedCS instances in the spirit of the paper's simulation (Nishio & Yonetani 2019).

Times are drawn per client (seconds, two decimals): download ``U(1, 10)`` (model broadcast
at the client's throughput), update ``U(5, 50)`` (local epochs on heterogeneous devices),
upload ``U(2, 20)`` (update size over the shared uplink). The deadline
``median(d) + median(u) + 0.35 * sum(p)`` lets about half of the clients fit (55 % at
1,000 clients). The paper derives these times from throughput and compute models; we
draw them directly.
"""

from __future__ import annotations

import numpy as np

from .model import Client, Instance


def generate(size: int, seed: int, *, weighted: bool = False) -> Instance:
    """A random instance with ``size`` clients (deterministic in ``seed``).

    Parameters
    ----------
    size
        Number of clients (>= 0).
    seed
        Random seed.
    weighted
        Draw integer weights in 1..10 (data-set sizes) instead of unit weights.
    """
    rng = np.random.default_rng([seed, size, 6])
    d = np.round(rng.uniform(1.0, 10.0, size), 2)
    u = np.round(rng.uniform(5.0, 50.0, size), 2)
    p = np.round(rng.uniform(2.0, 20.0, size), 2)
    w = rng.integers(1, 11, size) if weighted else np.ones(size, dtype=int)
    deadline = float(np.median(d) + np.median(u) + 0.35 * p.sum()) if size else 60.0
    clients = tuple(
        Client(id=f"c{i}", download_time=float(d[i]), update_time=float(u[i]),
               upload_time=float(p[i]), weight=float(w[i]))
        for i in range(size))
    return Instance(clients=clients, deadline=round(deadline, 2))
