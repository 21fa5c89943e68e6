"""Independent evaluator and verifier of UAV tours.

Shares no code with the methods: distances, the device-to-point assignment, hovering
times, flight energy and mission time are recomputed here from the decision values with
plain ``math``. Only the propulsion power ``P(V)`` comes from the shared system model
(:class:`edgeopt_solve.system.UavEnergyModel`).
"""

from __future__ import annotations

import math

from edgeopt_solve.protocol import Violation
from formulations.uav_path.model import Instance, Solution


def _dist(inst: Instance, a: tuple[float, float], b: tuple[float, float]) -> float:
    d = math.hypot(a[0] - b[0], a[1] - b[1])
    if inst.distance == "euc_2d":
        return float(math.floor(d + 0.5))
    return d


def _serving_point(inst: Instance, dev_index: int) -> int | None:
    """The hovering point serving device ``dev_index``, or ``None`` if none is in range."""
    dev = inst.devices[dev_index]
    rng = inst.comm_range

    def reach(j: int) -> float:
        p = inst.points[j]
        return math.hypot(p[0] - dev.position[0], p[1] - dev.position[1])

    if dev.point is not None:
        if rng is not None and reach(dev.point) > rng * (1 + 1e-9):
            return None
        return dev.point
    best, best_d = None, math.inf
    for j in range(len(inst.points)):
        d = reach(j)
        if (rng is None or d <= rng * (1 + 1e-9)) and d < best_d:
            best, best_d = j, d
    return best


def hover_times(inst: Instance) -> list[float]:
    """Hovering time at each point, s (sum of data/rate of the devices it serves)."""
    out = [0.0] * len(inst.points)
    for i, dev in enumerate(inst.devices):
        j = _serving_point(inst, i)
        if j is not None:
            out[j] += dev.data_bits / dev.rate
    return out


def _cruise_speed(inst: Instance) -> float:
    if inst.speed is not None:
        return inst.speed
    return inst.energy_model.max_range_speed(v_max=inst.max_speed)


def leg_lengths(inst: Instance, sol: Solution) -> list[float]:
    """Length of each leg, base -> tour[0] -> ... -> tour[-1] -> base."""
    nodes = [inst.base, *(inst.points[j] for j in sol.tour), inst.base]
    return [_dist(inst, nodes[k], nodes[k + 1]) for k in range(len(nodes) - 1)]


def tour_length(inst: Instance, sol: Solution) -> float:
    """Total flown distance, m."""
    return math.fsum(leg_lengths(inst, sol))


def _speeds(inst: Instance, sol: Solution, legs: int) -> list[float]:
    if sol.speeds is not None:
        return list(sol.speeds)
    return [_cruise_speed(inst)] * legs


def mission_energy(inst: Instance, sol: Solution) -> float:
    """Propulsion energy of flight plus hovering, J."""
    legs = leg_lengths(inst, sol)
    speeds = _speeds(inst, sol, len(legs))
    model = inst.energy_model
    flight = math.fsum(0.0 if L == 0 else float(model.power(v)) * L / v
                       for L, v in zip(legs, speeds, strict=False))
    return flight + model.hover_power * math.fsum(hover_times(inst))


def mission_time(inst: Instance, sol: Solution) -> float:
    """Flight time plus hovering time, s."""
    legs = leg_lengths(inst, sol)
    speeds = _speeds(inst, sol, len(legs))
    return (math.fsum(L / v for L, v in zip(legs, speeds, strict=False))
            + math.fsum(hover_times(inst)))


def objective(inst: Instance, sol: Solution) -> float:
    """Mission energy (J) or tour length (m), per ``inst.objective``."""
    if inst.objective == "length":
        return tour_length(inst, sol)
    return mission_energy(inst, sol)


def verify(inst: Instance, sol: Solution, *, tol: float = 1e-6) -> list[Violation]:
    """Every violated constraint of ``sol`` on ``inst``; ``[]`` when feasible."""
    out: list[Violation] = []
    n = len(inst.points)
    tour = list(sol.tour)
    if len(tour) != n:
        out.append(Violation("tour.size", f"tour visits {len(tour)} points, instance has {n}"))
    seen: set[int] = set()
    for k, j in enumerate(tour):
        if not 0 <= j < n:
            out.append(Violation(f"tour[{k}]", f"no hovering point {j}"))
        elif j in seen:
            out.append(Violation(f"tour[{k}]", f"point {j} visited twice"))
        seen.add(j)
    missing = [j for j in range(n) if j not in seen]
    if missing:
        out.append(Violation("tour.cover", f"points never visited: {missing[:10]}"))
    for i in range(len(inst.devices)):
        if _serving_point(inst, i) is None:
            dev = inst.devices[i]
            what = (f"its hovering point {dev.point}" if dev.point is not None
                    else "every hovering point")
            out.append(Violation(f"range[device={dev.id}]",
                                 f"device {dev.id!r} is out of range ({inst.comm_range} m) "
                                 f"of {what}"))
    if sol.speeds is not None:
        if inst.objective == "length":
            out.append(Violation("speeds", "speeds are meaningless for objective 'length'"))
        if len(sol.speeds) != len(tour) + 1:
            out.append(Violation("speeds.size",
                                 f"{len(sol.speeds)} speeds for {len(tour) + 1} legs"))
        for k, v in enumerate(sol.speeds):
            if not (v > 0 and v <= inst.max_speed * (1 + tol)):
                out.append(Violation(f"speeds[{k}]",
                                     f"speed {v} m/s outside (0, {inst.max_speed}]"))
    if out or inst.objective == "length":
        return out
    if inst.battery is not None:
        energy = mission_energy(inst, sol)
        if energy > inst.battery + tol * max(1.0, inst.battery):
            out.append(Violation("battery", f"mission energy {energy:.6g} J exceeds the "
                                 f"battery {inst.battery:.6g} J", energy - inst.battery))
    if inst.deadline is not None:
        t = mission_time(inst, sol)
        if t > inst.deadline + tol * max(1.0, inst.deadline):
            out.append(Violation("deadline", f"mission time {t:.6g} s exceeds the deadline "
                                 f"{inst.deadline:.6g} s", t - inst.deadline))
    return out
