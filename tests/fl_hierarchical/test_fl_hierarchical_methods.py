"""fl_hierarchical: exact vs explicit enumeration, heuristics vs exact, infeasibility, limits."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import formulations.fl_hierarchical as fh
from edgeopt_solve import Limit, Status
from formulations.fl_hierarchical.common import CostCache

INSTANCES = Path(__file__).resolve().parents[2] / "instances" / "fl_hierarchical"


def enumerate_best(inst: fh.Instance) -> tuple[float, tuple[int, ...]] | None:
    """Every association (reachability, max_devices) with the exact per-edge solver."""
    cache = CostCache(inst)
    best = None
    for assoc in itertools.product(*(d.reachable() for d in inst.devices)):
        counts = [assoc.count(j) for j in range(inst.m)]
        if any(e.max_devices is not None and c > e.max_devices
               for e, c in zip(inst.edges, counts, strict=True)):
            continue
        value = cache.total(assoc)
        if best is None or value < best[0]:
            best = (value, assoc)
    return best


@settings(max_examples=12, deadline=None)
@given(size=st.integers(2, 5), seed=st.integers(0, 10**6), edges=st.integers(2, 3))
def test_exact_equals_enumeration_and_heuristics_are_not_better(size: int, seed: int,
                                                                edges: int) -> None:
    inst = fh.generate(size, seed, edges=edges)
    best = enumerate_best(inst)
    assert best is not None
    res = fh.solve(inst, "exact")
    assert res.status is Status.OPTIMAL
    assert math.isclose(res.objective, best[0], rel_tol=1e-9)
    for name in ("hfel", "hfel-merge", "greedy", "random", "max-frequency",
                 "uniform-bandwidth"):
        other = fh.solve(inst, name, seed=seed)
        assert other.status is Status.FEASIBLE
        assert other.objective >= res.objective * (1 - 1e-9), name


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_hfel_is_a_stable_point(seed: int) -> None:
    """No single transfer or exchange lowers the cost of hfel's association."""
    inst = fh.generate(10, seed, edges=3)
    res = fh.solve(inst, "hfel", seed=seed)
    assoc = list(res.solution.association)
    cache = CostCache(inst)
    base = cache.total(assoc)
    assert math.isclose(base, res.objective, rel_tol=1e-9)
    for i, d in enumerate(inst.devices):
        for k in d.reachable():
            moved = assoc.copy()
            moved[i] = k
            assert cache.total(moved) >= base * (1 - 1e-9)
    for i, i2 in itertools.combinations(range(inst.n), 2):
        j, k = assoc[i], assoc[i2]
        if (j != k and inst.devices[i].gains[k] is not None
                and inst.devices[i2].gains[j] is not None):
            swapped = assoc.copy()
            swapped[i], swapped[i2] = k, j
            assert cache.total(swapped) >= base * (1 - 1e-9)
    # and it never gets worse than where it starts (the greedy association); merges only
    # ever lower the cost further
    assert res.objective <= fh.solve(inst, "greedy").objective * (1 + 1e-12)
    assert fh.solve(inst, "hfel-merge", seed=seed).objective <= res.objective * (1 + 1e-12)


def test_same_seed_same_answer() -> None:
    inst = fh.generate(12, 4)
    for name in ("hfel", "random"):
        a, b = fh.solve(inst, name, seed=3), fh.solve(inst, name, seed=3)
        assert a.solution == b.solution


def capped(size: int, seed: int, cap: int) -> fh.Instance:
    data = fh.generate(size, seed).to_dict()
    for e in data["edges"]:
        e["max_devices"] = cap
    return fh.Instance.from_dict(data)


def test_max_devices_is_respected() -> None:
    inst = capped(6, 0, 3)
    best = enumerate_best(inst)
    assert best is not None
    res = fh.solve(inst, "exact")
    assert res.status is Status.OPTIMAL and math.isclose(res.objective, best[0], rel_tol=1e-9)
    for name in fh.METHODS:
        sol = fh.solve(inst, name).solution
        assert max(sol.association.count(j) for j in range(inst.m)) <= 3


def test_infeasible_instance_every_method() -> None:
    inst = capped(5, 0, 2)  # two edge servers with room for 2 each, 5 devices
    for name in fh.METHODS:
        res = fh.solve(inst, name)
        assert res.status is Status.INFEASIBLE, name
        assert "max_devices" in res.message and res.solution is None


def test_exact_refuses_too_many_columns() -> None:
    inst = fh.generate(14, 0)
    res = fh.solve(inst, "exact", max_columns=100)
    assert res.status is Status.NO_SOLUTION and res.limit is Limit.OTHER
    assert "max_columns" in res.message


def test_time_limit_is_honoured() -> None:
    inst = fh.generate(12, 0)  # 2302 columns: well over 0.2 s
    res = fh.solve(inst, "exact", time_limit=0.2)
    assert res.status is Status.NO_SOLUTION and res.limit is Limit.TIME
    assert res.runtime < 2.0
    big = fh.generate(60, 0)
    res = fh.solve(big, "hfel", time_limit=0.5)
    assert res.status is Status.FEASIBLE and res.runtime < 3.0


@pytest.mark.parametrize("path", sorted(INSTANCES.glob("*.json")), ids=lambda p: p.name)
def test_bundled_instances(path: Path) -> None:
    env = json.loads(path.read_text())
    assert env["formulation"] == "fl_hierarchical"
    inst = fh.Instance.from_dict(env["data"])
    if path.name == "demo.json":
        res = fh.solve(inst)
        assert res.status is Status.FEASIBLE and res.runtime < 2.0
    expected = env.get("expected")
    if expected is not None:
        res = fh.solve(inst, "exact")
        assert res.status is Status.OPTIMAL
        assert math.isclose(res.objective, expected["objective"], rel_tol=1e-6)
