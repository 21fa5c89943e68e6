"""File schema of partition instances and solutions (pydantic, strict).

Field meanings and units: see :mod:`formulations.partition.model`.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field

from edgeopt_solve.schema import StrictModel

Objective = Literal["latency", "energy", "throughput", "weighted", "accuracy", "critical_path"]


class LayerSpec(StrictModel):
    """One layer of an inline model spec."""

    name: str
    op: str
    macs: float
    param_bytes: float = 0.0
    output_bytes: float = 0.0
    inputs: list[str] = Field(default_factory=list)
    attrs: dict[str, Any] = Field(default_factory=dict)


class GraphSpec(StrictModel):
    """An inline model: layers in any order (sorted topologically)."""

    name: str = "model"
    input_bytes: float = 0.0
    layers: list[LayerSpec]


class OnnxRef(StrictModel):
    """A model read from an ONNX file."""

    onnx: str


class TierSpec(StrictModel):
    """Cost model of one tier."""

    name: str
    compute_rate: float | None = None
    layer_overhead: float = 0.0
    latency: list[float] | dict[str, float] | None = None
    power: float = 0.0
    energy: list[float] | dict[str, float] | None = None
    memory: float | None = None
    profile: str | dict[str, Any] | None = Field(
        default=None,
        description="measured per-layer latency: path of a profile JSON written by "
                    "`edgeopt-solve profile` (relative: working directory, then the bundled "
                    "instances/partition/ folder) or the profile inline")
    slowdown: float = Field(default=1.0, description="latency multiplier of the profile (> 0)")


class LinkSpec(StrictModel):
    """A link between consecutive tiers."""

    bandwidth: float
    rtt: float = 0.0
    tx_power: float = 0.0
    rx_power: float = 0.0
    down_bandwidth: float | None = None


class DirectLinkSpec(StrictModel):
    """A one-way link between any two tiers."""

    src: int
    dst: int
    bandwidth: float
    rtt: float = 0.0
    tx_power: float = 0.0
    rx_power: float = 0.0


class WeightSpec(StrictModel):
    """Weights of the ``weighted`` objective."""

    latency: float = 1.0
    energy: float = 0.0


class ExitSpec(StrictModel):
    """An early exit: the sink layer of a branch and its accuracy."""

    layer: str
    accuracy: float


class InstanceSpec(StrictModel):
    """The ``data`` of a partition instance file."""

    model: str | dict[str, Any] = Field(
        description="zoo name, inline spec {name, input_bytes, layers: [...]} (GraphSpec) or "
                    "{onnx: path}")
    tiers: list[TierSpec]
    links: list[LinkSpec]
    direct_links: list[DirectLinkSpec] = Field(default_factory=list)
    input_tier: int = 0
    return_result: bool = False
    objective: Objective = "latency"
    weights: WeightSpec | None = None
    monotone: bool = True
    device_energy_budget: float | None = None
    latency_slo: float | None = None
    pinned: dict[str, int] = Field(default_factory=dict)
    exits: list[ExitSpec] = Field(default_factory=list)
    full_accuracy: float = 1.0


class SolutionSpec(StrictModel):
    """The ``solution`` of a partition solution file."""

    tiers: list[int]
    exit: int | None = None
