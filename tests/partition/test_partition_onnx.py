"""ONNX import: MACs and bytes from shape inference, unknown ops, non-ONNX files."""

from __future__ import annotations

import numpy as np
import pytest

import formulations.partition as P
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.io import load
from edgeopt_solve.system.onnx_import import FORMATS, read_onnx


def _tiny_model(path, extra_op: str | None = None) -> None:
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    w = numpy_helper.from_array(np.zeros((8, 3, 3, 3), dtype=np.float32), "w")
    b = numpy_helper.from_array(np.zeros(8, dtype=np.float32), "b")
    fw = numpy_helper.from_array(np.zeros((10, 8 * 4 * 4), dtype=np.float32), "fw")
    nodes = [
        helper.make_node("Conv", ["x", "w", "b"], ["c"], name="conv", pads=[1, 1, 1, 1]),
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("MaxPool", ["r"], ["p"], name="pool", kernel_shape=[2, 2],
                         strides=[2, 2]),
        helper.make_node("Flatten", ["p"], ["f"], name="flat"),
        helper.make_node("Gemm", ["f", "fw"], ["y"], name="fc", transB=1),
    ]
    out = "y"
    if extra_op:
        nodes.append(helper.make_node(extra_op, ["y"], ["z"], name="mystery",
                                      domain="custom.domain"))
        out = "z"
    graph = helper.make_graph(
        nodes, "tiny", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])],
        [helper.make_tensor_value_info(out, TensorProto.FLOAT, None)], [w, b, fw])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13),
                                                    helper.make_opsetid("custom.domain", 1)])
    onnx.save(model, str(path))


def test_macs_and_bytes(tmp_path) -> None:
    f = tmp_path / "tiny.onnx"
    _tiny_model(f)
    g = read_onnx(f)
    by = {layer.name: layer for layer in g.layers}
    assert by["conv"].macs == 8 * 8 * 8 * 3 * 3 * 3
    assert by["conv"].param_bytes == 4 * (8 * 27 + 8)
    assert by["conv"].output_bytes == 4 * 8 * 8 * 8
    assert by["pool"].output_bytes == 4 * 8 * 4 * 4
    assert by["fc"].macs == 128 * 10 and by["fc"].op == "fc"
    assert by["relu"].inputs == ("conv",)
    assert g.input_bytes == 4 * 3 * 8 * 8
    assert FORMATS["onnx"] is read_onnx


def test_unknown_op_warns_and_gets_zero_macs(tmp_path) -> None:
    f = tmp_path / "odd.onnx"
    _tiny_model(f, extra_op="FancyOp")
    with pytest.warns(UserWarning, match="FancyOp"):
        g = read_onnx(f)
    assert g.layers[-1].macs == 0 and g.layers[-1].inputs == ("fc",)


def test_onnx_instance_solves(tmp_path) -> None:
    f = tmp_path / "tiny.onnx"
    _tiny_model(f)
    loaded = load(f)
    assert loaded.formulation == "partition"
    res = P.solve(loaded.instance)
    assert res.status.value == "optimal"
    inst = P.Instance.from_dict({"model": {"onnx": str(f)}, "tiers": [
        {"name": "d", "compute_rate": 1e9}], "links": []})
    assert inst.n_layers == 5


def test_relative_onnx_path_is_found_next_to_the_instance(tmp_path, monkeypatch) -> None:
    import json

    (tmp_path / "models").mkdir()
    _tiny_model(tmp_path / "models" / "tiny.onnx")
    data = {"model": {"onnx": "models/tiny.onnx"}, "tiers": [
        {"name": "d", "compute_rate": 1e9}, {"name": "e", "compute_rate": 1e11}],
        "links": [{"bandwidth": 1e7, "rtt": 0.01}]}
    (tmp_path / "inst.json").write_text(json.dumps(
        {"formulation": "partition", "version": 1, "data": data}))
    monkeypatch.chdir(tmp_path / "models")  # the relative path does not exist from here
    loaded = load(tmp_path / "inst.json")
    assert loaded.instance.n_layers == 5
    with pytest.raises(InvalidInstanceError, match=r"models/tiny\.onnx"):
        P.Instance.from_dict(data)  # no instance file: nothing to resolve against


def test_non_onnx_file_is_invalid(tmp_path) -> None:
    f = tmp_path / "fake.onnx"
    f.write_bytes(b"this is not a protobuf \x00\xff\xfe garbage" * 10)
    with pytest.raises(InvalidInstanceError, match="not an ONNX model"):
        read_onnx(f)
    with pytest.raises(InvalidInstanceError):
        load(f)
    with pytest.raises(InvalidInstanceError):
        read_onnx(tmp_path / "missing.onnx")
