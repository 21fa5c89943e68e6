"""fl_energy: exact methods agree, bounds are valid, baselines never win, infeasibility."""

from __future__ import annotations

import itertools
import math
import re

import numpy as np
import pytest

import formulations.fl_energy as fl
from edgeopt_solve import Status
from formulations.fl_energy.eta import evaluate
from formulations.fl_energy.kernels import arrays
from formulations.fl_energy.roundopt import solve_round

pytestmark = pytest.mark.filterwarnings("ignore:Solution may be inaccurate")


def random_instance(seed: int, fixed_eta: bool) -> fl.Instance:
    """Instances of 3-12 devices with a random deadline (1.3-6 x the minimum) and eta."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 13))
    inst = fl.yang_instance(n, seed + 1000)
    eta = float(rng.uniform(0.05, 0.95)) if fixed_eta else None
    probe = fl.solve(inst.with_changes(deadline=1e-3, eta=eta))
    t_min = probe.stats["min_deadline"]
    return inst.with_changes(deadline=t_min * float(rng.uniform(1.3, 6.0)), eta=eta)


def test_fast_matches_cvxpy_fixed_eta() -> None:
    """fast is OPTIMAL everywhere; cvxpy's proven interval [bound, objective] contains it,
    and where cvxpy certifies optimality (outer-approximation gap <= 1e-6) they agree to
    1e-5 relative."""
    certified = 0
    seeds = range(16)
    for seed in seeds:
        inst = random_instance(seed, fixed_eta=True)
        a = fl.solve(inst, "fast")
        b = fl.solve(inst, "cvxpy")
        assert a.status is Status.OPTIMAL, a.message
        assert a.bound <= a.objective * (1 + 1e-12)
        assert max(a.stats["kkt_residuals"].values()) < 1e-8
        assert b.status in (Status.OPTIMAL, Status.FEASIBLE)
        assert b.bound <= a.objective * (1 + 1e-9), (seed, b.bound, a.objective)
        assert a.objective <= b.objective * (1 + 1e-9), (seed, a.objective, b.objective)
        if b.status is Status.OPTIMAL:
            certified += 1
            assert math.isclose(a.objective, b.objective, rel_tol=1e-5), seed
    assert certified >= len(seeds) - 1, certified


@pytest.mark.parametrize("seed", range(2))
def test_fast_matches_cvxpy_free_eta(seed: int) -> None:
    inst = random_instance(100 + seed, fixed_eta=False)
    a = fl.solve(inst, "fast")
    b = fl.solve(inst, "cvxpy")
    assert a.status is Status.OPTIMAL
    assert b.status in (Status.OPTIMAL, Status.FEASIBLE)
    assert math.isclose(a.objective, b.objective, rel_tol=1e-5)
    assert abs(a.stats["eta"] - b.stats["eta"]) < 1e-3


@pytest.mark.parametrize("seed", range(4))
def test_dual_bound_is_valid_over_all_eta(seed: int) -> None:
    """The reported bound is below E(eta) on a fine eta grid (and E's grid minimum)."""
    inst = random_instance(200 + seed, fixed_eta=False)
    res = fl.solve(inst, "fast")
    assert res.status is Status.OPTIMAL
    A = arrays(inst)
    grid = [evaluate(A, float(e), lambda I, tau: solve_round(A, I, tau)).energy
            for e in np.linspace(0.02, 0.98, 13)]
    assert res.bound <= min(grid) * (1 + 1e-12)
    assert res.objective <= min(grid) * (1 + 1e-9)
    assert res.gap <= 1e-7


def test_regimes_power_and_frequency_limits() -> None:
    """A tight deadline puts devices at p_max and f_max; results stay exact."""
    inst = fl.yang_instance(30, 7)
    t_min = fl.solve(inst.with_changes(deadline=1e-3)).stats["min_deadline"]
    tight = inst.with_changes(deadline=t_min * 1.02)
    a = fl.solve(tight, "fast")
    assert a.status is Status.OPTIMAL
    assert a.stats["devices_at_p_max"] > 0
    fixed = tight.with_changes(eta=a.stats["eta"])
    c = fl.solve(fixed, "fast")
    assert c.status is Status.OPTIMAL
    # near the feasibility edge Clarabel may stall: whatever cvxpy proves must be consistent
    b = fl.solve(fixed, "cvxpy")
    assert b.status is not Status.INFEASIBLE
    if b.bound is not None:
        assert b.bound <= c.objective * (1 + 1e-9)
    if b.objective is not None:
        assert c.objective <= b.objective * (1 + 1e-9)
    # eta = 0.02: many local iterations, so computing at f_max becomes necessary
    t_fix = fl.solve(inst.with_changes(deadline=1e-3, eta=0.02)).stats["min_deadline"]
    d = fl.solve(inst.with_changes(deadline=t_fix * 1.01, eta=0.02), "fast")
    assert d.status is Status.OPTIMAL and d.stats["devices_at_f_max"] > 0
    assert d.stats["devices_at_p_max"] > 0


def test_energy_falls_as_the_deadline_grows() -> None:
    inst = fl.yang_instance(25, 3)
    t_min = fl.solve(inst.with_changes(deadline=1e-3)).stats["min_deadline"]
    energies = [fl.solve(inst.with_changes(deadline=t_min * k)).objective
                for k in (1.05, 1.3, 2.0, 4.0, 10.0)]
    assert all(a > b for a, b in itertools.pairwise(energies)), energies


@pytest.mark.parametrize("seed", range(5))
def test_baselines_never_beat_the_optimum(seed: int) -> None:
    inst = random_instance(300 + seed, fixed_eta=seed % 2 == 0)
    opt = fl.solve(inst, "fast")
    assert opt.status is Status.OPTIMAL
    for name in ("equal-bandwidth", "max-frequency", "fixed-eta"):
        res = fl.solve(inst, name)
        assert res.status in (Status.FEASIBLE, Status.NO_SOLUTION)
        if res.objective is not None:
            assert res.objective >= opt.objective * (1 - 1e-9), name


def test_infeasible_deadline_reports_the_smallest_feasible_one() -> None:
    inst = fl.yang_instance(10, 4)
    bad = inst.with_changes(deadline=0.01)
    res = fl.solve(bad, "fast")
    assert res.status is Status.INFEASIBLE and res.solution is None
    t_min = res.stats["min_deadline"]
    assert f"{t_min:.6g}" in res.message and "smallest feasible deadline" in res.message
    assert fl.solve(inst.with_changes(deadline=t_min * 1.001)).status is Status.OPTIMAL
    assert fl.solve(inst.with_changes(deadline=t_min * 0.999)).status is Status.INFEASIBLE
    for name in fl.METHODS:
        assert fl.solve(bad, name).status is Status.INFEASIBLE, name
    fixed = inst.with_changes(deadline=0.05, eta=0.5)
    res = fl.solve(fixed, "fast")
    assert res.status is Status.INFEASIBLE
    t_fix = float(re.search(r"about ([0-9.e+-]+) s", res.message).group(1))
    assert fl.solve(fixed.with_changes(deadline=t_fix * 1.001)).status is Status.OPTIMAL
    assert t_fix >= t_min * (1 - 1e-6)  # fixing eta cannot make the deadline easier


def test_fixed_eta_baseline_and_instance_eta() -> None:
    inst = fl.generate(8, 2)
    res = fl.solve(inst, "fixed-eta", eta=0.3)
    assert res.status is Status.FEASIBLE and res.solution.eta == 0.3
    fixed = fl.solve(inst.with_changes(eta=0.3), "fast")
    assert fixed.status is Status.OPTIMAL and fixed.solution.eta == 0.3
    assert math.isclose(res.objective, fixed.objective, rel_tol=1e-9)
    with pytest.raises(ValueError):
        fl.solve(inst, "fixed-eta", eta=1.5)


def test_same_seed_same_answer_and_stats() -> None:
    inst = fl.generate(12, 9)
    a, b = fl.solve(inst, seed=1), fl.solve(inst, seed=1)
    assert a.solution == b.solution
    for key in ("eta", "rounds", "local_iterations", "bandwidth_price", "kkt_residuals",
                "duality_gap", "eta_evaluations"):
        assert key in a.stats


def test_time_limit_is_honoured_by_cvxpy() -> None:
    inst = fl.generate(30, 1)
    res = fl.solve(inst, "cvxpy", time_limit=0.3)
    assert res.status in (Status.FEASIBLE, Status.NO_SOLUTION, Status.OPTIMAL)
    assert res.runtime < 10
