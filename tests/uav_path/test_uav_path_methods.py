"""uav_path methods: exact vs brute force, TSPLIB optima, infeasibility, heuristics."""

from __future__ import annotations

import math
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import formulations.uav_path as up
from edgeopt_solve import Status
from formulations.uav_path.clustering import cover_points, kmeans_points
from formulations.uav_path.graph import distance_matrix, one_tree_bound

TSPLIB = Path(__file__).resolve().parents[3] / "shared" / "benchmarks" / "tsplib"
HEURISTICS = [m for m, spec in up.METHODS.items() if not spec.exact]


def optimum(name: str) -> float:
    for line in (TSPLIB / "optima.csv").read_text().splitlines()[1:]:
        key, value = line.split(",")
        if key == name:
            return float(value)
    raise KeyError(name)


coords = st.lists(st.tuples(st.integers(0, 60), st.integers(0, 60)), min_size=2, max_size=10)


@st.composite
def tiny_instances(draw) -> up.Instance:
    nodes = draw(coords)
    if draw(st.booleans()):
        return up.Instance.from_dict({"base": list(nodes[0]), "points": [list(p) for p in nodes[1:]],
                                      "objective": "length", "distance": "euc_2d"})
    scale = draw(st.sampled_from([1.0, 10.0, 37.5]))
    data = {"base": [nodes[0][0] * scale, nodes[0][1] * scale],
            "points": [[x * scale, y * scale] for x, y in nodes[1:]],
            "devices": [{"id": f"d{k}", "position": [x * scale, y * scale],
                         "data_bits": 1e6 * (k + 1), "rate": 1e6}
                        for k, (x, y) in enumerate(nodes[1:])]}
    if draw(st.booleans()):
        data["deadline"] = draw(st.floats(60.0, 600.0))
    if draw(st.booleans()):
        data["battery"] = draw(st.floats(5e3, 1e5))
    if draw(st.booleans()):
        data["speed"] = draw(st.floats(5.0, 25.0))
        data.pop("deadline", None)
    return up.Instance.from_dict(data)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(inst=tiny_instances())
def test_exact_equals_brute_force(inst: up.Instance) -> None:
    status, best = up.brute_force(inst)
    res = up.solve(inst, "exact", time_limit=30)
    assert res.status is status, res.message
    if status is Status.OPTIMAL:
        assert math.isclose(res.objective, up.objective(inst, best), rel_tol=1e-6, abs_tol=1e-6)
        for name in HEURISTICS:
            if name == "routing":
                continue
            h = up.solve(inst, name, time_limit=10)
            assert h.objective >= res.objective * (1 - 1e-6) - 1e-6
    else:
        assert "infeasible" in res.message


@pytest.mark.parametrize("name", ["eil51", "berlin52", "st70", "kroA100"])
def test_exact_proves_tsplib_optimum(name: str) -> None:
    inst = up.read_tsplib(TSPLIB / f"{name}.tsp")
    res = up.solve(inst, "exact", time_limit=60)
    assert res.status is Status.OPTIMAL
    assert res.objective == optimum(name)
    assert res.bound == pytest.approx(optimum(name))


def test_ils_reaches_kroa100_within_one_percent() -> None:
    inst = up.read_tsplib(TSPLIB / "kroA100.tsp")
    res = up.solve(inst, "ils", time_limit=10, iterations=3000)
    assert res.objective <= 1.01 * optimum("kroA100")
    assert res.bound is not None and res.bound <= optimum("kroA100")


def test_exact_stopped_early_reports_bound() -> None:
    inst = up.read_tsplib(TSPLIB / "kroA100.tsp")
    res = up.solve(inst, "exact", time_limit=0.3, ils_iterations=50)
    assert res.status in (Status.FEASIBLE, Status.NO_SOLUTION)
    if res.status is Status.FEASIBLE:
        assert res.limit is not None
        assert res.bound is None or res.bound <= optimum("kroA100")


def field(**extra) -> up.Instance:
    data = {"base": [0.0, 0.0], "points": [[500.0, 0.0], [500.0, 500.0], [0.0, 500.0]],
            "devices": [{"id": "a", "position": [520.0, 0.0], "data_bits": 2e7, "rate": 1e6},
                        {"id": "b", "position": [500.0, 450.0], "data_bits": 1e7, "rate": 2e6},
                        {"id": "c", "position": [0.0, 530.0], "data_bits": 5e6, "rate": 1e6}],
            "comm_range": 60.0}
    data.update(extra)
    return up.Instance.from_dict(data)


@pytest.mark.parametrize("method", list(up.METHODS))
def test_device_out_of_range_is_infeasible(method: str) -> None:
    inst = field(comm_range=10.0)
    res = up.solve(inst, method, time_limit=5)
    assert res.status is Status.INFEASIBLE
    assert "out of range" in res.message or "beyond the communication range" in res.message


@pytest.mark.parametrize("method", list(up.METHODS))
def test_battery_too_small_at_every_speed(method: str) -> None:
    inst = field(battery=10_000.0)  # hover alone: 30 s * 168 W = 5 kJ; flight ~2 km * 8.6 J/m
    res = up.solve(inst, method, time_limit=5)
    assert res.status is Status.INFEASIBLE, res.message
    assert "battery" in res.message


def test_deadline_needs_faster_flight_and_speeds_are_returned() -> None:
    loose = up.solve(field(), "exact")
    tight = up.solve(field(deadline=140.0), "exact")  # 2 km in 110 s -> ~18.2 m/s or more
    assert loose.status is tight.status is Status.OPTIMAL
    assert loose.solution.speeds is None
    fast = field(deadline=120.0)
    res = up.solve(fast, "exact")
    assert res.status is Status.OPTIMAL and res.solution.speeds is not None
    assert min(res.solution.speeds) > 18.3
    assert res.objective > loose.objective
    assert up.solve(field(deadline=50.0), "exact").status is Status.INFEASIBLE


@pytest.mark.parametrize("method", HEURISTICS)
def test_heuristics_verified_and_deterministic(method: str) -> None:
    inst = up.generate(25, 3)
    limit = 5.0 if method == "routing" else None  # no clock in the determinism check
    a = up.solve(inst, method, time_limit=limit, seed=4)
    assert a.status is Status.FEASIBLE and up.verify(inst, a.solution) == []
    if method != "routing":
        b = up.solve(inst, method, time_limit=limit, seed=4)
        assert a.solution == b.solution


def test_heuristics_not_better_than_exact_on_st70() -> None:
    inst = up.read_tsplib(TSPLIB / "st70.tsp")
    for method in ("nn-2opt", "aco"):
        res = up.solve(inst, method, time_limit=10, iterations=20)
        assert res.objective >= optimum("st70")


def test_one_tree_bound_is_a_lower_bound() -> None:
    inst = up.read_tsplib(TSPLIB / "eil51.tsp")
    assert one_tree_bound(distance_matrix(inst)) <= optimum("eil51")


def test_cover_clustering_serves_every_device() -> None:
    raw = up.generate(6, 2)
    data = raw.to_dict()
    data.pop("points")
    inst, status = cover_points(up.Instance.from_dict(data))
    assert status is Status.OPTIMAL and inst.n <= len(raw.devices)
    res = up.solve(inst, "exact")
    assert res.status is Status.OPTIMAL
    km = kmeans_points(raw, 4, seed=1)
    assert km.n <= 4 and km == kmeans_points(raw, 4, seed=1)


def test_demo_matches_expected() -> None:
    from edgeopt_solve import io

    root = Path(__file__).resolve().parents[2] / "instances" / "uav_path"
    for name in ("demo", "eil51"):
        loaded = io.load(root / f"{name}.json")
        res = up.solve(loaded.instance, up.DEFAULT_METHOD, time_limit=30)
        assert res.status is Status.OPTIMAL
        assert res.objective == pytest.approx(loaded.expected, rel=1e-6)


def test_every_method_survives_coincident_points() -> None:
    """All hovering points on the base (found by hypothesis: ACO divided by a zero length)."""
    data = {"base": [0.0, 0.0], "points": [[0.0, 0.0]] * 3,
            "devices": [{"id": f"d{k}", "position": [0.0, 0.0], "data_bits": 1e6 * (k + 1),
                         "rate": 1e6} for k in range(3)]}
    inst = up.Instance.from_dict(data)
    for method in up.METHODS:
        res = up.solve(inst, method, time_limit=5, seed=0)
        assert res.status.has_solution, (method, res.message)
        assert up.verify(inst, res.solution) == []
