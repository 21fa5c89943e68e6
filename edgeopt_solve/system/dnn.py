"""DNN layer graphs: a DAG of layers with MACs, parameter bytes and output-tensor bytes.

A :class:`DnnGraph` is what partitioning, scheduling and the cost model share. Layers
are listed in a topological order (checked on construction: every input of a layer
precedes it, so the graph is acyclic); the graph's ``input_bytes`` is the size of the
tensor fed to the layers without inputs.

Units: ``macs`` in multiply-accumulate operations, sizes in bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system.validation import nonnegative


@dataclass(frozen=True)
class Layer:
    """One layer (operator) of a network.

    Attributes
    ----------
    name
        Unique identifier.
    op
        Operator type (``"conv"``, ``"dwconv"``, ``"fc"``, ``"pool"``, ``"relu"``, ``"add"``,
        ``"concat"``, ``"bn"``, ``"softmax"``, ... or the ONNX op type).
    macs
        Multiply-accumulate operations, >= 0.
    param_bytes
        Bytes of weights, >= 0.
    output_bytes
        Bytes of the layer's output tensor, >= 0.
    inputs
        Names of the layers whose outputs this layer reads (empty: reads the graph input).
    attrs
        Shape information (``out_shape``, ``kernel``, ``stride`` ...) for building and
        regression; free-form, JSON-serialisable.
    """

    name: str
    op: str
    macs: float
    param_bytes: float = 0.0
    output_bytes: float = 0.0
    inputs: tuple[str, ...] = ()
    attrs: dict[str, Any] = field(default_factory=dict, compare=False, hash=False)

    def __post_init__(self) -> None:
        for attr in ("macs", "param_bytes", "output_bytes"):
            nonnegative(f"layers[{self.name}].{attr}", getattr(self, attr))

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        out: dict[str, Any] = {"name": self.name, "op": self.op, "macs": self.macs,
                               "param_bytes": self.param_bytes,
                               "output_bytes": self.output_bytes, "inputs": list(self.inputs)}
        if self.attrs:
            out["attrs"] = self.attrs
        return out


@dataclass(frozen=True)
class DnnGraph:
    """A DAG of layers in topological order.

    Parameters
    ----------
    name
        Model name.
    layers
        Layers, each listed after all of its inputs.
    input_bytes
        Size of the model's input tensor, bytes.

    Raises
    ------
    InvalidInstanceError
        On duplicate names, unknown inputs or a cycle (an input listed after its reader).
    """

    name: str
    layers: tuple[Layer, ...]
    input_bytes: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "layers", tuple(self.layers))
        nonnegative("input_bytes", self.input_bytes)
        if not self.layers:
            raise InvalidInstanceError("a DNN graph needs at least one layer", field="layers")
        _check_topological(self.layers)

    @classmethod
    def from_layers(cls, name: str, layers: Iterable[Layer], input_bytes: float = 0.0) -> DnnGraph:
        """Build from layers in any order (sorted topologically; a cycle is an error)."""
        return cls(name, tuple(_toposort(list(layers))), input_bytes)

    @cached_property
    def index(self) -> dict[str, int]:
        """Layer name -> position."""
        return {layer.name: i for i, layer in enumerate(self.layers)}

    @cached_property
    def predecessors(self) -> tuple[tuple[int, ...], ...]:
        """Positions of each layer's inputs."""
        return tuple(tuple(self.index[p] for p in layer.inputs) for layer in self.layers)

    @cached_property
    def successors(self) -> tuple[tuple[int, ...], ...]:
        """Positions of the layers reading each layer's output."""
        succ: list[list[int]] = [[] for _ in self.layers]
        for v, preds in enumerate(self.predecessors):
            for u in preds:
                succ[u].append(v)
        return tuple(tuple(s) for s in succ)

    @property
    def sources(self) -> tuple[int, ...]:
        """Layers that read the graph input."""
        return tuple(i for i, p in enumerate(self.predecessors) if not p)

    @property
    def sinks(self) -> tuple[int, ...]:
        """Layers whose output nobody reads (the model's outputs)."""
        return tuple(i for i, s in enumerate(self.successors) if not s)

    @property
    def is_chain(self) -> bool:
        """Whether each layer reads exactly the previous one."""
        return all(p == ((i - 1,) if i else ()) for i, p in enumerate(self.predecessors))

    @property
    def total_macs(self) -> float:
        """Sum of MACs."""
        return float(sum(layer.macs for layer in self.layers))

    @property
    def total_param_bytes(self) -> float:
        """Sum of parameter bytes."""
        return float(sum(layer.param_bytes for layer in self.layers))

    def __len__(self) -> int:
        return len(self.layers)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready spec (``from_dict`` reads it back)."""
        return {"name": self.name, "input_bytes": self.input_bytes,
                "layers": [layer.to_dict() for layer in self.layers]}

    @classmethod
    def from_dict(cls, spec: dict[str, Any]) -> DnnGraph:
        """Build from ``to_dict()`` output (already type-checked by the file schema)."""
        layers = [
            Layer(d["name"], d["op"], d["macs"], d.get("param_bytes", 0.0),
                  d.get("output_bytes", 0.0), tuple(d.get("inputs", ())), dict(d.get("attrs", {})))
            for d in spec["layers"]
        ]
        return cls.from_layers(spec.get("name", "model"), layers, spec.get("input_bytes", 0.0))


def _check_topological(layers: Sequence[Layer]) -> None:
    seen: set[str] = set()
    names = {layer.name for layer in layers}
    if len(names) != len(layers):
        dup = next(n for n in names if sum(layer.name == n for layer in layers) > 1)
        raise InvalidInstanceError(f"duplicate layer name {dup!r}", field="layers")
    for i, layer in enumerate(layers):
        for p in layer.inputs:
            if p not in names:
                raise InvalidInstanceError(f"unknown input layer {p!r}",
                                           field=f"layers[{i}].inputs")
            if p not in seen:
                raise InvalidInstanceError(
                    f"layer {layer.name!r} reads {p!r}, which is not before it: the graph "
                    "has a cycle or is not in topological order", field=f"layers[{i}].inputs")
        seen.add(layer.name)


def _toposort(layers: list[Layer]) -> list[Layer]:
    """Kahn's algorithm, stable in the given order; a cycle raises with a layer on it."""
    by_name = {layer.name: layer for layer in layers}
    if len(by_name) != len(layers):
        _check_topological(layers)  # raises the duplicate error
    for i, layer in enumerate(layers):
        for p in layer.inputs:
            if p not in by_name:
                raise InvalidInstanceError(f"unknown input layer {p!r}",
                                           field=f"layers[{i}].inputs")
    indeg = {layer.name: len(set(layer.inputs)) for layer in layers}
    readers: dict[str, list[str]] = {layer.name: [] for layer in layers}
    for layer in layers:
        for p in set(layer.inputs):
            readers[p].append(layer.name)
    ready = [layer.name for layer in layers if indeg[layer.name] == 0]
    order: list[Layer] = []
    while ready:
        name = ready.pop(0)
        order.append(by_name[name])
        for r in readers[name]:
            indeg[r] -= 1
            if indeg[r] == 0:
                ready.append(r)
    if len(order) != len(layers):
        stuck = next(layer.name for layer in layers if indeg[layer.name] > 0)
        raise InvalidInstanceError(f"the layer graph has a cycle through {stuck!r}",
                                   field="layers")
    return order
