"""The cost-model interface: latency and energy of running layers on a node.

:class:`AnalyticCostModel` is the fallback used when no measured profile exists:
time = MACs / effective rate (+ a fixed per-layer overhead), energy = power x time —
the model of Neurosurgeon's and LEO's energy estimates. The measured model of
``edgeopt_solve.costmodel`` implements the same :class:`CostModel` protocol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from edgeopt_solve.system.devices import ComputeNode
from edgeopt_solve.system.dnn import DnnGraph, Layer
from edgeopt_solve.system.validation import nonnegative


@runtime_checkable
class CostModel(Protocol):
    """Latency (s) and energy (J) of running a layer on one node."""

    def layer_latency(self, layer: Layer) -> float:
        """Seconds to run ``layer``."""
        ...

    def layer_energy(self, layer: Layer) -> float:
        """Joules the node draws to run ``layer``."""
        ...


@dataclass(frozen=True)
class AnalyticCostModel:
    """Rate model: latency = overhead + MACs / ``node.compute_rate``; energy = P·latency.

    Attributes
    ----------
    node
        The node running the layers.
    layer_overhead
        Fixed seconds per layer (kernel launch, memory traffic), >= 0.
    """

    node: ComputeNode
    layer_overhead: float = 0.0

    def __post_init__(self) -> None:
        nonnegative("layer_overhead", self.layer_overhead)

    def layer_latency(self, layer: Layer) -> float:
        """Seconds to run ``layer`` on ``node``."""
        return self.layer_overhead + layer.macs / self.node.compute_rate

    def layer_energy(self, layer: Layer) -> float:
        """Joules: compute power times latency."""
        return self.node.power_compute * self.layer_latency(layer)


def layer_latencies(model: CostModel, graph: DnnGraph) -> list[float]:
    """Latency of every layer of ``graph`` in order, s."""
    return [model.layer_latency(layer) for layer in graph.layers]


def layer_energies(model: CostModel, graph: DnnGraph) -> list[float]:
    """Energy of every layer of ``graph`` in order, J."""
    return [model.layer_energy(layer) for layer in graph.layers]
