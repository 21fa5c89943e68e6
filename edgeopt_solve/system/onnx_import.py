"""Read an ONNX model into a :class:`DnnGraph`: one layer per node, MACs and tensor bytes.

Shapes come from ``onnx.shape_inference.infer_shapes``; parameter bytes from the
initializers (and ``Constant`` nodes) a node reads. MACs follow the zoo convention
(:mod:`edgeopt_solve.system.zoo`): ``Conv`` = output elements x (C_in / group) x kh x kw
(from the weight shape), ``Gemm``/``MatMul`` = output elements x the reduced dimension,
``ConvTranspose`` = input elements x (C_out / group) x kernel; every other known operator
(pooling, element-wise, Concat, Add, BatchNormalization, Relu, Softmax, Flatten, Reshape,
...) has 0 MACs. An operator not in :data:`KNOWN_OPS` gets 0 MACs and a ``UserWarning``
(never an error). Batch dimensions are kept in ``attrs["out_shape"]`` as inferred
(symbolic dimensions count as 1).

``FORMATS = {"onnx": read_onnx}``.
"""

from __future__ import annotations

import logging
import math
import warnings
from pathlib import Path
from typing import Any

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system.dnn import DnnGraph, Layer

log = logging.getLogger(__name__)

#: ONNX op type -> layer op name
OP_NAMES: dict[str, str] = {
    "Conv": "conv", "ConvTranspose": "conv", "Gemm": "fc", "MatMul": "fc",
    "MaxPool": "pool", "AveragePool": "pool", "GlobalAveragePool": "pool",
    "GlobalMaxPool": "pool", "Relu": "relu", "Clip": "relu", "LeakyRelu": "relu",
    "BatchNormalization": "bn", "Add": "add", "Sum": "add", "Concat": "concat",
    "Softmax": "softmax", "Flatten": "flatten", "Reshape": "flatten", "LRN": "lrn",
    "Dropout": "dropout",
}
#: operators with no multiply-accumulates worth counting (no warning)
ZERO_MAC_OPS = {
    "Mul", "Sub", "Div", "Sigmoid", "Tanh", "HardSigmoid", "HardSwish", "Identity", "Pad",
    "Transpose", "Squeeze", "Unsqueeze", "Shape", "Gather", "Slice", "Split", "Cast",
    "ReduceMean", "Resize", "Upsample", "Exp", "Sqrt", "Pow", "Erf", "Neg", "Abs", "Max",
    "Min", "Mean", "Expand", "Tile", "Where", "Equal", "Less", "Greater", "Not", "Floor",
    "Ceil", "Round", "Softplus", "Elu", "Selu", "PRelu", "LayerNormalization",
    "InstanceNormalization", "Reciprocal", "ConstantOfShape", "Range",
}
KNOWN_OPS = set(OP_NAMES) | ZERO_MAC_OPS

_ELEM_BYTES = {1: 4, 2: 1, 3: 1, 4: 2, 5: 2, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 12: 4, 13: 8,
               16: 2}


def layer_nodes(graph: Any) -> list[tuple[str, Any]]:
    """``(layer name, node)`` of every computing (non-``Constant``) node of an ONNX graph.

    A layer is named after its node, else ``<op>_<index>``; a name used twice gets
    ``_<index>`` appended. :func:`read_onnx` and the cost model's split of a user's model
    (:func:`edgeopt_solve.costmodel.flow.onnx_flow`) both name layers this way.
    """
    out, used = [], set()
    for i, node in enumerate(graph.node):
        if node.op_type == "Constant":
            continue
        name = node.name or f"{node.op_type.lower()}_{i}"
        while name in used:
            name = f"{name}_{i}"
        used.add(name)
        out.append((name, node))
    return out


def _load(path: Path) -> Any:
    import onnx

    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InvalidInstanceError(f"cannot read ONNX file: {exc.strerror or exc}",
                                   source=str(path)) from None
    try:
        model = onnx.load_model_from_string(data)
    except Exception as exc:  # protobuf raises several types on garbage
        raise InvalidInstanceError(f"not an ONNX model ({type(exc).__name__})",
                                   source=str(path)) from None
    if not model.HasField("graph") or len(model.graph.node) == 0:
        raise InvalidInstanceError("not an ONNX model (no graph nodes)", source=str(path))
    return model


def read_onnx(path: str | Path) -> DnnGraph:
    """The :class:`DnnGraph` of the ONNX file at ``path``.

    Raises
    ------
    InvalidInstanceError
        If the file cannot be read or is not an ONNX model.
    """
    import onnx
    from onnx import numpy_helper

    model = _load(Path(path))
    try:
        model = onnx.shape_inference.infer_shapes(model)
    except Exception as exc:  # a model shape inference cannot handle: use what is there
        log.warning("ONNX shape inference failed (%s); sizes may be missing", exc)
    g = model.graph
    shapes: dict[str, tuple[list[int], int]] = {}
    for vi in [*g.input, *g.value_info, *g.output]:
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            continue
        dims = [d.dim_value if d.HasField("dim_value") else 1 for d in tt.shape.dim]
        shapes[vi.name] = (dims, _ELEM_BYTES.get(tt.elem_type, 4))
    params: dict[str, tuple[list[int], int]] = {}
    for init in g.initializer:
        params[init.name] = (list(init.dims), _ELEM_BYTES.get(init.data_type, 4))
    for node in g.node:
        if node.op_type == "Constant" and node.attribute:
            try:
                arr = numpy_helper.to_array(node.attribute[0].t)
                for out in node.output:
                    params[out] = (list(arr.shape), int(arr.itemsize))
            except Exception:  # sparse or non-tensor constants: count as empty
                for out in node.output:
                    params[out] = ([0], 4)
    producer: dict[str, str] = {}
    layers: list[Layer] = []
    for name, node in layer_nodes(g):
        inputs = []
        for x in node.input:
            if x in producer and producer[x] not in inputs:
                inputs.append(producer[x])
        pbytes = sum(math.prod(params[x][0]) * params[x][1] for x in node.input if x in params)
        out_name = node.output[0] if node.output else ""
        out_dims, out_elem = shapes.get(out_name, ([], 4))
        out_bytes = math.prod(out_dims) * out_elem if out_name in shapes else 0
        if out_name not in shapes:
            log.warning("no shape for the output of ONNX node %s", name)
        macs = _macs(node, shapes, params)
        if node.op_type not in KNOWN_OPS:
            warnings.warn(f"ONNX operator {node.op_type} ({name}) is not modelled: 0 MACs",
                          UserWarning, stacklevel=2)
        attrs: dict[str, Any] = {"out_shape": list(out_dims), "onnx_op": node.op_type}
        for a in node.attribute:
            value = onnx.helper.get_attribute_value(a)
            if isinstance(value, int | float):
                attrs[a.name] = value
            elif isinstance(value, list) and all(isinstance(v, int | float) for v in value):
                attrs[a.name] = list(value)
        op = OP_NAMES.get(node.op_type, node.op_type.lower())
        if node.op_type == "Conv" and attrs.get("group", 1) > 1:
            w = params.get(node.input[1]) if len(node.input) > 1 else None
            if w is not None and w[0] and w[0][1] == 1:
                op = "dwconv"
        layers.append(Layer(name, op, float(macs), float(pbytes), float(out_bytes),
                            tuple(inputs), attrs))
        for out in node.output:
            producer[out] = name
    if not layers:
        raise InvalidInstanceError("the ONNX graph has no computing nodes", source=str(path))
    init_names = set(params)
    input_bytes = 0.0
    for vi in g.input:
        if vi.name in init_names or vi.name not in shapes:
            continue
        dims, elem = shapes[vi.name]
        input_bytes += math.prod(dims) * elem
    try:
        return DnnGraph.from_layers(g.name or Path(path).stem, layers, float(input_bytes))
    except InvalidInstanceError as exc:
        raise exc.located(source=str(path)) from None


def _macs(node: Any, shapes: dict[str, tuple[list[int], int]],
          params: dict[str, tuple[list[int], int]]) -> float:
    """Multiply-accumulates of one node (0 where not modelled)."""

    def dims(name: str) -> list[int] | None:
        if name in shapes:
            return shapes[name][0]
        if name in params:
            return params[name][0]
        return None

    op = node.op_type
    out = dims(node.output[0]) if node.output else None
    if op == "Conv" and out is not None and len(node.input) > 1:
        w = dims(node.input[1])
        return float(math.prod(out) * math.prod(w[1:])) if w else 0.0
    if op == "ConvTranspose" and len(node.input) > 1:
        x, w = dims(node.input[0]), dims(node.input[1])
        return float(math.prod(x) * math.prod(w[1:])) if x and w else 0.0
    if op == "Gemm" and out is not None:
        a = dims(node.input[0])
        trans_a = next((at.i for at in node.attribute if at.name == "transA"), 0)
        if not a or len(a) < 2:
            return 0.0
        k = a[0] if trans_a else a[-1]
        return float(math.prod(out) * k)
    if op == "MatMul" and out is not None:
        a = dims(node.input[0])
        return float(math.prod(out) * a[-1]) if a else 0.0
    return 0.0


FORMATS = {"onnx": read_onnx}
