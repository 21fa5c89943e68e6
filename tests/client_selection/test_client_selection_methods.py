"""Exact == brute force == MILP (== DP), FedCS never above the optimum, limits, edge cases."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import formulations.client_selection as cs
from edgeopt_solve.exceptions import InvalidOptionError
from edgeopt_solve.status import Status
from formulations.client_selection.model import Client, Instance


@st.composite
def instances(draw: st.DrawFn, *, max_clients: int = 12, weighted: bool = False,
              coverage: bool = False) -> Instance:
    """Small instances with integer-valued times (exact float arithmetic at the deadline)."""
    n = draw(st.integers(0, max_clients))
    classes = ["x", "y"]
    clients = []
    for i in range(n):
        budget = draw(st.none() | st.integers(0, 5)) if draw(st.booleans()) else None
        clients.append(Client(
            id=f"c{i}",
            download_time=float(draw(st.integers(0, 8))),
            update_time=float(draw(st.integers(0, 15))),
            upload_time=float(draw(st.integers(0, 8))),
            weight=float(draw(st.integers(0, 6))) if weighted else 1.0,
            energy=float(draw(st.integers(0, 5))),
            energy_budget=None if budget is None else float(budget),
            classes=tuple(c for c in classes if coverage and draw(st.booleans())),
        ))
    deadline = float(draw(st.integers(1, 45)))
    t_cs = float(draw(st.integers(0, int(deadline) // 4)))
    t_agg = float(draw(st.integers(0, int(deadline) // 4)))
    cover = ()
    if coverage:
        cover = tuple((c, draw(st.integers(0, 2))) for c in classes)
    return Instance(clients=tuple(clients), deadline=deadline, selection_time=t_cs,
                    aggregation_time=t_agg, download=draw(st.sampled_from(["broadcast",
                                                                          "parallel"])),
                    min_coverage=cover)


def optimum(inst: Instance) -> float | None:
    _status, sol = cs.brute_force(inst)
    return None if sol is None else cs.objective(inst, sol)


@settings(max_examples=400, deadline=None)
@given(instances())
def test_exact_equals_brute_force_and_milp(inst: Instance) -> None:
    best = optimum(inst)
    exact = cs.solve(inst, "exact")
    milp = cs.solve(inst, "milp")
    dp = cs.solve(inst, "dp")
    fedcs = cs.solve(inst, "fedcs")
    assert exact.status is Status.OPTIMAL and exact.objective == best
    assert exact.bound == best
    assert milp.status is Status.OPTIMAL and milp.objective == best
    assert dp.status is Status.OPTIMAL and dp.objective == best
    assert fedcs.status is Status.FEASIBLE and fedcs.objective <= best
    # the exact answer is in Jackson order: non-decreasing update-finish time
    by_id = {c.id: c for c in inst.clients}
    rel = [by_id[i].update_time + (by_id[i].download_time if inst.download == "parallel"
                                   else 0.0) for i in exact.solution.selected]
    assert rel == sorted(rel)


@settings(max_examples=120, deadline=None)
@given(instances(max_clients=10, weighted=True))
def test_weighted_exact_methods_agree(inst: Instance) -> None:
    best = optimum(inst)
    for method in ("exact", "dp", "milp"):
        res = cs.solve(inst, method)
        assert res.status is Status.OPTIMAL and res.objective == best, method
    assert cs.solve(inst, "greedy").objective <= best


@settings(max_examples=80, deadline=None)
@given(instances(max_clients=9, coverage=True))
def test_coverage_constraints(inst: Instance) -> None:
    status, sol = cs.brute_force(inst)
    for method in ("exact", "milp"):
        res = cs.solve(inst, method)
        if status is Status.INFEASIBLE:
            assert res.status is Status.INFEASIBLE and res.message
        else:
            assert res.status is Status.OPTIMAL
            assert res.objective == cs.objective(inst, sol)
    for method in ("fedcs", "greedy", "dp"):
        res = cs.solve(inst, method)
        assert res.status in (Status.FEASIBLE, Status.NO_SOLUTION, Status.OPTIMAL)
        if res.status is Status.NO_SOLUTION:
            assert res.message
        else:
            assert status is Status.OPTIMAL
            assert res.objective <= cs.objective(inst, sol)
        if res.status is Status.OPTIMAL:  # dp, only when no class needs covering
            assert method == "dp" and all(need == 0 for _, need in inst.min_coverage)
            assert res.objective == cs.objective(inst, sol)


def paper_counterexample() -> Instance:
    return Instance.from_dict({"clients": [
        {"id": "a", "download_time": 2.0, "update_time": 3.0, "upload_time": 1.0},
        {"id": "b", "download_time": 2.0, "update_time": 5.0, "upload_time": 1.0},
        {"id": "c", "download_time": 2.0, "update_time": 4.0, "upload_time": 3.0},
    ], "deadline": 10.0})


def test_fedcs_falls_short_on_small_example() -> None:
    inst = paper_counterexample()
    fedcs = cs.solve(inst, "fedcs")
    exact = cs.solve(inst, "exact")
    assert fedcs.solution.selected == ("a", "b")
    assert exact.solution.selected == ("a", "c", "b")
    assert (fedcs.objective, exact.objective) == (2.0, 3.0)


def test_no_client_fits_gives_empty_optimal_selection() -> None:
    inst = Instance.from_dict({"clients": [
        {"id": "a", "download_time": 5.0, "update_time": 3.0, "upload_time": 4.0},
        {"id": "b", "download_time": 1.0, "update_time": 9.0, "upload_time": 1.0},
    ], "deadline": 6.0, "aggregation_time": 1.0})
    for method in cs.METHODS:
        res = cs.solve(inst, method)
        assert res.solution is not None and res.solution.selected == (), method
        assert res.objective == 0.0
        assert "no client fits" in res.message
    for method in ("exact", "milp", "dp"):
        assert cs.solve(inst, method).status is Status.OPTIMAL


def test_empty_instance() -> None:
    inst = Instance.from_dict({"clients": [], "deadline": 1.0})
    for method in cs.METHODS:
        assert cs.solve(inst, method).objective == 0.0


def test_generated_instances_all_methods_and_determinism() -> None:
    for size in (4, 6, 10):
        for seed in range(3):
            inst = cs.generate(size, seed)
            assert inst == cs.generate(size, seed)
            best = optimum(inst)
            res = {m: cs.solve(inst, m, time_limit=10) for m in cs.METHODS}
            assert res["exact"].objective == res["milp"].objective == best
            assert res["fedcs"].objective <= best
            again = cs.solve(inst, "exact", seed=3)
            assert again.solution == res["exact"].solution


def test_time_limit_returns_incumbent_with_bound() -> None:
    inst = cs.generate(3000, 1)
    res = cs.solve(inst, "exact", time_limit=1e-6)
    assert res.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert res.bound is not None and res.bound >= res.objective
    full = cs.solve(inst, "exact")
    assert full.status is Status.OPTIMAL and full.objective >= res.objective
    assert cs.solve(inst, "fedcs").objective <= full.objective


def test_large_instance_matches_milp() -> None:
    inst = cs.generate(300, 4)
    exact = cs.solve(inst, "exact")
    milp = cs.solve(inst, "milp", time_limit=30)
    assert milp.status is Status.OPTIMAL
    assert exact.objective == milp.objective


def test_dp_rejects_real_weights() -> None:
    data = paper_counterexample().to_dict()
    data["clients"][0]["weight"] = 1.5
    inst = Instance.from_dict(data)
    with pytest.raises(InvalidOptionError):
        cs.solve(inst, "dp")
    assert cs.solve(inst, "exact").objective == cs.objective(inst, cs.brute_force(inst)[1])


@settings(max_examples=150, deadline=None)
@given(instances(max_clients=14))
def test_fast_fedcs_equals_reference_loop(inst: Instance) -> None:
    """The lazy-heap FedCS makes the paper loop's choices (exact arithmetic here)."""
    from formulations.client_selection.common import prepare
    from formulations.client_selection.greedy import fedcs_select, greedy_select

    prep = prepare(inst)
    assert fedcs_select(prep)[0] == greedy_select(prep, weighted=False)[0]


def plain_enumeration(inst: Instance) -> int:
    """max over every download threshold of Moore–Hodgson (no branch and bound)."""
    import numpy as np

    from formulations.client_selection.common import prepare
    from formulations.client_selection.exact_mh import moore_hodgson_count

    prep = prepare(inst)
    best = 0
    for t in prep.thresholds():
        members = np.flatnonzero(prep.download <= t)
        rel = prep.release()[members]
        order = np.lexsort((members, -rel))
        due = (prep.budget - t - rel[order]).tolist()
        best = max(best, moore_hodgson_count(due, prep.upload[members][order].tolist(),
                                             prep.eps))
    return best


@pytest.mark.parametrize("kind", ["wide", "expo", "anti"])
@pytest.mark.parametrize("seed", [0, 1])
def test_branch_and_bound_equals_plain_enumeration(kind: str, seed: int) -> None:
    import numpy as np

    rng = np.random.default_rng([seed, 99])
    n = 400
    d = rng.uniform(0, 100, n) if kind != "expo" else rng.exponential(20, n)
    u = rng.uniform(0, 100, n) if kind != "expo" else rng.exponential(20, n)
    p = {"wide": rng.uniform(0.1, 2, n) * 25, "expo": rng.exponential(1, n) * 0.75,
         "anti": (101 - d) * rng.uniform(0.5, 1.5, n) / 40}[kind]
    inst = Instance(tuple(Client(f"c{i}", float(d[i]), float(u[i]), float(p[i]))
                          for i in range(n)), deadline=150.0)
    res = cs.solve(inst, "exact")
    assert res.status is Status.OPTIMAL
    assert res.objective == plain_enumeration(inst)
    assert res.stats["mh_evaluations"] < res.stats["thresholds"]
