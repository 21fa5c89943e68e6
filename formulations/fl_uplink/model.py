"""Instance and Solution of one energy-minimal FL round over a TDMA or NOMA uplink.

Units are SI throughout: cycles, samples, Hz, W, W/Hz, s, bit, J.

Instance ``data``::

    {"access": "tdma" | "noma",   # multiple access of the upload phase
     "bandwidth": W,              # uplink bandwidth, Hz (> 0)
     "noise_psd": N0,             # noise power spectral density, W/Hz (> 0)
     "deadline": T,               # length of the round, s (> 0)
     "kappa": kappa,              # effective switched capacitance, J·s²/cycle³ (> 0)
     "devices": [{"cycles_per_sample": c_k,  # CPU cycles per sample and epoch (> 0)
                  "samples": D_k,            # local samples (> 0)
                  "local_epochs": E_k,       # local passes over the data (integer >= 1)
                  "model_bits": s_k,         # bits uploaded after computing (> 0)
                  "gain": h_k,               # uplink power gain, linear (> 0)
                  "p_max": W,                # transmit power limit (> 0)
                  "f_max": Hz}, ...]}        # CPU frequency limit (> 0)

The round's computation load of device k is ``C_k = c_k·D_k·E_k`` cycles.

Solution (decision values only): ``compute_time`` T_c (s, every device finishes computing
by T_c), per device ``frequency`` f_k (Hz), ``power`` p_k (W, transmit power while
uploading) and ``upload_time`` (s): the TDMA slot length tau_k (slots follow each other
from T_c in device order), or for NOMA the common window length L (all devices transmit
together during [T_c, T_c + L], so every entry is the same).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar, Literal

from pydantic import Field

from edgeopt_solve.schema import SchemaBacked, StrictModel, require_signs, validate

ACCESS = ("tdma", "noma")


class DeviceSchema(StrictModel):
    """One device in the instance file."""

    cycles_per_sample: float
    samples: float
    local_epochs: int
    model_bits: float
    gain: float
    p_max: float
    f_max: float


class InstanceSchema(StrictModel):
    """The instance ``data`` object."""

    access: Literal["tdma", "noma"]
    bandwidth: float
    noise_psd: float
    deadline: float
    kappa: float
    devices: list[DeviceSchema] = Field(min_length=1)


class SolutionSchema(StrictModel):
    """The solution object."""

    compute_time: float
    frequency: list[float]
    power: list[float]
    upload_time: list[float]


_POSITIVE_SYSTEM = ("bandwidth", "noise_psd", "deadline", "kappa")
_POSITIVE_DEVICE = ("cycles_per_sample", "samples", "local_epochs", "model_bits", "gain",
                    "p_max", "f_max")


@dataclass(frozen=True)
class Device:
    """A device taking part in the FL round.

    Attributes
    ----------
    cycles_per_sample
        CPU cycles to process one sample once (cycles).
    samples
        Local data set size (samples).
    local_epochs
        Local passes over the data in this round (integer >= 1).
    model_bits
        Size of the local update to upload, s_k (bit).
    gain
        Uplink channel power gain h_k (linear; path loss and fading included).
    p_max
        Maximum transmit power, W.
    f_max
        Maximum CPU frequency, Hz.
    """

    cycles_per_sample: float
    samples: float
    local_epochs: int
    model_bits: float
    gain: float
    p_max: float
    f_max: float

    @property
    def cycles(self) -> float:
        """Computation load of the round, C_k = cycles/sample × samples × epochs (cycles)."""
        return self.cycles_per_sample * self.samples * self.local_epochs

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {k: getattr(self, k) for k in _POSITIVE_DEVICE}


@dataclass(frozen=True)
class Instance(SchemaBacked):
    """A validated FL-round uplink instance (see the module docstring for units)."""

    SCHEMA: ClassVar[type[StrictModel]] = InstanceSchema

    access: str
    bandwidth: float
    noise_psd: float
    deadline: float
    kappa: float
    devices: tuple[Device, ...]

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
        devices = []
        for i, d in enumerate(m.devices):
            require_signs(d, positive=_POSITIVE_DEVICE, prefix=f"devices[{i}]")
            devices.append(Device(float(d.cycles_per_sample), float(d.samples),
                                  int(d.local_epochs), float(d.model_bits), float(d.gain),
                                  float(d.p_max), float(d.f_max)))
        return cls(str(m.access), float(m.bandwidth), float(m.noise_psd), float(m.deadline),
                   float(m.kappa), tuple(devices))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``data`` (round-trips through :meth:`from_dict`)."""
        out: dict[str, Any] = {"access": self.access}
        out.update({name: getattr(self, name) for name in _POSITIVE_SYSTEM})
        out["devices"] = [d.to_dict() for d in self.devices]
        return out



@dataclass(frozen=True)
class Solution:
    """Decision values: compute phase length and per-device frequency, power, upload time.

    Attributes
    ----------
    compute_time
        T_c, s: every device finishes its local computation by T_c; uploads start at T_c.
    frequency
        CPU frequency f_k, Hz.
    power
        Transmit power p_k while uploading, W.
    upload_time
        TDMA: slot length tau_k (s). NOMA: the common window length L (s), same for all.
    """

    compute_time: float
    frequency: tuple[float, ...]
    power: tuple[float, ...]
    upload_time: tuple[float, ...]

    @classmethod
    def from_dict(cls, data: Any) -> Solution:
        """Validate and build (lengths are checked by ``verify``, not here)."""
        m = validate(SolutionSchema, data)
        return cls(float(m.compute_time), tuple(float(x) for x in m.frequency),
                   tuple(float(x) for x in m.power), tuple(float(x) for x in m.upload_time))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        return {"compute_time": self.compute_time, "frequency": list(self.frequency),
                "power": list(self.power), "upload_time": list(self.upload_time)}
