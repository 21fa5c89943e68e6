"""Rotary-wing UAV propulsion power.

Source: Y. Zeng, J. Xu, R. Zhang, "Energy Minimization for Wireless Communication With
Rotary-Wing UAV", IEEE Trans. Wireless Commun. 18(4), 2019, eq. (12) and Table I::

    P(V) = P0·(1 + 3V²/U_tip²) + Pi·(sqrt(1 + V⁴/(4 v0⁴)) − V²/(2 v0²))^(1/2)
           + ½·d0·ρ·s·A·V³

with blade profile power ``P0 = δ/8·ρ·s·A·Ω³·R³`` and induced power in hover
``Pi = (1 + k)·W^{3/2}/sqrt(2ρA)``. Units: V in m/s, P in W, energy in J.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from edgeopt_solve.system.validation import nonnegative, positive


@dataclass(frozen=True)
class UavEnergyModel:
    """Rotary-wing propulsion model (defaults: Zeng, Xu, Zhang 2019, Table I).

    Attributes
    ----------
    weight
        Aircraft weight W, newtons.
    air_density
        ρ, kg/m³.
    rotor_radius
        R, m.
    rotor_disc_area
        A, m².
    blade_angular_velocity
        Ω, rad/s.
    rotor_solidity
        s, dimensionless.
    profile_drag
        δ, profile drag coefficient.
    induced_correction
        k, incremental correction factor to induced power.
    fuselage_drag_ratio
        d0, dimensionless.
    """

    weight: float = 20.0
    air_density: float = 1.225
    rotor_radius: float = 0.4
    rotor_disc_area: float = 0.503
    blade_angular_velocity: float = 300.0
    rotor_solidity: float = 0.05
    profile_drag: float = 0.012
    induced_correction: float = 0.1
    fuselage_drag_ratio: float = 0.6

    def __post_init__(self) -> None:
        for name in ("weight", "air_density", "rotor_radius", "rotor_disc_area",
                     "blade_angular_velocity", "rotor_solidity", "profile_drag"):
            positive(name, getattr(self, name))
        nonnegative("induced_correction", self.induced_correction)
        nonnegative("fuselage_drag_ratio", self.fuselage_drag_ratio)

    @property
    def blade_profile_power(self) -> float:
        """P0 = δ/8·ρ·s·A·Ω³·R³, W."""
        return (self.profile_drag / 8 * self.air_density * self.rotor_solidity
                * self.rotor_disc_area * self.blade_angular_velocity**3 * self.rotor_radius**3)

    @property
    def induced_power(self) -> float:
        """Pi = (1 + k)·W^{3/2}/sqrt(2ρA), W."""
        return ((1 + self.induced_correction) * self.weight**1.5
                / math.sqrt(2 * self.air_density * self.rotor_disc_area))

    @property
    def tip_speed(self) -> float:
        """U_tip = Ω·R, m/s."""
        return self.blade_angular_velocity * self.rotor_radius

    @property
    def mean_induced_velocity(self) -> float:
        """v0 = sqrt(W/(2ρA)), m/s (in hover)."""
        return math.sqrt(self.weight / (2 * self.air_density * self.rotor_disc_area))

    def power(self, speed: float | np.ndarray) -> float | np.ndarray:
        """Propulsion power P(V), W, at forward speed ``speed`` m/s (vectorised)."""
        v = np.asarray(speed, dtype=float)
        v0 = self.mean_induced_velocity
        blade = self.blade_profile_power * (1 + 3 * v**2 / self.tip_speed**2)
        induced = self.induced_power * np.sqrt(np.sqrt(1 + v**4 / (4 * v0**4)) - v**2 / (2 * v0**2))
        parasite = (0.5 * self.fuselage_drag_ratio * self.air_density * self.rotor_solidity
                    * self.rotor_disc_area * v**3)
        p = blade + induced + parasite
        return float(p) if p.ndim == 0 else p

    @property
    def hover_power(self) -> float:
        """P(0) = P0 + Pi, W."""
        return self.blade_profile_power + self.induced_power

    def energy_per_metre(self, speed: float) -> float:
        """P(V)/V, J/m (``inf`` at V = 0)."""
        return math.inf if speed <= 0 else float(self.power(speed)) / speed

    def flight_energy(self, distance: float, speed: float) -> float:
        """Energy to fly ``distance`` m at ``speed`` m/s, J."""
        return 0.0 if distance == 0 else distance * self.energy_per_metre(speed)

    def max_endurance_speed(self, v_max: float = 60.0) -> float:
        """The speed minimising P(V), m/s."""
        res = minimize_scalar(lambda v: self.power(v), bounds=(0.0, v_max), method="bounded",
                              options={"xatol": 1e-6})
        return float(res.x)

    def max_range_speed(self, v_max: float = 60.0) -> float:
        """The speed minimising P(V)/V (energy per metre), m/s."""
        res = minimize_scalar(lambda v: self.energy_per_metre(v), bounds=(0.1, v_max),
                              method="bounded", options={"xatol": 1e-6})
        return float(res.x)
