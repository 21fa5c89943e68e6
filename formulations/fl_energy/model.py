"""Instance and Solution of the FL energy problem (FDMA model of Yang et al., TWC 2021).

Units are SI throughout: cycles, samples, Hz, W, W/Hz, s, bit, J.

Instance ``data``::

    {"bandwidth": B,            # total uplink bandwidth, Hz (> 0)
     "noise_psd": N0,           # noise power spectral density, W/Hz (> 0)
     "deadline": T,             # completion time of the whole training, s (> 0)
     "model_bits": s,           # size of the uploaded local model, bit (> 0)
     "kappa": kappa,            # effective switched capacitance, J·s²/cycle³ (> 0)
     "local_iter_const": v,     # local iterations = v·log2(1/eta) (> 0)
     "global_round_const": a,   # global rounds = a/(1 - eta) (> 0)
     "eta": null | eta,         # local accuracy; fixed if given (0 < eta < 1), else optimised
     "devices": [{"cycles_per_sample": C_k, "samples": D_k, "gain": g_k,
                  "p_max": W, "f_max": Hz}, ...]}

Solution: ``eta`` and, per device, ``frequency`` f_k (Hz), ``power`` p_k (W),
``bandwidth`` b_k (Hz) and ``upload_time`` t_k (s, per global round).
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
    p_max: float
    f_max: float


class InstanceSchema(StrictModel):
    """The instance ``data`` object."""

    bandwidth: float
    noise_psd: float
    deadline: float
    model_bits: float
    kappa: float
    local_iter_const: float
    global_round_const: float
    eta: float | None = None
    devices: list[DeviceSchema] = Field(min_length=1)


class SolutionSchema(StrictModel):
    """The solution object."""

    eta: float
    frequency: list[float]
    power: list[float]
    bandwidth: list[float]
    upload_time: list[float]


_POSITIVE_SYSTEM = ("bandwidth", "noise_psd", "deadline", "model_bits", "kappa",
                    "local_iter_const", "global_round_const")
_POSITIVE_DEVICE = ("cycles_per_sample", "samples", "gain", "p_max", "f_max")


@dataclass(frozen=True)
class Device:
    """A device taking part in federated learning.

    Attributes
    ----------
    cycles_per_sample
        CPU cycles to process one sample once, C_k (cycles).
    samples
        Local data set size, D_k (samples).
    gain
        Uplink channel power gain g_k (linear, path loss and fading included).
    p_max
        Maximum transmit power, W.
    f_max
        Maximum CPU frequency, Hz.
    """

    cycles_per_sample: float
    samples: float
    gain: float
    p_max: float
    f_max: float

    def to_dict(self) -> dict[str, float]:
        """JSON-ready fields."""
        return {k: getattr(self, k) for k in _POSITIVE_DEVICE}


@dataclass(frozen=True)
class Instance(SchemaBacked):
    """A validated FL energy-minimisation instance (see the module docstring for units)."""

    SCHEMA: ClassVar[type[StrictModel]] = InstanceSchema

    bandwidth: float
    noise_psd: float
    deadline: float
    model_bits: float
    kappa: float
    local_iter_const: float
    global_round_const: float
    devices: tuple[Device, ...]
    eta: float | None = None

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
        require_signs(m, positive=_POSITIVE_SYSTEM)
        if m.eta is not None and not 0.0 < m.eta < 1.0:
            raise InvalidInstanceError(f"local accuracy eta must lie in (0, 1), got {m.eta!r}",
                                       field="eta")
        devices = []
        for i, d in enumerate(m.devices):
            require_signs(d, positive=_POSITIVE_DEVICE, prefix=f"devices[{i}]")
            devices.append(Device(float(d.cycles_per_sample), float(d.samples), float(d.gain),
                                  float(d.p_max), float(d.f_max)))
        return cls(float(m.bandwidth), float(m.noise_psd), float(m.deadline),
                   float(m.model_bits), float(m.kappa), float(m.local_iter_const),
                   float(m.global_round_const), tuple(devices),
                   None if m.eta is None else float(m.eta))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``data`` (round-trips through :meth:`from_dict`)."""
        out: dict[str, Any] = {name: getattr(self, name) for name in _POSITIVE_SYSTEM}
        out["eta"] = self.eta
        out["devices"] = [d.to_dict() for d in self.devices]
        return out



@dataclass(frozen=True)
class Solution:
    """Decision values: local accuracy and per-device frequency, power, bandwidth, upload time.

    Attributes
    ----------
    eta
        Local accuracy, 0 < eta < 1 (local iterations v·log2(1/eta), rounds a/(1-eta)).
    frequency
        CPU frequency f_k, Hz.
    power
        Transmit power p_k, W.
    bandwidth
        Uplink bandwidth b_k, Hz.
    upload_time
        Upload time per global round t_k, s.
    """

    eta: float
    frequency: tuple[float, ...]
    power: tuple[float, ...]
    bandwidth: tuple[float, ...]
    upload_time: tuple[float, ...]

    @classmethod
    def from_dict(cls, data: Any) -> Solution:
        """Validate and build (lengths are checked by ``verify``, not here)."""
        m = validate(SolutionSchema, data)
        return cls(float(m.eta), tuple(float(x) for x in m.frequency),
                   tuple(float(x) for x in m.power), tuple(float(x) for x in m.bandwidth),
                   tuple(float(x) for x in m.upload_time))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"eta": self.eta, "frequency": list(self.frequency), "power": list(self.power),
                "bandwidth": list(self.bandwidth), "upload_time": list(self.upload_time)}
