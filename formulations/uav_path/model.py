"""Instance and solution of the UAV data-collection tour problem.

Model (units SI: metres, seconds, bits, bit/s, watts, joules)
-----------------------------------------------------------
A rotary-wing UAV leaves a base at ``base``, visits every hovering point
``points[j]`` exactly once and returns to the base. Each IoT device ``i`` (position
``p_i``, data volume ``D_i`` bits, uplink rate ``R_i`` bit/s) is served while the UAV
hovers at one hovering point ``h(i)``: the point named by ``device.point`` if given,
otherwise the nearest hovering point within the communication range ``comm_range``
(lowest index on ties; every point when ``comm_range`` is ``None``). Hovering time at
point ``j`` is ``H_j = sum_{i: h(i)=j} D_i / R_i`` (Cao et al., as surveyed: cluster the
devices, hover once per cluster).

Decision: the visiting order (a permutation ``tour`` of the point indices; the base is
implicitly first and last) and optionally a speed ``V_l`` per leg ``l`` (``len(tour)+1``
legs, ``0 < V_l <= max_speed``).

Objective ``"energy"`` (joules): ``E = sum_l P(V_l)·L_l/V_l + P(0)·sum_j H_j`` with the
rotary-wing power ``P(V)`` of Zeng, Xu, Zhang (IEEE TWC 2019, eq. 12, Table I defaults)
from :class:`edgeopt_solve.system.UavEnergyModel`. Legs without a given speed are flown
at ``speed``, or at the maximum-range speed (argmin of ``P(V)/V`` on ``(0, max_speed]``)
when ``speed`` is ``None``. Constraints: ``E <= battery`` when a battery is given, and
mission time ``sum_l L_l/V_l + sum_j H_j <= deadline`` when a deadline is given.

Objective ``"length"``: the tour length (a plain TSP; no battery, deadline or speeds).

Distances: ``"euclidean"`` (float metres) or ``"euc_2d"`` (TSPLIB: each edge rounded to
the nearest integer, ``nint(sqrt(dx² + dy²))``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, fields
from typing import Annotated, Any, Literal

from pydantic import Field

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.schema import StrictModel, validate
from edgeopt_solve.system.uav import UavEnergyModel

Point = Annotated[list[float], Field(min_length=2, max_length=2)]


class DeviceSpec(StrictModel):
    """One IoT device: ``id``, ``position`` [x, y] m, ``data_bits``, ``rate`` bit/s."""

    id: str
    position: Point
    data_bits: float
    rate: float
    point: int | None = None


class EnergySpec(StrictModel):
    """Parameters of the rotary-wing power model (Zeng et al. 2019 Table I by default)."""

    weight: float = UavEnergyModel.weight
    air_density: float = UavEnergyModel.air_density
    rotor_radius: float = UavEnergyModel.rotor_radius
    rotor_disc_area: float = UavEnergyModel.rotor_disc_area
    blade_angular_velocity: float = UavEnergyModel.blade_angular_velocity
    rotor_solidity: float = UavEnergyModel.rotor_solidity
    profile_drag: float = UavEnergyModel.profile_drag
    induced_correction: float = UavEnergyModel.induced_correction
    fuselage_drag_ratio: float = UavEnergyModel.fuselage_drag_ratio


class InstanceSpec(StrictModel):
    """JSON schema of a ``uav_path`` instance's ``data``."""

    base: Point
    points: list[Point] | None = None
    devices: list[DeviceSpec] = Field(default_factory=list)
    comm_range: float | None = None
    objective: Literal["energy", "length"] = "energy"
    distance: Literal["euclidean", "euc_2d"] = "euclidean"
    speed: float | None = None
    max_speed: float = 30.0
    battery: float | None = None
    deadline: float | None = None
    energy_model: EnergySpec = Field(default_factory=EnergySpec)


class SolutionSpec(StrictModel):
    """JSON schema of a solution: the visiting order and optional per-leg speeds."""

    tour: list[int]
    speeds: list[float] | None = None


@dataclass(frozen=True)
class Device:
    """An IoT device (see :class:`DeviceSpec`)."""

    id: str
    position: tuple[float, float]
    data_bits: float
    rate: float
    point: int | None = None


@dataclass(frozen=True)
class Instance:
    """A validated UAV data-collection instance (see the module docstring for the model).

    Attributes
    ----------
    base
        Base (take-off and landing) position, m.
    points
        Hovering points, m (one per device when the file gives none).
    devices
        IoT devices to serve.
    comm_range
        Communication range, m, or ``None`` (any distance).
    objective
        ``"energy"`` (J) or ``"length"`` (m, plain TSP).
    distance
        ``"euclidean"`` or ``"euc_2d"`` (TSPLIB nint per edge).
    speed
        Cruise speed, m/s, for legs without their own speed (``None``: max-range speed).
    max_speed
        Largest allowed speed, m/s (at least 0.5).
    battery
        Usable battery energy, J, or ``None``.
    deadline
        Mission time limit, s, or ``None``.
    energy_model
        The rotary-wing power model.
    """

    base: tuple[float, float]
    points: tuple[tuple[float, float], ...]
    devices: tuple[Device, ...] = ()
    comm_range: float | None = None
    objective: str = "energy"
    distance: str = "euclidean"
    speed: float | None = None
    max_speed: float = 30.0
    battery: float | None = None
    deadline: float | None = None
    energy_model: UavEnergyModel = field(default_factory=UavEnergyModel)

    @property
    def n(self) -> int:
        """Number of hovering points."""
        return len(self.points)

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON schema of the instance ``data``."""
        return InstanceSpec.model_json_schema()

    @classmethod
    def from_dict(cls, data: Any) -> Instance:
        """Validate ``data`` (parsed JSON) and build the instance.

        Raises
        ------
        InvalidInstanceError
            Naming the offending field.
        """
        spec = validate(InstanceSpec, data)
        devices = tuple(
            Device(d.id, (d.position[0], d.position[1]), d.data_bits, d.rate, d.point)
            for d in spec.devices)
        if spec.points is None:
            if not devices:
                raise InvalidInstanceError("give hovering points or devices to hover over",
                                           field="points")
            points = tuple(d.position for d in devices)
        else:
            points = tuple((p[0], p[1]) for p in spec.points)
        inst = cls(
            base=(spec.base[0], spec.base[1]), points=points, devices=devices,
            comm_range=spec.comm_range, objective=spec.objective, distance=spec.distance,
            speed=spec.speed, max_speed=spec.max_speed, battery=spec.battery,
            deadline=spec.deadline,
            energy_model=_energy_model(spec.energy_model),
        )
        _check(inst)
        return inst

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready data (``from_dict(to_dict())`` gives an equal instance)."""
        return {
            "base": list(self.base),
            "points": [list(p) for p in self.points],
            "devices": [_device_dict(d) for d in self.devices],
            "comm_range": self.comm_range,
            "objective": self.objective,
            "distance": self.distance,
            "speed": self.speed,
            "max_speed": self.max_speed,
            "battery": self.battery,
            "deadline": self.deadline,
            "energy_model": {f.name: getattr(self.energy_model, f.name)
                             for f in fields(UavEnergyModel)},
        }


def _device_dict(d: Device) -> dict[str, Any]:
    out: dict[str, Any] = {"id": d.id, "position": list(d.position),
                           "data_bits": d.data_bits, "rate": d.rate}
    if d.point is not None:
        out["point"] = d.point
    return out


def _energy_model(spec: EnergySpec) -> UavEnergyModel:
    values = spec.model_dump()
    for key, value in values.items():
        low_ok = key in ("induced_correction", "fuselage_drag_ratio")
        if value < 0 or (value == 0 and not low_ok):
            raise InvalidInstanceError(f"must be {'>= 0' if low_ok else '> 0'}, got {value!r}",
                                       field=f"energy_model.{key}")
    try:
        return UavEnergyModel(**values)
    except InvalidInstanceError as exc:  # pragma: no cover - checked above
        raise exc.located(prefix="energy_model") from None


def _check(inst: Instance) -> None:
    """Semantic checks, each naming its field."""
    if not inst.points:
        raise InvalidInstanceError("at least one hovering point is needed", field="points")
    seen: dict[str, int] = {}
    for i, d in enumerate(inst.devices):
        where = f"devices[{i}]"
        if not d.id:
            raise InvalidInstanceError("device id must not be empty", field=f"{where}.id")
        if d.id in seen:
            raise InvalidInstanceError(f"duplicate device id {d.id!r} (also devices[{seen[d.id]}])",
                                       field=f"{where}.id")
        seen[d.id] = i
        if d.data_bits < 0:
            raise InvalidInstanceError(f"data volume must be >= 0, got {d.data_bits!r}",
                                       field=f"{where}.data_bits")
        if d.rate <= 0:
            raise InvalidInstanceError(f"rate must be > 0 bit/s, got {d.rate!r}",
                                       field=f"{where}.rate")
        if d.point is not None and not 0 <= d.point < len(inst.points):
            raise InvalidInstanceError(
                f"no hovering point {d.point} (there are {len(inst.points)})",
                field=f"{where}.point")
    for name in ("comm_range", "speed", "battery", "deadline"):
        value = getattr(inst, name)
        if value is not None and value <= 0:
            raise InvalidInstanceError(f"must be > 0, got {value!r}", field=name)
    if inst.max_speed < 0.5:
        raise InvalidInstanceError(f"must be >= 0.5 m/s, got {inst.max_speed!r}",
                                   field="max_speed")
    if inst.speed is not None and inst.speed > inst.max_speed:
        raise InvalidInstanceError(
            f"cruise speed {inst.speed} exceeds max_speed {inst.max_speed}", field="speed")
    if inst.objective == "length":
        for name in ("battery", "deadline", "speed"):
            if getattr(inst, name) is not None:
                raise InvalidInstanceError(f"{name} only applies to objective 'energy'",
                                           field=name)
    if inst.distance == "euc_2d":
        for j, p in enumerate([inst.base, *inst.points]):
            if max(abs(p[0]), abs(p[1])) > 1e9:
                where = "base" if j == 0 else f"points[{j - 1}]"
                raise InvalidInstanceError("coordinate too large for euc_2d", field=where)
    for j, p in enumerate([inst.base, *inst.points]):
        if max(abs(p[0]), abs(p[1])) > 1e12:
            where = "base" if j == 0 else f"points[{j - 1}]"
            raise InvalidInstanceError("coordinate magnitude must be <= 1e12 m", field=where)


@dataclass(frozen=True)
class Solution:
    """A mission plan.

    Attributes
    ----------
    tour
        Hovering-point indices in visiting order; the base is implicitly first and last.
    speeds
        Speed of each leg, m/s (``len(tour) + 1`` legs: base->first, ..., last->base),
        or ``None`` (cruise speed, see :class:`Instance`).
    """

    tour: tuple[int, ...]
    speeds: tuple[float, ...] | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Solution:
        """Validate and build a solution (sizes are checked by ``verify``)."""
        spec = validate(SolutionSpec, data)
        speeds = None if spec.speeds is None else tuple(spec.speeds)
        if speeds is not None:
            for k, v in enumerate(speeds):
                if not math.isfinite(v):  # pragma: no cover - schema rejects it
                    raise InvalidInstanceError("must be finite", field=f"speeds[{k}]")
        return cls(tuple(spec.tour), speeds)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready solution."""
        return {"tour": list(self.tour),
                "speeds": None if self.speeds is None else list(self.speeds)}
