"""Speed control for fair data collection under an energy budget (Li et al., as surveyed).

The survey describes it as: the UAV's flying speed over a cluster is inversely
proportional to the number of devices in the cluster, and a dichotomous (bisection)
search finds the speeds that maximise the collected data. The survey gives no
equations; the model used here (our reading, stated so it can be checked):

* the tour is fixed; the leg ending at hovering point ``j`` is flown at
  ``V_j = c / m_j`` (``m_j`` devices served at ``j``, ``m_j >= 1``; points serving no
  device and the return leg fly at the maximum-range speed ``v*``), clipped to
  ``[v_min, max_speed]``;
* while flying that leg the UAV collects from the devices of point ``j`` at their rates
  for ``L_j / V_j`` seconds, at most their data volume: ``bits_j(c) = min(D_j, R_j·L_j/V_j)``;
* flight energy ``E(c) = sum_l L_l·P(V_l)/V_l`` must not exceed the ``budget`` (J).

Collected data is non-increasing in ``c`` (faster is shorter contact), so the best ``c``
is the smallest feasible one. ``E(c)`` is *not* monotone — ``P(V)/V`` is U-shaped with
its minimum at ``v*`` — so bisection is only valid on a bracket where ``E`` is
monotone: :func:`fair_speeds` finds ``c*`` minimising ``E`` (grid, then Brent), checks on a grid that ``E``
is non-increasing on ``[c_lo, c*]``, and bisects there for the smallest ``c`` with
``E(c) <= budget``. If the check fails (non-monotone, e.g. after clipping), it falls
back to a grid search and reports the grid step as the bound on how far the answer's
``c`` may be from the best grid-free one.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy.optimize import minimize_scalar

from formulations.uav_path.graph import distance_matrix
from formulations.uav_path.model import Instance, Solution


@dataclass(frozen=True)
class SpeedControl:
    """Outcome of :func:`fair_speeds`.

    Attributes
    ----------
    feasible
        Whether some ``c`` meets the budget.
    scale
        The chosen ``c`` (m/s · devices).
    speeds
        Per-leg speeds, m/s (``len(tour) + 1``).
    collected_bits
        Data collected in flight, bits.
    energy
        Flight energy, J.
    method
        ``"bisection"`` or ``"grid"`` (monotonicity check failed).
    c_error
        Upper bound on ``|c - c_best|`` for the grid fallback (0 for bisection, up to
        the bisection tolerance).
    """

    feasible: bool
    scale: float
    speeds: tuple[float, ...]
    collected_bits: float
    energy: float
    method: str
    c_error: float


def _clusters(inst: Instance) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Devices, data (bits) and total rate (bit/s) per hovering point."""
    from formulations.uav_path.evaluate import _serving_point

    m = np.zeros(inst.n)
    data = np.zeros(inst.n)
    rate = np.zeros(inst.n)
    for i, dev in enumerate(inst.devices):
        j = _serving_point(inst, i)
        if j is not None:
            m[j] += 1
            data[j] += dev.data_bits
            rate[j] += dev.rate
    return m, data, rate


def fair_speeds(inst: Instance, sol: Solution, budget: float, *, v_min: float = 1.0,
                tol: float = 1e-6, grid: int = 400) -> SpeedControl:
    """Per-leg speeds ``V_j = c/m_j`` maximising collected data within ``budget`` J."""
    d = distance_matrix(inst)
    nodes = [0, *[j + 1 for j in sol.tour], 0]
    legs = np.array([d[nodes[k], nodes[k + 1]] for k in range(len(nodes) - 1)])
    m, data, rate = _clusters(inst)
    target = [j for j in sol.tour] + [None]
    model = inst.energy_model
    v_star = model.max_range_speed(v_max=inst.max_speed)
    counts = np.array([m[j] if j is not None and m[j] > 0 else 0.0 for j in target])

    def speeds(c: float) -> np.ndarray:
        v = np.where(counts > 0, c / np.maximum(counts, 1.0), v_star)
        return np.clip(v, v_min, inst.max_speed)

    def energy(c: float) -> float:
        v = speeds(c)
        return float(np.sum(np.where(legs > 0, legs * model.power(v) / v, 0.0)))

    def collected(c: float) -> float:
        v = speeds(c)
        total = 0.0
        for k, j in enumerate(target):
            if j is not None and counts[k] > 0:
                total += min(data[j], rate[j] * legs[k] / v[k])
        return total

    c_lo = v_min  # every cluster leg at v_min (after clipping): the most data
    c_hi = inst.max_speed * max(1.0, counts.max(initial=1.0))
    coarse = np.linspace(c_lo, c_hi, 4 * grid)
    k = int(np.argmin([energy(x) for x in coarse]))
    lo_k, hi_k = coarse[max(k - 1, 0)], coarse[min(k + 1, len(coarse) - 1)]
    res = minimize_scalar(energy, bounds=(lo_k, hi_k), method="bounded",
                          options={"xatol": 1e-9})
    c_star = float(res.x) if energy(float(res.x)) <= energy(coarse[k]) else float(coarse[k])

    def result(c: float, how: str, err: float) -> SpeedControl:
        e = energy(c)
        return SpeedControl(e <= budget * (1 + 1e-9), c, tuple(speeds(c).tolist()),
                            collected(c), e, how, err)

    if energy(c_star) > budget:
        return result(c_star, "bisection", 0.0)
    if energy(c_lo) <= budget:
        return result(c_lo, "bisection", 0.0)
    xs = np.linspace(c_lo, c_star, grid)
    es = np.array([energy(x) for x in xs])
    if np.all(np.diff(es) <= 1e-9 * max(1.0, es.max())):
        lo, hi = c_lo, c_star  # energy(lo) > budget >= energy(hi), E non-increasing
        while hi - lo > tol * max(1.0, hi):
            mid = 0.5 * (lo + hi)
            if energy(mid) <= budget:
                hi = mid
            else:
                lo = mid
        return result(hi, "bisection", hi - lo)
    xs = np.linspace(c_lo, c_hi, 4 * grid)
    ok = [x for x in xs if energy(x) <= budget]
    best = min(ok, key=lambda x: (-collected(x), x)) if ok else c_star
    return result(float(best), "grid", float(xs[1] - xs[0]))


def speed_bits_table(inst: Instance, sol: Solution, budgets: list[float]) -> list[tuple]:
    """``(budget, scale, collected_bits, energy)`` for several budgets (for notebooks)."""
    out = []
    for b in budgets:
        r = fair_speeds(inst, sol, b)
        out.append((b, r.scale if r.feasible else math.nan, r.collected_bits, r.energy))
    return out
