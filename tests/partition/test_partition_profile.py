"""Partition tiers with measured costs: ``profile`` + ``slowdown`` (issue 4 integration)."""

from __future__ import annotations

import copy
import json
import logging
import subprocess
import sys
from pathlib import Path

import pytest

import formulations.partition as P
from edgeopt_solve.costmodel.experiment import tier_latencies
from edgeopt_solve.costmodel.measured import MeasuredCostModel
from edgeopt_solve.costmodel.profile import load_profile
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.io import load
from edgeopt_solve.status import Status
from edgeopt_solve.system import zoo

ROOT = Path(__file__).resolve().parents[2]
BUNDLED = ROOT / "instances" / "partition"
PROFILE = BUNDLED / "profiles" / "alexnet-cpu.json"
RAW = json.loads(PROFILE.read_text())


def data(**tier0) -> dict:
    tier = {"name": "device", "profile": str(PROFILE), "slowdown": 4.0, **tier0}
    return {"model": "alexnet",
            "tiers": [tier, {"name": "edge", "compute_rate": 5e10}],
            "links": [{"bandwidth": 2e7, "rtt": 0.01}]}


def field_of(d: dict) -> str | None:
    with pytest.raises(InvalidInstanceError) as exc:
        P.Instance.from_dict(d)
    return exc.value.field


def test_committed_profile_is_small_and_valid() -> None:
    assert PROFILE.stat().st_size < 200_000
    prof = load_profile(PROFILE)
    assert prof.model is not None and prof.model.name == "alexnet"
    assert len(prof.layers) == len(zoo.load("alexnet").layers)


def test_measured_demo_uses_the_cost_model_and_loads_from_any_directory(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)  # relative profile path falls back to instances/partition/
    loaded = load(BUNDLED / "measured-demo.json")
    inst = loaded.instance
    raw = json.loads((BUNDLED / "measured-demo.json").read_text())["data"]
    prof = load_profile(PROFILE)
    for k, tier in enumerate(raw["tiers"]):
        assert "profile" in tier
        want = tier_latencies(prof, inst.graph, tier.get("slowdown", 1.0))
        assert inst.latency[k] == pytest.approx(want, rel=1e-12)
    # the phone is 8x the edge, the cloud 1/4 of it, layer by layer
    assert inst.latency[0] == pytest.approx([8 * x for x in inst.latency[1]], rel=1e-12)
    assert inst.latency[2] == pytest.approx([x / 4 for x in inst.latency[1]], rel=1e-12)
    again = P.Instance.from_dict(json.loads(json.dumps(inst.to_dict(), allow_nan=False)))
    assert again == inst
    assert inst.to_dict()["tiers"][0]["profile"] == raw["tiers"][0]["profile"]
    res = P.solve(inst)
    assert res.status is Status.OPTIMAL
    assert res.objective == pytest.approx(loaded.expected, rel=1e-9)
    assert 0 < sum(1 for t in res.solution.tiers if t == 0) < inst.n_layers  # a real split


def test_inline_profile_equals_the_file() -> None:
    a = P.Instance.from_dict(data())
    b = P.Instance.from_dict(data(profile=copy.deepcopy(RAW)))
    assert a.latency == b.latency
    assert P.Instance.from_dict(b.to_dict()) == b
    measured = MeasuredCostModel(load_profile(PROFILE), a.graph, slowdown=4.0)
    assert a.latency[0] == tuple(measured.layer_latency(la) for la in a.graph.layers)


def test_profile_errors_name_the_field(tmp_path: Path) -> None:
    assert field_of(data(profile=str(tmp_path / "nope.json"))) == "tiers[0].profile"
    garbage = tmp_path / "garbage.json"
    garbage.write_text("{not json")
    assert field_of(data(profile=str(garbage))) == "tiers[0].profile"
    bad = copy.deepcopy(RAW)
    bad["runtime"]["threads"] = 0
    assert field_of(data(profile=bad)) == "tiers[0].profile.runtime.threads"
    assert field_of(data(profile={"format": "something-else"})) == "tiers[0].profile.format"
    assert field_of(data(profile="")) == "tiers[0].profile"
    other = {**data(), "model": "resnet18"}  # an AlexNet profile for ResNet-18
    assert field_of(other).startswith("tiers[0].profile")
    assert field_of(data(slowdown=0.0)) == "tiers[0].slowdown"
    assert field_of(data(slowdown=-2.0)) == "tiers[0].slowdown"
    assert field_of(data(latency=[1.0] * 22)) == "tiers[0].latency"
    assert field_of(data(compute_rate=1e9)) == "tiers[0].compute_rate"
    plain = data()
    plain["tiers"][1]["slowdown"] = 2.0  # slowdown without a profile
    assert field_of(plain) == "tiers[1].slowdown"


def test_missing_layers_fall_back_to_the_regression(caplog: pytest.LogCaptureFixture) -> None:
    partial = copy.deepcopy(RAW)
    del partial["layers"]["conv2"]
    assert field_of(data(profile=partial)) == "tiers[0].profile.layers"  # no regression
    partial["regression"] = {"features": ["const", "macs"], "folds": 2, "types": {
        "conv": {"coef": {"const": 1e-3, "macs": 1e-11}, "samples": 4, "cv_mape": 0.1}}}
    with caplog.at_level(logging.WARNING):
        inst = P.Instance.from_dict(data(profile=partial))
    assert "conv2" in caplog.text
    graph = inst.graph
    cm = MeasuredCostModel(load_profile(PROFILE).model_validate(partial), graph, slowdown=4.0)
    v = graph.index["conv2"]
    assert inst.latency[0][v] == pytest.approx(cm.layer_latency(graph.layers[v]), rel=1e-12)
    assert inst.latency[0][v] > 0


def test_partition_imports_without_onnx_and_reads_profiles_without_onnxruntime() -> None:
    code = ("import sys\n"
            "import formulations.partition as P\n"
            "assert 'onnx' not in sys.modules and 'onnxruntime' not in sys.modules\n"
            "from edgeopt_solve.io import load\n"
            f"load({str(BUNDLED / 'measured-demo.json')!r})\n"
            "assert 'onnxruntime' not in sys.modules\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_relative_profile_path_is_found_next_to_the_instance_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A relative profile path means "beside the instance file", whatever the cwd."""
    here = tmp_path / "study"
    (here / "measured").mkdir(parents=True)
    (here / "measured" / "phone.json").write_text(PROFILE.read_text())
    d = data()
    d["tiers"][0]["profile"] = "measured/phone.json"
    (here / "inst.json").write_text(json.dumps({"formulation": "partition", "version": 1,
                                                "data": d}))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    loaded = load(here / "inst.json")
    assert loaded.instance.tiers[0].profile == "measured/phone.json"  # kept as written
    absolute = copy.deepcopy(d)
    absolute["tiers"][0]["profile"] = str(here / "measured" / "phone.json")
    assert loaded.instance.to_dict()["tiers"][0]["profile"] == "measured/phone.json"
    assert P.solve(loaded.instance).objective == pytest.approx(
        P.solve(P.Instance.from_dict(absolute)).objective, rel=1e-12)
    # outside load() nothing says where the file was: the same data names the missing file
    with pytest.raises(InvalidInstanceError, match=r"measured/phone\.json"):
        P.Instance.from_dict(d)
