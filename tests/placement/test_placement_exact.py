"""Placement: exact methods against brute force and against the published GAP optima."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgeopt_solve import Status
from formulations import placement as P
from formulations.placement.io_orlib import read_orlib_gap
from formulations.placement.model import Instance

GAP_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "gap"


def optima() -> dict[str, float]:
    with open(GAP_DIR / "optima.csv", encoding="utf-8") as fh:
        return {r["instance"]: float(r["optimum_min_cost"]) for r in csv.DictReader(fh)}


@st.composite
def tiny(draw, *, servers: tuple[int, int] = (1, 3), minmax: bool = True) -> Instance:
    m = draw(st.integers(*servers))
    n = draw(st.integers(0, 5))
    cost = [[draw(st.integers(-3, 20)) + draw(st.sampled_from([0.0, 0.25, 0.5]))
             for _ in range(n)] for _ in range(m)]
    same = draw(st.booleans())
    sizes = [draw(st.integers(0, 9)) for _ in range(n)]
    weight = [[sizes[j] if same else draw(st.integers(0, 9)) for j in range(n)]
              for _ in range(m)]
    capacity = [draw(st.integers(0, 18)) for _ in range(m)]
    pen = [draw(st.none() | st.floats(0, 30, allow_nan=False).map(lambda v: round(v, 2)))
           for _ in range(n)]
    mode = draw(st.sampled_from(["sum", "minmax"])) if minmax else "sum"
    return Instance.from_matrices(cost, weight, capacity, unplaced_penalty=pen,
                                  objective=mode, load_weight=draw(st.sampled_from([0.0, 7.0])))


def check_against_brute(inst: Instance, method: str) -> None:
    status, best = P.brute_force(inst)
    res = P.solve(inst, method, time_limit=20)
    if status is Status.INFEASIBLE:
        assert res.status is Status.INFEASIBLE, (method, res.summary())
        return
    assert res.status is Status.OPTIMAL, (method, res.summary(), res.message)
    want = P.objective(inst, best)
    assert math.isclose(res.objective, want, rel_tol=1e-7, abs_tol=1e-7), (method, res.objective,
                                                                           want)
    assert res.bound is not None and res.bound <= res.objective + 1e-6


@settings(max_examples=60, deadline=None)
@given(tiny())
def test_milp_equals_brute_force(inst: Instance) -> None:
    check_against_brute(inst, "milp")


@settings(max_examples=40, deadline=None)
@given(tiny(minmax=False))
def test_cpsat_equals_brute_force(inst: Instance) -> None:
    check_against_brute(inst, "cpsat")


@settings(max_examples=60, deadline=None)
@given(tiny())
def test_knapsack_dp_equals_brute_force(inst: Instance) -> None:
    check_against_brute(inst, "knapsack-dp")


@settings(max_examples=60, deadline=None)
@given(tiny(servers=(1, 1), minmax=False))
def test_one_server_knapsack_equals_brute_force(inst: Instance) -> None:
    check_against_brute(inst, "knapsack-dp")


def test_one_server_large_capacity_uses_pareto_list() -> None:
    # capacities in bytes with coprime sizes: the weight table would be too big
    sizes = [700_001, 1_300_003, 2_100_007, 900_011, 1_700_013, 500_017, 1_100_021]
    cost = [[float(j) for j in range(7)]]
    pen = [10.0 + 3 * j for j in range(7)]
    inst = Instance.from_matrices(cost, [sizes], [4_000_000], unplaced_penalty=pen)
    check_against_brute(inst, "knapsack-dp")
    check_against_brute(inst, "milp")


@pytest.mark.parametrize("name", ["gap1-0", "gap2-0", "gap3-0", "gap4-0", "gap5-0", "gap6-0",
                                  "gap2-3", "gap5-4", "a05100"])
def test_milp_reaches_published_optimum(name: str) -> None:
    inst = read_orlib_gap(GAP_DIR / name)
    res = P.solve(inst, "milp", time_limit=30)
    assert res.status is Status.OPTIMAL, res.summary()
    assert res.objective == optima()[name]


@pytest.mark.parametrize("name", ["gap1-0", "gap3-0", "gap5-0", "a05100"])
def test_cpsat_reaches_published_optimum(name: str) -> None:
    inst = read_orlib_gap(GAP_DIR / name)
    res = P.solve(inst, "cpsat", time_limit=30)
    assert res.status is Status.OPTIMAL, res.summary()
    assert res.objective == optima()[name]


def test_milp_time_limit_reports_incumbent_bound_and_gap() -> None:
    inst = read_orlib_gap(GAP_DIR / "d05100")
    res = P.solve(inst, "milp", time_limit=0.5)
    assert res.status in (Status.FEASIBLE, Status.NO_SOLUTION)
    assert res.limit is not None and res.limit.value == "time"
    if res.status is Status.FEASIBLE:
        opt = optima()["d05100"]
        assert res.bound <= opt <= res.objective
        assert res.gap is not None and res.gap > 0


def test_bundled_instances_have_their_expected_optimum() -> None:
    from edgeopt_solve.io import load

    root = Path(__file__).resolve().parents[2] / "instances" / "placement"
    files = sorted(root.glob("*.json"))
    assert {f.stem for f in files} >= {"demo", "gap1-0"}
    for f in files:
        loaded = load(f)
        res = P.solve(loaded.instance, "milp", time_limit=10)
        assert res.is_optimal and loaded.expected is not None
        assert math.isclose(res.objective, loaded.expected, rel_tol=1e-9), f.name
    demo = load(root / "demo.json")
    assert P.solve(demo.instance).runtime < 2.0


def movable(size: int, seed: int) -> Instance:
    """A generated instance whose first tasks may move to random candidate sites."""
    import random

    data = P.generate(size, seed).to_dict()
    rnd = random.Random(seed)
    m = len(data["servers"])
    for t in data["tasks"][:3]:
        t["candidates"] = sorted(rnd.sample(range(m), rnd.randint(1, m)))
    return Instance.from_dict(data)


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 5), st.integers(0, 10_000))
def test_movable_tasks_milp_equals_brute_force(size: int, seed: int) -> None:
    inst = movable(size, seed)
    assert inst.movable
    status, best = P.brute_force(inst)
    res = P.solve(inst, "milp", time_limit=20)
    assert status is Status.OPTIMAL and res.status is Status.OPTIMAL
    assert best.sites is not None and res.solution.sites is not None
    want = P.objective(inst, best)
    assert math.isclose(res.objective, want, rel_tol=1e-7, abs_tol=1e-9)
    # moving tasks can only help: the fixed-site optimum is an upper bound
    fixed = P.solve(inst.with_sites(inst.sites_of()), "milp")
    assert res.objective <= fixed.objective + 1e-9
    for method in ("greedy", "tabu", "dpso", "lns"):
        h = P.solve(inst, method, time_limit=5, seed=seed)
        assert h.status is Status.FEASIBLE and h.bound is None
        assert h.objective >= want - 1e-9 * max(1.0, want)


def test_movable_tasks_gain_and_exact_fixed_site_methods_decline() -> None:
    from edgeopt_solve import InvalidInstanceError

    data = {
        "servers": [{"capacity": 100, "speed": 1e9}, {"capacity": 100, "speed": 1e9}],
        "blocks": [{"size": 100}, {"size": 100}],
        "tasks": [{"site": 0, "blocks": [0, 1], "candidates": [0, 1]}],
        "bandwidth": [[0.0, 8.0], [8.0, 0.0]],
    }
    inst = Instance.from_dict(data)
    # one block per server: the task pays one transfer (100 s) wherever it runs
    res = P.solve(inst, "milp")
    assert res.is_optimal and math.isclose(res.objective, 100.0)
    for name in ("cpsat", "knapsack-dp"):
        with pytest.raises(InvalidInstanceError):
            P.solve(inst, name)
    sol = P.Solution(res.solution.assignment, (1,))
    assert P.verify(inst, sol) == []
    assert [v.constraint for v in P.verify(inst, P.Solution((0, 1), (2,)))] == ["site[task=0]"]
    assert [v.constraint for v in P.verify(inst, P.Solution((0, 1), (0, 1)))] == ["sites"]
