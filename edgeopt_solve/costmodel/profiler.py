"""Per-layer profiling with ONNX Runtime.

Method (one :func:`profile_model` call):

1. **Attribution run** — a session with graph optimisations *disabled* (so every ONNX node
   is one layer), ``intra_op_num_threads = threads``, sequential execution and
   ``SessionOptions.enable_profiling``; ``warmup + runs`` inferences, the first ``warmup``
   discarded; per node the median and inter-quartile spread of the ``*_kernel_time``
   events. Node names map back to layers (a node is named after its layer; helper nodes
   are ``<layer>__<what>``).
2. **Fusion run** — the same with optimisations *enabled* (``ORT_ENABLE_ALL``). ORT names a
   fused node after the last layer of the fused group (``relu1_nchwc`` = conv1+bn1+relu1);
   a layer without a node of its own is absorbed into its single consumer, the group's time
   is shared in proportion to the unoptimised medians, and unattributable nodes (layout
   reorders) are shared over all layers the same way. This gives each layer an
   ``optimised`` latency.
3. **Whole model** — ``runs`` timed inferences (``perf_counter``) without profiling, with
   optimisations off and on, interleaved so machine-load drift hits both alike;
   ``fusion_ratio = optimised / unoptimised`` and ``overhead = unoptimised - sum of
   layer medians`` (session call and scheduling cost per inference). The CPU time of the
   same runs is recorded too: on a shared machine the wall clock includes waiting for the
   CPU, the CPU time is what a dedicated CPU would take
   (:class:`~edgeopt_solve.costmodel.measured.MeasuredCostModel` scales the per-layer
   shares to it by default).

RAPL package energy (:mod:`~edgeopt_solve.costmodel.energy`) is read around every
optimised whole-model run when the machine exposes it (``"energy": {"source": "rapl"}``);
otherwise the profile says ``"source": "model"`` with the reason, and energy is modelled
as power x time. With ``segments > 0`` the sub-models a partition plan runs are timed too
(:mod:`~edgeopt_solve.costmodel.segments`).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import platform
import statistics
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import numpy as np

from edgeopt_solve.costmodel.energy import RaplMeter
from edgeopt_solve.costmodel.onnx_build import graph_hash, random_input
from edgeopt_solve.costmodel.profile import (
    Energy,
    LayerStat,
    Machine,
    ModelInfo,
    Profile,
    Runtime,
    Stat,
    WholeModel,
)
from edgeopt_solve.exceptions import InvalidOptionError
from edgeopt_solve.system.dnn import DnnGraph

log = logging.getLogger(__name__)

#: ``progress(what, done, total)``
Progress = Callable[[str, int, int], None]


def machine_info() -> Machine:
    """CPU model, physical cores and logical CPUs of this machine."""
    model, cores = platform.processor() or platform.machine(), set()
    try:
        phys = core = None
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, val = line.partition(":")
            key, val = key.strip(), val.strip()
            if key == "model name":
                model = val
            elif key == "physical id":
                phys = val
            elif key == "core id":
                core = val
                cores.add((phys, core))
    except OSError:
        pass
    logical = os.cpu_count() or 1
    return Machine(cpu_model=model, physical_cores=len(cores) or logical, logical_cpus=logical,
                   platform=platform.platform(), python=platform.python_version())


def versions() -> tuple[str, str]:
    """(onnxruntime, onnx) versions."""
    import onnx
    import onnxruntime

    return onnxruntime.__version__, onnx.__version__


def make_session(model: Any, threads: int, *, optimise: bool,
                 profile_dir: str | None = None) -> Any:
    """An ORT CPU session: fixed intra-op threads, one inter-op thread, sequential."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.intra_op_num_threads = int(threads)
    so.inter_op_num_threads = 1
    so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
    so.graph_optimization_level = (ort.GraphOptimizationLevel.ORT_ENABLE_ALL if optimise
                                   else ort.GraphOptimizationLevel.ORT_DISABLE_ALL)
    so.log_severity_level = 3
    if profile_dir is not None:
        so.enable_profiling = True
        so.profile_file_prefix = str(Path(profile_dir) / "ort")
    data = model if isinstance(model, bytes | str) else model.SerializeToString()
    return ort.InferenceSession(data, so, providers=["CPUExecutionProvider"])


def stat(values: Sequence[float]) -> Stat:
    """Median, inter-quartile range, min, max and count of ``values``."""
    arr = np.asarray(values, dtype=float)
    q1, q3 = np.percentile(arr, [25, 75])
    return Stat(median=float(np.median(arr)), spread=float(q3 - q1), min=float(arr.min()),
                max=float(arr.max()), n=len(arr))


def node_times(model: Any, feeds: dict[str, np.ndarray], *, threads: int, runs: int,
               warmup: int, optimise: bool = False,
               tick: Callable[[], None] | None = None) -> dict[str, list[float]]:
    """Per-node kernel times (s) of the last ``runs`` of ``warmup + runs`` profiled runs."""
    with tempfile.TemporaryDirectory(prefix="edgeopt-prof-") as tmp:
        sess = make_session(model, threads, optimise=optimise, profile_dir=tmp)
        for _ in range(warmup + runs):
            sess.run(None, feeds)
            if tick:
                tick()
        path = sess.end_profiling()
        events = json.loads(Path(path).read_text())
    per_node: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for ev in events:
        if ev.get("cat") == "Node" and str(ev.get("name", "")).endswith("_kernel_time"):
            per_node[ev["name"][: -len("_kernel_time")]].append((ev["ts"], ev["dur"] * 1e-6))
    out = {}
    for node, vals in per_node.items():
        vals.sort()
        out[node] = [d for _, d in vals[-runs:]] if len(vals) > runs else [d for _, d in vals]
    return out


def layer_of(node: str, names: set[str]) -> str | None:
    """The layer an ORT node belongs to (``conv1``, ``fc__flatten`` -> ``fc``), or None."""
    if node in names:
        return node
    for sep in ("__", "_nchwc"):
        head = node.split(sep)[0]
        if head in names:
            return head
    return None


def whole_model_times(model: Any, feeds: dict[str, np.ndarray], *, threads: int, runs: int,
                      warmup: int, tick: Callable[[], None] | None = None,
                      meter: RaplMeter | None = None
                      ) -> tuple[list[float], list[float], list[float], list[float], float | None]:
    """Wall and CPU times of whole inferences without and with optimisation (interleaved),
    and the RAPL energy per optimised run (J) when ``meter`` can read it.

    CPU time is the calling thread's (``time.thread_time``) for one intra-op thread (ORT
    then computes on the calling thread) and the process's for more threads.
    """
    cpu_clock = time.thread_time if threads == 1 else time.process_time
    plain = make_session(model, threads, optimise=False)
    fused = make_session(model, threads, optimise=True)
    for _ in range(warmup):
        plain.run(None, feeds)
        fused.run(None, feeds)
    t_plain, t_fused, c_plain, c_fused = [], [], [], []
    joules: list[float] = []
    rapl_ok = meter is not None and meter.available
    for _ in range(runs):
        c0, t0 = cpu_clock(), time.perf_counter()
        plain.run(None, feeds)
        t1, c1 = time.perf_counter(), cpu_clock()
        e0 = meter.read() if rapl_ok else None
        c2, t2 = cpu_clock(), time.perf_counter()
        fused.run(None, feeds)
        t3, c3 = time.perf_counter(), cpu_clock()
        e1 = meter.read() if rapl_ok else None
        t_plain.append(t1 - t0)
        t_fused.append(t3 - t2)
        c_plain.append(c1 - c0)
        c_fused.append(c3 - c2)
        j = meter.joules(e0, e1) if rapl_ok else None
        if j is not None:
            joules.append(j)
        if tick:
            tick()
    return t_plain, t_fused, c_plain, c_fused, (float(np.median(joules)) if joules else None)


def optimised_shares(graph: DnnGraph, medians: dict[str, float],
                     fused_nodes: dict[str, float]) -> dict[str, float]:
    """Distribute optimised node times over layers (see the module docstring, step 2)."""
    names = {layer.name for layer in graph.layers}
    owned: dict[str, float] = defaultdict(float)
    loose = 0.0
    for node, t in fused_nodes.items():
        layer = layer_of(node, names)
        if layer is None:
            loose += t
        else:
            owned[layer] += t
    # absorb layers without an optimised node into their single consumer
    group_of: dict[str, str] = {}
    for i in reversed(range(len(graph.layers))):
        name = graph.layers[i].name
        if name in owned:
            group_of[name] = name
            continue
        succ = graph.successors[i]
        group_of[name] = group_of.get(graph.layers[succ[0]].name, name) if len(succ) == 1 \
            else name
    members: dict[str, list[str]] = defaultdict(list)
    for name, head in group_of.items():
        members[head].append(name)
    share: dict[str, float] = {}
    for head, names_ in members.items():
        total = owned.get(head, 0.0)
        base = sum(medians.get(n, 0.0) for n in names_)
        for n in names_:
            share[n] = total * (medians.get(n, 0.0) / base if base > 0 else 1 / len(names_))
    base_all = sum(medians.values())
    if base_all > 0 and loose > 0:
        for n in share:
            share[n] += loose * medians.get(n, 0.0) / base_all
    return share


def profile_model(model: Any, graph: DnnGraph, *, threads: int = 1, runs: int = 10,
                  warmup: int = 2, seed: int = 0, source: str = "",
                  progress: Progress | None = None, segments: int = 0,
                  cuts: Sequence[int] | None = None,
                  rapl_root: str | Path | None = None) -> Profile:
    """Profile ``model`` (the ONNX of ``graph``) on this machine.

    Parameters
    ----------
    model
        ONNX ``ModelProto`` (or its bytes) whose node names are ``graph``'s layer names.
    graph
        The layer graph the nodes map back to.
    threads
        ORT intra-op threads (>= 1).
    runs
        Timed runs per measurement (>= 1); ``warmup`` more are run first and discarded.
    seed
        Seed of the random input.
    source
        Where the model came from (zoo name or file), recorded in the profile.
    progress
        Called as ``progress(what, done, total)`` after every inference.
    segments
        Time the prefix / suffix / middle sub-models of at most this many cut points
        (spread over the model's latency; 0 = none), see
        :mod:`~edgeopt_solve.costmodel.segments`.
    cuts
        Explicit cut points (layer positions) to time instead of choosing ``segments``.
    rapl_root
        Powercap directory to read RAPL energy from (default ``/sys/class/powercap``).

    Returns
    -------
    Profile
        Without ``regression`` (see :func:`edgeopt_solve.costmodel.regression.sweep`).
    """
    import onnx

    if threads < 1 or runs < 1 or warmup < 0:
        raise InvalidOptionError("threads and runs must be >= 1 and warmup >= 0",
                                 field="--threads" if threads < 1 else "--runs")
    proto = model if not isinstance(model, bytes) else onnx.load_from_string(model)
    from edgeopt_solve.costmodel import segments as seg

    feeds = random_input(proto, seed)
    if cuts is not None:
        chosen = sorted(set(cuts))
    elif segments > 0:
        chosen = None  # chosen below, weighted by the measured per-layer medians
        n_pts = min(segments, len(seg.cut_points(graph)))
    else:
        chosen = []
    total = 2 * (warmup + runs) + runs + seg.ticks(
        len(chosen) if chosen is not None else n_pts, runs, warmup)
    done = 0

    def tick(what: str) -> Callable[[], None]:
        def _t() -> None:
            nonlocal done
            done += 1
            if progress:
                progress(what, done, total)
        return _t

    names = {layer.name for layer in graph.layers}
    raw = node_times(proto, feeds, threads=threads, runs=runs, warmup=warmup,
                     tick=tick("per-layer profile"))
    per_layer: dict[str, list[list[float]]] = defaultdict(list)
    unmapped = []
    for node, vals in raw.items():
        layer = layer_of(node, names)
        if layer is None:
            unmapped.append(node)
        else:
            per_layer[layer].append(vals)
    if unmapped:
        log.warning("%d ORT nodes do not map to a layer: %s", len(unmapped), unmapped[:5])
    layers: dict[str, LayerStat] = {}
    for layer in graph.layers:
        parts = per_layer.get(layer.name)
        if not parts:
            continue
        n = min(len(p) for p in parts)
        sums = [sum(p[k] for p in parts) for k in range(n)]
        s = stat(sums)
        nodes = sorted(nd for nd in raw if layer_of(nd, names) == layer.name)
        layers[layer.name] = LayerStat(op=layer.op, nodes=nodes, **s.model_dump())
    medians = {k: v.median for k, v in layers.items()}
    fused_raw = node_times(proto, feeds, threads=threads, runs=runs, warmup=warmup,
                           optimise=True, tick=tick("fusion profile"))
    fused = {k: float(np.median(v)) for k, v in fused_raw.items()}
    shares = optimised_shares(graph, medians, fused)
    layers = {k: v.model_copy(update={"optimised": shares.get(k, 0.0)})
              for k, v in layers.items()}
    meter = RaplMeter(rapl_root) if rapl_root is not None else RaplMeter()
    t_plain, t_fused, c_plain, c_fused, joules = whole_model_times(
        proto, feeds, threads=threads, runs=runs, warmup=warmup, tick=tick("whole model"),
        meter=meter)
    sp, sf = stat(t_plain), stat(t_fused)
    total_layers = float(sum(medians.values()))
    whole = WholeModel(unoptimised=sp, optimised=sf, unoptimised_cpu=stat(c_plain),
                       optimised_cpu=stat(c_fused), sum_of_layers=total_layers,
                       fusion_ratio=max(sf.median, 1e-9) / max(sp.median, 1e-9),
                       overhead=sp.median - total_layers)
    seg_stats = None
    if chosen is None:
        weights = [medians.get(layer.name, 0.0) for layer in graph.layers]
        chosen = seg.choose_cuts(seg.cut_points(graph), weights, segments)
    if chosen:
        seg_stats = seg.profile_segments(proto, graph, feeds, cuts=chosen, threads=threads,
                                         runs=runs, warmup=warmup, tick=tick("segments"))
    ort_v, onnx_v = versions()
    if joules is not None:
        energy = Energy(source="rapl", joules_per_run=joules,
                        average_power=joules / sf.median if sf.median > 0 else None,
                        reason=meter.reason)
    else:
        why = meter.reason if not meter.available else "RAPL readings failed"
        energy = Energy(source="model", reason=f"{why}; energy is modelled as power x time")
        log.info("energy not measured (%s)", energy.reason)
    return Profile(
        date=_dt.datetime.now(_dt.UTC).isoformat(timespec="seconds"),
        model=ModelInfo(name=graph.name, hash=graph_hash(graph), source=source,
                        layers=len(graph.layers)),
        machine=machine_info(),
        runtime=Runtime(onnxruntime=ort_v, onnx=onnx_v, threads=threads, warmup=warmup,
                        runs=runs),
        layers=layers, whole_model=whole, energy=energy, segments=seg_stats)


def time_model(model: Any, feeds: dict[str, np.ndarray], *, threads: int = 1, runs: int = 10,
               warmup: int = 2, optimise: bool = True) -> Stat:
    """Latency of whole inferences of ``model`` (e.g. one segment of a split model)."""
    sess = make_session(model, threads, optimise=optimise)
    for _ in range(warmup):
        sess.run(None, feeds)
    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        sess.run(None, feeds)
        times.append(time.perf_counter() - t0)
    return stat(times)


def median(values: Sequence[float]) -> float:
    """Median of a non-empty sequence."""
    return float(statistics.median(values))
