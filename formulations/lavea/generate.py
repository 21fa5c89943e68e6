"""Random LAVEA instances: a front server, a forwarded neighbour, release dates, clients.

Times are in milliseconds-exact seconds (rounded to 1e-3 s) so that the CP-SAT model is
exact. Upload and compute times are drawn around the magnitudes LAVEA reports for
video-analytics tasks (a frame of a few hundred kB over a ~20 Mbit/s uplink: 0.05-0.4 s;
detection on an edge server: 0.05-0.5 s; on the client several times slower).
"""

from __future__ import annotations

import numpy as np

from formulations.lavea.model import OBJECTIVES, Instance, Server, Task


def generate(size: int, seed: int) -> Instance:
    """A random instance with ``size`` tasks (deterministic for ``seed``).

    One server for ``size <= 3``, otherwise the front server plus a neighbour reached
    with a 0.03 s forwarding hop whose CPU is 1.5x faster, and a cloud (60 ms RTT, 4x
    the neighbour's speed; tasks are given in seconds, so a transfer to the cloud is the
    upload plus 0.03 s). About half the tasks can run
    on their client (2-5x the server compute time). Release dates spread over about half
    the total work; integer weights 1..4; the objective cycles with the seed.
    """
    rng = np.random.default_rng([size, seed, 9])
    n = max(0, int(size))
    m = 1 if n <= 3 else 2
    servers = [Server("front")]
    if m == 2:
        servers.append(Server("neighbour", forward_time=0.03))
        servers.append(Server("cloud", bandwidth=20e6, cloud=True, rtt=0.06, speedup=4.0))
    upload = np.round(rng.uniform(0.05, 0.4, n), 3)
    compute = np.round(rng.uniform(0.05, 0.5, n), 3)
    spread = 0.5 * float(upload.sum() + compute.sum()) / m
    release = np.round(np.sort(rng.uniform(0.0, spread, n)), 3)
    has_local = rng.random(n) < 0.5
    local = np.round(compute * rng.uniform(2.0, 5.0, n), 3)
    weight = rng.integers(1, 5, n)
    tasks = []
    for j in range(n):
        comp: float | tuple[float | None, ...]
        comp = float(compute[j]) if m == 1 else (float(compute[j]),
                                                 float(np.round(compute[j] / 1.5, 3)))
        tasks.append(Task(
            name=f"t{j}", upload=float(upload[j]), compute=comp,
            local=float(local[j]) if has_local[j] else None,
            release=float(release[j]), weight=float(weight[j])))
    return Instance(tuple(servers), tuple(tasks), OBJECTIVES[seed % 3])
