"""Compute nodes: end devices, edge servers and the cloud.

Units: ``compute_rate`` in multiply-accumulates per second (MAC/s) as an effective rate
for DNN layers, ``cpu_frequency`` in Hz (cycles/s) for cycle-count models, powers in
watts, ``memory`` and ``storage`` in bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from edgeopt_solve.system.validation import nonnegative, positive


class Tier(StrEnum):
    """Where a node sits, nearest the data first."""

    DEVICE = "device"
    EDGE = "edge"
    CLOUD = "cloud"


@dataclass(frozen=True)
class ComputeNode:
    """A machine that runs computation.

    Attributes
    ----------
    name
        Identifier.
    tier
        DEVICE, EDGE or CLOUD.
    compute_rate
        Effective DNN throughput, MAC/s.
    cpu_frequency
        Maximum CPU frequency, Hz.
    power_compute
        Power drawn while computing, W.
    power_idle
        Power drawn while idle or waiting, W.
    memory
        Memory available to models, bytes (``inf`` if unconstrained).
    storage
        Storage available for cached data, bytes (``inf`` if unconstrained).
    """

    name: str
    tier: Tier
    compute_rate: float
    cpu_frequency: float = 1.0e9
    power_compute: float = 0.0
    power_idle: float = 0.0
    memory: float = float("inf")
    storage: float = float("inf")

    def __post_init__(self) -> None:
        positive(f"{self.name}.compute_rate", self.compute_rate)
        positive(f"{self.name}.cpu_frequency", self.cpu_frequency)
        nonnegative(f"{self.name}.power_compute", self.power_compute)
        nonnegative(f"{self.name}.power_idle", self.power_idle)
        for field in ("memory", "storage"):
            value = getattr(self, field)
            if value != float("inf"):
                nonnegative(f"{self.name}.{field}", value)


def Device(name: str, compute_rate: float, **kw: float) -> ComputeNode:
    """An end device (phone, camera, sensor board)."""
    return ComputeNode(name, Tier.DEVICE, compute_rate, **kw)


def EdgeServer(name: str, compute_rate: float, **kw: float) -> ComputeNode:
    """An edge server one wireless hop from the devices."""
    return ComputeNode(name, Tier.EDGE, compute_rate, **kw)


def Cloud(name: str, compute_rate: float, **kw: float) -> ComputeNode:
    """A cloud data centre behind the edge."""
    return ComputeNode(name, Tier.CLOUD, compute_rate, **kw)
