"""Placement: schema, semantic checks (bad input), round trips, evaluator, infeasibility."""

from __future__ import annotations

import contextlib
import copy
import json
import math

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from edgeopt_solve import InvalidInstanceError, Status
from formulations import placement as P
from formulations.placement.model import Instance, Solution

PLAIN = {
    "servers": [{"capacity": 10}, {"capacity": 6}],
    "blocks": [
        {"cost": [1.0, 4.0], "size": 5},
        {"cost": [2.0, 1.0], "weight": [4, 6]},
        {"cost": [3.0, 3.0], "size": 5, "unplaced_penalty": 7.5},
    ],
}

SYSTEM = {
    "servers": [{"capacity": 100, "speed": 1e9}, {"capacity": 100, "speed": 2e9}],
    "blocks": [{"size": 60, "origin": 0}, {"size": 50}],
    "tasks": [{"site": 1, "blocks": [0, 1], "rate": 2.0, "cycles_per_byte": 10.0},
              {"site": 0, "blocks": [1], "rate": 1.0}],
    "bandwidth": [[0.0, 800.0], [400.0, 0.0]],
    "cloud_bandwidth": [100.0, 200.0],
    "replacement_weight": 0.5,
    "allow_unplaced": True,
}


def bad(data: dict, field: str) -> None:
    with pytest.raises(InvalidInstanceError) as info:
        Instance.from_dict(data)
    assert info.value.field == field, info.value.one_line()


def test_plain_form_matrices_and_round_trip() -> None:
    inst = Instance.from_dict(PLAIN)
    assert inst.cost == ((1.0, 2.0, 3.0), (4.0, 1.0, 3.0))
    assert inst.weight == ((5, 4, 5), (5, 6, 5))
    assert inst.capacity == (10, 6)
    assert inst.penalty == (None, None, 7.5)
    again = Instance.from_dict(json.loads(json.dumps(inst.to_dict(), allow_nan=False)))
    assert again == inst
    same = Instance.from_matrices([[1, 2, 3], [4, 1, 3]], [[5, 4, 5], [5, 6, 5]], [10, 6],
                                  unplaced_penalty=[None, None, 7.5])
    assert same.cost == inst.cost and same.weight == inst.weight
    assert same.penalty == inst.penalty


def test_system_form_costs_by_hand() -> None:
    inst = Instance.from_dict(SYSTEM)
    # block 0 (60 B = 480 bit) read by task 0 at site 1 (rate 2, 10 cycles/B on 2e9 cycles/s)
    compute0 = 60 * 10 / 2e9
    move_0_to_1 = 0.5 * 480 / 800.0                # replacement from origin 0 to server 1
    assert math.isclose(inst.cost[0][0], 2 * (480 / 800.0 + compute0))
    assert math.isclose(inst.cost[1][0], 2 * compute0 + move_0_to_1)
    # block 1 (400 bit) comes from the cloud; tasks at sites 1 and 0
    c10 = 2 * (400 / 800.0 + 50 * 10 / 2e9) + 1 * 0.0 + 0.5 * 400 / 100.0
    c11 = 2 * (0.0 + 50 * 10 / 2e9) + 1 * (400 / 400.0) + 0.5 * 400 / 200.0
    assert math.isclose(inst.cost[0][1], c10)
    assert math.isclose(inst.cost[1][1], c11)
    pen1 = 2 * (400 / 200.0 + 50 * 10 / 2e9) + 1 * (400 / 100.0)
    assert math.isclose(inst.penalty[1], pen1)
    assert inst.weight == ((60, 50), (60, 50))
    # the evaluator recomputes the same numbers from the spec
    for a in [(0, 0), (1, 0), (0, 1), (1, 1), (0, None), (None, None)]:
        sol = Solution(a)
        want = sum(inst.penalty[j] if i is None else inst.cost[i][j] for j, i in enumerate(a))
        assert math.isclose(P.objective(inst, sol), want, rel_tol=1e-12)
    assert Instance.from_dict(inst.to_dict()) == inst


def test_minmax_objective() -> None:
    data = {**PLAIN, "objective": "minmax", "load_weight": 10.0}
    inst = Instance.from_dict(data)
    sol = Solution((0, 0, None))   # loads 9/10 and 0/6
    assert P.verify(inst, sol) == []
    assert math.isclose(P.objective(inst, sol), 1 + 2 + 7.5 + 10 * 0.9)
    res = P.solve(inst, "milp")
    _, best = P.brute_force(inst)
    assert res.is_optimal and math.isclose(res.objective, P.objective(inst, best))


def test_verify_reports_each_violation() -> None:
    inst = Instance.from_dict(PLAIN)
    assert P.verify(inst, Solution((0, 1, None))) == []
    assert [v.constraint for v in P.verify(inst, Solution((0,)))] == ["assignment"]
    v = P.verify(inst, Solution((None, 1, 0)))
    assert [x.constraint for x in v] == ["placed[block=0]"]
    v = P.verify(inst, Solution((0, 0, 0)))          # 5 + 4 + 5 = 14 > 10
    assert [x.constraint for x in v] == ["capacity[server=0]"] and v[0].amount == 4
    v = P.verify(inst, Solution((0, 7, -1)))
    assert {x.constraint for x in v} == {"server[block=1]", "server[block=2]"}


def test_solution_round_trip_and_schema() -> None:
    sol = Solution.from_dict({"assignment": [0, None, 2]})
    assert sol.assignment == (0, None, 2)
    assert Solution.from_dict(json.loads(json.dumps(sol.to_dict()))) == sol
    with pytest.raises(InvalidInstanceError):
        Solution.from_dict({"assignment": ["0"]})
    with pytest.raises(InvalidInstanceError):
        Solution.from_dict({"assignment": [0], "extra": 1})


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda d: d["blocks"][0].update(size=-5), "blocks[0].size"),
    (lambda d: d["servers"][1].update(capacity=-1), "servers[1].capacity"),
    (lambda d: d["blocks"][1].update(weight=[4, -6]), "blocks[1].weight[1]"),
    (lambda d: d["blocks"][0].update(cost=[1.0]), "blocks[0].cost"),
    (lambda d: d["blocks"][0].update(weight=[5, 5]), "blocks[0].size"),
    (lambda d: d["blocks"][0].pop("cost"), "blocks[0].cost"),
    (lambda d: d["blocks"][0].update(cost=[float("nan"), 1.0]), "blocks[0].cost[0]"),
    (lambda d: d.update(servers=[]), "servers"),
    (lambda d: d.update(allow_unplaced=True), "allow_unplaced"),
    (lambda d: d.update(bandwidth=[[0.0]]), "bandwidth"),
    (lambda d: d.update(colour="red"), "colour"),
])
def test_bad_plain_input(mutate, field: str) -> None:
    data = copy.deepcopy(PLAIN)
    mutate(data)
    bad(data, field)


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda d: d["blocks"][1].update(size=-50), "blocks[1].size"),
    (lambda d: d["tasks"][0].update(blocks=[0, 5]), "tasks[0].blocks[1]"),
    (lambda d: d["tasks"][1].update(site=2), "tasks[1].site"),
    (lambda d: d["bandwidth"][0].__setitem__(1, 0.0), "bandwidth[0][1]"),
    (lambda d: d["bandwidth"][1].__setitem__(0, 0.0), "bandwidth[1][0]"),
    (lambda d: d["blocks"][0].update(origin=9), "blocks[0].origin"),
    (lambda d: d["blocks"][0].update(cost=[1.0, 2.0]), "blocks[0].cost"),
    (lambda d: d["blocks"][0].pop("size"), "blocks[0].size"),
    (lambda d: d.pop("bandwidth"), "bandwidth"),
    (lambda d: d.update(bandwidth=[[0.0, 1.0]]), "bandwidth"),
    (lambda d: d.pop("cloud_bandwidth"), "cloud_bandwidth"),
    (lambda d: d["cloud_bandwidth"].__setitem__(1, 0.0), "cloud_bandwidth[1]"),
    (lambda d: d["servers"][1].pop("speed"), "servers[1].speed"),
    (lambda d: d["tasks"][0].update(rate=-1.0), "tasks[0].rate"),
    (lambda d: d["bandwidth"][0].__setitem__(1, -3.0), "bandwidth[0][1]"),
])
def test_bad_system_input(mutate, field: str) -> None:
    data = copy.deepcopy(SYSTEM)
    mutate(data)
    bad(data, field)


def test_zero_bandwidth_is_fine_where_no_data_flows() -> None:
    data = copy.deepcopy(SYSTEM)
    data["tasks"] = [{"site": 1, "blocks": [], "rate": 1.0}]
    data["replacement_weight"] = 0.0
    data["allow_unplaced"] = False
    data["bandwidth"] = [[0.0, 0.0], [0.0, 0.0]]
    inst = Instance.from_dict(data)
    assert inst.cost == ((0.0, 0.0), (0.0, 0.0))


def test_more_data_than_storage_is_infeasible_with_shortfall() -> None:
    data = {"servers": [{"capacity": 10}, {"capacity": 6}],
            "blocks": [{"cost": [1.0, 1.0], "size": 9}, {"cost": [1.0, 1.0], "size": 5},
                       {"cost": [1.0, 1.0], "size": 5}]}
    inst = Instance.from_dict(data)
    for name in P.METHODS:
        res = P.solve(inst, name, time_limit=5)
        assert res.status is Status.INFEASIBLE, name
        assert "short by 3 bytes" in res.message, (name, res.message)
    assert P.brute_force(inst) == (Status.INFEASIBLE, None)
    # with an unplaced option on one block it becomes feasible
    data["blocks"][0]["unplaced_penalty"] = 100.0
    inst = Instance.from_dict(data)
    res = P.solve(inst, "milp")
    assert res.is_optimal and res.solution.assignment[0] is None
    assert math.isclose(res.objective, 102.0)


def test_packing_infeasible_but_storage_suffices() -> None:
    # 3 blocks of 4 bytes on two servers of 6 bytes: 12 <= 12 but no packing fits
    inst = Instance.from_matrices([[1, 1, 1], [1, 1, 1]], [[4, 4, 4], [4, 4, 4]], [6, 6])
    for name in P.METHODS:
        res = P.solve(inst, name, time_limit=5)
        if P.METHODS[name].exact:
            assert res.status is Status.INFEASIBLE, name
        else:
            assert res.status in (Status.INFEASIBLE, Status.NO_SOLUTION), name
            assert res.solution is None


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 10**20) | st.floats() | st.text(max_size=5),
    lambda kids: st.lists(kids, max_size=4) | st.dictionaries(
        st.sampled_from(["servers", "blocks", "tasks", "bandwidth", "capacity", "size", "cost",
                         "weight", "site", "origin", "objective", "x"]), kids, max_size=5),
    max_leaves=20)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_from_dict_fuzz_raises_only_invalid_instance(data) -> None:
    with contextlib.suppress(InvalidInstanceError):
        Instance.from_dict(data)


@settings(max_examples=100, deadline=None)
@given(st.integers(0, 3), st.integers(0, 4))
def test_fuzz_mutated_valid_instances(which: int, pos: int) -> None:
    data = copy.deepcopy(SYSTEM if which % 2 else PLAIN)
    values = [None, -1, 10**30, 1e308, "x", [], {}, True]
    for key in list(data)[: pos + 1]:
        data[key] = values[(which + pos) % len(values)]
        with contextlib.suppress(InvalidInstanceError):
            Instance.from_dict(data)


@pytest.mark.parametrize(("mutate", "field"), [
    (lambda d: d["tasks"][0].update(candidates=[0, 4]), "tasks[0].candidates[1]"),
    (lambda d: d["tasks"][0].update(candidates=[]), "tasks[0].candidates"),
    (lambda d: (d["tasks"][1].update(candidates=[0, 1]), d["bandwidth"][0].__setitem__(1, 0.0)),
     "bandwidth[0][1]"),
])
def test_bad_movable_tasks(mutate, field: str) -> None:
    data = copy.deepcopy(SYSTEM)
    mutate(data)
    bad(data, field)


def test_solution_with_sites_round_trips() -> None:
    sol = Solution.from_dict({"assignment": [0, None], "sites": [1, 0]})
    assert sol.sites == (1, 0)
    assert Solution.from_dict(json.loads(json.dumps(sol.to_dict()))) == sol
    assert "sites" not in Solution((0,)).to_dict()
