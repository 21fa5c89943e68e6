"""Instance and Solution of FEDL (Tran, Bao, Zomaya, Nguyen, Hong, IEEE INFOCOM 2019).

Units are SI throughout: cycles, samples, Hz, W, s, J; the model size is in **nats**
because the rate is ``B·ln(1 + h·p/N0)`` nats/s (the paper uses the natural logarithm;
1 nat = 1/ln 2 bit).

Instance ``data``::

    {"bandwidth": B,             # TDMA uplink bandwidth, Hz (> 0)
     "noise_power": N0,          # background noise power over B, W (> 0)
     "model_size": s,            # size of the uploaded local model, nats (> 0)
     "capacitance": alpha,       # effective switched capacitance, J·s²/cycle³ (> 0);
                                 #   energy per local iteration (alpha/2)·c·D·f²
     "kappa": kappa,             # energy/time trade-off weight, J/s (> 0)
     "local_iter_const": v,      # local iterations per round = v·ln(1/theta) (> 0)
     "global_round_const": a,    # global rounds = a/(1 - theta) (> 0)
     "theta": null | theta,      # local accuracy; fixed if given (0 < theta < 1)
     "devices": [{"cycles_per_sample": c_n, "samples": D_n, "gain": h_n,
                  "f_min": Hz, "f_max": Hz, "p_min": W, "p_max": W}, ...]}

Rules (violations raise :class:`InvalidInstanceError` naming the field): every system
constant is > 0; ``c_n, D_n, h_n, f_max, p_max > 0``; ``f_min, p_min >= 0``;
``f_min <= f_max``. A power window with ``p_min > p_max`` is *not* rejected: the
frequency range is a hardware datum (a reversed one is a typo), whereas ``p_min`` is a
QoS floor that may conflict with a regulatory ``p_max`` — such an instance is well formed
but infeasible (the methods report ``INFEASIBLE`` naming the device).

Solution: ``theta`` and, per device, ``frequency`` f_n (Hz), ``upload_time`` tau_n (s per
global round) and ``power`` p_n (W). The power follows from tau
(``p = (N0/h)·(exp(s/(tau·B)) - 1)``); it is stored and ``verify`` checks that it matches.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

from pydantic import Field

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.schema import SchemaBacked, StrictModel, require_signs, validate


class DeviceSchema(StrictModel):
    """One device in the instance file."""

    cycles_per_sample: float
    samples: float
    gain: float
    f_min: float
    f_max: float
    p_min: float
    p_max: float


class InstanceSchema(StrictModel):
    """The instance ``data`` object."""

    bandwidth: float
    noise_power: float
    model_size: float
    capacitance: float
    kappa: float
    local_iter_const: float
    global_round_const: float
    theta: float | None = None
    devices: list[DeviceSchema] = Field(min_length=1)


class SolutionSchema(StrictModel):
    """The solution object."""

    theta: float
    frequency: list[float]
    upload_time: list[float]
    power: list[float]


SYSTEM_FIELDS = ("bandwidth", "noise_power", "model_size", "capacitance", "kappa",
                 "local_iter_const", "global_round_const")
DEVICE_FIELDS = ("cycles_per_sample", "samples", "gain", "f_min", "f_max", "p_min", "p_max")
_POSITIVE_DEVICE = ("cycles_per_sample", "samples", "gain", "f_max", "p_max")
_NONNEGATIVE_DEVICE = ("f_min", "p_min")


@dataclass(frozen=True)
class Device:
    """A device (UE) taking part in federated learning.

    Attributes
    ----------
    cycles_per_sample
        CPU cycles to process one sample once, c_n.
    samples
        Local data size D_n (samples).
    gain
        Uplink channel power gain h_n (linear).
    f_min, f_max
        CPU frequency range, Hz.
    p_min, p_max
        Transmit power range, W.
    """

    cycles_per_sample: float
    samples: float
    gain: float
    f_min: float
    f_max: float
    p_min: float
    p_max: float

    @property
    def cycles(self) -> float:
        """Cycles of one local iteration, c_n·D_n."""
        return self.cycles_per_sample * self.samples

    def to_dict(self) -> dict[str, float]:
        """JSON-ready fields."""
        return {k: getattr(self, k) for k in DEVICE_FIELDS}


@dataclass(frozen=True)
class Instance(SchemaBacked):
    """A validated FEDL instance (see the module docstring for fields and units)."""

    SCHEMA: ClassVar[type[StrictModel]] = InstanceSchema

    bandwidth: float
    noise_power: float
    model_size: float
    capacitance: float
    kappa: float
    local_iter_const: float
    global_round_const: float
    devices: tuple[Device, ...]
    theta: float | None = None

    @property
    def n(self) -> int:
        """Number of devices."""
        return len(self.devices)

    @classmethod
    def from_dict(cls, data: Any) -> Instance:
        """Validate ``data`` (schema, then semantic checks) and build the instance.

        Raises
        ------
        InvalidInstanceError
            Naming the offending field (``devices[3].gain``).
        """
        m = validate(InstanceSchema, data)
        require_signs(m, positive=SYSTEM_FIELDS)
        if m.theta is not None and not 0.0 < m.theta < 1.0:
            raise InvalidInstanceError(f"local accuracy theta must lie in (0, 1), got {m.theta!r}",
                                       field="theta")
        devices = []
        for i, d in enumerate(m.devices):
            require_signs(d, positive=_POSITIVE_DEVICE, nonnegative=_NONNEGATIVE_DEVICE,
                          prefix=f"devices[{i}]")
            if d.f_min > d.f_max:
                raise InvalidInstanceError(
                    f"f_min = {d.f_min!r} Hz exceeds f_max = {d.f_max!r} Hz",
                    field=f"devices[{i}].f_min")
            devices.append(Device(*(float(getattr(d, k)) for k in DEVICE_FIELDS)))
        return cls(*(float(getattr(m, k)) for k in SYSTEM_FIELDS), devices=tuple(devices),
                   theta=None if m.theta is None else float(m.theta))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``data`` (round-trips through :meth:`from_dict`)."""
        out: dict[str, Any] = {name: getattr(self, name) for name in SYSTEM_FIELDS}
        out["theta"] = self.theta
        out["devices"] = [d.to_dict() for d in self.devices]
        return out



@dataclass(frozen=True)
class Solution:
    """Decision values: local accuracy and per-device frequency, upload time and power.

    Attributes
    ----------
    theta
        Local accuracy, 0 < theta < 1.
    frequency
        CPU frequency f_n, Hz.
    upload_time
        TDMA slot tau_n per global round, s.
    power
        Transmit power p_n, W (follows from tau_n; checked by ``verify``).
    """

    theta: float
    frequency: tuple[float, ...]
    upload_time: tuple[float, ...]
    power: tuple[float, ...]

    @classmethod
    def from_dict(cls, data: Any) -> Solution:
        """Validate and build (lengths are checked by ``verify``, not here)."""
        m = validate(SolutionSchema, data)
        return cls(float(m.theta), tuple(float(x) for x in m.frequency),
                   tuple(float(x) for x in m.upload_time), tuple(float(x) for x in m.power))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"theta": self.theta, "frequency": list(self.frequency),
                "upload_time": list(self.upload_time), "power": list(self.power)}
