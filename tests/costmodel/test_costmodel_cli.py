"""`profile` and `validate` commands: happy paths and one-line errors with exit 2."""

from __future__ import annotations

import json

import pytest
import typer
from typer.testing import CliRunner

from edgeopt_solve.costmodel.cli import register
from edgeopt_solve.costmodel.onnx_build import build_onnx, save_model
from edgeopt_solve.costmodel.samples import tiny_cnn


@pytest.fixture(scope="module")
def app():
    a = typer.Typer()
    register(a)
    return a


def _run(app, *args):
    return CliRunner().invoke(app, list(map(str, args)))


def test_profile_an_onnx_file(app, tmp_path):
    path = save_model(build_onnx(tiny_cnn()), tmp_path / "tiny.onnx")
    out = tmp_path / "p.json"
    res = _run(app, "profile", path, "--runs", 2, "--warmup", 0, "--segments", 2, "--out", out)
    assert res.exit_code == 0, res.output
    prof = json.loads(out.read_text())
    assert prof["model"]["name"] == "tiny" and prof["layers"]["conv1"]["median"] > 0
    assert prof["serialisation"]["per_byte"] >= 0
    # segments of a user ONNX file (tensor names differ from node names) and their fusion gain
    assert len(prof["segments"]) == 2 * 2 + 1 and "fusion gain" in res.output
    assert prof["energy"]["source"] in ("rapl", "model") and "energy:" in res.output


@pytest.mark.parametrize("args, text", [
    (["profile", "no-such-model"], "MODEL"),
    (["profile", "alexnet", "--runs", "0"], "--runs"),
    (["profile", "alexnet", "--threads", "0"], "--threads"),
    (["profile", "alexnet", "--segments", "-1"], "--segments"),
])
def test_profile_bad_input(app, args, text):
    res = _run(app, *args)
    assert res.exit_code == 2
    assert text in res.output and "Traceback" not in res.output


def test_profile_non_onnx_file(app, tmp_path):
    bad = tmp_path / "x.onnx"
    bad.write_bytes(b"\x00garbage")
    res = _run(app, "profile", bad)
    assert res.exit_code == 2 and "not a valid ONNX model" in res.output and str(bad) in res.output


def _instance(tmp_path, g):
    inst = {"formulation": "partition", "version": 1, "name": "tiny", "data": {
        "model": g.to_dict(),
        "tiers": [{"name": "device", "compute_rate": 1e9}, {"name": "edge", "compute_rate": 2e9}],
        "links": [{"bandwidth": 2e7, "rtt": 0.002}]}}
    p = tmp_path / "inst.json"
    p.write_text(json.dumps(inst))
    return p


def _solution(tmp_path, tiers, name="sol.json"):
    p = tmp_path / name
    p.write_text(json.dumps({"formulation": "partition", "solution": {"tiers": tiers}}))
    return p


def test_validate_runs_a_plan(app, tmp_path):
    pytest.importorskip("formulations.partition")
    g = tiny_cnn()
    inst = _instance(tmp_path, g)
    sol = _solution(tmp_path, [0] * 8 + [1] * (len(g.layers) - 8))
    res = _run(app, "validate", inst, sol, "--runs", 3, "--warmup", 1, "--json")
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output)
    assert rep["outputs_match"] and rep["tiers"][:8] == [0] * 8
    assert rep["stages"][0]["predicted"] > 0 and rep["measured"] > 0


def test_validate_bad_inputs(app, tmp_path):
    pytest.importorskip("formulations.partition")
    g = tiny_cnn()
    inst = _instance(tmp_path, g)
    back = _solution(tmp_path, [1] * 8 + [0] * (len(g.layers) - 8), "back.json")
    res = _run(app, "validate", inst, back)
    assert res.exit_code == 2 and "back.json" in res.output and "solution.tiers[8]" in res.output
    short = _solution(tmp_path, [0, 1], "short.json")
    res = _run(app, "validate", inst, short)
    assert res.exit_code == 2 and "solution.tiers" in res.output
    res = _run(app, "validate", inst, short, "--slowdown", "x")
    assert res.exit_code == 2
    prof = tmp_path / "p.json"
    prof.write_text('{"format": "edgeopt-profile", "version": 1}')
    ok = _solution(tmp_path, [0] * len(g.layers), "ok.json")
    res = _run(app, "validate", inst, ok, "--profile", prof)
    assert res.exit_code == 2 and "p.json" in res.output and "date" in res.output
    other = tmp_path / "other.json"
    res = _run(app, "profile", "mobilenetv2", "--runs", 1, "--warmup", 0, "--segments", 0,
               "--out", other)
    assert res.exit_code == 0, res.output
    res = _run(app, "validate", inst, ok, "--profile", other)
    assert res.exit_code == 2 and "other.json" in res.output and "model.name" in res.output
    res = _run(app, "validate", tmp_path / "missing.json", ok)
    assert res.exit_code == 2 and "file not found" in res.output


def test_validate_three_tiers_with_result_return(app, tmp_path):
    pytest.importorskip("formulations.partition")
    g = tiny_cnn()
    data = {"model": g.to_dict(), "return_result": True,
            "tiers": [{"name": "device", "compute_rate": 1e9},
                      {"name": "edge", "compute_rate": 2e9},
                      {"name": "cloud", "compute_rate": 4e9}],
            "links": [{"bandwidth": 2e7, "rtt": 0.002}, {"bandwidth": 5e7, "rtt": 0.01}],
            "direct_links": [{"src": 2, "dst": 0, "bandwidth": 1e7, "rtt": 0.03}]}
    inst = tmp_path / "three.json"
    inst.write_text(json.dumps({"formulation": "partition", "version": 1, "name": "three",
                                "data": data}))
    sol = _solution(tmp_path, [0] * 4 + [1] * 4 + [2] * (len(g.layers) - 8))
    res = _run(app, "validate", inst, sol, "--runs", 3, "--warmup", 1, "--json",
               "--emulation", "padding")
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output[res.output.index("{"):])
    assert rep["outputs_match"] and rep["return_result"] and rep["emulation_mode"] == "padding"
    names = [r["stage"] for r in rep["stages"]]
    assert [n.split(" (")[0] for n in names] == [
        "tier 0 compute", "link 0", "tier 1 compute", "link 1", "tier 2 compute",
        "return to tier 0"]
    assert names[-1].startswith("return to tier 0 (10 Mbit/s")  # the direct link 2 -> 0
    back = rep["stages"][-1]
    assert back["measured"] == pytest.approx(back["predicted"], rel=0.3)
    assert "result returned to the device: yes" not in res.output  # --json: no table
    # without the direct link the result is relayed 2 -> 1 -> 0: one store-and-forward link
    from edgeopt_solve.costmodel.experiment import return_route
    from formulations import partition

    data.pop("direct_links")
    relayed = partition.Instance.from_dict(data)
    bw, rtt = return_route(relayed, 2)
    assert bw == pytest.approx(1 / (1 / 2e7 + 1 / 5e7)) and rtt == pytest.approx(0.012)
    assert return_route(relayed, 0) is None
    assert return_route(partition.Instance.from_dict({**data, "return_result": False}), 2) \
        is None
    res = _run(app, "validate", inst, sol, "--emulation", "fast")
    assert res.exit_code == 2 and "--emulation" in res.output
