"""Baselines for FEDL: one part of the decision fixed by a simple rule, the rest optimal.

These are common reference policies, **not** taken from the FEDL paper (its numerical
section studies the optimum as kappa varies rather than comparing to baselines):

* ``max-frequency`` — every CPU at ``f_max`` (race to idle); tau and theta optimal.
* ``max-power`` — every device transmits at ``p_max`` (shortest slot); f and theta optimal.
* ``equal-time`` — equal TDMA slots: one length ``t`` for everybody, clipped into each
  device's power window ``[tau_min_n, tau_max_n]`` (with p_min > 0 the windows rarely
  share a point), ``t`` chosen by a log-grid scan and golden-section refinement; f and
  theta optimal.
* ``fixed-theta`` — local accuracy fixed (option ``theta``, default 0.5; the instance's theta
  if it fixes one); f and tau optimal — shows what optimising theta is worth.

All are heuristics (FEASIBLE, no bound). An instance with an empty power window is reported
INFEASIBLE (the same elementary proof as the exact methods).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import InvalidOptionError
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.fl_fedl.closed_form import (
    Arrays,
    arrays,
    optimal_theta,
    sub1_cpu,
    sub1_value,
    sub2_tdma,
    sub2_value,
)
from formulations.fl_fedl.fast import build_solution, infeasible_output


def _finish(inst: Any, X: Arrays, f: np.ndarray, tau: np.ndarray,
            theta: float | None = None) -> MethodOutput:
    s1, s2 = sub1_value(X, f), sub2_value(X, tau)
    th = inst.theta if inst.theta is not None else theta
    if th is None:
        th = optimal_theta(s1, s2, X.v)
    sol = build_solution(X, th, f, tau)
    return MethodOutput(Status.FEASIBLE, sol, backend="numpy",
                        stats={"theta": th, "S1": s1, "S2": s2})


def _run(inst: Any, rule: Callable[[Arrays], tuple[np.ndarray, np.ndarray]]) -> MethodOutput:
    X = arrays(inst)
    bad = infeasible_output(X)
    if bad is not None:
        return bad
    return _finish(inst, X, *rule(X))


def max_frequency(inst: Any, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Every CPU at f_max; TDMA slots and theta optimal."""
    return _run(inst, lambda X: (X.f_max.copy(), sub2_tdma(X)))


def max_power(inst: Any, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Every device at p_max (tau = tau_min); CPU frequencies and theta optimal."""
    return _run(inst, lambda X: (sub1_cpu(X)[0], X.tau_range()[0]))


def common_slot_cost(X: Arrays, t: float) -> float:
    """``E_co + kappa·T_co`` when every slot is ``t`` clipped into the device's window."""
    tau_min, tau_max = X.tau_range()
    tau = np.clip(np.full(X.n, t), tau_min, tau_max)
    return float(np.sum(tau * X.power(tau)) + X.kappa * np.sum(tau))


def best_common_slot(X: Arrays, grid: int = 121) -> float:
    """The common slot t (clipped per device) of least ``E_co + kappa·T_co``.

    The clipped cost is not convex in t (only each device's unclipped cost is), so this is
    a log-spaced scan over ``[min tau_min, max(tau_max, 10·max tau_min)]`` refined by golden
    section around the best grid point.
    """
    tau_min, tau_max = X.tau_range()
    lo = float(np.min(tau_min))
    finite = tau_max[np.isfinite(tau_max)]
    hi = max(float(np.max(finite)) if finite.size else 0.0, 10.0 * float(np.max(tau_min)))
    ts = np.geomspace(lo, hi, grid)
    costs = [common_slot_cost(X, float(t)) for t in ts]
    i = int(np.argmin(costs))
    a, b = math.log(ts[max(i - 1, 0)]), math.log(ts[min(i + 1, grid - 1)])
    g = (math.sqrt(5) - 1) / 2
    best_t, best = float(ts[i]), costs[i]
    for _ in range(60):
        c, d = b - g * (b - a), a + g * (b - a)
        fc, fd = common_slot_cost(X, math.exp(c)), common_slot_cost(X, math.exp(d))
        for u, fu in ((c, fc), (d, fd)):
            if fu < best:
                best_t, best = math.exp(u), fu
        if fc <= fd:
            b = d
        else:
            a = c
    return best_t


def equal_time(inst: Any, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Equal TDMA slots (one length, clipped to each power window); f and theta optimal."""

    def rule(X: Arrays) -> tuple[np.ndarray, np.ndarray]:
        t = best_common_slot(X)
        tau_min, tau_max = X.tau_range()
        return sub1_cpu(X)[0], np.clip(np.full(X.n, t), tau_min, tau_max)

    return _run(inst, rule)


def fixed_theta(inst: Any, ctx: SolveContext, *, theta: float = 0.5,
                **options: Any) -> MethodOutput:
    """Local accuracy fixed at ``theta`` (default 0.5); f and tau optimal."""
    if isinstance(theta, bool) or not isinstance(theta, int | float) or not 0 < theta < 1:
        raise InvalidOptionError(f"theta must lie in (0, 1), got {theta!r}", field="theta")
    X = arrays(inst)
    bad = infeasible_output(X)
    if bad is not None:
        return bad
    return _finish(inst, X, sub1_cpu(X)[0], sub2_tdma(X), float(theta))


__all__ = ["best_common_slot", "equal_time", "fixed_theta", "max_frequency", "max_power"]
