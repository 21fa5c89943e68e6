"""LAVEA methods: Johnson and the exact models against brute force; heuristics' claims."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import formulations.lavea as L
from edgeopt_solve import Status
from edgeopt_solve.context import SolveContext
from formulations.lavea.model import Instance
from formulations.lavea.schedule import flow_shop_makespan, johnson_order

times = st.integers(min_value=0, max_value=50).map(lambda x: x / 10)


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=1, max_value=8).flatmap(
    lambda n: st.tuples(st.lists(times, min_size=n, max_size=n),
                        st.lists(times, min_size=n, max_size=n))))
def test_johnson_equals_brute_force_on_f2_cmax(ab) -> None:
    a, b = ab
    inst = Instance.flow_shop(a, b)
    res = L.solve(inst, "johnson")
    assert res.status is Status.OPTIMAL
    status, best = L.brute_force(inst)
    assert status is Status.OPTIMAL
    assert math.isclose(res.objective, L.objective(inst, best), rel_tol=1e-9, abs_tol=1e-9)


def test_johnson_claims_optimal_only_for_f2_cmax() -> None:
    plain = Instance.flow_shop([1.0, 2.0], [2.0, 1.0])
    assert L.solve(plain, "johnson").status is Status.OPTIMAL
    for inst in (Instance.flow_shop([1.0, 2.0], [2.0, 1.0], release=[0.0, 1.0]),
                 Instance.flow_shop([1.0, 2.0], [2.0, 1.0], objective="total_completion"),
                 L.generate(5, 0)):
        assert L.solve(inst, "johnson").status is Status.FEASIBLE


def test_johnson_is_fast_on_100k_tasks() -> None:
    rng = np.random.default_rng(0)
    a, b = rng.uniform(0, 1, 100_000), rng.uniform(0, 1, 100_000)
    t0 = time.perf_counter()
    order = johnson_order(a, b)
    cmax = flow_shop_makespan(a, b, order)
    elapsed = time.perf_counter() - t0
    assert sorted(order.tolist()) == list(range(100_000))
    # Johnson's makespan is at least both machines' loads and beats a random order
    assert cmax >= max(a.sum(), b.sum()) - 1e-6
    assert cmax <= flow_shop_makespan(a, b, rng.permutation(100_000)) + 1e-9
    assert elapsed < 1.0, elapsed   # 200 ms target measured in benchmarks/lavea.py


@settings(max_examples=25, deadline=None)
@given(st.integers(min_value=1, max_value=5).flatmap(
    lambda n: st.tuples(st.lists(times, min_size=n, max_size=n),
                        st.lists(times, min_size=n, max_size=n),
                        st.lists(times, min_size=n, max_size=n),
                        st.lists(st.integers(1, 3).map(float), min_size=n, max_size=n),
                        st.sampled_from(["makespan", "total_completion",
                                         "weighted_completion"]))))
def test_cpsat_equals_brute_force_with_release_dates(data) -> None:
    a, b, r, w, objective = data
    inst = Instance.flow_shop(a, b, release=r, weight=w, objective=objective)
    res = L.solve(inst, "cpsat", time_limit=20)
    assert res.status is Status.OPTIMAL
    _, best = L.brute_force(inst)
    assert math.isclose(res.objective, L.objective(inst, best), rel_tol=1e-9, abs_tol=1e-9)


@pytest.mark.parametrize("seed", range(4))
@pytest.mark.parametrize("method", ["cpsat", "milp"])
def test_exact_models_equal_brute_force_on_generated(method: str, seed: int) -> None:
    """Two servers, forwarding, clients, release dates, every objective."""
    inst = L.generate(5, seed)
    res = L.solve(inst, method, time_limit=20)
    assert res.status is Status.OPTIMAL
    _, best = L.brute_force(inst)
    assert math.isclose(res.objective, L.objective(inst, best), rel_tol=1e-9, abs_tol=1e-9)
    assert res.bound is not None and res.bound <= res.objective + 1e-9


def test_cpsat_circuit_model_agrees() -> None:
    inst = L.generate(6, 4)
    a = L.solve(inst, "cpsat", sequencing="pairs")
    b = L.solve(inst, "cpsat", sequencing="circuit")
    assert a.status is b.status is Status.OPTIMAL
    assert math.isclose(a.objective, b.objective, rel_tol=1e-9)


def test_cpsat_rounds_non_decimal_data_soundly() -> None:
    inst = Instance.flow_shop([1 / 3, 2 / 7, 0.5], [1 / 7, 1 / 3, 0.25], release=[0.0, 0.1, 0.2],
                              objective="total_completion")
    res = L.solve(inst, "cpsat", resolution=1e-3)
    _, best = L.brute_force(inst)
    opt = L.objective(inst, best)
    assert res.bound is not None and res.bound <= opt + 1e-12
    assert res.objective >= opt - 1e-12


def test_time_limit_gives_feasible_with_bound() -> None:
    inst = L.generate(30, 1)
    res = L.solve(inst, "cpsat", time_limit=0.5)
    assert res.status in (Status.FEASIBLE, Status.OPTIMAL)
    if res.status is Status.FEASIBLE:
        assert res.limit is not None and res.bound is not None
        assert res.bound <= res.objective


def test_heuristics_are_feasible_and_not_better_than_optimum() -> None:
    for seed in range(3):
        inst = L.generate(6, seed)
        opt = L.solve(inst, "cpsat").objective
        for name, spec in L.METHODS.items():
            if spec.exact:
                continue
            res = L.solve(inst, name, seed=seed)
            assert res.status is Status.FEASIBLE and res.bound is None
            assert res.objective >= opt - 1e-9, name


def test_local_search_improves_on_dispatch_and_is_deterministic() -> None:
    inst = L.generate(14, 3)
    d = L.solve(inst, "dispatch").objective
    a = L.solve(inst, "local_search", seed=5)
    b = L.solve(inst, "local_search", seed=5)
    assert a.objective <= d + 1e-9
    assert a.solution == b.solution


def test_policies_follow_their_rule() -> None:
    """Front server slow CPU, neighbour fast: STTF keeps all on the front server."""
    data = {"servers": [{"name": "front"}, {"name": "fast", "forward_time": 0.1}],
            "tasks": [{"upload": 0.1, "compute": [1.0, 0.2], "release": 0.0} for _ in range(4)]}
    inst = Instance.from_dict(data)
    assert set(L.solve(inst, "sttf").solution.location) == {0}
    assert set(L.solve(inst, "sslf").solution.location) == {1}
    sqlf = L.solve(inst, "sqlf").solution.location
    assert sqlf.count(0) == sqlf.count(1) == 2      # alternates by queue length
    assert set(L.solve(inst, "fifo").solution.location) == {0}


def test_local_baseline_runs_on_clients() -> None:
    inst = L.generate(6, 0)
    sol = L.solve(inst, "local").solution
    for j, loc in enumerate(sol.location):
        assert (loc == "local") == ("local" in inst.allowed[j])


def test_methods_stop_when_asked() -> None:
    ctx = SolveContext(time_limit=1e-9)
    time.sleep(0.001)
    out = L.METHODS["local_search"].func(L.generate(20, 0), ctx)
    assert out.status is Status.FEASIBLE
