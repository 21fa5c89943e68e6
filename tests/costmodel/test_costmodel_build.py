"""DnnGraph -> ONNX: runnable, shapes as declared, deterministic; bad graphs rejected."""

from __future__ import annotations

import numpy as np
import pytest

from edgeopt_solve.costmodel.onnx_build import (
    build_onnx,
    expected_shape,
    graph_from_onnx,
    load_onnx,
    random_input,
    save_model,
)
from edgeopt_solve.costmodel.profiler import make_session
from edgeopt_solve.costmodel.samples import tiny_chain, tiny_cnn
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system import zoo
from edgeopt_solve.system.dnn import DnnGraph, Layer


def _inferred_shapes(model):
    import onnx

    inf = onnx.shape_inference.infer_shapes(model)
    out = {}
    for vi in [*inf.graph.value_info, *inf.graph.output]:
        out[vi.name] = tuple(d.dim_value for d in vi.type.tensor_type.shape.dim)
    return out


@pytest.mark.parametrize("graph", [tiny_cnn(), tiny_chain(), tiny_cnn(width=4, hw=17)])
def test_runs_and_every_layer_has_its_declared_shape(graph):
    model = build_onnx(graph)
    shapes = _inferred_shapes(model)
    for layer in graph.layers:
        assert shapes[layer.name] == (1, *expected_shape(layer)), layer.name
    sess = make_session(model, 1, optimise=False)
    # ask ORT for every layer's tensor: real execution must give the declared shapes
    import onnx

    m2 = onnx.ModelProto()
    m2.CopyFrom(model)
    known = {o.name for o in m2.graph.output}
    for layer in graph.layers:
        if layer.name not in known:
            m2.graph.output.append(onnx.helper.make_tensor_value_info(
                layer.name, onnx.TensorProto.FLOAT, None))
    sess = make_session(m2, 1, optimise=False)
    names = [o.name for o in sess.get_outputs()]
    res = dict(zip(names, sess.run(names, random_input(model)), strict=True))
    for layer in graph.layers:
        assert res[layer.name].shape == (1, *expected_shape(layer))
        assert np.isfinite(res[layer.name]).all()


@pytest.mark.parametrize("name", ["resnet18", "mobilenetv2", "googlenet"])
def test_zoo_models_build_with_exact_shapes(name):
    graph = zoo.load(name)
    shapes = _inferred_shapes(build_onnx(graph))
    for layer in graph.layers:
        assert shapes[layer.name] == (1, *expected_shape(layer)), layer.name


def test_deterministic_weights():
    a, b = build_onnx(tiny_cnn(), seed=3), build_onnx(tiny_cnn(), seed=3)
    assert a.SerializeToString() == b.SerializeToString()
    assert build_onnx(tiny_cnn(), seed=4).SerializeToString() != a.SerializeToString()


def test_graph_from_onnx_round_trip(tmp_path):
    g = tiny_chain()
    path = save_model(build_onnx(g), tmp_path / "m.onnx")
    back = graph_from_onnx(load_onnx(path), "m")
    assert [la.name for la in back.layers if "__" not in la.name] == [la.name for la in g.layers]
    conv = back.layers[back.index["conv1"]]
    assert conv.op == "conv" and conv.macs == g.layers[0].macs
    assert back.input_bytes == g.input_bytes


def test_non_onnx_file_is_rejected(tmp_path):
    bad = tmp_path / "x.onnx"
    bad.write_text("this is not a protobuf")
    with pytest.raises(InvalidInstanceError, match="not a valid ONNX model") as exc:
        load_onnx(bad)
    assert exc.value.source == str(bad)
    with pytest.raises(InvalidInstanceError, match="file not found"):
        load_onnx(tmp_path / "missing.onnx")


def _conv(name, out_shape, **kw):
    attrs = {"out_shape": out_shape, "kernel": 3, "stride": 1, "pad": 1, "groups": 1,
             "in_channels": 3, "out_channels": 4, "bias": True, **kw}
    return Layer(name, "conv", 1.0, 0.0, 4.0, (), attrs)


def test_shape_disagreeing_with_out_shape_names_the_layer():
    g = DnnGraph("bad", (_conv("c", [4, 9, 9]),), 3 * 8 * 8 * 4)
    with pytest.raises(InvalidInstanceError) as exc:
        build_onnx(g)
    assert exc.value.field == "layers[0].attrs.out_shape"


def test_unsupported_op_and_bad_attrs():
    g = DnnGraph("bad", (_conv("c", [4, 8, 8]), Layer("w", "warp", 0.0, 0.0, 0.0, ("c",))),
                 3 * 8 * 8 * 4)
    with pytest.raises(InvalidInstanceError, match="unsupported op") as exc:
        build_onnx(g)
    assert exc.value.field == "layers[1].op"
    g = DnnGraph("bad", (_conv("c", [4, 8, 8], groups=2),), 3 * 8 * 8 * 4)
    with pytest.raises(InvalidInstanceError) as exc:
        build_onnx(g)
    assert exc.value.field == "layers[0].attrs.groups"
