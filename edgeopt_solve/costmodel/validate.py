"""Validation by execution: run a partition plan for real and compare with the prediction.

A plan gives every layer a tier ``0 .. K-1`` (device < edge < cloud), never sending data
back towards the device (``tier[u] <= tier[v]`` on every edge). :func:`split` cuts the
ONNX model into one sub-model per tier with ``onnx.utils.Extractor`` (what
``onnx.utils.extract_model`` runs, here on the in-memory model), the inputs of each being
the cut tensors it reads. :func:`execute` then starts one OS process per tier
(``multiprocessing`` spawn), each with its own ONNX Runtime session (graph optimisations on,
the tier's thread count), chained by real TCP connections on 127.0.0.1. Tier k sends to
tier k+1 one message per inference holding every tensor a later tier needs (tensors for
tier k+2 are relayed), through :func:`~edgeopt_solve.costmodel.link.send_shaped`: RTT/2
propagation delay and a token bucket at the link's bandwidth.

Emulating a dedicated, slower device: the cgroup v2 cpu controller (a CPU quota) is used
nowhere — it needs a delegated cgroup, which this code does not create. Instead each
stage measures the CPU time of its session run (``time.thread_time``: with one intra-op
thread ORT computes on the calling thread) and sleeps until ``slowdown x CPU time`` has
passed since it started: the stage then takes what it would on a dedicated CPU
``slowdown`` times slower than this one, without stealing CPU from the other tier, and
independent of other work on a shared machine (if waiting for the CPU already took longer,
the wall clock shows it). :func:`cpu_controller_available` reports whether the machine
would allow a quota. With more than one thread the wall clock is used instead.

Timestamps are ``time.perf_counter`` (CLOCK_MONOTONIC on Linux, one clock for all
processes). Per inference and stage: compute = ``slowdown x`` CPU time of the session
run; transfer = wall clock from the sender's end of compute (after padding) to the
receiver having decoded the message (serialisation, RTT/2, shaping, socket,
deserialisation); end-to-end = their sum. The wall-clock end-to-end time (first stage's
start to last stage's end) is reported too; on an idle machine the two agree. The last
run's outputs are compared with the unsplit model's.

Prediction (what :func:`predict` returns) uses the same accounting: compute of tier k =
``MeasuredCostModel.segment_latency`` of its layers (slowdown included), transfer of hop k
= ``LinkModel.transfer_time`` of the bytes crossing it. Returning the result to the device
is neither emulated nor predicted.
"""

from __future__ import annotations

import contextlib
import logging
import multiprocessing as mp
import socket
import statistics
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from edgeopt_solve.costmodel.link import LinkModel, decode, encode, recv_message, send_shaped
from edgeopt_solve.costmodel.measured import MeasuredCostModel
from edgeopt_solve.costmodel.onnx_build import INPUT_NAME, random_input
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system.dnn import DnnGraph

log = logging.getLogger(__name__)
LOOPBACK = "127.0.0.1"


# ------------------------------------------------------------------------ plan and split
@dataclass(frozen=True)
class Stage:
    """What one tier's process does."""

    tier: int
    layers: tuple[str, ...]
    inputs: tuple[str, ...]       # tensors it receives (``input`` for the model input)
    compute_out: tuple[str, ...]  # tensors its session produces that are needed elsewhere
    send: tuple[str, ...]         # tensors it sends on to the next stage
    outputs: tuple[str, ...]      # graph outputs it produces
    send_bytes: int = 0           # raw tensor bytes it sends


def check_plan(graph: DnnGraph, tiers: Sequence[int], n_tiers: int) -> None:
    """Raise :class:`InvalidInstanceError` unless ``tiers`` is a monotone plan."""
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


def stages(graph: DnnGraph, tiers: Sequence[int]) -> list[Stage]:
    """The per-tier stages of a monotone plan, from tier 0 to the last tier used."""
    n_stage = max(tiers) + 1
    readers: dict[str, set[int]] = {}
    for v, layer in enumerate(graph.layers):
        for src in layer.inputs or (INPUT_NAME,):
            readers.setdefault(src, set()).add(tiers[v])
    producer_tier = {layer.name: tiers[i] for i, layer in enumerate(graph.layers)}
    producer_tier[INPUT_NAME] = 0
    sinks = {graph.layers[j].name for j in graph.sinks}
    sizes = {layer.name: int(layer.output_bytes) for layer in graph.layers}
    sizes[INPUT_NAME] = int(graph.input_bytes)
    out: list[Stage] = []
    received: tuple[str, ...] = (INPUT_NAME,)
    for k in range(n_stage):
        layers = tuple(la.name for i, la in enumerate(graph.layers) if tiers[i] == k)
        send = tuple(sorted(t for t, r in readers.items()
                            if producer_tier[t] <= k and max(r) > k))
        mine = set(layers)
        compute_out = tuple(sorted(mine & (set(send) | sinks)))
        out.append(Stage(k, layers, received, compute_out, send, tuple(sorted(mine & sinks)),
                         sum(sizes[t] for t in send)))
        received = send
    return out


def split(model: Any, graph: DnnGraph, tiers: Sequence[int], out_dir: str | Path
          ) -> list[tuple[Stage, str | None]]:
    """Extract one sub-model per stage into ``out_dir``; ``None`` for a stage without layers."""
    import onnx
    from onnx.utils import Extractor

    # what onnx.utils.extract_model does, on the in-memory model: infer shapes, extract
    ex = Extractor(onnx.shape_inference.infer_shapes(model))
    out: list[tuple[Stage, str | None]] = []
    for st in stages(graph, tiers):
        if not st.layers:
            out.append((st, None))
            continue
        reads = {src for name in st.layers
                 for src in (graph.layers[graph.index[name]].inputs or (INPUT_NAME,))}
        sub_in = sorted(t for t in reads if t not in st.layers)
        sub = ex.extract_model(sub_in, list(st.compute_out))
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

    @property
    def total(self) -> float:
        """End-to-end seconds."""
        return float(sum(self.compute) + sum(self.transfer))


def predict(graph: DnnGraph, tiers: Sequence[int], models: Sequence[MeasuredCostModel],
            links: Sequence[LinkModel]) -> StageTimes:
    """Predicted per-stage times of a plan (see the module docstring)."""
    sts = stages(graph, tiers)
    compute = tuple(models[s.tier].segment_latency(graph.layers[graph.index[n]]
                                                   for n in s.layers) for s in sts)
    transfer = tuple(links[s.tier].transfer_time(s.send_bytes) for s in sts[:-1])
    return StageTimes(compute, transfer)


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

    def median(self) -> StageTimes:
        """Median of each stage over the runs."""
        return StageTimes(tuple(statistics.median(c) for c in self.compute),
                          tuple(statistics.median(t) for t in self.transfer))

    @property
    def median_total(self) -> float:
        """Median end-to-end latency (dedicated-CPU compute + real transfers), s."""
        return float(statistics.median(self.end_to_end))

    @property
    def median_wall(self) -> float:
        """Median wall-clock end-to-end latency on this (possibly shared) machine, s."""
        return float(statistics.median(self.end_to_end_wall))


def cpu_controller_available() -> bool:
    """Whether a cgroup v2 cpu controller is delegated to us (a CPU quota would work)."""
    try:
        ctrl = Path("/sys/fs/cgroup/cgroup.controllers").read_text().split()
        subtree = Path("/sys/fs/cgroup/cgroup.subtree_control")
        return "cpu" in ctrl and subtree.exists() and bool(
            Path("/sys/fs/cgroup").stat().st_mode & 0o200)
    except OSError:
        return False


class Testbed:
    """Stage processes kept alive across :func:`execute` calls (spawning a process that
    imports ONNX Runtime costs seconds on a loaded machine). Use as a context manager."""

    def __init__(self) -> None:
        self._ctx = mp.get_context("spawn")
        self.procs: list[Any] = []
        self.pipes: list[Any] = []

    def ensure(self, n: int) -> None:
        """Have at least ``n`` stage processes."""
        while len(self.procs) < n:
            parent, child = self._ctx.Pipe()
            p = self._ctx.Process(target=_stage_worker, args=(child,), daemon=True)
            p.start()
            self.procs.append(p)
            self.pipes.append(parent)

    def close(self) -> None:
        """Stop the stage processes."""
        for pipe in self.pipes:
            with contextlib.suppress(OSError):
                pipe.send(None)
        for p in self.procs:
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
        self.procs, self.pipes = [], []

    def __enter__(self) -> Testbed:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _stage_worker(conn: Any) -> None:  # runs in a child process, one job per spec
    import onnxruntime as ort

    while True:
        spec = conn.recv()
        if spec is None:
            return
        try:
            _stage_job(conn, spec, ort)
        except Exception as exc:  # reported to the driver, which raises
            conn.send(("error", f"{type(exc).__name__}: {exc}"))


def _stage_job(conn: Any, spec: dict[str, Any], ort: Any) -> None:
    sess = None
    if spec["path"]:
        so = ort.SessionOptions()
        so.intra_op_num_threads = spec["threads"]
        so.inter_op_num_threads = 1
        so.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        so.log_severity_level = 3
        sess = ort.InferenceSession(spec["path"], so, providers=["CPUExecutionProvider"])
        sess_inputs = [i.name for i in sess.get_inputs()]
    listener = None
    if spec["first"]:
        conn.send(("ready", None))
    else:
        listener = socket.create_server((LOOPBACK, 0))
        conn.send(("ready", listener.getsockname()[1]))
    nxt = None
    cmd = conn.recv()
    if cmd[0] == "connect":
        nxt = socket.create_connection((LOOPBACK, cmd[1]))
        nxt.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    prev = listener.accept()[0] if listener is not None else None
    conn.send(("connected", None))
    feeds0 = spec.get("feeds") or {}
    cpu_clock = time.thread_time if spec["threads"] == 1 else time.process_time
    times: list[tuple[float, float, float, float]] = []
    outputs: dict[str, np.ndarray] = {}
    for _ in range(spec["total"]):
        if prev is None:
            conn.recv()  # "go"
            tensors = dict(feeds0)
            t_in = time.perf_counter()
        else:
            tensors = decode(recv_message(prev))
            t_in = time.perf_counter()
        t0, c0 = time.perf_counter(), cpu_clock()
        cpu = 0.0
        if sess is not None:
            res = sess.run(list(spec["compute_out"]), {k: tensors[k] for k in sess_inputs})
            tensors.update(zip(spec["compute_out"], res, strict=True))
            t1, cpu = time.perf_counter(), cpu_clock() - c0
            # the emulated dedicated device needs slowdown x (CPU time) for this stage
            busy = cpu if spec["threads"] == 1 else t1 - t0
            target = t0 + spec["slowdown"] * busy
            while time.perf_counter() < target:
                time.sleep(max(target - time.perf_counter(), 0.0) * 0.9 + 1e-5)
            cpu *= spec["slowdown"]
        t2 = time.perf_counter()
        outputs = {k: tensors[k] for k in spec["outputs"]}
        if nxt is not None:
            send_shaped(nxt, encode({k: tensors[k] for k in spec["send"]}),
                        bandwidth=spec["bandwidth"], rtt=spec["rtt"])
        times.append((t_in, t0, t2, cpu))
        if spec["last"]:
            conn.send(("done", None))
    conn.send(("times", times, outputs))
    for s in (nxt, prev, listener):
        if s is not None:
            s.close()


def execute(model: Any, graph: DnnGraph, tiers: Sequence[int], links: Sequence[LinkModel],
            *, threads: Sequence[int] | int = 1, slowdown: Sequence[float] | float = 1.0,
            runs: int = 10, warmup: int = 2, seed: int = 0, timeout: float = 600.0,
            testbed: Testbed | None = None) -> Execution:
    """Execute a plan with one process per tier over shaped loopback TCP (module docstring).

    Parameters
    ----------
    model
        The unsplit ONNX model (layer names = tensor names, as :func:`build_onnx` makes).
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
    """
    import onnx

    n_stage = max(tiers) + 1
    check_plan(graph, list(tiers), max(n_stage, len(links) + 1))
    if len(links) < n_stage - 1:
        raise InvalidInstanceError(f"the plan uses {n_stage} tiers but only {len(links)} "
                                   "links are given", field="links")
    thr = [threads] * n_stage if isinstance(threads, int) else list(threads)
    slow = [float(slowdown)] * n_stage if isinstance(slowdown, int | float) else list(slowdown)
    proto = model if not isinstance(model, str | Path) else onnx.load(str(model))
    feeds = random_input(proto, seed)
    total = warmup + runs
    own = testbed is None
    bed = testbed or Testbed()
    with tempfile.TemporaryDirectory(prefix="edgeopt-split-") as tmp:
        parts = split(proto, graph, tiers, tmp)
        bed.ensure(n_stage)
        pipes = bed.pipes[:n_stage]
        try:
            for k, (st, path) in enumerate(parts):
                pipes[k].send({"path": path, "threads": int(thr[k]), "slowdown": slow[k],
                             "first": k == 0, "last": k == n_stage - 1,
                             "compute_out": list(st.compute_out), "send": list(st.send),
                             "outputs": list(st.outputs), "total": total,
                             "bandwidth": links[k].bandwidth if k < n_stage - 1 else None,
                             "rtt": links[k].rtt if k < n_stage - 1 else 0.0,
                             "feeds": feeds if k == 0 else None})
            ports = [_expect(pp, "ready", timeout)[1] for pp in pipes]
            for k in range(n_stage):
                pipes[k].send(("connect", ports[k + 1]) if k < n_stage - 1 else ("none",))
            for pp in pipes:
                _expect(pp, "connected", timeout)
            for _ in range(total):
                pipes[0].send("go")
                _expect(pipes[-1], "done", timeout)
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
    wall = [stamps[-1][i][2] - stamps[0][i][1] for i in range(runs)]
    compute_wall = [[s[i][2] - s[i][1] for i in range(runs)] for s in stamps]
    compute = [[s[i][3] if thr[k] == 1 else s[i][2] - s[i][1] for i in range(runs)]
               for k, s in enumerate(stamps)]
    transfer = [[stamps[k + 1][i][0] - stamps[k][i][2] for i in range(runs)]
                for k in range(n_stage - 1)]
    e2e = [sum(c[i] for c in compute) + sum(t[i] for t in transfer) for i in range(runs)]
    ref = _reference_outputs(proto, feeds)
    diff = max((float(np.max(np.abs(ref[k] - outputs[k]))) for k in ref if k in outputs),
               default=float("inf"))
    scale = max(float(np.max(np.abs(v))) for v in ref.values())
    match = set(ref) <= set(outputs) and diff <= 1e-4 * max(scale, 1.0)
    emu = ("threads " + ",".join(map(str, thr[:n_stage])) + "; compute timed by CPU time "
           "(1 thread) and padded by sleeping to slowdown x that: "
           + ",".join(f"{s:g}" for s in slow[:n_stage])
           + ("; cgroup cpu controller available but not used" if cpu_controller_available()
              else "; no cgroup cpu controller"))
    return Execution(runs, e2e, compute, transfer, wall, compute_wall, match, diff, emu,
                     outputs)


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
