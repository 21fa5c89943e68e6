"""fl_energy: instance/solution validation, round trips, bad input and the evaluator."""

from __future__ import annotations

import contextlib
import json
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import formulations.fl_energy as fl
from edgeopt_solve import InvalidInstanceError
from edgeopt_solve.testing import with_value


def small() -> dict:
    return fl.generate(3, 0).to_dict()


def test_round_trip_dict_and_json() -> None:
    inst = fl.generate(7, 3)
    d = inst.to_dict()
    assert fl.Instance.from_dict(d) == inst
    assert fl.Instance.from_dict(json.loads(json.dumps(d, allow_nan=False))) == inst
    fixed = inst.with_changes(eta=0.3)
    assert fixed.eta == 0.3 and fl.Instance.from_dict(fixed.to_dict()) == fixed
    sol = fl.solve(inst).solution
    sd = json.loads(json.dumps(sol.to_dict(), allow_nan=False))
    assert fl.Solution.from_dict(sd) == sol


def test_generate_is_deterministic_and_follows_the_preset() -> None:
    a, b = fl.generate(20, 5), fl.generate(20, 5)
    assert a == b and a != fl.generate(20, 6)
    assert a.n == 20 and a.bandwidth == 20e6 and a.kappa == 1e-28
    assert all(1e4 <= d.cycles_per_sample <= 3e4 for d in a.devices)
    assert all(d.samples == 500 and d.f_max == 2e9 for d in a.devices)
    assert math.isclose(a.devices[0].p_max, 0.01) and math.isclose(a.model_bits, 28.1e3)
    assert math.isclose(a.noise_psd, 10 ** (-174 / 10) / 1000)


@pytest.mark.parametrize(("path", "value", "field"), [
    (("devices", 1, "gain"), -1e-10, "devices[1].gain"),
    (("devices", 0, "gain"), 0.0, "devices[0].gain"),
    (("bandwidth",), 0.0, "bandwidth"),
    (("bandwidth",), -5.0, "bandwidth"),
    (("eta",), 0.0, "eta"),
    (("eta",), 1.0, "eta"),
    (("eta",), 1.5, "eta"),
    (("devices", 2, "p_max"), 0.0, "devices[2].p_max"),
    (("devices", 0, "f_max"), -2e9, "devices[0].f_max"),
    (("devices", 0, "samples"), 0, "devices[0].samples"),
    (("devices", 1, "cycles_per_sample"), -3.0, "devices[1].cycles_per_sample"),
    (("deadline",), 0.0, "deadline"),
    (("noise_psd",), -1e-21, "noise_psd"),
    (("model_bits",), 0.0, "model_bits"),
    (("kappa",), 0.0, "kappa"),
    (("local_iter_const",), -1.0, "local_iter_const"),
    (("global_round_const",), 0.0, "global_round_const"),
    (("deadline",), "2", "deadline"),
    (("deadline",), True, "deadline"),
])
def test_bad_input_names_the_field(path: tuple, value: object, field: str) -> None:
    with pytest.raises(InvalidInstanceError) as info:
        fl.Instance.from_dict(with_value(small(), path, value))
    assert info.value.field == field, info.value.one_line()


def test_bad_input_structure() -> None:
    data = small()
    data["devices"] = []
    with pytest.raises(InvalidInstanceError) as info:
        fl.Instance.from_dict(data)
    assert info.value.field == "devices"
    data = small()
    data["extra"] = 1
    with pytest.raises(InvalidInstanceError):
        fl.Instance.from_dict(data)
    data = small()
    del data["devices"][0]["gain"]
    with pytest.raises(InvalidInstanceError) as info:
        fl.Instance.from_dict(data)
    assert info.value.field == "devices[0].gain"
    for bad in (None, [], "x", 3):
        with pytest.raises(InvalidInstanceError):
            fl.Instance.from_dict(bad)
    with pytest.raises(InvalidInstanceError):
        fl.Solution.from_dict({"eta": 0.5, "frequency": [1.0], "power": "x",
                               "bandwidth": [1.0], "upload_time": [1.0]})


json_values = st.recursive(
    st.none() | st.booleans() | st.floats(allow_nan=True) | st.integers() | st.text(max_size=5),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(
        st.sampled_from(["bandwidth", "devices", "gain", "eta", "p_max", "x"]), children,
        max_size=5),
    max_leaves=15)


@settings(max_examples=150, deadline=None)
@given(json_values)
def test_fuzz_from_dict_only_raises_invalid_instance(value: object) -> None:
    with contextlib.suppress(InvalidInstanceError):
        fl.Instance.from_dict(value)


@settings(max_examples=60, deadline=None)
@given(st.sampled_from(["bandwidth", "deadline", "eta", "gain", "p_max"]),
       st.one_of(st.floats(allow_nan=True, allow_infinity=True), st.integers(), st.none(),
                 st.text(max_size=3)))
def test_fuzz_field_values(key: str, value: object) -> None:
    data = small()
    if key in ("gain", "p_max"):
        data["devices"][0][key] = value
    else:
        data[key] = value
    try:
        inst = fl.Instance.from_dict(data)
    except InvalidInstanceError:
        return
    assert fl.Instance.from_dict(inst.to_dict()) == inst


def test_objective_by_hand() -> None:
    inst = fl.Instance.from_dict({
        "bandwidth": 1e6, "noise_psd": 1e-20, "deadline": 10.0, "model_bits": 1e4,
        "kappa": 1e-28, "local_iter_const": 2.0, "global_round_const": 4.0, "eta": None,
        "devices": [{"cycles_per_sample": 1e4, "samples": 100, "gain": 1e-10, "p_max": 0.1,
                     "f_max": 1e9}]})
    sol = fl.Solution(0.5, (5e8,), (0.05,), (1e5,), (0.2,))
    rounds, local = 4.0 / 0.5, 2.0 * 1.0
    expected = rounds * (local * 1e-28 * 1e4 * 100 * 5e8 ** 2 + 0.05 * 0.2)
    assert math.isclose(fl.objective(inst, sol), expected, rel_tol=1e-12)
    assert fl.completion_times(inst, sol) == pytest.approx([rounds * (local * 1e6 / 5e8 + 0.2)])
    assert fl.verify(inst, sol) == []


def violated(inst: fl.Instance, sol: fl.Solution) -> set[str]:
    return {v.constraint.split("[")[0] for v in fl.verify(inst, sol)}


def test_verify_catches_each_violation() -> None:
    inst = fl.generate(4, 1)
    sol = fl.solve(inst).solution
    assert fl.verify(inst, sol) == []

    def change(**kw: object) -> fl.Solution:
        d = sol.to_dict()
        d.update(kw)
        return fl.Solution.from_dict(d)

    f = list(sol.frequency)
    f[0] = inst.devices[0].f_max * 1.01
    assert "frequency" in violated(inst, change(frequency=f))
    p = list(sol.power)
    p[1] = inst.devices[1].p_max * 2
    assert "power" in violated(inst, change(power=p))
    p[1] = sol.power[1] * 0.5
    assert "upload" in violated(inst, change(power=p))
    b = [x * 1.1 for x in sol.bandwidth]
    assert "bandwidth_total" in violated(inst, change(bandwidth=b))
    t = list(sol.upload_time)
    t[2] *= 1.5
    assert "deadline" in violated(inst, change(upload_time=t))
    f = list(sol.frequency)
    f[3] *= 0.9
    assert "deadline" in violated(inst, change(frequency=f))
    assert "eta" in violated(inst, change(eta=1.0))
    assert "size" in violated(inst, change(power=list(sol.power)[:2]))
    nan_sol = fl.Solution(sol.eta, sol.frequency, sol.power, (math.nan,) * 4, sol.upload_time)
    assert "finite" in violated(inst, nan_sol)
    with pytest.raises(InvalidInstanceError):
        change(bandwidth=[math.nan] * 4)
    fixed = inst.with_changes(eta=0.25)
    assert "eta" in violated(fixed, change(eta=0.3))
    b = list(sol.bandwidth)
    b[0] = 0.0
    assert "bandwidth" in violated(inst, change(bandwidth=b))
