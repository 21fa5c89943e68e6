"""fl_fedl: instance validation (one bad dict per rule), round trips, evaluator, verifier."""

from __future__ import annotations

import copy
import json
import math
from typing import Any

import pytest

import formulations.fl_fedl as fl
from edgeopt_solve import InvalidInstanceError, Status


def small() -> dict[str, Any]:
    """A two-device instance with round numbers."""
    dev = {"cycles_per_sample": 20.0, "samples": 1e6, "gain": 1e-10, "f_min": 1e8,
           "f_max": 2e9, "p_min": 0.0, "p_max": 1.0}
    return {"bandwidth": 1e6, "noise_power": 4e-15, "model_size": 25000.0,
            "capacitance": 2e-28, "kappa": 1.0, "local_iter_const": 2.0,
            "global_round_const": 3.0, "theta": None,
            "devices": [dict(dev), {**dev, "gain": 3e-11, "cycles_per_sample": 35.0}]}


def mutate(path: str, value: Any) -> dict[str, Any]:
    data = copy.deepcopy(small())
    if path.startswith("devices"):
        data["devices"][1][path.split(".")[1]] = value
    else:
        data[path] = value
    return data


BAD = [
    ("devices[1].gain", -1e-10), ("devices[1].gain", 0.0),
    ("bandwidth", 0.0), ("bandwidth", -1e6), ("noise_power", 0.0), ("model_size", -1.0),
    ("capacitance", 0.0), ("kappa", 0.0), ("kappa", -1.0), ("local_iter_const", 0.0),
    ("global_round_const", -2.0),
    ("theta", 0.0), ("theta", 1.0), ("theta", 1.5), ("theta", -0.2),
    ("devices[1].p_max", 0.0), ("devices[1].p_max", -1.0), ("devices[1].p_min", -0.1),
    ("devices[1].f_max", 0.0), ("devices[1].f_min", -1.0), ("devices[1].f_min", 3e9),
    ("devices[1].samples", 0.0), ("devices[1].cycles_per_sample", -5.0),
    ("devices[1].gain", "big"), ("bandwidth", math.nan), ("kappa", math.inf),
]


@pytest.mark.parametrize(("path", "value"), BAD, ids=[f"{p}={v}" for p, v in BAD])
def test_bad_input_names_the_field(path: str, value: Any) -> None:
    with pytest.raises(InvalidInstanceError) as info:
        fl.Instance.from_dict(mutate(path, value))
    assert info.value.field == path, info.value.one_line()


def test_structural_errors() -> None:
    data = small()
    data["devices"] = []
    with pytest.raises(InvalidInstanceError) as info:
        fl.Instance.from_dict(data)
    assert info.value.field == "devices"
    data = small()
    data["devices"][0]["speed"] = 3.0
    with pytest.raises(InvalidInstanceError) as info:
        fl.Instance.from_dict(data)
    assert info.value.field == "devices[0].speed"
    for bad in (None, [], "x", 3):
        with pytest.raises(InvalidInstanceError):
            fl.Instance.from_dict(bad)
    with pytest.raises(InvalidInstanceError):
        fl.Solution.from_dict({"theta": 0.5, "frequency": [1.0], "upload_time": "x",
                               "power": [1.0]})


def test_round_trips_and_fixed_theta() -> None:
    inst = fl.Instance.from_dict(small())
    assert fl.Instance.from_dict(json.loads(json.dumps(inst.to_dict()))) == inst
    fixed = inst.with_changes(theta=0.3)
    assert fixed.theta == 0.3 and fl.Instance.from_dict(fixed.to_dict()) == fixed
    sol = fl.solve(inst).solution
    assert fl.Solution.from_dict(json.loads(json.dumps(sol.to_dict()))) == sol
    assert fl.Instance.json_schema()["type"] == "object"


def test_objective_by_hand() -> None:
    inst = fl.Instance.from_dict(small())
    sol = fl.Solution(0.25, (1e9, 5e8), (0.01, 0.02), (0.5, 0.7))
    a1, a2 = 20.0 * 1e6, 35.0 * 1e6
    e_cp = 0.5 * 2e-28 * (a1 * 1e18 + a2 * 25e16)
    t_cp = max(a1 / 1e9, a2 / 5e8)
    e_co, t_co = 0.01 * 0.5 + 0.02 * 0.7, 0.03
    local = 2.0 * math.log(4.0)
    want = 3.0 / 0.75 * (e_co + local * e_cp + 1.0 * (t_co + local * t_cp))
    assert math.isclose(fl.objective(inst, sol), want, rel_tol=1e-12)
    terms = fl.round_terms(inst, sol)
    assert math.isclose(terms["T_cp"], 0.07) and math.isclose(terms["E_co"], e_co)


def test_verify_catches_each_violation() -> None:
    inst = fl.Instance.from_dict(mutate("devices[1].p_min", 0.05))
    sol = fl.solve(inst).solution
    assert fl.verify(inst, sol) == []

    def names(**changes: Any) -> set[str]:
        d = {**sol.to_dict(), **changes}
        return {v.constraint for v in fl.verify(inst, fl.Solution.from_dict(d))}

    f, t, p = list(sol.frequency), list(sol.upload_time), list(sol.power)
    assert names(frequency=f[:1]) == {"size[frequency]"}
    assert names(theta=1.0) == {"theta"}
    assert names(frequency=[f[0], 3e9]) == {"frequency[1]"}
    assert names(frequency=[f[0], 1e7]) == {"frequency[1]"}            # below f_min
    assert names(upload_time=[t[0], -1.0]) == {"upload_time[1]"}
    assert names(power=[p[0], p[1] * 0.5]) >= {"upload[1]"}              # model not sent
    assert names(power=[p[0] * 1.5, p[1]]) == {"power_consistency[0]"}  # more than tau needs
    # shorter slot with the same power: upload fails; power inconsistent with tau
    assert "upload[0]" in names(upload_time=[t[0] * 0.5, t[1]])
    assert names(power=[p[0], 2.0]) >= {"power[1]"}
    nan_sol = fl.Solution(math.nan, sol.frequency, sol.upload_time, sol.power)
    assert {v.constraint for v in fl.verify(inst, nan_sol)} == {"finite"}
    fixed = inst.with_changes(theta=0.4)
    assert {v.constraint for v in fl.verify(fixed, sol)} == {"theta"}


def test_empty_power_window_is_infeasible_with_reason() -> None:
    inst = fl.Instance.from_dict(mutate("devices[1].p_min", 2.0))    # p_min > p_max = 1
    for name in fl.METHODS:
        res = fl.solve(inst, name)
        assert res.status is Status.INFEASIBLE, name
        assert "device" in res.message and "p_min" in res.message, res.message
        assert "1" in res.message
