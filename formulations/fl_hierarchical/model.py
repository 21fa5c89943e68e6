"""Instance and Solution of hierarchical federated edge learning (HFEL, Luo et al. 2020).

Units are SI throughout: cycles, samples, Hz, W, W/Hz, s, bit, J.

Instance ``data``::

    {"model_bits": s,            # size of the uploaded local model, bit (> 0)
     "noise_psd": N0,            # noise power spectral density, W/Hz (> 0)
     "capacitance": alpha,       # effective switched capacitance; energy L·(alpha/2)·c·D·f² (> 0)
     "local_iterations": L,      # local iterations per edge iteration, L(theta) (> 0)
     "edge_iterations": I,       # edge iterations per cloud round (> 0)
     "energy_weight": lambda_e,  # cost weight of energy, 1/J (> 0)
     "time_weight": lambda_t,    # cost weight of time, 1/s (> 0)
     "edges": [{"bandwidth": B_j,           # Hz (> 0), shared by FDMA
                "cloud_time": s,            # edge-to-cloud upload time per cloud round (>= 0)
                "cloud_energy": J,          # edge-to-cloud upload energy per cloud round (>= 0)
                "max_devices": int | null,  # at most this many devices (null: no limit)
                "position": [x, y] | null}, # metres, only for pictures (optional)
               ...],
     "devices": [{"cycles_per_sample": c_i, "samples": D_i, "f_max": Hz, "power": p_i (W),
                  "gains": [g_i0 | null, g_i1 | null, ...],   # null: edge out of reach
                  "position": [x, y] | null},                 # optional, for pictures
                 ...]}

Solution: ``association`` (edge index of every device), ``frequency`` f_i (Hz) and
``bandwidth`` b_i (Hz, taken from the bandwidth of the device's edge).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.schema import SchemaBacked, StrictModel, require_signs, validate


class EdgeSchema(StrictModel):
    """One edge server in the instance file."""

    bandwidth: float
    cloud_time: float
    cloud_energy: float
    max_devices: int | None = None
    position: list[float] | None = None


class DeviceSchema(StrictModel):
    """One device in the instance file."""

    cycles_per_sample: float
    samples: float
    f_max: float
    power: float
    gains: list[float | None] = Field(min_length=1)
    position: list[float] | None = None


class InstanceSchema(StrictModel):
    """The instance ``data`` object."""

    model_bits: float
    noise_psd: float
    capacitance: float
    local_iterations: float
    edge_iterations: float
    energy_weight: float
    time_weight: float
    edges: list[EdgeSchema] = Field(min_length=1)
    devices: list[DeviceSchema] = Field(min_length=1)


class SolutionSchema(StrictModel):
    """The solution object."""

    association: list[int]
    frequency: list[float]
    bandwidth: list[float]


_POSITIVE_SYSTEM = ("model_bits", "noise_psd", "capacitance", "local_iterations",
                    "edge_iterations", "energy_weight", "time_weight")
_POSITIVE_DEVICE = ("cycles_per_sample", "samples", "f_max", "power")


@dataclass(frozen=True)
class Edge:
    """An edge server.

    Attributes
    ----------
    bandwidth
        Uplink bandwidth B_j shared by its devices (FDMA), Hz.
    cloud_time
        Time to upload the edge model to the cloud once per cloud round, s.
    cloud_energy
        Energy of that upload, J.
    max_devices
        Most devices it may serve, or ``None``.
    position
        (x, y) in metres, for pictures only, or ``None``.
    """

    bandwidth: float
    cloud_time: float
    cloud_energy: float
    max_devices: int | None = None
    position: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"bandwidth": self.bandwidth, "cloud_time": self.cloud_time,
                "cloud_energy": self.cloud_energy, "max_devices": self.max_devices,
                "position": None if self.position is None else list(self.position)}


@dataclass(frozen=True)
class Device:
    """A device taking part in hierarchical federated learning.

    Attributes
    ----------
    cycles_per_sample
        CPU cycles per sample c_i.
    samples
        Local data set size D_i.
    f_max
        Maximum CPU frequency, Hz.
    power
        Fixed transmit power p_i, W.
    gains
        Channel power gain to each edge server (``None``: out of reach).
    position
        (x, y) in metres, for pictures only, or ``None``.
    """

    cycles_per_sample: float
    samples: float
    f_max: float
    power: float
    gains: tuple[float | None, ...]
    position: tuple[float, float] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"cycles_per_sample": self.cycles_per_sample, "samples": self.samples,
                "f_max": self.f_max, "power": self.power, "gains": list(self.gains),
                "position": None if self.position is None else list(self.position)}

    def reachable(self) -> list[int]:
        """Indices of the edge servers this device can reach."""
        return [j for j, g in enumerate(self.gains) if g is not None]


@dataclass(frozen=True)
class Instance(SchemaBacked):
    """A validated HFEL instance (see the module docstring for fields and units)."""

    SCHEMA: ClassVar[type[StrictModel]] = InstanceSchema

    model_bits: float
    noise_psd: float
    capacitance: float
    local_iterations: float
    edge_iterations: float
    energy_weight: float
    time_weight: float
    edges: tuple[Edge, ...]
    devices: tuple[Device, ...]

    @property
    def n(self) -> int:
        """Number of devices."""
        return len(self.devices)

    @property
    def m(self) -> int:
        """Number of edge servers."""
        return len(self.edges)

    @classmethod
    def from_dict(cls, data: Any) -> Instance:
        """Validate ``data`` (schema, then semantic checks) and build the instance.

        Raises
        ------
        InvalidInstanceError
            Naming the offending field (``devices[3].gains[1]``).
        """
        m = validate(InstanceSchema, data)
        require_signs(m, positive=_POSITIVE_SYSTEM)
        edges = []
        for j, e in enumerate(m.edges):
            require_signs(e, positive=("bandwidth",), nonnegative=("cloud_time", "cloud_energy"),
                          prefix=f"edges[{j}]")
            if e.max_devices is not None and e.max_devices < 0:
                raise InvalidInstanceError(f"must be >= 0, got {e.max_devices!r}",
                                           field=f"edges[{j}].max_devices")
            edges.append(Edge(float(e.bandwidth), float(e.cloud_time), float(e.cloud_energy),
                              e.max_devices, _position(e.position, f"edges[{j}].position")))
        devices = []
        for i, d in enumerate(m.devices):
            require_signs(d, positive=_POSITIVE_DEVICE, prefix=f"devices[{i}]")
            if len(d.gains) != len(edges):
                raise InvalidInstanceError(
                    f"{len(d.gains)} gains for {len(edges)} edge servers",
                    field=f"devices[{i}].gains")
            for j, g in enumerate(d.gains):
                if g is not None and g <= 0:
                    raise InvalidInstanceError(
                        f"channel gain must be > 0 (null if out of reach), got {g!r}",
                        field=f"devices[{i}].gains[{j}]")
            if all(g is None for g in d.gains):
                raise InvalidInstanceError("the device reaches no edge server",
                                           field=f"devices[{i}].gains")
            devices.append(Device(float(d.cycles_per_sample), float(d.samples), float(d.f_max),
                                  float(d.power),
                                  tuple(None if g is None else float(g) for g in d.gains),
                                  _position(d.position, f"devices[{i}].position")))
        return cls(*(float(getattr(m, name)) for name in _POSITIVE_SYSTEM),
                   tuple(edges), tuple(devices))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``data`` (round-trips through :meth:`from_dict`)."""
        out: dict[str, Any] = {name: getattr(self, name) for name in _POSITIVE_SYSTEM}
        out["edges"] = [e.to_dict() for e in self.edges]
        out["devices"] = [d.to_dict() for d in self.devices]
        return out


def _position(value: list[float] | None, field: str) -> tuple[float, float] | None:
    if value is None:
        return None
    if len(value) != 2:
        raise InvalidInstanceError(f"a position is [x, y], got {len(value)} numbers",
                                   field=field)
    return (float(value[0]), float(value[1]))


@dataclass(frozen=True)
class Solution:
    """Decision values: edge of every device, CPU frequency and bandwidth.

    Attributes
    ----------
    association
        Index of the edge server each device is associated with.
    frequency
        CPU frequency f_i, Hz.
    bandwidth
        Uplink bandwidth b_i, Hz (from the bandwidth of its edge server).
    """

    association: tuple[int, ...]
    frequency: tuple[float, ...]
    bandwidth: tuple[float, ...]

    @classmethod
    def from_dict(cls, data: Any) -> Solution:
        """Validate and build (lengths and ranges are checked by ``verify``, not here)."""
        m = validate(SolutionSchema, data)
        return cls(tuple(int(j) for j in m.association), tuple(float(x) for x in m.frequency),
                   tuple(float(x) for x in m.bandwidth))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"association": list(self.association), "frequency": list(self.frequency),
                "bandwidth": list(self.bandwidth)}
