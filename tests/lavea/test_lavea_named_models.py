"""LAVEA tasks naming a zoo DNN (analytic or measured compute times) and the cloud baseline."""

from __future__ import annotations

import copy
import json
import math
from pathlib import Path

import pytest

import formulations.lavea as L
from edgeopt_solve.costmodel.experiment import tier_latencies
from edgeopt_solve.costmodel.profile import load_profile
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.io import load
from edgeopt_solve.status import Status
from edgeopt_solve.system import zoo
from formulations.lavea.model import Instance

ROOT = Path(__file__).resolve().parents[2]
PROFILE = ROOT / "instances" / "lavea" / "profiles" / "alexnet-cpu.json"


def macs(name: str) -> float:
    return float(sum(layer.macs for layer in zoo.load(name).layers))


def named() -> dict:
    return {
        "objective": "total_completion",
        "servers": [{"name": "front", "bandwidth": 2e7, "compute_rate": 1e11},
                    {"name": "far", "forward_time": 0.02, "bandwidth": 4e7,
                     "compute_rate": 3e11}],
        "cloud": {"bandwidth": 1e7, "rtt": 0.06, "compute_rate": 2e12},
        "tasks": [{"model": "alexnet", "client_rate": 4e9},
                  {"model": "mobilenetv2", "release": 0.1},
                  {"model": "resnet18", "input_bytes": 1e5, "release": 0.2},
                  {"model": "googlenet", "upload": 0.05}],
    }


def field_of(data: dict) -> str | None:
    with pytest.raises(InvalidInstanceError) as exc:
        Instance.from_dict(data)
    return exc.value.field


def test_named_models_give_macs_over_rate_and_input_tensor_bytes() -> None:
    inst = Instance.from_dict(named())
    assert inst.m == 3 and inst.cloud_index == 2
    rates = (1e11, 3e11, 2e12)
    for j, name in enumerate(("alexnet", "mobilenetv2", "resnet18", "googlenet")):
        for s, rate in enumerate(rates):
            assert inst.p2[j][s] == pytest.approx(macs(name) / rate, rel=1e-12)
    size = zoo.load("alexnet").input_bytes
    assert size == 3 * 224 * 224 * 4
    assert inst.p1[0] == pytest.approx((8 * size / 2e7, 8 * size / 4e7 + 0.02,
                                        0.03 + 8 * size / 1e7), rel=1e-12)
    assert inst.p1[2] == pytest.approx((8e5 / 2e7, 8e5 / 4e7 + 0.02, 0.03 + 8e5 / 1e7))
    assert inst.p1[3] == pytest.approx((0.05, 0.07, 0.08))  # seconds given: + rtt/2 to cloud
    assert inst.local_time[0] == pytest.approx(macs("alexnet") / 4e9, rel=1e-12)
    assert Instance.from_dict(json.loads(json.dumps(inst.to_dict(), allow_nan=False))) == inst
    assert inst.to_dict()["cloud"]["rtt"] == 0.06
    res = L.solve(inst, "cpsat", time_limit=30)
    assert res.status is Status.OPTIMAL and L.verify(inst, res.solution) == []


def test_server_profile_gives_measured_times() -> None:
    data = named()
    data["servers"][1].update(profile=str(PROFILE), slowdown=3.0)
    inst = Instance.from_dict(data)
    graph = zoo.load("alexnet")
    want = sum(tier_latencies(load_profile(PROFILE), graph, 3.0))
    assert inst.p2[0][1] == pytest.approx(want, rel=1e-12)
    assert inst.p2[0][0] == pytest.approx(macs("alexnet") / 1e11)  # no profile: analytic
    # the AlexNet profile does not cover mobilenetv2: the rate model is used there
    assert inst.p2[1][1] == pytest.approx(macs("mobilenetv2") / 3e11)
    assert Instance.from_dict(inst.to_dict()) == inst
    many = copy.deepcopy(data)
    many["servers"][1]["profile"] = [str(PROFILE)]
    assert Instance.from_dict(many).p2 == inst.p2


def test_bundled_named_models_instance_uses_its_profile() -> None:
    loaded = load(ROOT / "instances" / "lavea" / "named-models.json")
    inst = loaded.instance
    assert inst.servers[1].profile == "profiles/alexnet-cpu.json"
    want = sum(tier_latencies(load_profile(PROFILE), zoo.load("alexnet"), 2.0))
    assert inst.p2[0][1] == pytest.approx(want, rel=1e-12)


def test_named_model_errors_name_the_field(tmp_path: Path) -> None:
    bad = named()
    bad["tasks"][0]["model"] = "lenet"
    assert field_of(bad) == "tasks[0].model"
    bad = named()
    bad["tasks"][0]["macs"] = 1e9
    assert field_of(bad) == "tasks[0].model"
    bad = named()
    del bad["servers"][1]["compute_rate"]
    assert field_of(bad) == "servers[1].compute_rate"
    bad = named()
    del bad["cloud"]["compute_rate"]
    assert field_of(bad) == "cloud.compute_rate"
    bad = named()
    bad["servers"][0]["profile"] = str(tmp_path / "missing.json")
    assert field_of(bad) == "servers[0].profile"
    bad = named()
    bad["servers"][0]["slowdown"] = 2.0  # without a profile
    assert field_of(bad) == "servers[0].slowdown"
    bad = named()
    bad["servers"][0].update(profile=str(PROFILE), slowdown=0.0)
    assert field_of(bad) == "servers[0].slowdown"
    bad = named()
    bad["cloud"]["bandwidth"] = 0.0
    assert field_of(bad) == "cloud.bandwidth"
    bad = named()
    bad["cloud"]["rtt"] = -1.0
    assert field_of(bad) == "cloud.rtt"
    bad = named()
    bad["cloud"]["name"] = "front"
    assert field_of(bad) == "cloud.name"
    bad = named()
    del bad["cloud"]["bandwidth"]
    assert field_of(bad) == "cloud.bandwidth"


def test_cloud_baseline_is_verified_by_the_evaluator() -> None:
    inst = Instance.from_dict(named())
    res = L.solve(inst, "cloud")
    assert res.status is Status.FEASIBLE
    sol = res.solution
    fifo = sorted(range(inst.n), key=lambda j: (inst.release[j], j))
    assert fifo == [0, 3, 1, 2]
    assert set(sol.location) == {2} and list(sol.order[2]) == fifo
    assert L.verify(inst, sol) == []
    # independent recomputation: FIFO flow shop on the cloud's uplink and CPU
    link = cpu = 0.0
    total = 0.0
    for j in fifo:
        link = max(link, inst.release[j]) + inst.p1[j][2]
        cpu = max(cpu, link) + inst.p2[j][2]
        total += cpu
    assert math.isclose(res.objective, total, rel_tol=1e-12)
    assert math.isclose(L.objective(inst, sol), total, rel_tol=1e-12)
    opt = L.solve(inst, "cpsat", time_limit=30)
    assert opt.objective <= res.objective + 1e-9


def test_cloud_baseline_without_a_cloud_and_on_generated() -> None:
    data = named()
    del data["cloud"]
    res = L.solve(Instance.from_dict(data), "cloud")
    assert res.status is Status.NO_SOLUTION and "cloud" in res.message
    inst = L.generate(6, 2)
    assert inst.cloud_index is not None
    res = L.solve(inst, "cloud")
    assert res.status is Status.FEASIBLE and L.verify(inst, res.solution) == []
    assert set(res.solution.location) <= {inst.cloud_index}
    # tasks given in seconds: cloud compute = fastest edge time / speedup
    c = inst.servers[-1]
    for j in range(inst.n):
        edge = [x for x in inst.p2[j][:-1] if x is not None]
        assert inst.p2[j][-1] == pytest.approx(min(edge) / c.speedup)
        assert inst.p1[j][-1] == pytest.approx(inst.tasks[j].upload + c.rtt / 2)


def test_explicit_cloud_column_and_pins() -> None:
    data = {"servers": [{"name": "front"}],
            "cloud": {"bandwidth": 1e7, "rtt": 0.1, "speedup": 2.0},
            "tasks": [{"upload": [0.1, 0.3], "compute": [0.4, 0.05]},
                      {"upload": 0.2, "compute": 0.4, "server": 0, "local": 1.0}]}
    inst = Instance.from_dict(data)
    assert inst.p1 == ((0.1, 0.3), (0.2, 0.25))
    assert inst.p2 == ((0.4, 0.05), (0.4, 0.2))
    assert inst.allowed[1] == (0,)
    res = L.solve(inst, "cloud")
    assert res.solution.location == (1, 0) and L.verify(inst, res.solution) == []
    assert Instance.from_dict(inst.to_dict()) == inst
    bad = copy.deepcopy(data)
    bad["tasks"][0]["upload"] = [0.1, 0.2, 0.3]
    assert field_of(bad) == "tasks[0].upload"
