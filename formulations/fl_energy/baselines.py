"""The baselines Yang et al. (IEEE TWC 2021, Sec. VI) compare against.

* ``equal-bandwidth`` (EB-FDMA): every device gets ``B/K``; its frequency, power and
  upload time (and eta) are then chosen optimally — a 1-D convex problem per device.
* ``max-frequency``: every device computes at ``f_max``; bandwidth, power, time and eta
  optimal (the :mod:`roundopt` solver with the computing time pinned to ``A/f_max``).
* ``fixed-eta``: the local accuracy is fixed (option ``eta``, default 0.5) and everything
  else optimal — shows what optimising eta is worth.

They are heuristics for the joint problem: FEASIBLE, never OPTIMAL, no bound. When the
whole instance is infeasible they say so (INFEASIBLE, proved by the exact feasibility test);
when only the baseline's restriction is infeasible they return NO_SOLUTION.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.fl_energy.eta import _expit, _logit, feasible_interval
from formulations.fl_energy.fast import infeasible_output, optimise
from formulations.fl_energy.kernels import Arrays, arrays, phi, psi, solve_increasing
from formulations.fl_energy.roundopt import Round, solve_round, to_solution


def equal_bandwidth_round(A: Arrays, I: float, tau: float) -> Round:
    """Optimal (f, p, t) of every device with ``b = B/K`` fixed."""
    b = np.full(A.n, A.B / A.n)
    cap = I * A.cd
    cmin = cap / A.f_max
    avail = tau - cmin
    if np.any(avail <= 0):
        return Round(False)
    x_lo = A.s / (b * avail)
    x_hi = np.log2(1.0 + A.P / b)
    if np.any(x_lo > x_hi):
        return Round(False)
    k3 = 2.0 * A.kappa * cap ** 3

    def h(x: np.ndarray) -> np.ndarray:
        c = np.maximum(tau - A.s / (b * x), cmin)
        return np.log(A.K * psi(x) * x * c ** 3 * b) - np.log(k3 * A.s)

    x = solve_increasing(h, x_lo, x_hi)
    t = A.s / (b * x)
    c = np.maximum(tau - t, cmin)
    energy = float(np.sum(A.kappa * cap ** 3 / c ** 2 + A.K * phi(x)))
    return Round(True, c, t, b, x, np.zeros(A.n), 0.0, energy)


def _golden_eta(A: Arrays, f: Callable[[float, float], Round]) -> tuple[float, Round] | None:
    """Golden-section search of ``R(eta)·G(eta)`` over logit(eta) after a coarse scan."""

    def energy(u: float) -> tuple[float, Round]:
        e = _expit(u)
        r = f(A.local(e), A.tau(e))
        return (A.rounds(e) * r.energy if r.feasible else math.inf), r

    us = np.linspace(_logit(1e-6), _logit(1 - 1e-6), 41)
    vals = [energy(float(u)) for u in us]
    i = int(np.argmin([v[0] for v in vals]))
    if not math.isfinite(vals[i][0]):
        return None
    a, b = float(us[max(i - 1, 0)]), float(us[min(i + 1, len(us) - 1)])
    best_u, best = float(us[i]), vals[i]
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = energy(c), energy(d)
    for _ in range(80):
        if fc[0] < best[0]:
            best_u, best = c, fc
        if fd[0] < best[0]:
            best_u, best = d, fd
        if b - a < 1e-10:
            break
        if fc[0] <= fd[0]:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = energy(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = energy(d)
    return _expit(best_u), best[1]


def _baseline(inst: Any, f_of: Callable[[Arrays], Callable[[float, float], Round]],
              name: str) -> MethodOutput:
    A = arrays(inst)
    f = f_of(A)
    if inst.eta is not None:
        eta = inst.eta
        r = f(A.local(eta), A.tau(eta))
        found: tuple[float, Round] | None = (eta, r) if r.feasible else None
    else:
        found = _golden_eta(A, f)
    if found is None:
        exact = solve_round(A, A.local(inst.eta), A.tau(inst.eta)) if inst.eta is not None \
            else None
        if (exact is not None and not exact.feasible) or (
                exact is None and feasible_interval(A) is None):
            return infeasible_output(A, inst.eta)
        return MethodOutput(Status.NO_SOLUTION,
                            message=f"{name}: no feasible allocation under this restriction")
    eta, r = found
    sol = to_solution(A, eta, A.local(eta), r)
    return MethodOutput(Status.FEASIBLE, sol, backend="numpy",
                        stats={"eta": eta, "rounds": A.rounds(eta)})


def equal_bandwidth(inst: Any, ctx: SolveContext, **options: Any) -> MethodOutput:
    """EB-FDMA baseline: equal bandwidth, the rest optimal."""
    return _baseline(inst, lambda A: (lambda I, tau: equal_bandwidth_round(A, I, tau)),
                     "equal-bandwidth")


def max_frequency(inst: Any, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Every device at f_max, the rest optimal."""
    return _baseline(inst, lambda A: (lambda I, tau: solve_round(A, I, tau, fixed_freq=True)),
                     "max-frequency")


def fixed_eta(inst: Any, ctx: SolveContext, *, eta: float = 0.5, **options: Any) -> MethodOutput:
    """Local accuracy fixed at ``eta`` (default 0.5), the rest optimal."""
    if not isinstance(eta, int | float) or isinstance(eta, bool) or not 0 < eta < 1:
        from edgeopt_solve.exceptions import InvalidOptionError

        raise InvalidOptionError(f"eta must lie in (0, 1), got {eta!r}", field="eta")
    out = optimise(inst, ctx, lambda A: (lambda I, tau: solve_round(A, I, tau)),
                   eta=float(eta), exact=False)
    if out.status is Status.INFEASIBLE and inst.eta is None and \
            feasible_interval(arrays(inst)) is not None:
        return MethodOutput(Status.NO_SOLUTION,
                            message=f"fixed-eta: infeasible at eta = {eta}; {out.message}")
    return out


__all__ = ["equal_bandwidth", "fixed_eta", "max_frequency"]
