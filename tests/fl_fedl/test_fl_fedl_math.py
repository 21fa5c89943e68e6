"""fl_fedl: each closed form against a numeric minimisation, KKT conditions, perturbations.

The numeric references use ``scipy.optimize.minimize_scalar`` on the subproblem written
from its definition (not from the closed form); KKT multipliers are rebuilt from the
gradients of the cost.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import minimize_scalar

import formulations.fl_fedl as fl
from formulations.fl_fedl.closed_form import (
    arrays,
    optimal_efficiency,
    optimal_theta,
    sub1_cpu,
    sub1_value,
    sub2_tdma,
    sub2_value,
)


def random_instance(seed: int, n: int | None = None) -> fl.Instance:
    """Wide-ranging random instance (gains, kappa, bounds over several decades)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 7)) if n is None else n
    devices = []
    for _ in range(n):
        f_max, p_max = 10 ** rng.uniform(8, 9.5), 10 ** rng.uniform(-2, 1)
        devices.append({
            "cycles_per_sample": float(rng.uniform(1, 100)),
            "samples": float(10 ** rng.uniform(3, 8)),
            "gain": float(10 ** rng.uniform(-14, -6)),
            "f_min": float(0.0 if rng.random() < 0.3 else f_max * rng.uniform(0, 1)),
            "f_max": float(f_max),
            "p_min": float(0.0 if rng.random() < 0.3 else p_max * rng.uniform(0, 1)),
            "p_max": float(p_max)})
    return fl.Instance.from_dict({
        "bandwidth": float(10 ** rng.uniform(5, 7)),
        "noise_power": float(10 ** rng.uniform(-16, -12)),
        "model_size": float(10 ** rng.uniform(3, 6)),
        "capacitance": float(10 ** rng.uniform(-29, -27)),
        "kappa": float(10 ** rng.uniform(-2, 2)),
        "local_iter_const": float(rng.uniform(0.5, 10)),
        "global_round_const": float(rng.uniform(0.5, 10)),
        "theta": None, "devices": devices})


SEEDS = range(40)


def _min_log(fun, lo: float, hi: float) -> float:
    """Minimum of a convex 1-D function on [lo, hi] by bounded Brent search in log space."""
    res = minimize_scalar(lambda u: fun(math.exp(u)), bounds=(math.log(lo), math.log(hi)),
                          method="bounded", options={"xatol": 1e-12, "maxiter": 2000})
    return min(float(res.fun), fun(lo), fun(hi))


@pytest.mark.parametrize("seed", SEEDS)
def test_sub1_matches_numeric_minimum(seed: int) -> None:
    X = arrays(random_instance(seed))
    f, t_cp = sub1_cpu(X)
    closed = sub1_value(X, f)

    def g(T: float) -> float:      # best frequencies for a given T_cp, from the definition
        ff = np.maximum(X.f_min, X.A / T)
        return float(np.sum(0.5 * X.alpha * X.A * ff ** 2) + X.kappa * T)

    t_min = float(np.max(X.A / X.f_max))
    numeric = _min_log(g, t_min, t_min * 1e6)
    assert closed <= numeric * (1 + 1e-9)
    assert closed >= numeric * (1 - 1e-7)
    assert math.isclose(t_cp, float(np.max(X.A / f)), rel_tol=1e-12)
    assert np.all(f >= X.f_min) and np.all(f <= X.f_max)


@pytest.mark.parametrize("seed", SEEDS)
def test_sub2_matches_numeric_minimum_per_device(seed: int) -> None:
    X = arrays(random_instance(seed))
    tau = sub2_tdma(X)
    tau_min, tau_max = X.tau_range()
    for k in range(X.n):
        def g(t: float, k: int = k) -> float:
            p = X.N0 / X.h[k] * math.expm1(X.s / (t * X.B))
            return t * p + X.kappa * t
        hi = tau_max[k] if math.isfinite(tau_max[k]) else tau_min[k] * 1e8
        numeric = _min_log(g, tau_min[k], hi)
        assert g(tau[k]) <= numeric * (1 + 1e-9)
        assert g(tau[k]) >= numeric * (1 - 1e-7)
    assert math.isclose(sub2_value(X, tau), sum(
        t * X.N0 / h * math.expm1(X.s / (t * X.B)) + X.kappa * t for t, h in zip(tau, X.h,
                                                                                   strict=True)),
        rel_tol=1e-12)


@pytest.mark.parametrize("c", [1e-14, 1e-9, 1e-6, 1e-3, 0.05, 1.0, 30.0, 700.0, 1e5])
def test_sub3_matches_numeric_minimum(c: float) -> None:
    s1, v = 2.0, 1.5
    s2 = c * v * s1
    theta = optimal_theta(s1, s2, v)

    def h(th: float) -> float:
        return (s2 + v * s1 * math.log(1 / th)) / (1 - th)

    res = minimize_scalar(lambda u: h(1 / (1 + math.exp(-u))), bounds=(-60, 40),
                          method="bounded", options={"xatol": 1e-13, "maxiter": 5000})
    # near theta = 1 (tiny c) h itself is evaluated with cancellation error ~1e-16/(1-theta)
    rtol = 1e-12 if c >= 1e-6 else 1e-8
    assert h(theta) <= res.fun * (1 + rtol)
    assert math.isclose(h(theta), v * s1 / theta, rel_tol=max(rtol, 1e-9))   # optimal cost a·v·S1/theta
    if 1e-6 <= c <= 1e3:    # stationarity of the derivative's numerator N(theta)
        assert abs(c + 1 - math.log(theta) - 1 / theta) <= 1e-9 * (1 + c)


@pytest.mark.parametrize("q", [1e-14, 1e-8, 1e-3, 0.5, 1.0, 2.0, 1e3, 1e8, 1e14])
def test_lambert_root_residual(q: float) -> None:
    x = float(optimal_efficiency(np.array([q]))[0])
    # e^x(x - 1) + 1 = q, written without cancellation through its series where x is small
    lhs = sum((k - 1) * x ** k / math.factorial(k) for k in range(2, 30)) if x < 1 else \
        math.exp(x) * (x - 1) + 1
    assert math.isclose(lhs, q, rel_tol=1e-10)


def _kkt_residuals(inst: fl.Instance, sol: fl.Solution, tol: float = 1e-7) -> None:
    """KKT conditions of the fixed-theta problem, multipliers rebuilt from gradients."""
    X = arrays(inst)
    f, tau = np.array(sol.frequency), np.array(sol.upload_time)
    t_cp = float(np.max(X.A / f))
    tight = X.A / f >= t_cp * (1 - 1e-9)
    at_fmin = f <= X.f_min * (1 + 1e-9)
    at_fmax = f >= X.f_max * (1 - 1e-9)
    # non-tight devices must sit at f_min (else lowering f saves energy)
    assert np.all(at_fmin | tight)
    # stationarity in T_cp: kappa = sum of mu_n over tight devices, with
    # mu_n = alpha·f³ at interior f, in [0, alpha·f³] at f_min, >= alpha·f³ at f_max
    lower = float(np.sum(X.alpha * f ** 3 * (tight & ~at_fmin)))
    upper = math.inf if np.any(tight & at_fmax) else float(np.sum(X.alpha * f ** 3 * tight))
    assert lower <= X.kappa * (1 + tol) and X.kappa <= upper * (1 + tol)
    # per device TDMA: derivative of tau·p(tau) + kappa·tau, sign by active bound
    tau_min, tau_max = X.tau_range()
    x = X.s / (tau * X.B)
    grad = X.N0 / X.h * (np.exp(x) * (1 - x) - 1) + X.kappa
    scale = X.kappa + X.N0 / X.h * np.exp(x) * x
    interior = (tau > tau_min * (1 + 1e-9)) & (tau < tau_max * (1 - 1e-9))
    assert np.all(np.abs(grad[interior]) <= tol * scale[interior])
    assert np.all(grad[tau <= tau_min * (1 + 1e-9)] >= -tol * scale[tau <= tau_min * (1 + 1e-9)])
    at_max = tau >= tau_max * (1 - 1e-9)
    assert np.all(grad[at_max] <= tol * scale[at_max])


@pytest.mark.parametrize("seed", range(25))
def test_fast_is_a_kkt_point(seed: int) -> None:
    inst = random_instance(seed) if seed % 5 else fl.generate(30, seed)
    res = fl.solve(inst)
    _kkt_residuals(inst, res.solution)
    # theta: derivative of K(theta)·(S2 + L(theta)·S1) vanishes
    X = arrays(inst)
    terms = fl.round_terms(inst, res.solution)
    s1 = terms["E_cp"] + X.kappa * terms["T_cp"]
    s2 = terms["E_co"] + X.kappa * terms["T_co"]
    th = res.solution.theta
    c = s2 / (X.v * s1)
    assert abs(c + 1 - math.log(th) - 1 / th) <= 1e-8 * (1 + c)


@pytest.mark.parametrize("seed", range(15))
def test_no_better_point_by_random_perturbation(seed: int) -> None:
    inst = random_instance(seed + 100)
    res = fl.solve(inst)
    best = res.objective
    X = arrays(inst)
    tau_min, tau_max = X.tau_range()
    rng = np.random.default_rng(seed)
    sol = res.solution
    for _ in range(300):
        eps = 10 ** rng.uniform(-8, -1)
        f = np.clip(np.array(sol.frequency) * (1 + eps * rng.normal(size=X.n)), X.f_min, X.f_max)
        f = np.maximum(f, 1e-3)
        tau = np.clip(np.array(sol.upload_time) * (1 + eps * rng.normal(size=X.n)),
                      tau_min, tau_max)
        th = min(max(sol.theta * (1 + eps * rng.normal()), 1e-12), 1 - 1e-12)
        p = np.clip(X.N0 / X.h * np.expm1(X.s / (tau * X.B)), X.p_min, X.p_max)
        cand = fl.Solution(th, tuple(f), tuple(tau), tuple(p))
        if fl.verify(inst, cand):
            continue
        assert fl.objective(inst, cand) >= best * (1 - 1e-12)


@pytest.mark.parametrize("seed", range(10))
def test_decomposition_is_exact(seed: int) -> None:
    """The best cost at any fixed theta is K·(S2 + L·S1) with theta-free S1, S2."""
    inst = random_instance(seed + 200)
    free = fl.solve(inst)
    X = arrays(inst)
    s1, s2 = free.stats["S1"], free.stats["S2"]
    assert math.isclose(free.objective, X.a * X.v * s1 / free.solution.theta, rel_tol=1e-9)
    for theta in (0.01, 0.3, 0.7, 0.99):
        fixed = fl.solve(inst.with_changes(theta=theta))
        want = X.a / (1 - theta) * (s2 + X.v * math.log(1 / theta) * s1)
        assert math.isclose(fixed.objective, want, rel_tol=1e-9)
        assert fixed.objective >= free.objective * (1 - 1e-12)
        assert fixed.solution.frequency == free.solution.frequency   # theta-independent
