"""fl_hierarchical: the exact per-edge solver against CVXPY and against perturbations."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from formulations.fl_hierarchical.convex import solve_edge_cvxpy
from formulations.fl_hierarchical.edge_alloc import (
    EdgeProblem,
    equal_bandwidth,
    solve_edge,
    upload_time,
)


def problem(seed: int, n: int, *, we: float | None = None, wt: float | None = None) -> EdgeProblem:
    rng = np.random.default_rng(seed)
    gain = 10 ** rng.uniform(-13, -8, n)
    p = rng.uniform(0.01, 0.2, n)
    cd = rng.uniform(1e4, 3e4, n) * rng.uniform(100, 1000, n)
    L = float(rng.uniform(1, 10))
    return EdgeProblem(A=gain * p / 4e-21, p=p, a=L * 1e-28 * cd, w=L * cd,
                       f_max=rng.uniform(0.5e9, 2e9, n), s=float(10 ** rng.uniform(4, 6)),
                       B=float(rng.uniform(1e6, 2e7)),
                       we=float(10 ** rng.uniform(-2, 2)) if we is None else we,
                       wt=float(10 ** rng.uniform(-2, 2)) if wt is None else wt)


def value_of(P: EdgeProblem, f: np.ndarray, b: np.ndarray) -> float:
    """Independent recomputation of the per-edge objective."""
    tm = P.s / (b * np.log2(1 + P.A / b))
    return P.wt * float(np.max(P.w / f + tm)) + P.we * float(np.sum(P.a * f * f + P.p * tm))


def check_feasible(P: EdgeProblem, f: np.ndarray, b: np.ndarray) -> None:
    assert np.all(f > 0) and np.all(f <= P.f_max * (1 + 1e-12))
    assert np.all(b > 0) and float(np.sum(b)) <= P.B * (1 + 1e-12)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 7))
def test_fast_matches_cvxpy(seed: int, n: int) -> None:
    P = problem(seed, n)
    fast = solve_edge(P)
    check_feasible(P, fast.frequency, fast.bandwidth)
    assert math.isclose(fast.value, value_of(P, fast.frequency, fast.bandwidth), rel_tol=1e-12)
    assert fast.kkt < 1e-8
    ref = solve_edge_cvxpy(P)
    assert ref is not None
    check_feasible(P, ref.frequency, ref.bandwidth)
    # both are feasible points of the same problem: the fast one is never worse and the
    # conic solver's is within its accuracy
    assert fast.value <= ref.value * (1 + 1e-9)
    assert math.isclose(fast.value, ref.value, rel_tol=1e-5)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 12), scale=st.floats(-3, 3))
def test_perturbations_never_improve(seed: int, n: int, scale: float) -> None:
    """Feasible random perturbations of the optimum (frequencies, bandwidth shifts)."""
    P = problem(seed, n, wt=10 ** scale)
    best = solve_edge(P)
    rng = np.random.default_rng(seed)
    for _ in range(30):
        f = np.minimum(P.f_max, best.frequency * np.exp(rng.normal(0, 0.01, n)))
        b = best.bandwidth * np.exp(rng.normal(0, 0.01, n))
        b *= P.B / float(np.sum(b))
        assert value_of(P, f, b) >= best.value * (1 - 1e-12)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 10))
def test_restricted_policies_are_never_better(seed: int, n: int) -> None:
    P = problem(seed, n)
    best = solve_edge(P).value
    mf = solve_edge(P, fixed_frequency=True)
    assert np.allclose(mf.frequency, P.f_max)
    check_feasible(P, mf.frequency, mf.bandwidth)
    eb = equal_bandwidth(P)
    check_feasible(P, eb.frequency, eb.bandwidth)
    assert mf.value >= best * (1 - 1e-12)
    assert eb.value >= best * (1 - 1e-12)


def test_all_devices_finish_together_and_use_all_bandwidth() -> None:
    P = problem(7, 6)
    r = solve_edge(P)
    times = P.w / r.frequency + upload_time(P, P.A / r.bandwidth)
    interior = r.frequency < P.f_max * (1 - 1e-9)
    assert np.allclose(times[interior], r.T, rtol=1e-9)
    assert math.isclose(float(np.sum(r.bandwidth)), P.B, rel_tol=1e-9)


def test_time_dominated_edge_runs_at_f_max() -> None:
    """A huge time weight pushes the optimum onto the feasibility edge T = T_min."""
    P = problem(3, 4, we=1e-6, wt=1e6)
    r = solve_edge(P)
    assert np.allclose(r.frequency, P.f_max)
    assert r.kkt < 1e-8
    ref = solve_edge_cvxpy(P)
    assert ref is not None and math.isclose(r.value, ref.value, rel_tol=1e-5)
