"""uav_path extensions: speed control by bisection, several UAVs with batteries."""

from __future__ import annotations

import pytest

import formulations.uav_path as up
from edgeopt_solve import Status
from formulations.uav_path.multi_uav import check_routes, plan_routes, route_energies
from formulations.uav_path.speed_control import fair_speeds


def line_field(**extra) -> up.Instance:
    data = {"base": [0.0, 0.0],
            "points": [[1000.0, 0.0], [2000.0, 0.0], [2000.0, 1000.0]],
            "devices": [{"id": f"d{k}", "position": [1000.0 + 10 * k, 5.0],
                         "data_bits": 5e8, "rate": 2e6} for k in range(4)]
            + [{"id": "e", "position": [2000.0, 10.0], "data_bits": 5e8, "rate": 2e6},
               {"id": "f", "position": [2000.0, 990.0], "data_bits": 5e8, "rate": 1e6}],
            "comm_range": 100.0}
    data.update(extra)
    return up.Instance.from_dict(data)


def test_speed_control_bisection_meets_budget_tightly() -> None:
    inst = line_field(max_speed=60.0)
    sol = up.Solution((0, 1, 2))
    low = fair_speeds(inst, sol, 1.0)
    assert not low.feasible
    best_possible = fair_speeds(inst, sol, 1e9)
    assert best_possible.feasible
    budget = 1.05 * low.energy  # 5 % above the least energy any c achieves
    r = fair_speeds(inst, sol, budget)
    assert r.feasible and r.method == "bisection"
    assert r.energy == pytest.approx(budget, rel=1e-4)
    # fairness: the leg into the 4-device cluster is 4x slower than the 1-device ones
    assert r.speeds[0] == pytest.approx(r.speeds[1] / 4, rel=1e-9)
    assert best_possible.collected_bits >= r.collected_bits
    richer = fair_speeds(inst, sol, budget * 1.2)
    assert richer.collected_bits >= r.collected_bits


def test_speed_control_falls_back_to_grid_when_not_monotone() -> None:
    # max_speed 30 clips the 1-device legs while the 4-device leg still slows energy
    # down, so E(c) has two dips and bisection would be unsafe
    inst = line_field()
    sol = up.Solution((0, 1, 2))
    low, high = fair_speeds(inst, sol, 1.0), fair_speeds(inst, sol, 1e9)
    r = fair_speeds(inst, sol, 0.5 * (low.energy + high.energy))
    assert r.feasible and r.method == "grid" and r.c_error > 0
    assert r.energy <= 0.5 * (low.energy + high.energy)


def test_multi_uav_respects_battery() -> None:
    inst = up.generate(12, 5)
    one = up.solve(inst, "exact")
    battery = 0.45 * one.objective
    tight = up.Instance.from_dict({**inst.to_dict(), "battery": battery})
    plan = plan_routes(tight, 4, time_limit=2.0)
    assert plan.status is Status.FEASIBLE
    assert check_routes(tight, plan.routes) == []
    assert len(plan.routes) >= 3
    assert max(route_energies(tight, plan.routes)) <= battery
    assert plan.energy >= one.objective * (1 - 1e-9)


def test_multi_uav_infeasible_point() -> None:
    inst = up.Instance.from_dict({"base": [0.0, 0.0], "points": [[5000.0, 0.0]],
                                  "battery": 1e4})
    assert plan_routes(inst, 3, time_limit=1.0).status is Status.INFEASIBLE
