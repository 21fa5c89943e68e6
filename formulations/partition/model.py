"""Instance and solution of DNN layer partitioning across ordered tiers.

The model (Neurosurgeon, Kang et al. ASPLOS 2017; DADS, Hu et al. INFOCOM 2019; JointDNN,
Eshratifar et al. IEEE TMC 2021; Edgent, Li et al. 2019):

* A DNN is a DAG of layers (:class:`~edgeopt_solve.system.DnnGraph`): from the model zoo
  (``"model": "alexnet"``), an inline spec (``"model": {"layers": [...]}``) or an ONNX file
  (``"model": {"onnx": "path.onnx"}``; a relative path is looked up next to the instance
  file first, then in the working directory, see :func:`edgeopt_solve.paths.resolve`).
* Tiers ``0 .. K-1`` are ordered nearest the data first (device < edge < cloud). Each has a
  cost model for every layer: analytic (``compute_rate`` MAC/s and ``layer_overhead`` s:
  latency = overhead + MACs / rate) or an explicit per-layer ``latency`` list/dict (s), and
  compute ``power`` W (energy = power x latency) or an explicit per-layer ``energy`` (J);
  optional ``memory`` bytes (sum of parameter bytes of the layers placed there).
  Measured costs: a tier may instead give ``profile`` (a profile JSON written by
  ``edgeopt-solve profile``, as a path or inline) and ``slowdown`` (> 0, default 1); its
  per-layer latency is then the profile's measured medians times ``slowdown`` (layers the
  profile lacks: its regression, with a warning). See :mod:`formulations.partition.profiles`
  (relative paths: working directory, then the bundled ``instances/partition/`` folder).
* ``links[k]`` joins tier k and k+1 (bit/s, RTT s, the lower tier's radio transmit/receive
  powers W; ``down_bandwidth`` for the k+1 -> k direction, default = ``bandwidth``).
  ``direct_links`` add one-way links ``src -> dst`` between any tiers (e.g. device -> cloud).
* Transfers. Moving ``d`` bytes over a hop takes ``rtt/2 + 8 d / bandwidth`` s (0 if d = 0).
  A tensor produced on tier ``a`` and read on tier ``c != a`` travels the route ``a -> c``:
  the direct link if there is one, else relayed hop by hop through the tiers in between.
  The hops a tensor uses are the *union* of its routes to all of its reading tiers, each hop
  charged once (a fan-out tensor is sent once per hop). The model input (``input_bytes``)
  starts on ``input_tier``; with ``return_result`` the output of each sink layer travels back
  to tier 0.
* Decision: the tier ``x_v`` of every layer (and, for the ``accuracy`` objective, the early
  exit). With ``monotone`` (default) data never moves towards the device: ``x_u <= x_v`` for
  each edge ``u -> v`` and ``x_v >= input_tier`` (only the result returns).
* Objectives (all minimised): ``latency`` = sum of all layer latencies and hop times (one
  inference, stages run one after another, as DADS's light-load model); ``energy`` = energy of
  tier 0 (its layers' compute energy, plus ``tx_power`` x time of the hops it sends on and
  ``rx_power`` x time of the hops it receives on); ``weighted`` = w_latency x latency +
  w_energy x energy; ``throughput`` = the slowest pipeline stage (each tier's compute time,
  each link's total busy time in both directions; DADS's heavy-load model), s per inference;
  ``accuracy`` = 1 - accuracy of the chosen exit (Edgent: the most accurate exit whose
  partition meets ``latency_slo``); ``critical_path`` = the inference latency when
  parallel branches overlap: a layer starts when all its inputs have arrived on its tier
  (a tensor reaches reader v at the producer's finish time plus the route time to v's
  tier), tiers run concurrent layers without contention, and the latency is when the last
  sink output is available (on tier 0 if the result returns). The ``latency_slo`` always
  bounds the sum latency (the conservative, sequential model).
* Constraints: memory per tier, ``device_energy_budget`` (J, tier-0 energy),
  ``latency_slo`` (s, latency as defined above), ``pinned`` layers (name -> tier index).

Units are SI: seconds, bytes, bit/s, watts, joules, MAC/s.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from typing import Any

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.schema import validate
from edgeopt_solve.system import zoo
from edgeopt_solve.system.dnn import DnnGraph, Layer
from formulations.partition.schema import (
    DirectLinkSpec,
    GraphSpec,
    InstanceSpec,
    LinkSpec,
    OnnxRef,
    SolutionSpec,
    WeightSpec,
)

OBJECTIVES: tuple[str, ...] = ("latency", "energy", "throughput", "weighted", "accuracy",
                               "critical_path")
SUM_OBJECTIVES: tuple[str, ...] = ("latency", "energy", "weighted")


# --------------------------------------------------------------------------- value types
@dataclass(frozen=True)
class TierCost:
    """Resolved cost model of a tier (see :class:`TierSpec`); lists in graph layer order."""

    name: str
    compute_rate: float | None = None
    layer_overhead: float = 0.0
    latency: tuple[float, ...] | None = None
    power: float = 0.0
    energy: tuple[float, ...] | None = None
    memory: float | None = None
    profile: str | dict[str, Any] | None = None
    slowdown: float = 1.0


@dataclass(frozen=True)
class Hop:
    """A directed link use: ``src -> dst`` at ``bandwidth`` bit/s.

    ``stage`` names the pipeline stage it belongs to (``"link0"`` for both directions of
    ``links[0]``, ``"direct2"`` for ``direct_links[2]``). ``device_power`` is the power tier 0
    draws while the hop is busy (tx if it sends, rx if it receives, else 0).
    """

    src: int
    dst: int
    bandwidth: float
    rtt: float
    device_power: float
    stage: str

    def time(self, size: float) -> float:
        """Seconds to move ``size`` bytes."""
        return 0.0 if size <= 0 else self.rtt / 2 + 8.0 * size / self.bandwidth


@dataclass(frozen=True)
class Instance:
    """A validated partition instance (see the module docstring for the model)."""

    graph: DnnGraph
    tiers: tuple[TierCost, ...]
    links: tuple[LinkSpec, ...]
    direct_links: tuple[DirectLinkSpec, ...] = ()
    input_tier: int = 0
    return_result: bool = False
    objective: str = "latency"
    weight_latency: float = 1.0
    weight_energy: float = 0.0
    monotone: bool = True
    device_energy_budget: float | None = None
    latency_slo: float | None = None
    pinned: tuple[tuple[str, int], ...] = ()
    exits: tuple[tuple[str, float], ...] = ()
    full_accuracy: float = 1.0
    model_ref: str | None = None

    # ------------------------------------------------------------------ derived data
    @property
    def n_layers(self) -> int:
        """Number of layers N."""
        return len(self.graph.layers)

    @property
    def n_tiers(self) -> int:
        """Number of tiers K."""
        return len(self.tiers)

    @cached_property
    def latency(self) -> tuple[tuple[float, ...], ...]:
        """``latency[k][v]``: seconds to run layer v on tier k."""
        out = []
        for t in self.tiers:
            if t.latency is not None:
                out.append(t.latency)
            else:
                rate = float(t.compute_rate or 1.0)
                out.append(tuple(t.layer_overhead + layer.macs / rate
                                 for layer in self.graph.layers))
        return tuple(out)

    @cached_property
    def energy(self) -> tuple[tuple[float, ...], ...]:
        """``energy[k][v]``: joules tier k draws to run layer v."""
        out = []
        for t, lat in zip(self.tiers, self.latency, strict=True):
            out.append(t.energy if t.energy is not None else tuple(t.power * x for x in lat))
        return tuple(out)

    @cached_property
    def hops(self) -> dict[tuple[int, int], Hop]:
        """Hops over the consecutive links, both directions, by (src, dst)."""
        out: dict[tuple[int, int], Hop] = {}
        for k, link in enumerate(self.links):
            out[(k, k + 1)] = Hop(k, k + 1, link.bandwidth, link.rtt,
                                  link.tx_power if k == 0 else 0.0, f"link{k}")
            down = link.down_bandwidth or link.bandwidth
            out[(k + 1, k)] = Hop(k + 1, k, down, link.rtt,
                                  link.rx_power if k == 0 else 0.0, f"link{k}")
        return out

    @cached_property
    def direct(self) -> dict[tuple[int, int], Hop]:
        """Direct hops by (src, dst) (the first one given if several)."""
        out: dict[tuple[int, int], Hop] = {}
        for i, d in enumerate(self.direct_links):
            power = d.tx_power if d.src == 0 else d.rx_power if d.dst == 0 else 0.0
            out.setdefault((d.src, d.dst), Hop(d.src, d.dst, d.bandwidth, d.rtt, power,
                                               f"direct{i}"))
        return out

    def route(self, a: int, c: int) -> tuple[Hop, ...]:
        """Hops a tensor takes from tier ``a`` to tier ``c`` (direct link, else relayed)."""
        if a == c:
            return ()
        if (a, c) in self.direct:
            return (self.direct[(a, c)],)
        step = 1 if c > a else -1
        return tuple(self.hops[(k, k + step)] for k in range(a, c, step))

    @cached_property
    def pin_index(self) -> dict[int, int]:
        """Layer position -> pinned tier."""
        return {self.graph.index[name]: tier for name, tier in self.pinned}

    # ------------------------------------------------------------------ (de)serialisation
    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON schema of the instance ``data`` (``model``: zoo name, inline spec or ONNX)."""
        schema = InstanceSpec.model_json_schema()
        graph = GraphSpec.model_json_schema()
        defs = schema.setdefault("$defs", {})
        defs.update(graph.pop("$defs", {}))
        defs["GraphSpec"] = graph
        defs["OnnxRef"] = OnnxRef.model_json_schema()
        schema["properties"]["model"] = {
            "description": schema["properties"]["model"].get("description", ""),
            "anyOf": [{"type": "string", "enum": list(zoo.NAMES)},
                      {"$ref": "#/$defs/GraphSpec"}, {"$ref": "#/$defs/OnnxRef"}]}
        return schema

    @classmethod
    def from_dict(cls, data: Any) -> Instance:
        """Validate ``data`` (schema, then semantics) and build the instance."""
        spec = validate(InstanceSpec, data)
        model: str | GraphSpec | OnnxRef = spec.model  # type: ignore[assignment]
        if isinstance(spec.model, dict):
            kind = OnnxRef if "onnx" in spec.model else GraphSpec
            model = validate(kind, spec.model, prefix="model")
        graph, ref = _graph(model)
        return _build(spec, model, graph, ref)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready ``data`` (``from_dict`` reads it back to an equal instance)."""
        out: dict[str, Any] = {
            "model": self.model_ref if self.model_ref else self.graph.to_dict(),
            "tiers": [_tier_dict(t) for t in self.tiers],
            "links": [link.model_dump(exclude_none=True) for link in self.links],
        }
        if self.direct_links:
            out["direct_links"] = [d.model_dump() for d in self.direct_links]
        out.update({"input_tier": self.input_tier, "return_result": self.return_result,
                    "objective": self.objective, "monotone": self.monotone})
        if (self.weight_latency, self.weight_energy) != (1.0, 0.0):
            out["weights"] = {"latency": self.weight_latency, "energy": self.weight_energy}
        for key in ("device_energy_budget", "latency_slo"):
            if getattr(self, key) is not None:
                out[key] = getattr(self, key)
        if self.pinned:
            out["pinned"] = dict(self.pinned)
        if self.exits:
            out["exits"] = [{"layer": n, "accuracy": a} for n, a in self.exits]
            out["full_accuracy"] = self.full_accuracy
        return out

    def replace(self, **changes: Any) -> Instance:
        """A copy with fields changed, validated again through ``from_dict``."""
        data = self.to_dict()
        data.update(changes)
        if "model" not in changes and self.model_ref is None:
            data["model"] = self.graph.to_dict()
        return Instance.from_dict(data)


@dataclass(frozen=True)
class Solution:
    """Tier index of every layer (graph order) and the early exit (``None``: full model)."""

    tiers: tuple[int, ...]
    exit: int | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Solution:
        """Validate and build."""
        spec = validate(SolutionSpec, data)
        for i, t in enumerate(spec.tiers):
            if t < 0:
                raise InvalidInstanceError(f"tier index must be >= 0, got {t}",
                                           field=f"tiers[{i}]")
        if spec.exit is not None and spec.exit < 0:
            raise InvalidInstanceError("exit index must be >= 0", field="exit")
        return cls(tuple(spec.tiers), spec.exit)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready fields."""
        out: dict[str, Any] = {"tiers": list(self.tiers)}
        if self.exit is not None:
            out["exit"] = self.exit
        return out


# --------------------------------------------------------------------------- builders
def _graph(model: str | GraphSpec | OnnxRef) -> tuple[DnnGraph, str | None]:
    if isinstance(model, str):
        return zoo.load(model), model
    if isinstance(model, OnnxRef):
        from edgeopt_solve.paths import resolve
        from edgeopt_solve.system.onnx_import import read_onnx

        try:
            return read_onnx(resolve(model.onnx)), None
        except InvalidInstanceError as exc:
            raise exc.located(prefix="model.onnx") from None
    for i, layer in enumerate(model.layers):
        for attr in ("macs", "param_bytes", "output_bytes"):
            value = getattr(layer, attr)
            if value < 0:
                raise InvalidInstanceError(f"must be >= 0, got {value!r}",
                                           field=f"model.layers[{i}].{attr}")
    if model.input_bytes < 0:
        raise InvalidInstanceError("must be >= 0", field="model.input_bytes")
    for i, layer in enumerate(model.layers):
        if not _finite_json(layer.attrs):
            raise InvalidInstanceError("attrs must hold finite numbers only",
                                       field=f"model.layers[{i}].attrs")
    layers = [Layer(s.name, s.op, s.macs, s.param_bytes, s.output_bytes, tuple(s.inputs),
                    dict(s.attrs)) for s in model.layers]
    try:
        try:
            graph = DnnGraph(model.name, tuple(layers), model.input_bytes)
        except InvalidInstanceError as exc:
            if exc.field == "layers" and "duplicate" in exc.message:
                raise
            graph = DnnGraph.from_layers(model.name, layers, model.input_bytes)
    except InvalidInstanceError as exc:
        raise exc.located(prefix="model") from None
    return graph, None


def _finite_json(value: Any) -> bool:
    """Whether a JSON value holds no NaN or infinity."""
    if isinstance(value, float):
        return value == value and value not in (float("inf"), float("-inf"))
    if isinstance(value, dict):
        return all(_finite_json(v) for v in value.values())
    if isinstance(value, list):
        return all(_finite_json(v) for v in value)
    return True


def _per_layer(values: list[float] | dict[str, float] | None, graph: DnnGraph,
               order: list[str], field: str) -> tuple[float, ...] | None:
    """A per-layer list (in the spec's layer order) or name->value dict, in graph order."""
    if values is None:
        return None
    n = len(graph.layers)
    if isinstance(values, list):
        if len(values) != n:
            raise InvalidInstanceError(
                f"has {len(values)} values for {n} layers: every layer needs a cost",
                field=field)
        by_name = dict(zip(order, values, strict=True))
    else:
        unknown = [k for k in values if k not in graph.index]
        if unknown:
            raise InvalidInstanceError(f"unknown layer {unknown[0]!r}", field=f"{field}.{unknown[0]}")
        missing = [layer.name for layer in graph.layers if layer.name not in values]
        if missing:
            raise InvalidInstanceError(f"no cost for layer {missing[0]!r}", field=field)
        by_name = dict(values)
    out = tuple(float(by_name[layer.name]) for layer in graph.layers)
    for name, v in zip((layer.name for layer in graph.layers), out, strict=True):
        if v < 0:
            raise InvalidInstanceError(f"cost of layer {name!r} must be >= 0, got {v}",
                                       field=field)
    return out


def _build(spec: InstanceSpec, model: str | GraphSpec | OnnxRef, graph: DnnGraph,
           ref: str | None) -> Instance:
    if isinstance(model, GraphSpec):
        order = [s.name for s in model.layers]
    else:
        order = [layer.name for layer in graph.layers]
    k = len(spec.tiers)
    if k == 0:
        raise InvalidInstanceError("at least one tier is needed", field="tiers")
    names = [t.name for t in spec.tiers]
    if len(set(names)) != k:
        raise InvalidInstanceError("tier names must be unique", field="tiers")
    tiers = []
    for i, t in enumerate(spec.tiers):
        f = f"tiers[{i}]"
        if t.latency is None and t.compute_rate is None and t.profile is None:
            raise InvalidInstanceError("needs a cost for every layer: give compute_rate, "
                                       "latency or profile", field=f"{f}.latency")
        latency = _per_layer(t.latency, graph, order, f"{f}.latency")
        if t.profile is not None:
            latency = _profile_latency(t, graph, f)
        elif t.slowdown != 1.0:
            raise InvalidInstanceError("slowdown scales a measured profile: give profile too",
                                       field=f"{f}.slowdown")
        if t.compute_rate is not None and t.compute_rate <= 0:
            raise InvalidInstanceError("must be > 0", field=f"{f}.compute_rate")
        for attr in ("layer_overhead", "power"):
            if getattr(t, attr) < 0:
                raise InvalidInstanceError("must be >= 0", field=f"{f}.{attr}")
        if t.memory is not None and t.memory < 0:
            raise InvalidInstanceError("must be >= 0", field=f"{f}.memory")
        tiers.append(TierCost(t.name, t.compute_rate, t.layer_overhead, latency, t.power,
                              _per_layer(t.energy, graph, order, f"{f}.energy"), t.memory,
                              t.profile, float(t.slowdown)))
    if len(spec.links) != k - 1:
        raise InvalidInstanceError(f"{k} tiers need {k - 1} links between consecutive tiers, "
                                   f"got {len(spec.links)}", field="links")
    for i, link in enumerate(spec.links):
        _check_link(link, f"links[{i}]")
        if link.down_bandwidth is not None and link.down_bandwidth <= 0:
            raise InvalidInstanceError("bandwidth must be > 0", field=f"links[{i}].down_bandwidth")
    for i, d in enumerate(spec.direct_links):
        _check_link(d, f"direct_links[{i}]")
        for end in ("src", "dst"):
            if not 0 <= getattr(d, end) < k:
                raise InvalidInstanceError(f"tier index out of range 0..{k - 1}",
                                           field=f"direct_links[{i}].{end}")
        if d.src == d.dst:
            raise InvalidInstanceError("src and dst must differ", field=f"direct_links[{i}]")
    if not 0 <= spec.input_tier < k:
        raise InvalidInstanceError(f"tier index out of range 0..{k - 1}", field="input_tier")
    for name, tier in spec.pinned.items():
        if name not in graph.index:
            raise InvalidInstanceError(f"unknown layer {name!r}", field=f"pinned.{name}")
        if not 0 <= tier < k:
            raise InvalidInstanceError(f"tier index out of range 0..{k - 1}",
                                       field=f"pinned.{name}")
    for key in ("device_energy_budget", "latency_slo"):
        value = getattr(spec, key)
        if value is not None and value < 0:
            raise InvalidInstanceError("must be >= 0", field=key)
    w = spec.weights or WeightSpec()
    if w.latency < 0 or w.energy < 0:
        raise InvalidInstanceError("weights must be >= 0", field="weights")
    exits = []
    for i, e in enumerate(spec.exits):
        if e.layer not in graph.index:
            raise InvalidInstanceError(f"unknown layer {e.layer!r}", field=f"exits[{i}].layer")
        if not 0 <= e.accuracy <= 1:
            raise InvalidInstanceError("accuracy must be in [0, 1]", field=f"exits[{i}].accuracy")
        exits.append((e.layer, e.accuracy))
    if not 0 <= spec.full_accuracy <= 1:
        raise InvalidInstanceError("accuracy must be in [0, 1]", field="full_accuracy")
    if spec.objective == "accuracy" and spec.latency_slo is None:
        raise InvalidInstanceError("the accuracy objective needs a latency_slo",
                                   field="latency_slo")
    inst = Instance(graph, tuple(tiers), tuple(spec.links), tuple(spec.direct_links),
                    spec.input_tier, spec.return_result, spec.objective, w.latency, w.energy,
                    spec.monotone, spec.device_energy_budget, spec.latency_slo,
                    tuple(sorted(spec.pinned.items())), tuple(exits), spec.full_accuracy, ref)
    _check_magnitudes(inst)
    return inst


#: larger derived times (s) or energies (J) are unit errors, and break solvers' arithmetic
MAX_MAGNITUDE = 1e9


def _check_magnitudes(inst: Instance) -> None:
    """Layer latencies/energies and one-hop transfer times must be finite and <= 1e9."""
    for k, (lat, en) in enumerate(zip(inst.latency, inst.energy, strict=True)):
        for name, values in (("latency", lat), ("energy", en)):
            worst = max(values)
            if not worst <= MAX_MAGNITUDE:
                v = values.index(worst)
                raise InvalidInstanceError(
                    f"{name} of layer {inst.graph.layers[v].name!r} is {worst:.3g}, above "
                    f"{MAX_MAGNITUDE:g}: check the units", field=f"tiers[{k}]")
    biggest = max([inst.graph.input_bytes] + [layer.output_bytes for layer in inst.graph.layers])
    hops = list(inst.hops.values()) + list(inst.direct.values())
    for hop in hops:
        t = hop.time(biggest)
        if not t <= MAX_MAGNITUDE:
            raise InvalidInstanceError(
                f"moving {biggest:.3g} bytes over the link {hop.src}->{hop.dst} takes {t:.3g} s, "
                f"above {MAX_MAGNITUDE:g}: check the units", field="links")


def _profile_latency(t: Any, graph: DnnGraph, f: str) -> tuple[float, ...]:
    """The measured latency of a tier with a ``profile`` (see :mod:`.profiles`)."""
    for other in ("latency", "compute_rate"):
        if getattr(t, other) is not None:
            raise InvalidInstanceError(f"give either {other} or profile, not both",
                                       field=f"{f}.{other}")
    if not t.slowdown > 0:
        raise InvalidInstanceError(f"must be > 0, got {t.slowdown}", field=f"{f}.slowdown")
    from formulations.partition.profiles import profile_latencies

    return profile_latencies(t.profile, graph, float(t.slowdown), f"{f}.profile")


def _check_link(link: LinkSpec | DirectLinkSpec, field: str) -> None:
    if link.bandwidth <= 0:
        raise InvalidInstanceError(f"bandwidth must be > 0 bit/s, got {link.bandwidth}",
                                   field=f"{field}.bandwidth")
    for attr in ("rtt", "tx_power", "rx_power"):
        if getattr(link, attr) < 0:
            raise InvalidInstanceError("must be >= 0", field=f"{field}.{attr}")


def _tier_dict(t: TierCost) -> dict[str, Any]:
    out: dict[str, Any] = {"name": t.name}
    if t.compute_rate is not None:
        out["compute_rate"] = t.compute_rate
    if t.layer_overhead:
        out["layer_overhead"] = t.layer_overhead
    if t.profile is not None:
        out["profile"] = t.profile
        if t.slowdown != 1.0:
            out["slowdown"] = t.slowdown
    elif t.latency is not None:
        out["latency"] = list(t.latency)
    out["power"] = t.power
    if t.energy is not None:
        out["energy"] = list(t.energy)
    if t.memory is not None:
        out["memory"] = t.memory
    return out

