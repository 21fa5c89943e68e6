"""Placement: heuristics give verified answers, never beat a proven optimum, bound below."""

from __future__ import annotations

import csv
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edgeopt_solve import InvalidInstanceError, Status
from formulations import placement as P
from formulations.placement.io_orlib import read_orlib_gap
from formulations.placement.model import Instance

GAP_DIR = Path(__file__).resolve().parents[2].parent / "shared" / "benchmarks" / "gap"
HEURISTICS = [name for name, spec in P.METHODS.items() if not spec.exact]


def optimum(name: str) -> float:
    with open(GAP_DIR / "optima.csv", encoding="utf-8") as fh:
        return {r["instance"]: float(r["optimum_min_cost"]) for r in csv.DictReader(fh)}[name]


def test_heuristic_methods_registered() -> None:
    assert set(HEURISTICS) == {"greedy", "tabu", "dpso", "lns"}


@pytest.mark.parametrize("name", ["gap2-1", "gap6-2", "c05100"])
@pytest.mark.parametrize("method", HEURISTICS)
def test_heuristics_on_gap_files(name: str, method: str) -> None:
    inst = read_orlib_gap(GAP_DIR / name)
    opt = optimum(name)
    res = P.solve(inst, method, time_limit=1.0, seed=3)
    assert res.status is Status.FEASIBLE, res.summary()
    assert P.verify(inst, res.solution) == []          # run_method checked it too
    assert res.objective >= opt - 1e-9
    assert res.bound is not None and res.bound <= opt + 1e-6
    assert res.runtime < 3.0


def test_lns_is_close_on_small_gap_instances() -> None:
    for name in ("gap1-1", "gap4-2", "gap5-3"):
        inst = read_orlib_gap(GAP_DIR / name)
        res = P.solve(inst, "lns", time_limit=1.0)
        assert res.objective <= optimum(name) * 1.005, (name, res.objective)


@pytest.mark.parametrize("method", HEURISTICS)
def test_same_seed_same_answer(method: str) -> None:
    inst = P.generate(25, 4)
    a = P.solve(inst, method, seed=11)
    b = P.solve(inst, method, seed=11)
    assert a.solution is not None and a.solution == b.solution


@settings(max_examples=25, deadline=None)
@given(st.integers(3, 12), st.integers(0, 10_000))
def test_heuristics_never_below_optimum_on_generated(size: int, seed: int) -> None:
    inst = P.generate(size, seed)
    best = P.solve(inst, "milp", time_limit=10)
    assert best.is_optimal
    for method in HEURISTICS:
        res = P.solve(inst, method, time_limit=2, seed=seed)
        assert res.status is Status.FEASIBLE, (method, res.message)
        assert res.objective >= best.objective - 1e-6 * max(1.0, abs(best.objective))
        if res.bound is not None:
            assert res.bound <= best.objective + 1e-6 * max(1.0, abs(best.objective))


def test_greedy_rules_and_minmax() -> None:
    inst = P.generate(10, 2)
    for rule in ("regret", "density", "xie"):
        res = P.solve(inst, "greedy", rule=rule)
        assert res.status is Status.FEASIBLE and res.stats["rule"] == rule
    with pytest.raises(InvalidInstanceError):
        P.solve(inst, "greedy", rule="nope")
    mm = Instance.from_matrices([[1, 1, 1, 1], [1, 1, 1, 1]], [[3, 3, 3, 3], [3, 3, 3, 3]],
                                [12, 12], objective="minmax", load_weight=10.0)
    res = P.solve(mm, "greedy")
    assert res.stats["rule"] == "xie"
    assert math.isclose(res.objective, 4 + 10 * 0.5)      # two blocks on each server
    for method in ("tabu", "dpso", "lns", "cpsat"):
        with pytest.raises(InvalidInstanceError):
            P.solve(mm, method)


def test_edge_cases_every_method() -> None:
    empty = Instance.from_dict({"servers": [{"capacity": 0}], "blocks": []})
    zero = Instance.from_dict({"servers": [{"capacity": 0}],
                               "blocks": [{"cost": [1.0], "size": 0}]})
    nowhere = Instance.from_dict({"servers": [{"capacity": 0}, {"capacity": 3}],
                                  "blocks": [{"cost": [1.0, 2.0], "size": 4,
                                              "unplaced_penalty": 5.0}]})
    for inst, want in ((empty, 0.0), (zero, 1.0), (nowhere, 5.0)):
        for name in P.METHODS:
            res = P.solve(inst, name, time_limit=5)
            assert res.status.has_solution, (name, res.summary())
            assert res.objective == want, (name, res.objective)
