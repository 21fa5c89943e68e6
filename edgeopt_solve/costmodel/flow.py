"""Which tensors each layer of a model reads, and where they come from (its data flow).

A model built from the zoo (:func:`~edgeopt_solve.costmodel.onnx_build.build_onnx`)
names every tensor after the layer computing it (:func:`layer_flow`); a user's ONNX file
keeps its own tensor names, mapped to the layers
:func:`~edgeopt_solve.system.onnx_import.read_onnx` made of it (:func:`onnx_flow`).
:mod:`~edgeopt_solve.costmodel.validate` splits, routes and sizes a plan's tensors by it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from edgeopt_solve.costmodel.onnx_build import INPUT_NAME
from edgeopt_solve.costmodel.testbed import tensor_bytes
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system.dnn import DnnGraph
from edgeopt_solve.system.onnx_import import layer_nodes


@dataclass(frozen=True)
class Flow:
    """Tensor-level data flow of a graph's ONNX model.

    ``reads[v]`` lists ``(tensor, source)`` for every tensor layer ``v`` reads from another
    layer (``source`` = that layer's name) or from the model input (``source`` =
    ``INPUT_NAME``); ``sizes`` are tensor bytes; ``outputs`` the graph output tensors with
    the layer computing each; ``inputs`` the model input tensors. For a zoo model built by
    :func:`~edgeopt_solve.costmodel.onnx_build.build_onnx` (:func:`layer_flow`) a tensor is
    named after its layer and the input is ``INPUT_NAME``; for a user's ONNX file
    (:func:`onnx_flow`) they are the file's tensor names.
    """

    reads: tuple[tuple[tuple[str, str], ...], ...]
    sizes: dict[str, int]
    outputs: tuple[tuple[str, str], ...]
    inputs: tuple[str, ...]


def layer_flow(graph: DnnGraph) -> Flow:
    """The flow of a model following the zoo convention (tensor name = layer name)."""
    sizes = {layer.name: int(layer.output_bytes) for layer in graph.layers}
    sizes[INPUT_NAME] = int(graph.input_bytes)
    reads = tuple(tuple((src, src) for src in (layer.inputs or (INPUT_NAME,)))
                  for layer in graph.layers)
    sinks = tuple((graph.layers[j].name, graph.layers[j].name) for j in graph.sinks)
    return Flow(reads, sizes, sinks, (INPUT_NAME,))


def onnx_flow(model: Any, graph: DnnGraph) -> tuple[Any, Flow]:
    """``(model with node names = layer names, its flow)`` for a user's ONNX model and the
    graph :func:`~edgeopt_solve.system.onnx_import.read_onnx` made of it: layer ``i`` is the
    ``i``-th non-``Constant`` node (matched by name and checked by operator and inputs).

    Raises
    ------
    InvalidInstanceError
        (``model.onnx``) if the file's nodes do not match the graph's layers.
    """
    import onnx

    proto = onnx.ModelProto()
    proto.CopyFrom(model)
    named = layer_nodes(proto.graph)
    by_name = dict(named)
    field = "model.onnx"
    if len(named) != len(graph.layers) or set(by_name) != set(graph.index):
        missing = sorted(set(graph.index) - set(by_name)) or sorted(set(by_name) - set(graph.index))
        raise InvalidInstanceError(
            f"the ONNX file has {len(named)} computing nodes for the instance's "
            f"{len(graph.layers)} layers (first mismatch: {missing[0] if missing else '?'!r}): "
            "not the model the instance was built from", field=field)
    producer: dict[str, str] = {}
    for name, node in named:
        node.name = name
        for t in node.output:
            producer[t] = name
    g = proto.graph
    inits = {t.name for t in g.initializer}
    inputs = tuple(vi.name for vi in g.input if vi.name not in inits)
    reads = []
    for layer in graph.layers:
        node = by_name[layer.name]
        op = layer.attrs.get("onnx_op")
        if op is not None and op != node.op_type:
            raise InvalidInstanceError(f"layer {layer.name!r} is a {op} in the instance but a "
                                       f"{node.op_type} node in the ONNX file", field=field)
        srcs = tuple(dict.fromkeys((t, producer.get(t, INPUT_NAME))
                                   for t in node.input if t in producer or t in inputs))
        if {s for _, s in srcs if s != INPUT_NAME} != set(layer.inputs):
            raise InvalidInstanceError(f"layer {layer.name!r} reads other layers in the ONNX "
                                       "file than in the instance", field=field)
        reads.append(srcs)
    sizes = tensor_bytes(proto)
    for layer in graph.layers:
        node = by_name[layer.name]
        if node.output and node.output[0] not in sizes:
            sizes[node.output[0]] = int(layer.output_bytes)
    outputs = []
    for vi in g.output:
        if vi.name not in producer:
            raise InvalidInstanceError(f"graph output {vi.name!r} is not computed by any layer",
                                       field=field)
        outputs.append((vi.name, producer[vi.name]))
    return proto, Flow(tuple(reads), sizes, tuple(outputs), inputs)
