"""Validation by execution: run a partition plan for real and compare with the prediction.

A plan gives every layer a tier ``0 .. K-1`` (device < edge < cloud), never sending data
back towards the device (``tier[u] <= tier[v]`` on every edge). :func:`split` cuts the
ONNX model into one sub-model per tier with ``onnx.utils.Extractor`` (what
``onnx.utils.extract_model`` runs, here on the in-memory model), the inputs of each being
the cut tensors it reads. :func:`execute` then starts one OS process per tier
(``multiprocessing`` spawn), each with its own ONNX Runtime session (graph optimisations on,
the tier's thread count), chained by real TCP connections on 127.0.0.1, one per hop
(:func:`hops`): tier k sends to tier k+1 one message per inference holding every tensor a
later tier needs (tensors for tier k+2 are relayed), or, where the instance has a direct
link ``a -> c``, the tensors tier c reads from tier a go over that link instead (messages
to different tiers are sent concurrently). Each message goes through
:func:`~edgeopt_solve.costmodel.link.send_shaped`: RTT/2 propagation delay and a token
bucket at the link's bandwidth.

Returning the result: with ``return_link`` the last tier sends the model's output back to
the device process (tier 0) over one more shaped connection; a route back through several
tiers is emulated as one store-and-forward link (RTT = the sum of the hops' RTTs,
1/bandwidth = the sum of their 1/bandwidth, which is the same time as relaying hop by hop
for one message). The device process finishes an inference when it has the result.

Which tensors cross (:class:`Flow`): in a zoo model (``build_onnx``) a layer's output is
named after it and the input is ``input`` (:func:`layer_flow`); for a user's ONNX file
(``{"onnx": path}``, one layer per non-``Constant`` node, as ``read_onnx`` reads it)
:func:`onnx_flow` matches the layers to the nodes by name and order (checked by operator
and inputs) and lists the file's own tensors each layer reads; ``Constant`` nodes and
initialisers go with the stage using them; inputs are random from each model input's shape
and type (:func:`random_input`, symbolic dims -> 1); bytes come from shape inference.

Where the input starts (``input_tier``): the process of that tier generates the input and
starts each inference; tiers before it only receive the result when it returns (to tier 0,
as the partition model's ``return_result`` says, whatever the input tier). A plan must not
place a layer reading the input before ``input_tier`` (:func:`check_plan`).

Emulating a dedicated, slower device (``emulation``):

* ``"quota"`` — a CPU quota through the cgroup cpu controller
  (:mod:`~edgeopt_solve.costmodel.cgroup`, v2 ``cpu.max`` or v1 ``cpu.cfs_quota_us``):
  a tier with slowdown ``s`` gets ``threads / s`` CPUs and its compute time is the wall
  clock of its session run. Tiers with ``s <= 1`` are not limited and are timed as below.
* ``"padding"`` — each stage measures the CPU time of its session run
  (``time.thread_time``: with one intra-op thread ORT computes on the calling thread) and
  sleeps until ``slowdown x CPU time`` has passed since it started: the stage then takes
  what it would on a dedicated CPU ``slowdown`` times slower than this one, without
  stealing CPU from the other tier, and independent of other work on a shared machine.
  With more than one thread the wall clock is used instead.
* ``"auto"`` — the quota where :func:`~edgeopt_solve.costmodel.cgroup.detect` finds a
  usable controller and setting it up works, else padding. CFS enforces a quota per period
  (>= 1 ms of CPU), so a run much shorter than ``slowdown x`` 1 ms is hardly slowed by it:
  a limited stage whose first run shows an expected shortfall above
  :data:`~edgeopt_solve.costmodel.cgroup.MAX_QUOTA_BIAS` (10 %) is padded instead
  (``emulation_mode == "quota+padding"``). ``Execution.emulation`` says which tier used
  what and why.

Timestamps are ``time.perf_counter`` (CLOCK_MONOTONIC on Linux, one clock for all
processes). Per inference and stage: compute = ``slowdown x`` CPU time of the session
run; transfer = wall clock from the sender's end of compute (after padding) to the
receiver having decoded the message (serialisation, RTT/2, shaping, socket,
deserialisation); end-to-end = their sum. The wall-clock end-to-end time (first stage's
start to last stage's end) is reported too; on an idle machine the two agree. The last
run's outputs are compared with the unsplit model's.

Prediction (what :func:`predict` returns) uses the same accounting: compute of tier k =
``MeasuredCostModel.segment_latency`` of its layers (slowdown included), transfer of a hop
= ``LinkModel.transfer_time`` of the bytes crossing it (all tensors of a hop in one message,
so RTT/2 once per hop where the partition model charges it per tensor), the return (if any) =
``LinkModel.transfer_time`` of the output bytes over the return link. A stage that is
exactly a profiled segment uses the segment's measured latency
(:meth:`MeasuredCostModel.segment_latency`).
"""

from __future__ import annotations

import logging
import statistics
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgeopt_solve.costmodel.cgroup import MAX_QUOTA_BIAS
from edgeopt_solve.costmodel.flow import Flow, layer_flow, onnx_flow
from edgeopt_solve.costmodel.link import LinkModel
from edgeopt_solve.costmodel.measured import MeasuredCostModel
from edgeopt_solve.costmodel.onnx_build import INPUT_NAME, random_input
from edgeopt_solve.costmodel.testbed import (
    LOOPBACK,
    Testbed,
    set_limits,
)
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system.dnn import DnnGraph

log = logging.getLogger(__name__)
__all__ = [
    "LOOPBACK",
    "Execution",
    "Flow",
    "Hop",
    "Stage",
    "StageTimes",
    "Testbed",
    "check_plan",
    "execute",
    "hop_link",
    "hops",
    "layer_flow",
    "onnx_flow",
    "plan_emulation",
    "plan_from_cut",
    "predict",
    "prefix_plans",
    "random_input",
    "return_bytes",
    "split",
    "stages",
]


# ------------------------------------------------------------------------ plan and split
@dataclass(frozen=True)
class Stage:
    """What one tier's process does."""

    tier: int
    layers: tuple[str, ...]
    inputs: tuple[str, ...]       # tensors it receives (the model inputs on the input tier)
    compute_out: tuple[str, ...]  # tensors its session produces that are needed elsewhere
    send: tuple[str, ...]         # tensors it sends on to the next stage
    outputs: tuple[str, ...]      # graph outputs it produces
    send_bytes: int = 0           # raw tensor bytes it sends


def check_plan(graph: DnnGraph, tiers: Sequence[int], n_tiers: int, input_tier: int = 0
               ) -> None:
    """Raise :class:`InvalidInstanceError` unless ``tiers`` is a monotone plan whose layers
    reading the model input are on ``input_tier`` or later (the input starts there)."""
    if len(tiers) != len(graph.layers):
        raise InvalidInstanceError(f"has {len(tiers)} entries for {len(graph.layers)} layers",
                                   field="solution.tiers")
    for i, t in enumerate(tiers):
        if not isinstance(t, int) or isinstance(t, bool) or not 0 <= t < n_tiers:
            raise InvalidInstanceError(f"tier index must be in 0..{n_tiers - 1}, got {t!r}",
                                       field=f"solution.tiers[{i}]")
    for v, preds in enumerate(graph.predecessors):
        for u in preds:
            if tiers[u] > tiers[v]:
                raise InvalidInstanceError(
                    f"layer {graph.layers[v].name!r} on tier {tiers[v]} reads "
                    f"{graph.layers[u].name!r} from tier {tiers[u]}: data may not move back "
                    "towards the device", field=f"solution.tiers[{v}]")
        if not preds and tiers[v] < input_tier:
            raise InvalidInstanceError(
                f"layer {graph.layers[v].name!r} on tier {tiers[v]} reads the model input, "
                f"which starts on tier {input_tier}: data may not move back towards the device",
                field=f"solution.tiers[{v}]")


def plan_from_cut(graph: DnnGraph, cut: Sequence[str]) -> tuple[int, ...]:
    """Two-tier plan: the cut tensors and everything they depend on on the device (0),
    the rest on the server (1). An empty cut is server-only.

    Raises
    ------
    InvalidInstanceError
        If a cut tensor is not a layer output of ``graph``.
    """
    on_device: set[int] = set()
    stack = []
    for i, name in enumerate(cut):
        if name not in graph.index:
            raise InvalidInstanceError(f"cut tensor {name!r} does not exist in model "
                                       f"{graph.name!r}", field=f"cut[{i}]")
        stack.append(graph.index[name])
    while stack:
        v = stack.pop()
        if v not in on_device:
            on_device.add(v)
            stack.extend(graph.predecessors[v])
    return tuple(0 if i in on_device else 1 for i in range(len(graph.layers)))


def prefix_plans(graph: DnnGraph) -> list[tuple[int, ...]]:
    """Every single cut in topological order: the first i layers on tier 0 (i = 0..N)."""
    n = len(graph.layers)
    return [tuple(0 if j < i else 1 for j in range(n)) for i in range(n + 1)]


def _flow_parts(graph: DnnGraph, tiers: Sequence[int], flow: Flow | None, input_tier: int
                ) -> tuple[Flow, dict[str, int], dict[str, set[int]]]:
    """``(flow, producing tier of each tensor, reading tiers of each tensor)``."""
    flow = flow or layer_flow(graph)
    producer: dict[str, int] = dict.fromkeys(flow.inputs, input_tier)
    readers: dict[str, set[int]] = {}
    for v, reads in enumerate(flow.reads):
        for t, src in reads:
            producer[t] = input_tier if src == INPUT_NAME else tiers[graph.index[src]]
            readers.setdefault(t, set()).add(tiers[v])
    for t, src in flow.outputs:
        producer[t] = tiers[graph.index[src]]
    return flow, producer, readers


def stages(graph: DnnGraph, tiers: Sequence[int], flow: Flow | None = None,
           input_tier: int = 0) -> list[Stage]:
    """The per-tier stages of a monotone plan, from tier 0 to the last tier used (tiers
    before ``input_tier``, where the model input starts, do nothing)."""
    n_stage = max(tiers) + 1
    flow, producer, readers = _flow_parts(graph, tiers, flow, input_tier)
    produced: dict[int, set[str]] = {}
    for reads in flow.reads:
        for t, src in reads:
            if src != INPUT_NAME:
                produced.setdefault(tiers[graph.index[src]], set()).add(t)
    graph_out = {t for t, _ in flow.outputs}
    for t, src in flow.outputs:
        produced.setdefault(tiers[graph.index[src]], set()).add(t)
    out: list[Stage] = []
    received: tuple[str, ...] = ()
    for k in range(n_stage):
        if k == input_tier:
            received = tuple(flow.inputs)
        layers = tuple(la.name for i, la in enumerate(graph.layers) if tiers[i] == k)
        send = tuple(sorted(t for t, r in readers.items()
                            if producer[t] <= k and max(r) > k))
        mine = produced.get(k, set())
        compute_out = tuple(sorted(mine & (set(send) | graph_out)))
        out.append(Stage(k, layers, received, compute_out, send, tuple(sorted(mine & graph_out)),
                         sum(flow.sizes.get(t, 0) for t in send)))
        received = send
    return out
@dataclass(frozen=True)
class Hop:
    """One link use of a plan: tier ``src`` sends ``tensors`` (``nbytes`` raw bytes) to tier
    ``dst`` once per inference, over ``links[src]`` (``dst == src + 1``) or a direct link."""

    src: int
    dst: int
    tensors: tuple[str, ...]
    nbytes: int
    direct: bool = False

    @property
    def label(self) -> str:
        """``link k`` for the link between tiers k and k+1, ``direct a->c`` otherwise."""
        return f"direct {self.src}->{self.dst}" if self.direct else f"link {self.src}"


def hops(graph: DnnGraph, tiers: Sequence[int], direct: Iterable[tuple[int, int]] = (),
         flow: Flow | None = None, input_tier: int = 0) -> list[Hop]:
    """The hops of a monotone plan, ordered by ``(src, dst)``.

    A tensor produced on tier ``a`` (the model input on ``input_tier``) and read on tier
    ``c > a`` takes the direct link ``a -> c`` if there is one, else it is relayed over
    ``a -> a+1 -> ... -> c``; a hop shared by several readers carries it once (the
    partition model's union of routes). Without direct links hop ``k -> k+1`` carries
    exactly ``stages(...)[k].send``.
    """
    direct = set(direct)
    flow, producer, readers = _flow_parts(graph, tiers, flow, input_tier)
    carried: dict[tuple[int, int], set[str]] = {}
    for t, rs in readers.items():
        a = producer[t]
        for c in rs:
            if c <= a:
                continue
            route = [(a, c)] if (a, c) in direct else [(k, k + 1) for k in range(a, c)]
            for hop in route:
                carried.setdefault(hop, set()).add(t)
    return [Hop(a, c, tuple(sorted(ts)), sum(flow.sizes.get(t, 0) for t in ts),
                (a, c) in direct)
            for (a, c), ts in sorted(carried.items())]


def split(model: Any, graph: DnnGraph, tiers: Sequence[int], out_dir: str | Path,
          flow: Flow | None = None, input_tier: int = 0) -> list[tuple[Stage, str | None]]:
    """Extract one sub-model per stage into ``out_dir``; ``None`` for a stage without layers.

    The sub-model of a stage reads the tensors its layers read from other tiers (``flow``)
    and outputs what it sends on and the graph outputs it computes.
    """
    import onnx
    from onnx.utils import Extractor

    flow = flow or layer_flow(graph)
    # what onnx.utils.extract_model does, on the in-memory model: infer shapes, extract
    ex = Extractor(onnx.shape_inference.infer_shapes(model))
    out: list[tuple[Stage, str | None]] = []
    for st in stages(graph, tiers, flow, input_tier):
        if not st.layers:
            out.append((st, None))
            continue
        mine = set(st.layers)
        sub_in = sorted({t for name in st.layers for t, src in flow.reads[graph.index[name]]
                         if src not in mine})
        try:
            sub = ex.extract_model(sub_in, list(st.compute_out))
        except Exception as exc:  # a tensor without an inferred type, say
            raise InvalidInstanceError(f"cannot extract the sub-model of tier {st.tier} "
                                       f"({type(exc).__name__}: {exc})", field="model") from None
        path = Path(out_dir) / f"stage{st.tier}.onnx"
        onnx.save(sub, str(path))
        out.append((st, str(path)))
    return out


# ------------------------------------------------------------------------ prediction
@dataclass(frozen=True)
class StageTimes:
    """Seconds per stage: compute of each tier and transfer over each hop used."""

    compute: tuple[float, ...]
    transfer: tuple[float, ...]
    back: float = 0.0  # returning the result to tier 0

    @property
    def total(self) -> float:
        """End-to-end seconds."""
        return float(sum(self.compute) + sum(self.transfer) + self.back)


def return_bytes(graph: DnnGraph, tiers: Sequence[int], flow: Flow | None = None,
                 input_tier: int = 0) -> int:
    """Bytes of the model outputs the last tier used sends back to tier 0 (0 if none)."""
    flow = flow or layer_flow(graph)
    last = stages(graph, tiers, flow, input_tier)[-1]
    if last.tier == 0:
        return 0
    return int(sum(flow.sizes.get(t, 0) for t in last.outputs))


def hop_link(hop: Hop, links: Sequence[LinkModel],
             direct: dict[tuple[int, int], LinkModel] | None) -> LinkModel:
    """The link model a hop uses."""
    return direct[(hop.src, hop.dst)] if hop.direct and direct else links[hop.src]


def predict(graph: DnnGraph, tiers: Sequence[int], models: Sequence[MeasuredCostModel],
            links: Sequence[LinkModel], return_link: LinkModel | None = None,
            direct: dict[tuple[int, int], LinkModel] | None = None, flow: Flow | None = None,
            input_tier: int = 0) -> StageTimes:
    """Predicted per-stage times of a plan (see the module docstring); ``transfer`` is per
    hop in :func:`hops` order."""
    sts = stages(graph, tiers, flow, input_tier)
    compute = tuple(models[s.tier].segment_latency(graph.layers[graph.index[n]]
                                                   for n in s.layers) for s in sts)
    transfer = tuple(hop_link(h, links, direct).transfer_time(h.nbytes)
                     for h in hops(graph, tiers, direct or {}, flow, input_tier))
    back = return_link.transfer_time(return_bytes(graph, tiers, flow, input_tier)) \
        if return_link else 0.0
    return StageTimes(compute, transfer, back)


# ------------------------------------------------------------------------ execution
@dataclass
class Execution:
    """Measured result of :func:`execute`."""

    runs: int
    end_to_end: list[float]       # dedicated-CPU compute + wall-clock transfers, per run
    compute: list[list[float]]    # per stage, per run: slowdown x CPU time (1 thread)
    transfer: list[list[float]]   # per hop, per run (wall clock)
    end_to_end_wall: list[float]  # wall clock, first stage start to last stage end
    compute_wall: list[list[float]]
    outputs_match: bool
    max_abs_diff: float
    emulation: str
    outputs: dict[str, np.ndarray] = field(default_factory=dict, repr=False)
    back: list[float] = field(default_factory=list)  # result return per run (wall clock)
    emulation_mode: str = "padding"                  # "quota", "padding", "quota+padding"

    def median(self) -> StageTimes:
        """Median of each stage over the runs."""
        return StageTimes(tuple(statistics.median(c) for c in self.compute),
                          tuple(statistics.median(t) for t in self.transfer),
                          statistics.median(self.back) if self.back else 0.0)

    @property
    def median_total(self) -> float:
        """Median end-to-end latency (dedicated-CPU compute + real transfers), s."""
        return float(statistics.median(self.end_to_end))

    @property
    def median_wall(self) -> float:
        """Median wall-clock end-to-end latency on this (possibly shared) machine, s."""
        return float(statistics.median(self.end_to_end_wall))


def cpu_controller_available() -> bool:
    """Whether a cgroup cpu controller (v2 or v1) is usable for a CPU quota."""
    from edgeopt_solve.costmodel.cgroup import detect

    return detect().available


def plan_emulation(mode: str, detection: Any) -> tuple[bool, str]:
    """``(use the quota?, why)`` for ``mode`` (auto/quota/padding) and a cgroup detection.

    Raises
    ------
    InvalidInstanceError
        For an unknown mode, or ``"quota"`` when no controller is available.
    """
    if mode not in ("auto", "quota", "padding"):
        raise InvalidInstanceError(f"must be auto, quota or padding, got {mode!r}",
                                   field="emulation")
    if mode == "padding":
        return False, "padding requested"
    if detection.available:
        return True, detection.reason
    if mode == "quota":
        raise InvalidInstanceError(f"no usable cgroup cpu controller: {detection.reason}",
                                   field="emulation")
    return False, f"no usable cgroup cpu controller: {detection.reason}"


def execute(model: Any, graph: DnnGraph, tiers: Sequence[int], links: Sequence[LinkModel],
            *, threads: Sequence[int] | int = 1, slowdown: Sequence[float] | float = 1.0,
            runs: int = 10, warmup: int = 2, seed: int = 0, timeout: float = 600.0,
            testbed: Testbed | None = None, return_link: LinkModel | None = None,
            emulation: str = "padding", cgroup: Any = None,
            direct: dict[tuple[int, int], LinkModel] | None = None, flow: Flow | None = None,
            input_tier: int = 0) -> Execution:
    """Execute a plan with one process per tier over shaped loopback TCP (module docstring).

    Parameters
    ----------
    model
        The unsplit ONNX model (layer names = tensor names, as :func:`build_onnx` makes;
        any other model with its ``flow``).
    graph
        Its layer graph.
    tiers
        Tier of every layer (monotone).
    links
        ``links[k]`` joins tier k and k+1 (bandwidth and RTT are emulated).
    threads, slowdown
        Per tier (or one value for all): ORT intra-op threads; latency multiplier (>= 1).
    runs, warmup
        Timed inferences and discarded ones before them.
    testbed
        Reuse these stage processes (else they are started and stopped here).
    return_link
        Send the output back from the last tier used to tier 0 over this link (None: the
        result stays where it is computed).
    emulation
        ``"padding"`` (default), ``"quota"`` or ``"auto"`` (module docstring).
    cgroup
        A :class:`~edgeopt_solve.costmodel.cgroup.Detection` to use instead of detecting
        (tests pass a fake tree's).
    direct
        Direct links ``(src, dst) -> LinkModel`` (``src < dst``): a tensor from ``src`` read
        on ``dst`` goes over it instead of being relayed (:func:`hops`).
    flow
        The model's tensor flow (:func:`onnx_flow` for a user's ONNX file; default: the
        zoo convention, :func:`layer_flow`).
    input_tier
        The tier where the model input starts: its process generates the input and starts
        each inference; the tiers before it do nothing (but tier 0 receives the result when
        it returns).
    """
    import onnx

    from edgeopt_solve.costmodel.cgroup import detect

    n_stage = max(tiers) + 1
    direct = {k: v for k, v in (direct or {}).items() if k[0] < k[1]}
    check_plan(graph, list(tiers), max(n_stage, len(links) + 1,
                                       *(d + 1 for _, d in direct)), input_tier)
    if len(links) < n_stage - 1:
        raise InvalidInstanceError(f"the plan uses {n_stage} tiers but only {len(links)} "
                                   "links are given", field="links")
    thr = [threads] * n_stage if isinstance(threads, int) else list(threads)
    slow = [float(slowdown)] * n_stage if isinstance(slowdown, int | float) else list(slowdown)
    proto = model if not isinstance(model, str | Path) else onnx.load(str(model))
    feeds = random_input(proto, seed)
    t0 = input_tier
    total = warmup + runs
    use_quota, why = plan_emulation(emulation, cgroup if cgroup is not None else
                                    (detect() if emulation != "padding" else None))
    ret = return_link is not None and n_stage > 1
    own = testbed is None
    bed = testbed or Testbed()
    with tempfile.TemporaryDirectory(prefix="edgeopt-split-") as tmp:
        parts = split(proto, graph, tiers, tmp, flow, t0)
        plan_hops = hops(graph, tiers, direct, flow, t0)
        hop_models = [hop_link(h, links, direct) for h in plan_hops]
        bed.ensure(n_stage)
        pipes = bed.pipes[:n_stage]
        try:
            use_quota, why, limited = set_limits(bed, use_quota, why, emulation, slow, thr,
                                                  n_stage, cgroup)
            for k, (st, path) in enumerate(parts):
                pipes[k].send({"path": path, "threads": int(thr[k]), "slowdown": slow[k],
                               "quota": ("always" if emulation == "quota" else "auto")
                               if limited[k] else None,
                               "cgroup_procs": bed.cgroup_procs[k] if limited[k] else None,
                               "first": k == t0, "report_done": k == (0 if ret else n_stage - 1),
                               "return": ret and k == 0,
                               "compute_out": list(st.compute_out),
                               "outputs": list(st.outputs), "total": total,
                               "n_in": sum(1 for h in plan_hops if h.dst == k),
                               "out_hops": [{"id": i, "tensors": list(h.tensors),
                                             "bandwidth": hop_models[i].bandwidth,
                                             "rtt": hop_models[i].rtt}
                                            for i, h in enumerate(plan_hops) if h.src == k],
                               "return_bandwidth": return_link.bandwidth if ret else None,
                               "return_rtt": return_link.rtt if ret else 0.0,
                               "feeds": feeds if k == t0 else None})
            ports = [_expect(pp, "ready", timeout)[1] for pp in pipes]  # (hops in, return)
            for k in range(n_stage):
                pipes[k].send(("connect", [ports[h.dst][0] for h in plan_hops if h.src == k],
                               ports[0][1] if ret and k == n_stage - 1 else None))
            for pp in pipes:
                _expect(pp, "connected", timeout)
            done_pipe = pipes[0] if ret else pipes[-1]
            for _ in range(total):
                pipes[t0].send("go")
                _expect(done_pipe, "done", timeout)
            reports = [_expect(pp, "times", timeout) for pp in pipes]
        except BaseException:
            bed.close()  # a stage may be stuck mid-protocol: never reuse it
            raise
        finally:
            if own:
                bed.close()
    stamps = [r[1][warmup:] for r in reports]
    outputs: dict[str, np.ndarray] = {}
    for r in reports:
        outputs.update(r[2])
    back = [stamps[0][i][4] - stamps[-1][i][2] for i in range(runs)] if ret else []
    wall = [(stamps[0][i][4] if ret else stamps[-1][i][2]) - stamps[t0][i][1]
            for i in range(runs)]
    compute_wall = [[s[i][2] - s[i][1] for i in range(runs)] for s in stamps]
    compute = [[s[i][3] if thr[k] == 1 else s[i][2] - s[i][1] for i in range(runs)]
               for k, s in enumerate(stamps)]
    transfer = [[stamps[h.dst][i][5][j] - stamps[h.src][i][2] for i in range(runs)]
                for j, h in enumerate(plan_hops)]
    e2e = [sum(c[i] for c in compute) + sum(t[i] for t in transfer) + (back[i] if ret else 0.0)
           for i in range(runs)]
    ref = _reference_outputs(proto, feeds)
    diff = max((float(np.max(np.abs(ref[k] - outputs[k]))) for k in ref if k in outputs),
               default=float("inf"))
    scale = max(float(np.max(np.abs(v))) for v in ref.values())
    match = set(ref) <= set(outputs) and diff <= 1e-4 * max(scale, 1.0)
    slows = ",".join(f"{s:g}" for s in slow[:n_stage])
    modes = [r[3] for r in reports]
    by_quota = [k for k in range(n_stage) if modes[k] == "quota"]
    if use_quota and by_quota:
        padded = [k for k in range(n_stage) if limited[k] and modes[k] != "quota"]
        mode = "quota+padding" if padded else "quota"
        emu = (f"threads {','.join(map(str, thr[:n_stage]))}; slowdown {slows} by a cgroup CPU "
               f"quota ({why}); timed by the wall clock of the run under the quota: tier(s) "
               f"{','.join(map(str, by_quota))}"
               + (f"; padded instead (runs too short for the quota's granularity, bias > "
                  f"{100 * MAX_QUOTA_BIAS:g} %): tier(s) {','.join(map(str, padded))}"
                  if padded else "")
               + "; unlimited tiers timed by CPU time")
    else:
        if use_quota:
            why += (f"; but every limited tier's run is too short for the quota's granularity "
                    f"(bias > {100 * MAX_QUOTA_BIAS:g} %), so they are padded")
        emu = (f"threads {','.join(map(str, thr[:n_stage]))}; slowdown {slows} by CPU-time "
               f"padding (compute timed by CPU time and padded by sleeping to slowdown x "
               f"that); cgroup CPU quota not used: {why}")
        mode = "padding"
    return Execution(runs, e2e, compute, transfer, wall, compute_wall, match, diff, emu,
                     outputs, back, mode)


def _expect(pipe: Any, what: str, timeout: float) -> Any:
    if not pipe.poll(timeout):
        raise TimeoutError(f"a stage process did not answer {what!r} within {timeout} s")
    msg = pipe.recv()
    if msg[0] == "error":
        raise RuntimeError(f"a stage process failed: {msg[1]}")
    if msg[0] != what:
        raise RuntimeError(f"stage protocol error: expected {what!r}, got {msg[0]!r}")
    return msg


def _reference_outputs(model: Any, feeds: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    from edgeopt_solve.costmodel.profiler import make_session

    sess = make_session(model, 1, optimise=True)
    names = [o.name for o in sess.get_outputs()]
    return dict(zip(names, sess.run(names, feeds), strict=True))
