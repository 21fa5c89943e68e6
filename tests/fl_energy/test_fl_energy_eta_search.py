"""fl_energy: the Newton round solver and the secant eta search against references."""

from __future__ import annotations

import math

import numpy as np
import pytest

import formulations.fl_energy as fl
from edgeopt_solve import Status
from formulations.fl_energy.eta import (
    _expit,
    _logit,
    evaluate,
    feasible_interval,
    search_eta,
)
from formulations.fl_energy.etasearch import search_eta_fast
from formulations.fl_energy.fast import newton_solver, warm_solver
from formulations.fl_energy.kernels import arrays
from formulations.fl_energy.roundfast import solve_round_newton
from formulations.fl_energy.roundopt import solve_round


def t_min_of(inst: fl.Instance) -> float:
    return fl.solve(inst.with_changes(deadline=1e-3)).stats["min_deadline"]


def random_instance(seed: int, *, tight: bool = False) -> fl.Instance:
    """3-40 devices, deadline 1.02-1.2 (tight) or 1.3-6 times the smallest feasible one."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 41))
    inst = fl.yang_instance(n, seed + 5000)
    k = float(rng.uniform(1.02, 1.2) if tight else rng.uniform(1.3, 6.0))
    return inst.with_changes(deadline=t_min_of(inst) * k)


def grid_golden_reference(inst: fl.Instance) -> tuple[float, float]:
    """min E(eta): dense logit grid on the exact feasible interval, then golden section
    around the best grid point; every E(eta) from the reference (bisection) round solver."""
    A = arrays(inst)
    lo, hi = feasible_interval(A)
    ua, ub = _logit(lo), _logit(hi)
    solver = warm_solver(A)

    def E(u: float) -> float:
        return evaluate(A, _expit(u), solver).energy

    us = np.linspace(ua, ub, 31)[1:-1]
    vals = [E(float(u)) for u in us]
    i = int(np.argmin(vals))
    a = float(us[i - 1]) if i > 0 else ua + 1e-9 * (ub - ua)
    b = float(us[i + 1]) if i + 1 < len(us) else ub - 1e-9 * (ub - ua)
    g = (math.sqrt(5) - 1) / 2
    c, d = b - g * (b - a), a + g * (b - a)
    fc, fd = E(c), E(d)
    while b - a > 1e-7:
        if fc < fd:
            b, d, fd = d, c, fc
            c = b - g * (b - a)
            fc = E(c)
        else:
            a, c, fc = c, d, fd
            d = a + g * (b - a)
            fd = E(d)
    best = min((vals[i], us[i]), (fc, c), (fd, d))
    return best[0], _expit(float(best[1]))


@pytest.mark.parametrize("seed", range(10))
def test_secant_search_equals_grid_golden_reference(seed: int) -> None:
    """fast (secant eta search, Newton rounds) == dense grid + golden section to 1e-9."""
    inst = random_instance(seed, tight=seed >= 7)
    res = fl.solve(inst, "fast")
    assert res.status is Status.OPTIMAL, res.message
    ref, eta_ref = grid_golden_reference(inst)
    assert res.objective <= ref * (1 + 1e-9), (seed, res.objective, ref)
    assert math.isclose(res.objective, ref, rel_tol=1e-9), (seed, res.objective, ref)
    assert res.bound <= ref * (1 + 1e-12)
    assert res.gap <= 1e-9
    assert abs(res.stats["eta"] - eta_ref) < 1e-3 * max(eta_ref, 1e-3)


@pytest.mark.parametrize("seed", range(6))
def test_secant_search_equals_interval_search(seed: int) -> None:
    """The new search and the previous (interval, Illinois) search agree to 1e-9 and the
    new one needs no more per-round solves."""
    inst = random_instance(100 + seed, tight=seed % 3 == 2)
    A = arrays(inst)
    new = search_eta_fast(A, newton_solver(A))
    assert new is not None
    lo, hi = feasible_interval(A)
    old, evals = search_eta(A, warm_solver(A), lo, hi)
    assert math.isclose(new.best.energy, old.energy, rel_tol=1e-9)
    assert new.bound <= old.energy * (1 + 1e-12)
    assert new.best.energy - new.bound <= 1e-9 * new.best.energy
    assert new.evals <= evals + 1


@pytest.mark.parametrize("seed", range(3))
def test_large_instances_few_evaluations(seed: int) -> None:
    """1,000 devices: certified OPTIMAL by the secant search in a handful of round solves."""
    res = fl.solve(fl.generate(1000, seed))
    assert res.status is Status.OPTIMAL
    assert res.stats["eta_search"] == "secant"
    assert res.stats["eta_evaluations"] <= 7
    assert res.gap <= 1e-9
    assert max(res.stats["kkt_residuals"].values()) <= 1e-10


def test_infeasible_start_and_tight_yang_preset() -> None:
    """eta = 0.5 infeasible (tight deadline): the search restarts at a feasible eta."""
    inst = fl.yang_instance(1000, 0)  # T = 2 s: feasible only for eta in (0.003, 0.374)
    A = arrays(inst)
    assert not math.isfinite(evaluate(A, 0.5, newton_solver(A)).energy)
    res = fl.solve(inst)
    assert res.status is Status.OPTIMAL and res.stats["eta_search"] == "secant"
    assert res.stats["devices_at_p_max"] > 0
    lo, hi = feasible_interval(A)
    old, _ = search_eta(A, warm_solver(A), lo, hi)
    assert math.isclose(res.objective, old.energy, rel_tol=1e-9)


def test_narrow_feasible_window_start() -> None:
    """Feasible only for eta in (0.549, 0.685), between the start grid points: the
    golden-section search on the bandwidth slack finds a feasible start."""
    inst = fl.yang_instance(2, 5)
    inst = inst.with_changes(deadline=t_min_of(inst) * 1.01)
    A = arrays(inst)
    lo, hi = feasible_interval(A)
    assert lo > 0.5 and hi < 0.7
    res = fl.solve(inst)
    assert res.status is Status.OPTIMAL and res.stats["eta_search"] == "secant"
    assert lo <= res.stats["eta"] <= hi
    old, _ = search_eta(A, warm_solver(A), lo, hi)
    assert math.isclose(res.objective, old.energy, rel_tol=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_newton_round_equals_reference_round(seed: int) -> None:
    """Per-round optimum, price and multipliers equal the bisection solver's, cold and warm,
    in every regime (power slack, p_max, f_max) and for infeasible rounds."""
    rng = np.random.default_rng(seed)
    inst = random_instance(200 + seed, tight=seed % 2 == 1)
    A = arrays(inst)
    prev = None
    for eta in rng.uniform(0.01, 0.95, 6):
        I, tau = A.local(float(eta)), A.tau(float(eta))
        ref = solve_round(A, I, tau)
        hint = {} if prev is None else {"lam_hint": prev.lam, "x_hint": prev.warm}
        new = solve_round_newton(A, I, tau, **hint)
        assert new.feasible == ref.feasible
        if not ref.feasible:
            continue
        assert math.isclose(new.energy, ref.energy, rel_tol=1e-11)
        assert math.isclose(new.lam, ref.lam, rel_tol=1e-9)
        assert math.isclose(new.dG_dI, ref.dG_dI, rel_tol=1e-9)
        assert math.isclose(new.beta, ref.beta, rel_tol=1e-9, abs_tol=1e-12 * abs(ref.energy))
        assert np.allclose(new.mu, ref.mu, rtol=1e-8)
        assert new.power_bound == ref.power_bound and new.freq_bound == ref.freq_bound
        assert max(new.kkt.values()) <= 1e-10
        prev = new
