"""What every method shares: the distance matrix, feasibility pre-checks and speed plan.

Node 0 is the base, node ``j + 1`` is hovering point ``j``. A method finds a short
Hamiltonian cycle through all nodes; :func:`tour_output` turns it into a
:class:`~formulations.uav_path.model.Solution` with the energy-optimal speeds.

Why minimising length is enough in energy mode: with free speeds, a tour of length ``L``
is best flown at one common speed ``V(L) = max(v*, L / (T - H))`` (``v*`` the
maximum-range speed, ``T`` the deadline, ``H`` the total hovering time): for a fixed
total flight time, ``sum t_l·P(L_l/t_l)`` is a sum of perspectives of ``P``, which is
convex above ~4 m/s (checked numerically for Table I), so equal speeds are optimal, and
``E(L) = L·P(V(L))/V(L) + P(0)·H`` increases with ``L`` because ``P`` increases above
``v*``. With a fixed cruise ``speed`` the energy is affine in ``L``. So the shortest
tour is the energy-minimal one, and a length bound maps to an energy bound.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.uav_path.model import Instance, Solution


def coordinates(inst: Instance) -> np.ndarray:
    """``(n+1, 2)`` array: the base, then the hovering points."""
    return np.array([inst.base, *inst.points], dtype=float)


def distance_matrix(inst: Instance) -> np.ndarray:
    """``(n+1, n+1)`` distances (TSPLIB nint per edge for ``euc_2d``)."""
    xy = coordinates(inst)
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(axis=2))
    if inst.distance == "euc_2d":
        d = np.floor(d + 0.5)
    return d


def integral(inst: Instance) -> bool:
    """Whether every distance is an integer (TSPLIB rounding)."""
    return inst.distance == "euc_2d"


def cycle_length(d: np.ndarray, cycle: list[int]) -> float:
    """Length of the closed cycle ``cycle`` (node indices)."""
    idx = np.asarray(cycle)
    return float(d[idx, np.roll(idx, -1)].sum())


def range_problem(inst: Instance) -> str | None:
    """Why some device cannot be served by any hovering point, or ``None``."""
    if inst.comm_range is None or not inst.devices:
        return None
    pts = np.array(inst.points, dtype=float)
    for dev in inst.devices:
        cand = pts[[dev.point]] if dev.point is not None else pts
        reach = np.hypot(cand[:, 0] - dev.position[0], cand[:, 1] - dev.position[1])
        if reach.min() > inst.comm_range * (1 + 1e-9):
            what = (f"its hovering point {dev.point}" if dev.point is not None
                    else "every hovering point")
            return (f"device {dev.id!r} is {reach.min():.6g} m from {what}, beyond the "
                    f"communication range {inst.comm_range} m")
    return None


def total_hover_time(inst: Instance) -> float:
    """Sum of data/rate over served devices, s (each device is served exactly once)."""
    return float(sum(dev.data_bits / dev.rate for dev in inst.devices))


@dataclass(frozen=True)
class SpeedPlan:
    """Energy-optimal flight of a tour of a given length."""

    speed: float | None
    energy: float
    problem: str | None


def plan(inst: Instance, length: float) -> SpeedPlan:
    """Best common speed for a tour of ``length`` m, its energy, and what is violated."""
    if inst.objective == "length":
        return SpeedPlan(None, length, None)
    model = inst.energy_model
    hover = total_hover_time(inst)
    free = inst.speed is None
    v = model.max_range_speed(v_max=inst.max_speed) if free else float(inst.speed)
    problem = None
    if inst.deadline is not None:
        slack = inst.deadline - hover
        if length > 0 and slack <= 0:
            problem = (f"hovering alone takes {hover:.6g} s, not less than the deadline "
                       f"{inst.deadline:.6g} s")
        elif length > 0 and length / slack > v:
            need = length / slack
            if free and need <= inst.max_speed * (1 + 1e-12):
                v = min(need * (1 + 1e-12), inst.max_speed)
            else:
                problem = (f"flying {length:.6g} m within the deadline needs {need:.6g} m/s, "
                           f"above {'max_speed' if free else 'the cruise speed'} "
                           f"{inst.max_speed if free else inst.speed} m/s")
    energy = (0.0 if length == 0 else float(model.power(v)) * length / v) \
        + model.hover_power * hover
    if problem is None and inst.battery is not None and energy > inst.battery * (1 + 1e-9):
        how = "at the best speeds" if free else f"at {v:.6g} m/s"
        problem = (f"mission energy {energy:.6g} J {how} exceeds the battery "
                   f"{inst.battery:.6g} J")
    max_range = model.max_range_speed(v_max=inst.max_speed) if free else None
    speed = None if not free or v == max_range else v
    return SpeedPlan(speed, energy, problem)


def one_tree_bound(d: np.ndarray) -> float:
    """Held–Karp 1-tree lower bound (no multipliers) on a Hamiltonian cycle, base special."""
    n = d.shape[0]
    if n <= 1:
        return 0.0
    if n == 2:
        return 2 * float(d[0, 1])
    from scipy.sparse.csgraph import minimum_spanning_tree

    sub = d[1:, 1:].copy()
    sub[sub == 0] = 1e-300  # keep zero-length edges in the sparse MST
    mst = float(minimum_spanning_tree(sub).sum())
    two = np.sort(d[0, 1:])[:2]
    return max(0.0, mst) + float(two.sum())


def tour_output(inst: Instance, ctx: SolveContext, cycle: list[int], *, backend: str,
                proved: bool = False, length_bound: float | None = None,
                limit: Any = None, stats: dict[str, Any] | None = None,
                versions: dict[str, str] | None = None) -> MethodOutput:
    """Turn a node cycle into a :class:`MethodOutput`.

    Parameters
    ----------
    cycle
        Node indices, any rotation, containing node 0 (the base).
    proved
        The cycle is a proven shortest one (exact methods).
    length_bound
        A proven lower bound on the shortest tour length, if known.
    """
    stats = dict(stats or {})
    k = cycle.index(0)
    order = [c - 1 for c in cycle[k + 1:] + cycle[:k]]
    d = distance_matrix(inst)
    length = cycle_length(d, [0, *[j + 1 for j in order]])
    stats["length"] = length
    p = plan(inst, length)
    versions = dict(versions or {})
    if p.problem is not None:
        lb = length if proved else length_bound
        if lb is None:
            lb = one_tree_bound(d)
        if plan(inst, lb).problem is not None:
            why = p.problem if proved else plan(inst, lb).problem
            return MethodOutput(Status.INFEASIBLE, message=f"infeasible: {why}" + (
                "" if proved else " (for a lower bound on the tour length)"),
                backend=backend, stats=stats, solver_versions=versions)
        return MethodOutput(Status.NO_SOLUTION, limit=limit, backend=backend, stats=stats,
                            message=f"best tour found is infeasible: {p.problem}",
                            solver_versions=versions)
    n_legs = len(order) + 1
    speeds = None if p.speed is None else tuple([p.speed] * n_legs)
    sol = Solution(tuple(int(j) for j in order), speeds)
    bound = None
    status = Status.FEASIBLE
    if proved:
        status = Status.OPTIMAL
        bound = _objective_bound(inst, length)
    elif length_bound is not None:
        bound = _objective_bound(inst, min(length_bound, length))
    return MethodOutput(status, sol, bound=bound, limit=None if proved else limit,
                        backend=backend, stats=stats, solver_versions=versions)


def _objective_bound(inst: Instance, length: float) -> float:
    """Objective of a tour of ``length`` flown optimally (monotone in ``length``)."""
    value = plan(inst, length).energy
    return value * (1 - 1e-9) if inst.objective == "energy" else value


def infeasible_output(reason: str, backend: str = "python") -> MethodOutput:
    """INFEASIBLE with ``reason``."""
    return MethodOutput(Status.INFEASIBLE, message=f"infeasible: {reason}", backend=backend)


def trivial_cycle(inst: Instance) -> list[int] | None:
    """The only tour when there are at most two hovering points, else ``None``."""
    n = inst.n
    if n <= 2:
        return list(range(n + 1))
    return None
