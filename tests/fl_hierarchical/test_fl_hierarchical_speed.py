"""fl_hierarchical: the fast per-edge path (joint Newton) and hfel's pruning bounds."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

import formulations.fl_hierarchical as fh
from edgeopt_solve.context import SolveContext
from formulations.fl_hierarchical.bounds import AddBounds, device_bound
from formulations.fl_hierarchical.common import CostCache
from formulations.fl_hierarchical.edge_alloc import EdgeProblem
from formulations.fl_hierarchical.edge_joint import solve_joint
from formulations.fl_hierarchical.edge_nested import _Solver
from formulations.fl_hierarchical.hfel import hfel


def problem(seed: int, n: int, wt: float = 1.0) -> EdgeProblem:
    rng = np.random.default_rng(seed)
    gain = 10 ** rng.uniform(-13, -8, n)
    p = rng.uniform(0.01, 0.2, n)
    cd = rng.uniform(1e4, 3e4, n) * rng.uniform(100, 1000, n)
    L = float(rng.uniform(1, 10))
    return EdgeProblem(A=gain * p / 4e-21, p=p, a=L * 1e-28 * cd, w=L * cd,
                       f_max=rng.uniform(0.5e9, 2e9, n), s=float(10 ** rng.uniform(4, 6)),
                       B=float(rng.uniform(1e6, 2e7)), we=float(10 ** rng.uniform(-2, 2)),
                       wt=wt)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10**6), n=st.integers(1, 14), logwt=st.floats(-2, 2),
       jitter=st.floats(-0.7, 0.7))
def test_joint_matches_nested(seed: int, n: int, logwt: float, jitter: float) -> None:
    """The joint Newton (cold and from a perturbed hint) agrees with the nested solver."""
    P = problem(seed, n, 10 ** logwt)
    fixed = seed % 4 == 0  # the max-frequency policy (every device at f_max) now and then
    ref = _Solver(P, fixed).solve()
    hint = (ref.T * math.exp(jitter), ref.price * math.exp(-2 * jitter))
    for h in (None, hint if math.isfinite(ref.price) else None):
        fast = solve_joint(P, fixed, h)
        if fast is None:  # allowed (the nested solver takes over), never wrong
            continue
        assert fast.kkt <= 1e-10
        assert math.isclose(fast.value, ref.value, rel_tol=1e-9)
        assert np.all(fast.frequency <= P.f_max * (1 + 1e-12))
        assert float(np.sum(fast.bandwidth)) <= P.B * (1 + 1e-12)


def test_joint_usually_answers() -> None:
    """The fast path settles (almost) every ordinary problem by itself."""
    answered = sum(solve_joint(problem(s, 2 + s % 10), False, None) is not None
                   for s in range(40))
    assert answered >= 36


def test_joint_on_the_boundary_optimum() -> None:
    """Optimum on T = T_min (every device at f_max): the capped devices' multipliers absorb
    lambda_t, so the joint conditions still hold there; joint and nested agree."""
    P = EdgeProblem(**{**problem(3, 4).__dict__, "we": 1e-6, "wt": 1e6})
    fast = solve_joint(P, False, None)
    ref = _Solver(P, False).solve()
    assert fast is not None and fast.kkt < 1e-10
    assert np.allclose(fast.frequency, P.f_max) and np.allclose(ref.frequency, P.f_max)
    assert math.isclose(fast.value, ref.value, rel_tol=1e-12)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10**6), k=st.integers(1, 7))
def test_added_device_bound_is_a_lower_bound(seed: int, k: int) -> None:
    """C_j(S + i) >= C_j(S) + I·phi_i(mu_S), and phi's value is below a fine grid minimum."""
    inst = fh.generate(30, seed % 50)
    rng = np.random.default_rng(seed)
    j = int(rng.integers(inst.m))
    reach = [i for i, d in enumerate(inst.devices) if d.gains[j] is not None]
    if len(reach) < 2:
        return
    picked = rng.choice(reach, min(k + 1, len(reach)), replace=False).tolist()
    i, S = int(picked[0]), {int(x) for x in picked[1:]}
    cache = CostCache(inst)
    lb = AddBounds(inst, cache).cost_with(j, S, i)
    assert cache.cost(j, S | {i}) >= lb * (1 - 1e-12)
    _, alloc = cache.get(j, S)
    d, e = inst.devices[i], inst.edges[j]
    A = d.gains[j] * d.power / inst.noise_psd
    phi = device_bound(A, d.power, inst.model_bits, e.bandwidth, inst.energy_weight,
                       alloc.price)
    b = np.geomspace(e.bandwidth * 1e-7, e.bandwidth, 100001)
    g = alloc.price * b + inst.energy_weight * d.power * inst.model_bits / (
        b * np.log2(1 + A / b))
    assert phi <= float(g.min()) * (1 + 1e-12)
    assert phi >= 0.99 * float(g.min())  # and it is tight (the minimiser was found)


def test_device_bound_without_price_is_the_full_bandwidth_upload_energy() -> None:
    got = device_bound(1e10, 0.1, 1e6, 1e6, 2.0, math.inf)
    assert math.isclose(got, 2.0 * 0.1 * 1e6 / (1e6 * math.log2(1 + 1e4)), rel_tol=1e-12)


@settings(max_examples=6, deadline=None)
@given(seed=st.integers(0, 1000), n=st.integers(12, 30))
def test_pruning_does_not_change_the_search(seed: int, n: int) -> None:
    """hfel takes the same steps with and without the bound-based pruning."""
    inst = fh.generate(n, seed)
    outs = []
    for prune in (True, False):
        out = hfel(inst, SolveContext(time_limit=None, seed=seed), prune=prune)
        outs.append(out)
    a, b = outs
    assert a.solution is not None and b.solution is not None
    assert a.solution.association == b.solution.association
    assert math.isclose(fh.objective(inst, a.solution), fh.objective(inst, b.solution),
                        rel_tol=1e-12)
    for key in ("transfers", "exchanges", "passes"):
        assert a.stats[key] == b.stats[key]
    assert a.stats["edge_solves"] <= b.stats["edge_solves"]


def test_hfel_reaches_a_stable_point_on_60_devices_quickly() -> None:
    res = fh.solve(fh.generate(60, 0), "hfel", time_limit=30)
    assert res.limit is None and res.solution is not None
    assert not fh.verify(fh.generate(60, 0), res.solution)
