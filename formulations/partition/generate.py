"""Random partition instances for tests, notebooks and benchmarks."""

from __future__ import annotations

import numpy as np

from formulations.partition.model import Instance

_OBJECTIVES = ("latency", "energy", "weighted", "latency")


def generate(size: int, seed: int) -> Instance:
    """A random DAG of ``size`` layers on 2 or 3 tiers (device, edge[, cloud]).

    Layer work is 1e6..1e9 MACs, outputs 1 kB..1 MB; the device computes at 1-5 GMAC/s,
    the edge at 20-50 and the cloud at 100-200 GMAC/s; links 1-100 Mbit/s with 5-50 ms
    RTT. Each layer reads the previous one and, with probability 0.3, one more earlier
    layer. The objective cycles through latency / energy / weighted with the seed; odd
    seeds return the result to the device. Deterministic in ``(size, seed)``.
    """
    if size < 1:
        raise ValueError("size must be >= 1")
    rng = np.random.default_rng([size, seed, 1753])
    k = 2 + int(rng.integers(0, 2))
    layers = []
    for v in range(size):
        inputs = [] if v == 0 else [f"l{v - 1}"]
        if v >= 2 and rng.random() < 0.3:
            extra = f"l{int(rng.integers(0, v - 1))}"
            inputs.append(extra)
        layers.append({
            "name": f"l{v}", "op": "conv",
            "macs": float(np.round(10 ** rng.uniform(6, 9))),
            "param_bytes": float(np.round(10 ** rng.uniform(3, 6))),
            "output_bytes": float(np.round(10 ** rng.uniform(3, 6))),
            "inputs": inputs,
        })
    rates = [float(rng.uniform(1e9, 5e9)), float(rng.uniform(2e10, 5e10)),
             float(rng.uniform(1e11, 2e11))][:k]
    names = ["device", "edge", "cloud"][:k]
    tiers = [{"name": names[i], "compute_rate": rates[i],
              "power": float(rng.uniform(2, 5)) if i == 0 else 0.0} for i in range(k)]
    links = [{"bandwidth": float(10 ** rng.uniform(6, 8)), "rtt": float(rng.uniform(0.005, 0.05)),
              "tx_power": float(rng.uniform(0.5, 1.5)) if i == 0 else 0.0,
              "rx_power": float(rng.uniform(0.2, 0.8)) if i == 0 else 0.0} for i in range(k - 1)]
    objective = _OBJECTIVES[seed % len(_OBJECTIVES)]
    data = {
        "model": {"name": f"random-{size}-{seed}",
                  "input_bytes": float(np.round(10 ** rng.uniform(4, 6))), "layers": layers},
        "tiers": tiers, "links": links, "objective": objective,
        "return_result": bool(seed % 2),
    }
    if objective == "weighted":
        data["weights"] = {"latency": 1.0, "energy": 0.1}
    return Instance.from_dict(data)
