"""ONNX models as partition instances (``--format onnx``)."""

from __future__ import annotations

from pathlib import Path

from edgeopt_solve.system.onnx_import import read_onnx
from formulations.partition.model import Instance

#: default tiers for an imported model: a phone, an edge server and the cloud, Wi-Fi + WAN
DEFAULT_TIERS = [
    {"name": "device", "compute_rate": 1.0e10, "power": 3.0},
    {"name": "edge", "compute_rate": 1.0e11},
    {"name": "cloud", "compute_rate": 1.0e12},
]
DEFAULT_LINKS = [
    {"bandwidth": 5.0e7, "rtt": 0.01, "tx_power": 1.0, "rx_power": 0.5},
    {"bandwidth": 2.0e8, "rtt": 0.03},
]


def read_instance(path: Path) -> Instance:
    """An instance partitioning the ONNX model at ``path`` over the default tiers
    (device 10 GMAC/s, edge 100, cloud 1000; 50 Mbit/s Wi-Fi, 200 Mbit/s WAN; latency)."""
    graph = read_onnx(path)
    return Instance.from_dict({"model": graph.to_dict(), "tiers": DEFAULT_TIERS,
                               "links": DEFAULT_LINKS, "objective": "latency"})


FORMATS = {"onnx": read_instance}
