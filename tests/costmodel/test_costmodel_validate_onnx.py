"""`validate` on a user's ONNX file (tensor names != layer names) and with input_tier != 0."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

pytest.importorskip("formulations.partition")
onnx = pytest.importorskip("onnx")

from edgeopt_solve.cli import app  # noqa: E402
from edgeopt_solve.costmodel.validate import (  # noqa: E402
    hops,
    onnx_flow,
    plan_from_cut,
    random_input,
    split,
    stages,
)
from edgeopt_solve.system.onnx_import import read_onnx  # noqa: E402

RUN = ("--runs", "2", "--warmup", "1", "--emulation", "padding")


def _user_model(path):
    """conv -> relu -> conv, a residual Add of the two, relu, pool, flatten, gemm (bias from a
    Constant node); two nodes unnamed, a symbolic batch dimension."""
    from onnx import TensorProto, helper, numpy_helper

    rng = np.random.default_rng(0)

    def init(name, shape):
        return numpy_helper.from_array((0.2 * rng.standard_normal(shape)).astype(np.float32),
                                       name)

    nodes = [
        helper.make_node("Conv", ["X", "w1", "b1"], ["t_conv1"], name="c1", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["t_conv1"], ["t_relu"]),
        helper.make_node("Conv", ["t_relu", "w2"], ["t_conv2"], name="c2", pads=[1, 1, 1, 1]),
        helper.make_node("Add", ["t_relu", "t_conv2"], ["t_add"], name="add"),
        helper.make_node("Relu", ["t_add"], ["t_relu2"]),
        helper.make_node("GlobalAveragePool", ["t_relu2"], ["t_pool"], name="pool"),
        helper.make_node("Flatten", ["t_pool"], ["t_flat"], name="flat"),
        helper.make_node("Constant", [], ["gb"],
                         value=numpy_helper.from_array(np.ones(10, np.float32), "gbv")),
        helper.make_node("Gemm", ["t_flat", "gw", "gb"], ["Y"], name="fc", transB=1),
    ]
    g = helper.make_graph(
        nodes, "userbranch",
        [helper.make_tensor_value_info("X", TensorProto.FLOAT, ["N", 3, 16, 16])],
        [helper.make_tensor_value_info("Y", TensorProto.FLOAT, ["N", 10])],
        [init("w1", [8, 3, 3, 3]), init("b1", [8]), init("w2", [8, 8, 3, 3]),
         init("gw", [10, 8])])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)])
    onnx.checker.check_model(model)
    onnx.save(model, str(path))
    return model


def _write_instance(tmp_path, name, **data):
    p = tmp_path / f"{name}.json"
    p.write_text(json.dumps({"formulation": "partition", "version": 1, "name": name,
                             "data": {"model": {"onnx": "model.onnx"}, **data}}))
    return p


def _solve(tmp_path, inst):
    out = tmp_path / "sols"
    res = CliRunner().invoke(app, ["solve", str(inst), "-m", "mincut", "--out", str(out)])
    assert res.exit_code == 0, res.output
    (sol,) = out.glob(f"{inst.stem}.mincut.solution.json")
    return sol, json.loads(sol.read_text())["solution"]["tiers"]


def _validate(*args):
    return CliRunner().invoke(app, ["validate", *map(str, args)])


@pytest.fixture
def user(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # the instance names the model by a relative path
    return _user_model(tmp_path / "model.onnx")


def test_onnx_flow_maps_layers_to_nodes_and_split_reproduces_the_output(user, tmp_path):
    from edgeopt_solve.costmodel.profiler import make_session

    g = read_onnx("model.onnx")
    proto, flow = onnx_flow(user, g)
    assert [n.name for n in proto.graph.node if n.op_type != "Constant"] == \
        [la.name for la in g.layers]
    assert "relu_1" in g.index and flow.inputs == ("X",)
    add = dict(zip((la.name for la in g.layers), flow.reads, strict=True))["add"]
    assert add == (("t_relu", "relu_1"), ("t_conv2", "c2"))
    tiers = plan_from_cut(g, ["c2"])  # c1, relu, c2 on the device: t_relu and t_conv2 cross
    (hop,) = hops(g, tiers, (), flow)
    assert hop.tensors == ("t_conv2", "t_relu") and hop.nbytes == 2 * 8 * 16 * 16 * 4
    st = stages(g, tiers, flow)
    assert st[0].inputs == ("X",) and st[1].outputs == ("Y",)
    feeds = random_input(proto, 0)
    assert feeds["X"].shape == (1, 3, 16, 16)  # symbolic batch -> 1
    ref = make_session(proto, 1, optimise=True).run(["Y"], feeds)[0]
    tensors = dict(feeds)
    for _stage, path in split(proto, g, tiers, tmp_path, flow):
        sess = make_session(onnx.load(path), 1, optimise=True)
        names = [o.name for o in sess.get_outputs()]
        tensors.update(zip(names, sess.run(names, {i.name: tensors[i.name]
                                                   for i in sess.get_inputs()}), strict=True))
    assert np.allclose(tensors["Y"], ref, atol=1e-5)


def test_validate_a_solved_plan_of_a_user_onnx_file(user, tmp_path):
    inst = _write_instance(
        tmp_path, "user", pinned={"c1": 0},
        tiers=[{"name": "device", "compute_rate": 1e7}, {"name": "edge", "compute_rate": 1e11}],
        links=[{"bandwidth": 1e8, "rtt": 0.001}])
    sol, tiers = _solve(tmp_path, inst)
    assert tiers[0] == 0 and max(tiers) == 1  # a real split: something crosses link 0
    res = _validate(inst, sol, *RUN, "--json")
    assert res.exit_code == 0, res.output
    assert "model.onnx" in res.output  # the note naming the user's file
    rep = json.loads(res.output[res.output.index("{"):])
    assert rep["outputs_match"] and rep["tiers"] == tiers and rep["max_abs_diff"] < 1e-4
    names = [r["stage"] for r in rep["stages"]]
    assert names[0].startswith("tier 0 compute") and names[1].startswith("link 0") \
        and names[2].startswith("tier 1 compute") and len(names) == 3
    assert all(r["predicted"] > 0 and r["measured"] > 0 for r in rep["stages"])


def test_plan_cutting_a_tensor_that_does_not_exist(user, tmp_path):
    inst = _write_instance(
        tmp_path, "user",
        tiers=[{"name": "device", "compute_rate": 1e9}, {"name": "edge", "compute_rate": 1e10}],
        links=[{"bandwidth": 1e8, "rtt": 0.001}])
    res = _validate(inst, "--cut", "t_relu,t_nope", *RUN)
    assert res.exit_code == 2
    line = [s for s in res.output.splitlines() if s.startswith("error")]
    assert len(line) == 1 and "'t_nope' does not exist" in line[0] and "--cut[1]" in line[0]
    # an existing tensor name (not a layer name) cuts there
    res = _validate(inst, "--cut", "t_relu", *RUN, "--json")
    assert res.exit_code == 0, res.output
    rep = json.loads(res.output[res.output.index("{"):])
    assert rep["tiers"] == [0, 0, 1, 1, 1, 1, 1, 1] and rep["outputs_match"]
    # a plan from another model (wrong length) is one line naming the solution field
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"formulation": "partition", "solution": {"tiers": [0, 1]}}))
    res = _validate(inst, bad)
    assert res.exit_code == 2 and "solution.tiers" in res.output


def test_validate_with_the_input_on_a_later_tier(user, tmp_path):
    inst = _write_instance(
        tmp_path, "later", input_tier=1, return_result=True, pinned={"c1": 1},
        tiers=[{"name": "sensor", "compute_rate": 1e6}, {"name": "device", "compute_rate": 1e7},
               {"name": "cloud", "compute_rate": 1e11}],
        links=[{"bandwidth": 1e7, "rtt": 0.002}, {"bandwidth": 1e8, "rtt": 0.002}])
    sol, tiers = _solve(tmp_path, inst)
    assert min(tiers) == 1 and max(tiers) == 2
    res = _validate(inst, sol, *RUN)
    assert res.exit_code == 0, res.output
    assert "outputs equal the unsplit model's: True" in res.output
    assert "input starts on tier 1" in res.output and "generates" in res.output
    assert "return to tier 0" in res.output and "tier 0 compute" not in res.output
    rows = [ln for ln in res.output.splitlines() if ln.startswith("│ ")]
    for stage in ("tier 1 compute", "link 1", "tier 2 compute", "return to tier 0",
                  "end-to-end"):  # a predicted and a measured number per stage
        (row,) = [r for r in rows if stage in r]
        assert len([c for c in row.split("│") if c.strip()]) == 4, row
    # a layer reading the input below its tier would move data back: exit 2 naming it
    back = tmp_path / "back.json"
    back.write_text(json.dumps({"formulation": "partition",
                                "solution": {"tiers": [0, *tiers[1:]]}}))
    res = _validate(inst, back)
    assert res.exit_code == 2 and "solution.tiers[0]" in res.output \
        and "starts on tier 1" in res.output
