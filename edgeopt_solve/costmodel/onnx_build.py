"""Turn a :class:`~edgeopt_solve.system.dnn.DnnGraph` into a runnable ONNX model, and back.

:func:`build_onnx` writes one ONNX node per layer (plus an internal ``Flatten`` in front of
a fully connected layer that reads a feature map), with deterministic random weights
(uniform with He variance, seeded), so ONNX Runtime can run and profile a zoo model without PyTorch.
Every layer's output tensor is named after the layer, so a cut of the graph is a list of
layer names. Shapes are checked against each layer's ``attrs["out_shape"]``.

Shape convention of ``out_shape``: rank 3 (``C, H, W``) and rank 1 (``F``) exclude the
batch; rank 4 (``N, C, H, W``) and rank 2 (``N, F``) include it. The ONNX model has
batch 1.

:func:`graph_from_onnx` goes the other way for a user's ONNX file: one layer per node,
MACs from the inferred shapes (Conv, Gemm, MatMul), parameter bytes from initialisers.

Layer ``attrs`` read here: conv/dwconv ``kernel, stride, pad, groups, in_channels,
out_channels, bias``; pool ``kind`` (``max``/``avg``/``global_avg``/``global_max``/
``adaptive_avg``), ``kernel, stride, pad``; fc ``in_features, out_features``; lrn
``size, alpha, beta, bias``; every layer ``out_shape``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system.dnn import DnnGraph, Layer

OPSET = 17
IR_VERSION = 8
INPUT_NAME = "input"
FLOAT_BYTES = 4

#: unary element-wise ops: our name -> ONNX op type
_UNARY = {"relu": "Relu", "sigmoid": "Sigmoid", "tanh": "Tanh", "dropout": "Dropout",
          "identity": "Identity", "hardswish": "HardSwish", "hardsigmoid": "HardSigmoid"}
#: ONNX op type -> our op name (for graph_from_onnx)
_FROM_ONNX = {"Conv": "conv", "Gemm": "fc", "MatMul": "fc", "MaxPool": "pool",
              "AveragePool": "pool", "GlobalAveragePool": "pool", "GlobalMaxPool": "pool",
              "Relu": "relu", "Clip": "relu", "BatchNormalization": "bn", "Add": "add",
              "Sum": "add", "Concat": "concat", "Softmax": "softmax", "Flatten": "flatten",
              "Reshape": "flatten", "LRN": "lrn", "Dropout": "dropout"}


def _pair(value: Any, default: int, field: str) -> tuple[int, int]:
    if value is None:
        return default, default
    if isinstance(value, bool):
        raise InvalidInstanceError(f"must be an int or a pair, got {value!r}", field=field)
    if isinstance(value, int):
        return value, value
    if isinstance(value, Sequence) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return int(value[0]), int(value[1])
    raise InvalidInstanceError(f"must be an int or a pair of ints, got {value!r}", field=field)


def _pads(value: Any, field: str) -> tuple[int, int, int, int]:
    """ONNX pads ``(top, left, bottom, right)`` from an int, a pair or a 4-list."""
    if (isinstance(value, Sequence) and not isinstance(value, str) and len(value) == 4
            and all(isinstance(v, int) and not isinstance(v, bool) for v in value)):
        return tuple(int(v) for v in value)  # type: ignore[return-value]
    ph, pw = _pair(value, 0, field)
    return ph, pw, ph, pw


def expected_shape(layer: Layer) -> tuple[int, ...] | None:
    """``attrs["out_shape"]`` without the batch dimension, or ``None`` if absent."""
    shape = layer.attrs.get("out_shape")
    if shape is None:
        return None
    if not isinstance(shape, Sequence) or not all(
            isinstance(s, int) and not isinstance(s, bool) and s > 0 for s in shape):
        raise InvalidInstanceError(f"out_shape must be a list of positive ints, got {shape!r}",
                                   field=f"layers[{layer.name}].attrs.out_shape")
    shape = tuple(int(s) for s in shape)
    return shape[1:] if len(shape) in (2, 4) else shape


def graph_hash(graph: DnnGraph) -> str:
    """Fingerprint of a graph's structure (names, ops, inputs, shapes): 16 hex digits."""
    h = hashlib.sha256()
    for layer in graph.layers:
        h.update(f"{layer.name}|{layer.op}|{','.join(layer.inputs)}|"
                 f"{expected_shape(layer)}|{layer.output_bytes:g};".encode())
    return h.hexdigest()[:16]


def infer_input_shape(graph: DnnGraph) -> tuple[int, ...]:
    """Input shape (without batch) from the first source layer and ``input_bytes``."""
    first = graph.layers[graph.sources[0]]
    a = first.attrs
    given = a.get("in_shapes")
    if (isinstance(given, list) and given and isinstance(given[0], list) and given[0]
            and all(isinstance(d, int) and not isinstance(d, bool) and d > 0
                    for d in given[0])):
        return tuple(given[0])
    elems = round(graph.input_bytes / FLOAT_BYTES) if graph.input_bytes else 0
    if first.op in ("conv", "dwconv"):
        cin = a.get("in_channels")
        if not isinstance(cin, int) or cin <= 0:
            raise InvalidInstanceError("the first conv layer needs attrs.in_channels",
                                       field=f"layers[{first.name}].attrs.in_channels")
        if elems:
            side = math.isqrt(elems // cin)
            if side * side * cin == elems:
                return cin, side, side
        out = expected_shape(first)
        if out is None or len(out) != 3:
            raise InvalidInstanceError("cannot infer the input shape: give input_bytes or "
                                       "out_shape", field="input_bytes")
        kh, kw = _pair(a.get("kernel"), 1, "kernel")
        sh, sw = _pair(a.get("stride"), 1, "stride")
        t, le, b, r = _pads(a.get("pad", 0), "pad")
        return cin, (out[1] - 1) * sh + kh - t - b, (out[2] - 1) * sw + kw - le - r
    if first.op == "fc":
        fin = a.get("in_features")
        if isinstance(fin, int) and fin > 0:
            return (fin,)
    out = expected_shape(first)
    if out is not None and first.op not in ("pool", "flatten"):
        return out
    if elems:
        return (elems,)
    raise InvalidInstanceError("cannot infer the model's input shape; pass input_shape",
                               field="input_bytes")


class _Builder:
    def __init__(self, seed: int) -> None:
        self.rng = np.random.default_rng(seed)
        self.nodes: list[Any] = []
        self.inits: list[Any] = []

    def weight(self, name: str, shape: tuple[int, ...], fan_in: int) -> str:
        from onnx import numpy_helper

        # uniform with He-normal variance 2/fan_in (faster to draw than normals)
        bound = np.float32(math.sqrt(3.0) * math.sqrt(2.0 / max(fan_in, 1)))
        arr = self.rng.random(shape, dtype=np.float32)
        arr -= np.float32(0.5)
        arr *= np.float32(2.0) * bound
        self.inits.append(numpy_helper.from_array(arr, name))
        return name

    def const(self, name: str, arr: np.ndarray) -> str:
        from onnx import numpy_helper

        self.inits.append(numpy_helper.from_array(arr.astype(np.float32), name))
        return name

    def node(self, op: str, inputs: list[str], outputs: list[str], name: str, **attrs: Any) -> None:
        from onnx import helper

        self.nodes.append(helper.make_node(op, inputs, outputs, name=name, **attrs))


def build_onnx(graph: DnnGraph, *, seed: int = 0,
               input_shape: Sequence[int] | None = None) -> Any:
    """An ONNX ``ModelProto`` computing ``graph`` with deterministic random weights.

    Parameters
    ----------
    graph
        Layers with the ``attrs`` contract of the module docstring.
    seed
        Weight seed (same seed, same bytes).
    input_shape
        Input shape without batch; inferred from the first layer and ``input_bytes`` if
        ``None``.

    Raises
    ------
    InvalidInstanceError
        On an unsupported op, missing attribute or a shape that disagrees with ``out_shape``
        (the field names the layer).
    """
    from onnx import TensorProto, checker, helper

    b = _Builder(seed)
    in_shape = tuple(int(s) for s in input_shape) if input_shape else infer_input_shape(graph)
    shapes: dict[str, tuple[int, ...]] = {INPUT_NAME: in_shape}
    for i, layer in enumerate(graph.layers):
        srcs = list(layer.inputs) or [INPUT_NAME]
        try:
            shape = _emit(b, layer, srcs, [shapes[s] for s in srcs])
        except InvalidInstanceError as exc:
            if exc.field and exc.field.startswith("layers["):
                raise
            raise InvalidInstanceError(exc.message, field=f"layers[{i}].{exc.field or 'op'}") \
                from None
        want = expected_shape(layer)
        if want is not None and tuple(want) != tuple(shape):
            raise InvalidInstanceError(
                f"layer {layer.name!r} ({layer.op}) computes shape {list(shape)} but out_shape "
                f"says {list(want)}", field=f"layers[{i}].attrs.out_shape")
        shapes[layer.name] = shape
    outputs = [graph.layers[j].name for j in graph.sinks]
    g = helper.make_graph(
        b.nodes, graph.name,
        [helper.make_tensor_value_info(INPUT_NAME, TensorProto.FLOAT, [1, *in_shape])],
        [helper.make_tensor_value_info(o, TensorProto.FLOAT, [1, *shapes[o]]) for o in outputs],
        initializer=b.inits)
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", OPSET)],
                              producer_name="edgeopt")
    model.ir_version = IR_VERSION
    checker.check_model(model)
    return model


def _emit(b: _Builder, layer: Layer, srcs: list[str], in_shapes: list[tuple[int, ...]]
          ) -> tuple[int, ...]:
    """Add the node(s) of one layer; return its output shape (without batch)."""
    a, name, op = layer.attrs, layer.name, layer.op
    x, xs = srcs[0], in_shapes[0]
    if op in ("conv", "dwconv"):
        return _conv(b, layer, x, xs)
    if op == "fc":
        feats = math.prod(xs)
        if len(xs) != 1:
            b.node("Flatten", [x], [f"{name}__flatten"], f"{name}__flatten", axis=1)
            x = f"{name}__flatten"
        fin = a.get("in_features", feats)
        if fin != feats:
            raise InvalidInstanceError(f"in_features {fin} but the input has {feats}",
                                       field="attrs.in_features")
        fout = a.get("out_features")
        if not isinstance(fout, int) or fout <= 0:
            want = expected_shape(layer)
            if want is None:
                raise InvalidInstanceError("fc needs attrs.out_features",
                                           field="attrs.out_features")
            fout = math.prod(want)
        w = b.weight(f"{name}.weight", (fout, feats), feats)
        ins = [x, w]
        if a.get("bias", True):
            ins.append(b.const(f"{name}.bias", np.zeros(fout, np.float32)))
        b.node("Gemm", ins, [name], name, transB=1)
        return (fout,)
    if op == "pool":
        return _pool(b, layer, x, xs)
    clip = a.get("clip") if op == "relu" else 6.0 if op == "relu6" else None
    if clip is not None:
        if isinstance(clip, bool) or not isinstance(clip, int | float):
            raise InvalidInstanceError(f"clip must be a number or null, got {clip!r}",
                                       field="attrs.clip")
        lo = b.const(f"{name}.min", np.array(0.0))
        hi = b.const(f"{name}.max", np.array(float(clip)))
        b.node("Clip", [x, lo, hi], [name], name)
        return xs
    if op in _UNARY:
        b.node(_UNARY[op], [x], [name], name)
        return xs
    if op == "bn":
        c = xs[0]
        ins = [x, b.const(f"{name}.scale", 1.0 + 0.1 * b.rng.standard_normal(c)),
               b.const(f"{name}.bias", 0.1 * b.rng.standard_normal(c)),
               b.const(f"{name}.mean", 0.1 * b.rng.standard_normal(c)),
               b.const(f"{name}.var", 1.0 + 0.1 * b.rng.random(c))]
        b.node("BatchNormalization", ins, [name], name, epsilon=1e-5)
        return xs
    if op == "add":
        if len(srcs) < 2:
            raise InvalidInstanceError("add needs at least two inputs", field="inputs")
        if any(s != xs for s in in_shapes):
            raise InvalidInstanceError(f"add inputs differ in shape: {in_shapes}",
                                       field="inputs")
        b.node("Add" if len(srcs) == 2 else "Sum", srcs, [name], name)
        return xs
    if op == "concat":
        if any(len(s) != len(xs) or s[1:] != xs[1:] for s in in_shapes):
            raise InvalidInstanceError(f"concat inputs differ beyond the channel axis: "
                                       f"{in_shapes}", field="inputs")
        b.node("Concat", srcs, [name], name, axis=1)
        return (sum(s[0] for s in in_shapes), *xs[1:])
    if op == "softmax":
        b.node("Softmax", [x], [name], name, axis=-1)
        return xs
    if op == "flatten":
        b.node("Flatten", [x], [name], name, axis=1)
        return (math.prod(xs),)
    if op == "lrn":
        b.node("LRN", [x], [name], name, size=int(a.get("size", 5)),
               alpha=float(a.get("alpha", 1e-4)), beta=float(a.get("beta", 0.75)),
               bias=float(a.get("k", a.get("bias", 1.0))))
        return xs
    raise InvalidInstanceError(f"unsupported op {op!r} for ONNX export", field="op")


def _conv(b: _Builder, layer: Layer, x: str, xs: tuple[int, ...]) -> tuple[int, ...]:
    a, name = layer.attrs, layer.name
    if len(xs) != 3:
        raise InvalidInstanceError(f"conv needs a C,H,W input, got {list(xs)}", field="inputs")
    cin = a.get("in_channels", xs[0])
    if cin != xs[0]:
        raise InvalidInstanceError(f"in_channels {cin} but the input has {xs[0]}",
                                   field="attrs.in_channels")
    cout = a.get("out_channels", cin if layer.op == "dwconv" else None)
    if not isinstance(cout, int) or cout <= 0:
        raise InvalidInstanceError("conv needs attrs.out_channels", field="attrs.out_channels")
    groups = a.get("groups", cin if layer.op == "dwconv" else 1)
    if not isinstance(groups, int) or groups <= 0 or cin % groups or cout % groups:
        raise InvalidInstanceError(f"groups {groups!r} must divide in and out channels",
                                   field="attrs.groups")
    kh, kw = _pair(a.get("kernel"), 1, "attrs.kernel")
    sh, sw = _pair(a.get("stride"), 1, "attrs.stride")
    pads = _pads(a.get("pad", 0), "attrs.pad")
    h = (xs[1] + pads[0] + pads[2] - kh) // sh + 1
    w = (xs[2] + pads[1] + pads[3] - kw) // sw + 1
    if h <= 0 or w <= 0:
        raise InvalidInstanceError(f"kernel larger than the padded input {list(xs)}",
                                   field="attrs.kernel")
    fan_in = cin // groups * kh * kw
    ins = [x, b.weight(f"{name}.weight", (cout, cin // groups, kh, kw), fan_in)]
    if a.get("bias", True):
        ins.append(b.const(f"{name}.bias", np.zeros(cout, np.float32)))
    b.node("Conv", ins, [name], name, kernel_shape=[kh, kw], strides=[sh, sw],
           pads=list(pads), group=groups)
    return cout, h, w


def _pool(b: _Builder, layer: Layer, x: str, xs: tuple[int, ...]) -> tuple[int, ...]:
    a, name = layer.attrs, layer.name
    kind = str(a.get("kind", "max")).lower()
    want = expected_shape(layer)
    if len(xs) != 3:
        raise InvalidInstanceError(f"pool needs a C,H,W input, got {list(xs)}", field="inputs")
    is_max = "max" in kind
    if kind.startswith("global") or kind == "gap" or (a.get("kernel") is None and kind.startswith("adaptive")
                                     and (want is None or want[1:] == (1, 1))):
        b.node("GlobalMaxPool" if is_max else "GlobalAveragePool", [x], [name], name)
        return xs[0], 1, 1
    if kind.startswith("adaptive") and a.get("kernel") is None:
        if want is None or len(want) != 3 or xs[1] % want[1] or xs[2] % want[2]:
            raise InvalidInstanceError("adaptive pool needs an out_shape dividing the input",
                                       field="attrs.out_shape")
        kh, kw = xs[1] // want[1], xs[2] // want[2]
        sh, sw, pads = kh, kw, (0, 0, 0, 0)
    else:
        kh, kw = _pair(a.get("kernel"), 2, "attrs.kernel")
        sh, sw = _pair(a.get("stride"), kh, "attrs.stride")
        pads = _pads(a.get("pad", 0), "attrs.pad")
    ceil = int(bool(a.get("ceil_mode", False)))

    def out(n: int, k: int, s: int, p0: int, p1: int, c: int) -> int:
        v = (n + p0 + p1 - k) / s
        return (math.ceil(v) if c else math.floor(v)) + 1

    h, w = out(xs[1], kh, sh, pads[0], pads[2], ceil), out(xs[2], kw, sw, pads[1], pads[3], ceil)
    if want is not None and (h, w) != tuple(want[1:]) and not ceil:
        ceil = 1  # torchvision's ceil_mode pools (GoogLeNet): match the declared shape
        h = out(xs[1], kh, sh, pads[0], pads[2], 1)
        w = out(xs[2], kw, sw, pads[1], pads[3], 1)
    onnx_op = "MaxPool" if is_max else "AveragePool"
    b.node(onnx_op, [x], [name], name, kernel_shape=[kh, kw], strides=[sh, sw],
           pads=list(pads), ceil_mode=ceil)
    return xs[0], h, w


def save_model(model: Any, path: str | Path) -> Path:
    """Write ``model`` to ``path`` (parents created)."""
    import onnx

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    onnx.save(model, str(path))
    return path


def load_onnx(path: str | Path) -> Any:
    """Read and check an ONNX file; a non-ONNX file is an :class:`InvalidInstanceError`."""
    import onnx

    p = Path(path)
    if not p.is_file():
        raise InvalidInstanceError("file not found", source=str(path))
    try:
        model = onnx.load(str(p))
        onnx.checker.check_model(model)
    except Exception as exc:  # protobuf DecodeError, ValidationError, ...
        raise InvalidInstanceError(f"not a valid ONNX model ({type(exc).__name__})",
                                   source=str(path)) from None
    if not model.graph.node:
        raise InvalidInstanceError("the ONNX model has no nodes", field="graph.node",
                                   source=str(path))
    return model


def name_nodes(model: Any) -> Any:
    """Give every unnamed (or duplicate-named) node a unique name, in place."""
    seen: set[str] = set()
    for i, node in enumerate(model.graph.node):
        if not node.name or node.name in seen:
            node.name = f"{node.op_type}_{i}"
        seen.add(node.name)
    return model


def graph_from_onnx(model: Any, name: str = "model") -> DnnGraph:
    """A :class:`DnnGraph` with one layer per ONNX node (layer name = node name).

    MACs are computed for Conv, Gemm and MatMul from the inferred shapes; other nodes get
    MACs equal to their output elements. Tensor sizes assume 4-byte elements.
    """
    from onnx import numpy_helper, shape_inference

    name_nodes(model)
    inferred = shape_inference.infer_shapes(model)
    dims: dict[str, tuple[int, ...]] = {}
    for vi in [*inferred.graph.value_info, *inferred.graph.input, *inferred.graph.output]:
        t = vi.type.tensor_type
        if t.HasField("shape"):
            dims[vi.name] = tuple(d.dim_value if d.dim_value > 0 else 1 for d in t.shape.dim)
    inits = {t.name: t for t in model.graph.initializer}
    producer: dict[str, str] = {}
    for node in model.graph.node:
        for o in node.output:
            producer[o] = node.name
    real_inputs = [i.name for i in model.graph.input if i.name not in inits]
    in_bytes = float(sum(math.prod(dims.get(i, (0,))) for i in real_inputs) * FLOAT_BYTES)
    layers = []
    for node in model.graph.node:
        out = node.output[0]
        oshape = dims.get(out, ())
        out_elems = math.prod(oshape) if oshape else 0
        params = sum(numpy_helper.to_array(inits[i]).nbytes for i in node.input if i in inits)
        macs = float(out_elems)
        if node.op_type == "Conv" and len(node.input) > 1 and node.input[1] in inits:
            w = inits[node.input[1]].dims
            macs = float(out_elems * math.prod(w[1:]))
        elif node.op_type in ("Gemm", "MatMul") and len(node.input) > 1:
            k = dims.get(node.input[0], (1,))[-1]
            macs = float(out_elems * k)
        op = _FROM_ONNX.get(node.op_type, node.op_type)
        if op == "conv" and node.input[1] in inits:
            grp = next((a.i for a in node.attribute if a.name == "group"), 1)
            if grp > 1 and grp == inits[node.input[1]].dims[0]:
                op = "dwconv"
        attrs: dict[str, Any] = {"onnx_op": node.op_type}
        if oshape:
            attrs["out_shape"] = list(oshape)
        inputs = tuple(dict.fromkeys(producer[i] for i in node.input if i in producer))
        layers.append(Layer(node.name, op, macs, float(params), float(out_elems * FLOAT_BYTES),
                            inputs, attrs))
    return DnnGraph.from_layers(name, layers, in_bytes)


def random_input(model: Any, seed: int = 0) -> dict[str, np.ndarray]:
    """Deterministic random inputs for every non-initialiser graph input, from its shape
    (symbolic dimensions -> 1) and element type (floats: standard normal; integers: 0..9;
    bool: random)."""
    from onnx import helper

    inits = {t.name for t in model.graph.initializer}
    rng = np.random.default_rng(seed)
    feeds = {}
    for vi in model.graph.input:
        if vi.name in inits:
            continue
        tt = vi.type.tensor_type
        shape = [d.dim_value if d.dim_value > 0 else 1 for d in tt.shape.dim]
        try:
            dtype = np.dtype(helper.tensor_dtype_to_np_dtype(tt.elem_type))
        except Exception:
            raise InvalidInstanceError(f"model input {vi.name!r} has an element type "
                                       "validate cannot generate", field="model.onnx") from None
        if dtype == np.float32:
            feeds[vi.name] = rng.standard_normal(shape, dtype=np.float32)
        elif dtype.kind == "f":
            feeds[vi.name] = rng.standard_normal(shape).astype(dtype)
        elif dtype.kind in "iu":
            feeds[vi.name] = rng.integers(0, 10, shape).astype(dtype)
        elif dtype.kind == "b":
            feeds[vi.name] = rng.random(shape) < 0.5
        else:
            raise InvalidInstanceError(f"model input {vi.name!r} has element type {dtype}, "
                                       "which validate cannot generate", field="model.onnx")
    return feeds
