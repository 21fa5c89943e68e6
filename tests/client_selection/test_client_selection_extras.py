"""Oort simulation, online secretary selection and hierarchical user-edge association."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.status import Status
from formulations.client_selection import hierarchical as hier
from formulations.client_selection import online, oort

# --- Oort ---------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_oort_harvests_more_utility_per_second_than_random(seed: int) -> None:
    res = oort.compare_policies(300, rounds=150, k=10, seed=seed)
    assert res["oort"].utility_per_second > res["random"].utility_per_second
    for r in res.values():
        assert len(r.round_time) == 150 and sum(r.participants) == 150 * 10
    again = oort.compare_policies(300, rounds=150, k=10, seed=seed)
    assert again["oort"].utility == res["oort"].utility


def test_oort_scores_penalise_slow_clients_and_reward_staleness() -> None:
    rng = np.random.default_rng(0)
    cfg = oort.OortConfig(initial_percentile=50.0)
    sel = oort.OortSelector(3, 2, cfg, rng, [10, 10, 10], [10.0, 20.0, 40.0])
    for i in range(3):
        sel.feedback(rnd=5, client=i, stat_utility=100.0, duration=[10.0, 20.0, 40.0][i])
    t_pref = sel.preferred_duration()
    assert t_pref == pytest.approx(20.0)
    sc = sel.scores(rnd=10)
    bonus = math.sqrt(0.1 * math.log(10) / 5)
    assert sc[0] == pytest.approx(100 + bonus)
    assert sc[1] == pytest.approx(100 + bonus)
    assert sc[2] == pytest.approx((100 + bonus) * (20 / 40) ** cfg.round_penalty)
    chosen = sel.select(rnd=11)
    assert len(chosen) == 2 and len(set(chosen)) == 2


def test_oort_pacer_relaxes_preferred_duration_when_utility_is_flat() -> None:
    cfg = oort.OortConfig(pacer_step=2, pacer_delta=10.0, initial_percentile=30.0)
    sel = oort.OortSelector(5, 2, cfg, np.random.default_rng(0), [1] * 5, [1.0] * 5)
    for _ in range(4):
        sel.end_round(10.0)
    sel._pacer(rnd=5)
    assert sel.percentile == 40.0


# --- online secretary ---------------------------------------------------------------------


def test_secretary_rule_by_hand() -> None:
    # n=8: the sample is floor(8/e)=2 arrivals, reference {5, 1}; 9 > 1 is accepted (the
    # reference becomes {5}), 2 < 5 is rejected, 6 > 5 is accepted and the budget is spent
    scores = [5, 1, 9, 2, 6, 10, 3, 8]
    assert online.secretary_select(scores, 2) == [2, 4]
    assert online.secretary_select(scores, 0) == []
    assert online.secretary_select(scores, 3, sample_fraction=0.0) == [0, 1, 2]
    assert online.offline_optimum(scores, 2) == 19.0
    with pytest.raises(ValueError):
        online.secretary_select(scores, -1)


def test_secretary_budget_and_competitive_ratio() -> None:
    rng = np.random.default_rng(3)
    for _ in range(50):
        n = int(rng.integers(0, 60))
        r = int(rng.integers(0, 8))
        scores = rng.uniform(0, 1, n).tolist()
        got = online.secretary_select(scores, r)
        assert len(got) <= r and got == sorted(set(got))
        assert all(p >= math.floor(n / math.e) for p in got)
        assert sum(scores[p] for p in got) <= online.offline_optimum(scores, r) + 1e-12
    mean, _ = online.competitive_ratio(100, 10, trials=200, seed=1)
    assert 1 / math.e < mean <= 1.0


# --- hierarchical association -------------------------------------------------------------


def brute(inst: hier.AssociationInstance) -> float | None:
    costs = [hier.association_cost(inst, a) for a in itertools.product(*inst.reach)
             if not hier.verify_association(inst, a)]
    return min(costs) if costs else None


@pytest.mark.parametrize(("users", "edges", "classes", "seed"),
                         [(6, 2, 3, 0), (7, 3, 4, 1), (8, 3, 3, 2), (8, 2, 5, 3)])
def test_association_milp_equals_brute_force(users: int, edges: int, classes: int,
                                             seed: int) -> None:
    inst = hier.generate_association(users, edges, classes, seed)
    assert hier.AssociationInstance.from_dict(inst.to_dict()) == inst
    best = brute(inst)
    milp = hier.solve_milp(inst)
    assert milp.status is Status.OPTIMAL
    assert hier.verify_association(inst, milp.assignment) == []
    assert milp.objective == pytest.approx(best, rel=1e-6, abs=1e-6)
    heur = hier.greedy(inst)
    assert heur.status is Status.FEASIBLE
    assert hier.verify_association(inst, heur.assignment) == []
    assert heur.objective >= best - 1e-6


def test_association_infeasible_capacity() -> None:
    inst = hier.AssociationInstance.from_dict({
        "users": [{"samples": [3, 1], "reach": [0]}, {"samples": [1, 3], "reach": [0]},
                  {"samples": [2, 2], "reach": [0, 1]}],
        "capacity": [1, 1]})
    assert hier.solve_milp(inst).status is Status.INFEASIBLE
    assert hier.greedy(inst).status is Status.INFEASIBLE


def test_association_greedy_uses_augmenting_paths() -> None:
    # user 0 reaches both edges and is placed first by size; users 1, 2 need edge 0 / 1
    inst = hier.AssociationInstance.from_dict({
        "users": [{"samples": [50, 50], "reach": [0, 1]}, {"samples": [1, 0], "reach": [0]},
                  {"samples": [0, 1], "reach": [1]}, {"samples": [5, 5], "reach": [0, 1]}],
        "capacity": [2, 2]})
    res = hier.greedy(inst)
    assert res.status is Status.FEASIBLE and hier.verify_association(inst, res.assignment) == []


@pytest.mark.parametrize(("data", "field"), [
    ({"users": [{"samples": [1], "reach": [0]}], "capacity": [-1]}, "capacity[0]"),
    ({"users": [{"samples": [1], "reach": [3]}], "capacity": [1]}, "users[0].reach"),
    ({"users": [{"samples": [1], "reach": []}], "capacity": [1]}, "users[0].reach"),
    ({"users": [{"samples": [-1], "reach": [0]}], "capacity": [1]}, "users[0].samples"),
    ({"users": [{"samples": [1], "reach": [0]}, {"samples": [1, 2], "reach": [0]}],
      "capacity": [2]}, "users[1].samples"),
    ({"users": [{"samples": [1.5], "reach": [0]}], "capacity": [1]}, "users[0].samples[0]"),
])
def test_association_bad_input(data: dict, field: str) -> None:
    with pytest.raises(InvalidInstanceError) as err:
        hier.AssociationInstance.from_dict(data)
    assert err.value.field == field
