"""fl_hierarchical: validation, round trips, bad input and the independent evaluator."""

from __future__ import annotations

import json
import math

import pytest

import formulations.fl_hierarchical as fh
from edgeopt_solve import InvalidInstanceError
from edgeopt_solve.testing import with_value
from formulations.fl_hierarchical.generate import edge_count


def small() -> dict:
    return fh.generate(4, 0).to_dict()


def test_round_trip_dict_and_json() -> None:
    inst = fh.generate(9, 3)
    d = inst.to_dict()
    assert fh.Instance.from_dict(d) == inst
    assert fh.Instance.from_dict(json.loads(json.dumps(d, allow_nan=False))) == inst
    sol = fh.solve(inst, "greedy").solution
    sd = json.loads(json.dumps(sol.to_dict(), allow_nan=False))
    assert fh.Solution.from_dict(sd) == sol


def test_generate_is_deterministic() -> None:
    a = fh.generate(20, 5)
    assert a == fh.generate(20, 5) and a != fh.generate(20, 6)
    assert a.n == 20 and a.m == edge_count(20) == 2
    assert fh.generate(160, 0).m == 20 and fh.generate(3, 0).m == 2
    assert all(any(g is not None for g in d.gains) for d in a.devices)


@pytest.mark.parametrize(("path", "value", "field"), [
    (("devices", 1, "gains", 0), -1e-10, "devices[1].gains[0]"),
    (("devices", 0, "gains", 1), 0.0, "devices[0].gains[1]"),
    (("devices", 2, "gains"), [None, None], "devices[2].gains"),
    (("devices", 2, "gains"), [1e-10], "devices[2].gains"),
    (("devices", 0, "gains"), [1e-10, 1e-10, 1e-10], "devices[0].gains"),
    (("edges", 1, "bandwidth"), 0.0, "edges[1].bandwidth"),
    (("edges", 0, "bandwidth"), -1e6, "edges[0].bandwidth"),
    (("edges", 0, "cloud_time"), -0.1, "edges[0].cloud_time"),
    (("edges", 1, "cloud_energy"), -1.0, "edges[1].cloud_energy"),
    (("edges", 1, "max_devices"), -1, "edges[1].max_devices"),
    (("edges", 1, "position"), [1.0], "edges[1].position"),
    (("devices", 3, "position"), [1.0, 2.0, 3.0], "devices[3].position"),
    (("devices", 0, "f_max"), 0.0, "devices[0].f_max"),
    (("devices", 1, "power"), -0.1, "devices[1].power"),
    (("devices", 2, "samples"), 0, "devices[2].samples"),
    (("devices", 3, "cycles_per_sample"), -5.0, "devices[3].cycles_per_sample"),
    (("noise_psd",), 0.0, "noise_psd"),
    (("model_bits",), -1.0, "model_bits"),
    (("capacitance",), 0.0, "capacitance"),
    (("local_iterations",), 0.0, "local_iterations"),
    (("edge_iterations",), -2.0, "edge_iterations"),
    (("energy_weight",), 0.0, "energy_weight"),
    (("time_weight",), 0.0, "time_weight"),
    (("edges",), [], "edges"),
    (("devices",), [], "devices"),
    (("devices", 0, "gains", 0), "strong", "devices[0].gains[0]"),
    (("edges", 0, "max_devices"), 2.5, "edges[0].max_devices"),
    (("time_weight",), math.nan, "time_weight"),
])
def test_bad_input_names_the_field(path: tuple, value, field: str) -> None:
    with pytest.raises(InvalidInstanceError) as info:
        fh.Instance.from_dict(with_value(small(), path, value))
    assert info.value.field == field, info.value.one_line()


def test_unknown_key_and_missing_key() -> None:
    with pytest.raises(InvalidInstanceError) as info:
        fh.Instance.from_dict({**small(), "colour": "red"})
    assert "colour" in (info.value.field or "")
    data = small()
    del data["devices"][0]["power"]
    with pytest.raises(InvalidInstanceError) as info:
        fh.Instance.from_dict(data)
    assert info.value.field == "devices[0].power"


def test_bad_solution_dict() -> None:
    with pytest.raises(InvalidInstanceError) as info:
        fh.Solution.from_dict({"association": [0, "x"], "frequency": [1.0, 1.0],
                               "bandwidth": [1.0, 1.0]})
    assert info.value.field == "association[1]"


def one_device() -> fh.Instance:
    return fh.Instance.from_dict({
        "model_bits": 1e5, "noise_psd": 4e-21, "capacitance": 2e-28, "local_iterations": 2.0,
        "edge_iterations": 3.0, "energy_weight": 0.5, "time_weight": 2.0,
        "edges": [{"bandwidth": 1e6, "cloud_time": 0.1, "cloud_energy": 0.7},
                  {"bandwidth": 2e6, "cloud_time": 0.2, "cloud_energy": 0.3}],
        "devices": [{"cycles_per_sample": 1e4, "samples": 100.0, "f_max": 1e9, "power": 0.1,
                     "gains": [1e-10, None]}]})


def test_objective_by_hand() -> None:
    inst = one_device()
    sol = fh.Solution((0,), (5e8,), (8e5,))
    comp = 2.0 * 1e4 * 100 / 5e8
    comm = 1e5 / (8e5 * math.log2(1 + 1e-10 * 0.1 / (4e-21 * 8e5)))
    energy = 2.0 * 1e-28 * 1e4 * 100 * 5e8 ** 2 + 0.1 * comm
    cost = 0.5 * (3.0 * energy + 0.7) + 2.0 * (3.0 * (comp + comm) + 0.1)
    assert math.isclose(fh.objective(inst, sol), cost, rel_tol=1e-12)
    assert fh.edge_costs(inst, sol)[1] == 0.0
    assert fh.verify(inst, sol) == []


def test_verify_catches_every_violation() -> None:
    inst = one_device()
    names = {v.constraint for v in fh.verify(inst, fh.Solution((1,), (2e9,), (2e6,)))}
    assert names == {"association[0]", "frequency[0]"}
    assert {v.constraint for v in fh.verify(inst, fh.Solution((0,), (1e9,), (1.5e6,)))} == {
        "bandwidth_total[edge=0]"}
    assert {v.constraint for v in fh.verify(inst, fh.Solution((0,), (0.0,), (-1.0,)))} == {
        "frequency[0]", "bandwidth[0]"}
    assert {v.constraint for v in fh.verify(inst, fh.Solution((5,), (1e9,), (1e5,)))} == {
        "association[0]"}
    assert {v.constraint for v in fh.verify(inst, fh.Solution((0, 0), (1e9,), (1e5,)))} == {
        "size[association]"}
    assert fh.verify(inst, fh.Solution((0,), (math.nan,), (1e5,)))[0].constraint == "finite"
    capped = fh.Instance.from_dict(with_value(fh.generate(4, 0).to_dict(), ("edges", 0, "max_devices"),
                                        1))
    sol = fh.Solution((0, 0, 1, 1), (1e9,) * 4, (1e5,) * 4)
    assert "max_devices[edge=0]" in {v.constraint for v in fh.verify(capped, sol)}


def test_plot_draws_the_association() -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    inst = fh.generate(12, 1)
    sol = fh.solve(inst, "greedy").solution
    fig, ax = plt.subplots()
    fh.plot(inst, sol, ax)
    assert len(ax.collections) == 2 and "12 devices" in ax.get_title()
    no_pos = fh.Instance.from_dict({**inst.to_dict(), "devices": [
        {**d, "position": None} for d in inst.to_dict()["devices"]]})
    fh.plot(no_pos, sol, ax)
    plt.close(fig)
