"""Instance validation, round trips, bad input and infeasibility."""

from __future__ import annotations

import copy
import json

import pytest

import formulations.partition as P
from edgeopt_solve import Status
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.testing import DELETE, with_value

BASE = {
    "model": {"name": "m", "input_bytes": 1000.0, "layers": [
        {"name": "a", "op": "conv", "macs": 1e6, "param_bytes": 100.0, "output_bytes": 500.0},
        {"name": "b", "op": "conv", "macs": 2e6, "param_bytes": 100.0, "output_bytes": 50.0,
         "inputs": ["a"]},
    ]},
    "tiers": [{"name": "device", "compute_rate": 1e9, "power": 2.0},
              {"name": "cloud", "latency": [1e-4, 1e-4]}],
    "links": [{"bandwidth": 1e6, "rtt": 0.01, "tx_power": 1.0}],
}


def bad(path: list, value) -> dict:
    return with_value(BASE, path, value)


def test_round_trip_zoo_and_inline() -> None:
    for data in (BASE, {**BASE, "model": "alexnet", "tiers": [
            {"name": "device", "compute_rate": 1e9}, {"name": "cloud", "compute_rate": 1e11}]}):
        inst = P.Instance.from_dict(data)
        again = P.Instance.from_dict(json.loads(json.dumps(inst.to_dict(), allow_nan=False)))
        assert again == inst


def test_latency_by_name_and_unsorted_spec() -> None:
    data = copy.deepcopy(BASE)
    data["model"]["layers"].reverse()  # b listed before a: sorted topologically
    data["tiers"][1]["latency"] = {"a": 1e-4, "b": 2e-4}
    inst = P.Instance.from_dict(data)
    assert [layer.name for layer in inst.graph.layers] == ["a", "b"]
    assert inst.latency[1] == (1e-4, 2e-4)


@pytest.mark.parametrize(("data", "field"), [
    (bad(["model", "layers", 0, "inputs"], ["b"]), "model.layers"),                # cycle
    (bad(["model", "layers", 1, "macs"], -5.0), "model.layers[1].macs"),
    (bad(["tiers", 1, "latency"], [1e-4]), "tiers[1].latency"),                     # missing
    (bad(["tiers", 1, "latency"], {"a": 1e-4}), "tiers[1].latency"),
    (bad(["tiers", 1, "latency"], DELETE), "tiers[1].latency"),                    # no model
    (bad(["links", 0, "bandwidth"], 0.0), "links[0].bandwidth"),                     # zero bw
    (bad(["links"], []), "links"),
    (bad(["model", "layers", 1, "inputs"], ["zzz"]), "model.layers[1].inputs"),
    (bad(["model"], "no-such-net"), "model"),
    (bad(["input_tier"], 5), "input_tier"),
    (bad(["pinned"], {"a": 3}), "pinned.a"),
    (bad(["pinned"], {"q": 0}), "pinned.q"),
    (bad(["tiers", 0, "compute_rate"], -1.0), "tiers[0].compute_rate"),
    (bad(["links", 0, "rtt"], "fast"), "links[0].rtt"),
    (bad(["objective"], "speed"), "objective"),
    (bad(["model", "layers", 0, "macs"], float("nan")), "model"),
])
def test_bad_input_names_the_field(data: dict, field: str) -> None:
    with pytest.raises(InvalidInstanceError) as info:
        P.Instance.from_dict(data)
    assert field in (info.value.field or ""), info.value.one_line()


def test_accuracy_objective_needs_slo() -> None:
    with pytest.raises(InvalidInstanceError) as info:
        P.Instance.from_dict({**BASE, "objective": "accuracy"})
    assert info.value.field == "latency_slo"


def test_memory_too_small_everywhere_is_infeasible_naming_the_layer() -> None:
    data = copy.deepcopy(BASE)
    data["model"]["layers"][1]["param_bytes"] = 1e6
    for t in data["tiers"]:
        t["memory"] = 1e3
    inst = P.Instance.from_dict(data)
    for method in ("mincut", "milp", "jointdnn", "dads", "neurosurgeon"):
        res = P.solve(inst, method)
        assert res.status is Status.INFEASIBLE, method
        assert "'b'" in res.message
    assert P.brute_force(inst) == (Status.INFEASIBLE, None)


def test_verify_reports_wrong_size_and_range() -> None:
    inst = P.Instance.from_dict(BASE)
    assert P.verify(inst, P.Solution((0,)))
    assert P.verify(inst, P.Solution((0, 7)))
    assert P.verify(inst, P.Solution((1, 0)))  # data would move back down (monotone)
    assert P.verify(inst, P.Solution((0, 1))) == []
    with pytest.raises(InvalidInstanceError):
        P.Solution.from_dict({"tiers": [0, -1]})


def test_objective_by_hand() -> None:
    inst = P.Instance.from_dict(BASE)
    # a on device (1 ms), b in cloud (0.1 ms); a's 500 B over 1 Mbit/s + rtt/2
    t_link = 0.005 + 8 * 500 / 1e6
    lat = 1e-3 + 1e-4 + t_link
    assert P.objective(inst, P.Solution((0, 1))) == pytest.approx(lat)
    e = P.Instance.from_dict({**BASE, "objective": "energy"})
    assert P.objective(e, P.Solution((0, 1))) == pytest.approx(2.0 * 1e-3 + 1.0 * t_link)
    thr = P.Instance.from_dict({**BASE, "objective": "throughput"})
    assert P.objective(thr, P.Solution((0, 1))) == pytest.approx(max(1e-3, 1e-4, t_link))


def test_bundled_instances_reach_their_expected_optimum() -> None:
    from pathlib import Path

    from edgeopt_solve.io import load

    root = Path(__file__).resolve().parents[2] / "instances" / "partition"
    files = sorted(root.glob("*.json"))
    assert any(f.name == "demo.json" for f in files) and len(files) >= 3
    for f in files:
        loaded = load(f)
        res = P.solve(loaded.instance, "milp", time_limit=30)
        assert res.status is Status.OPTIMAL, f.name
        assert res.objective == pytest.approx(loaded.expected, rel=1e-6), f.name
    demo = load(root / "demo.json")
    res = P.solve(demo.instance)
    assert res.status is Status.OPTIMAL and res.runtime < 2.0
    assert res.objective == pytest.approx(demo.expected, rel=1e-9)


def test_critical_path_overlaps_branches() -> None:
    data = {
        "model": {"input_bytes": 0.0, "layers": [
            {"name": "a", "op": "conv", "macs": 0.0, "output_bytes": 1e6},
            {"name": "b", "op": "conv", "macs": 0.0, "output_bytes": 1e6, "inputs": ["a"]},
            {"name": "c", "op": "conv", "macs": 0.0, "output_bytes": 1e6, "inputs": ["a"]},
            {"name": "d", "op": "add", "macs": 0.0, "output_bytes": 0.0, "inputs": ["b", "c"]}]},
        "tiers": [{"name": "device", "latency": [1.0, 2.0, 3.0, 1.0]},
                  {"name": "cloud", "latency": [0.5, 0.5, 0.5, 0.5]}],
        "links": [{"bandwidth": 8e6, "rtt": 0.5}],  # 1 MB: 0.25 + 1.0 s
        "objective": "critical_path"}
    inst = P.Instance.from_dict(data)
    assert P.objective(inst, P.Solution((0, 0, 0, 0))) == pytest.approx(5.0)
    # a, b on the device; c, d in the cloud: c starts at 1 + 1.25, d waits for b (3 + 1.25)
    assert P.objective(inst, P.Solution((0, 0, 1, 1))) == pytest.approx(4.75)
    seq = P.Instance.from_dict({**data, "objective": "latency"})
    assert P.objective(seq, P.Solution((0, 0, 0, 0))) == pytest.approx(7.0)
    best = P.solve(inst, "milp")
    assert best.status is Status.OPTIMAL
    assert best.objective == pytest.approx(P.objective(inst, P.brute_force(inst)[1]))


@pytest.mark.parametrize(("mutate", "fragment"), [
    (lambda d: d["model"]["layers"][0].update(inputs=["b"]), "cycle"),
    (lambda d: d["model"]["layers"][1].update(macs=-1.0), "model.layers[1].macs"),
    (lambda d: d["tiers"][1].update(latency=[1e-4]), "tiers[1].latency"),
    (lambda d: d["links"][0].update(bandwidth=0.0), "links[0].bandwidth"),
])
def test_cli_bad_input_exits_2(tmp_path, mutate, fragment) -> None:
    from typer.testing import CliRunner

    from edgeopt_solve.cli import app

    data = copy.deepcopy(BASE)
    mutate(data)
    f = tmp_path / "bad.json"
    f.write_text(json.dumps({"formulation": "partition", "version": 1, "data": data}))
    res = CliRunner().invoke(app, ["solve", str(f)])
    assert res.exit_code == 2
    assert fragment in res.output and "Traceback" not in res.output


def test_cli_non_onnx_file_exits_2(tmp_path) -> None:
    from typer.testing import CliRunner

    from edgeopt_solve.cli import app

    f = tmp_path / "model.onnx"
    f.write_text("definitely not protobuf")
    res = CliRunner().invoke(app, ["solve", str(f)])
    assert res.exit_code == 2 and "not an ONNX model" in res.output
