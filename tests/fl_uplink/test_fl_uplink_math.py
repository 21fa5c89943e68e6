"""fl_uplink: the mathematics behind the methods, checked numerically.

* the SIC decoding-order result (strongest decoded first) equals the minimum-power point
  of the full polymatroid program (all 2^K - 1 subset constraints, CVXPY) for K <= 5,
  and beats every other decoding order;
* with power limits, the box greedy equals the same program with the caps;
* the TDMA energy is jointly convex (Hessian PSD, midpoint test);
* the Lambert-W slot solves phi'(tau) = -mu; the NOMA window energy is convex in L.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from formulations.fl_uplink.kernels import (
    Arrays,
    arrays,
    compute_energy,
    convex_min,
    slot_energy,
    slots_for_price,
)
from formulations.fl_uplink.sic import box_greedy_snr, decoding_order, ordered_snr

positive = st.floats(0.05, 20.0)


def polymatroid_min_power(rho: np.ndarray, h: np.ndarray,
                          u: np.ndarray | None = None) -> float | None:
    """min sum q_k/h_k s.t. q(S) >= 2^rho(S) - 1 for every S (and q <= u): an LP (HiGHS).

    Every subset is written out, so this shares nothing with the decoding-order formulas;
    ``None`` when the caps make it infeasible.
    """
    from scipy.optimize import linprog

    n = len(rho)
    rows, rhs = [], []
    for m in range(1, n + 1):
        for s in itertools.combinations(range(n), m):
            row = np.zeros(n)
            row[list(s)] = -1.0
            rows.append(row)
            rhs.append(-(2.0 ** float(np.sum(rho[list(s)])) - 1.0))
    bounds = [(0.0, None if u is None else float(u[k])) for k in range(n)]
    res = linprog(1.0 / h, A_ub=np.array(rows), b_ub=np.array(rhs), bounds=bounds,
                  method="highs", options={"primal_feasibility_tolerance": 1e-10,
                                           "dual_feasibility_tolerance": 1e-10})
    if res.status == 2:
        return None
    assert res.status == 0, res.message
    return float(res.fun)


def sic_power(rho: np.ndarray, h: np.ndarray, order: tuple[int, ...]) -> float:
    """Total power (in units of N0·W) of SIC decoding in ``order`` (first decoded first)."""
    total = 0.0
    for i, k in enumerate(order):
        after = sum(rho[j] for j in order[i + 1:])
        total += 2.0 ** after * (2.0 ** rho[k] - 1.0) / h[k]
    return total


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(positive, st.floats(0.05, 2.0)), min_size=1, max_size=5))
def test_decoding_order_is_the_polymatroid_minimum(pairs: list[tuple[float, float]]) -> None:
    h = np.array([a for a, _ in pairs])
    rho = np.array([b for _, b in pairs])
    q = ordered_snr(rho, h)
    ours = float(np.sum(q / h))
    assert ours == pytest.approx(sic_power(rho, h, tuple(decoding_order(h))), rel=1e-12)
    best = polymatroid_min_power(rho, h)
    assert best is not None and ours == pytest.approx(best, rel=1e-6)
    for perm in itertools.permutations(range(len(h))):
        assert ours <= sic_power(rho, h, perm) * (1 + 1e-12)


@settings(max_examples=40, deadline=None)
@given(st.lists(st.tuples(positive, st.floats(0.05, 2.0), st.floats(0.2, 30.0)),
                min_size=1, max_size=5))
def test_box_greedy_is_the_capped_polymatroid_minimum(
        triples: list[tuple[float, float, float]]) -> None:
    h = np.array([a for a, _, _ in triples])
    rho = np.array([b for _, b, _ in triples])
    u = np.array([c for _, _, c in triples])
    q = box_greedy_snr(rho, h, u)
    best = polymatroid_min_power(rho, h, u)
    if best is None:
        assert q is None
        return
    assert q is not None and np.all(q <= u * (1 + 1e-12))
    assert float(np.sum(q / h)) == pytest.approx(best, rel=1e-6)
    for m in range(1, len(h) + 1):  # q lies in the capacity region
        for s in itertools.combinations(range(len(h)), m):
            assert math.log2(1 + q[list(s)].sum()) >= rho[list(s)].sum() * (1 - 1e-9)


def test_box_greedy_without_binding_caps_is_the_ordered_point() -> None:
    rng = np.random.default_rng(0)
    for _ in range(50):
        n = int(rng.integers(1, 30))
        h, rho = rng.lognormal(0, 2, n), rng.uniform(0.01, 0.5, n)
        q = ordered_snr(rho, h)
        assert np.allclose(box_greedy_snr(rho, h, q * 2 + 1), q, rtol=1e-9, atol=1e-12)


# ---- TDMA energy: joint convexity ---------------------------------------------------------

def tdma_energy(tc: float, tau: np.ndarray, C: np.ndarray, s: np.ndarray, h: np.ndarray,
                kappa: float = 1e-28, n0w: float = 4e-15, W: float = 1e6) -> float:
    """Round energy written out again: kappa·sum C³/T_c² + sum tau·N0W/h·(2^(s/(tau W)) - 1)."""
    comp = kappa * float(np.sum(C ** 3)) / tc ** 2
    up = float(np.sum(tau * n0w / h * (2.0 ** (s / (tau * W)) - 1.0)))
    return comp + up


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 6), st.integers(0, 10_000), st.floats(0.0, 1.0))
def test_tdma_energy_midpoint_convexity(n: int, seed: int, theta: float) -> None:
    rng = np.random.default_rng(seed)
    C, s = rng.uniform(1e7, 3e7, n), rng.uniform(5e4, 2e5, n)
    h = 10 ** rng.uniform(-12, -8, n)
    x = (rng.uniform(0.01, 0.2), rng.uniform(0.02, 0.3, n))
    y = (rng.uniform(0.01, 0.2), rng.uniform(0.02, 0.3, n))
    mid = (theta * x[0] + (1 - theta) * y[0], theta * x[1] + (1 - theta) * y[1])
    ex, ey, em = (tdma_energy(*p, C, s, h) for p in (x, y, mid))
    assert em <= theta * ex + (1 - theta) * ey + 1e-12 * (ex + ey)


@settings(max_examples=100, deadline=None)
@given(st.floats(1e-3, 1.0), st.floats(1e3, 1e6), st.floats(1e-13, 1e-7))
def test_slot_energy_hessian_is_psd(tau: float, bits: float, gain: float) -> None:
    """phi(tau, s) = tau·a·(2^(s/(tau W)) - 1) is jointly convex in (slot, bits)."""
    a, W = 4e-15 / gain, 1e6
    x = bits * math.log(2) / (tau * W)
    if x > 60:  # beyond any power limit of interest (2^86 times the noise)
        return
    # analytic Hessian of the perspective tau·a·(e^(c s/tau) - 1), c = ln2/W
    c = math.log(2) / W
    e = math.exp(x)
    h_tt = a * e * x * x / tau
    h_ss = a * e * c * c / tau
    h_ts = -a * e * x * c / tau
    assert h_tt >= 0 and h_ss >= 0
    det = h_tt * h_ss - h_ts * h_ts
    assert det >= -1e-9 * h_tt * h_ss  # rank one: the perspective is flat along rays
    # and a finite-difference check of h_tt against the formula
    step = 1e-4 / max(1.0, x)
    f = [tau_ * a * math.expm1(bits * math.log(2) / (tau_ * W))
         for tau_ in (tau * (1 - step), tau, tau * (1 + step))]
    fd = (f[0] - 2 * f[1] + f[2]) / (tau * step) ** 2
    assert fd == pytest.approx(h_tt, rel=1e-4)


def toy(n: int, seed: int) -> Arrays:
    from formulations.fl_uplink.generate import mo_xu_instance

    return arrays(mo_xu_instance(n, seed, access="noma"))


@pytest.mark.parametrize("seed", range(5))
def test_lambert_w_slot_is_stationary(seed: int) -> None:
    A = toy(6, seed)
    for mu in np.geomspace(1e-6, 10, 15) * float(np.max(A.a)):
        tau = slots_for_price(A, mu)
        free = tau > A.tau_min * (1 + 1e-9)
        eps = 1e-6 * tau
        d = (slot_energy(A, tau + eps) - slot_energy(A, tau - eps)) / (2 * eps)
        assert np.allclose(d[free], -mu, rtol=1e-5)
        assert np.all(d[~free] <= -mu * (1 - 1e-5))  # clipped: would like a shorter slot


@pytest.mark.parametrize("seed", range(3))
def test_noma_window_energy_is_convex(seed: int) -> None:
    from formulations.fl_uplink.fast import noma_upload
    from formulations.fl_uplink.sic import min_window

    A = toy(8, seed)
    lo, hi = min_window(A) * 1.0001, A.T - A.tc_min
    L = np.linspace(lo, hi, 60)
    F = np.array([compute_energy(A, A.T - x) + noma_upload(A, x)[0] for x in L])
    second = F[:-2] - 2 * F[1:-1] + F[2:]
    assert np.all(second >= -1e-12 * np.max(F))


def test_convex_min_bound_brackets_the_minimum() -> None:
    for c in (0.1, 0.5, 0.93):
        res = convex_min(lambda x, c=c: (x - c) ** 2 + math.exp(x), 0.0, 1.0)
        # the minimiser of (x-c)^2 + e^x on [0, 1]
        grid = np.linspace(0, 1, 200001)
        true = float(np.min((grid - c) ** 2 + np.exp(grid)))
        assert res.lower <= true + 1e-12 <= res.value + 1e-9
        assert res.value - res.lower <= 1e-10 * res.value


def test_slot_root_is_accurate_over_the_whole_range() -> None:
    from formulations.fl_uplink.kernels import _solve_y

    m = np.geomspace(1e-18, 1e200, 400)
    y = _solve_y(m)
    series = y ** 2 / 2 + y ** 3 / 3 + y ** 4 / 8 + y ** 5 / 30  # e^y(y-1)+1 for small y
    lhs = np.where(y < 1e-3, series, np.exp(np.minimum(y, 700)) * (y - 1.0) + 1.0)
    assert np.all(np.abs(lhs - m) <= 1e-9 * m)
    tiny = np.array([1e-300, 1e-40, 1e-25])
    assert np.allclose(_solve_y(tiny), np.sqrt(2 * tiny), rtol=1e-12)
    assert np.all(np.isfinite(_solve_y(np.array([1e300, np.inf]))))
