"""Stage processes for :func:`~edgeopt_solve.costmodel.validate.execute`.

One spawned OS process per tier, each running a job: load its sub-model into an ONNX Runtime
session (graph optimisations on, the tier's threads), connect to the next tier (and, when
the result returns, the last tier to the device) over TCP on 127.0.0.1, then for every
inference receive, compute (padded to ``slowdown x`` CPU time, or under a cgroup CPU quota
timed by the wall clock), send shaped, and report timestamps. :class:`Testbed` keeps the
processes alive across executions (spawning one that imports ONNX Runtime costs seconds)
and owns their CPU-quota cgroups.

Also here: tensor sizes from shape inference (:func:`tensor_bytes`). Predicting and executing one plan
(what ``edgeopt-solve validate`` prints) is
:func:`~edgeopt_solve.costmodel.experiment.run_plan`.
"""

from __future__ import annotations

import contextlib
import multiprocessing as mp
import os
import socket
import struct
import threading
import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from edgeopt_solve.costmodel.cgroup import MAX_QUOTA_BIAS, quota_bias
from edgeopt_solve.costmodel.link import decode, encode, recv_exact, recv_message, send_shaped
from edgeopt_solve.exceptions import InvalidInstanceError

LOOPBACK = "127.0.0.1"


class Testbed:
    """Stage processes kept alive across
    :func:`~edgeopt_solve.costmodel.validate.execute` calls (spawning a process that imports
    ONNX Runtime costs seconds on a loaded machine). Use as a context manager."""

    def __init__(self) -> None:
        self._ctx = mp.get_context("spawn")
        self.procs: list[Any] = []
        self.pipes: list[Any] = []
        self.quota: Any = None  # a cgroup.CpuQuota once a quota was applied
        self.cgroup_procs: list[Any] = []  # per stage: (into its quota cgroup, out) files

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
        if self.quota is not None:
            self.quota.close()
            self.quota = None

    def limit(self, k: int, slowdown: float, threads: int, detection: Any) -> str:
        """Give stage process ``k`` a CPU quota of ``threads / slowdown`` CPUs (OSError if
        the cgroup cannot be set up)."""
        from edgeopt_solve.costmodel.cgroup import CpuQuota

        if self.quota is None:
            self.quota = CpuQuota(detection.controller)
        return self.quota.apply(k, self.procs[k].pid, slowdown, threads)

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
    listener = socket.create_server((LOOPBACK, 0)) if spec["n_in"] else None
    back_listener = socket.create_server((LOOPBACK, 0)) if spec["return"] else None
    conn.send(("ready", tuple(s.getsockname()[1] if s else None
                              for s in (listener, back_listener))))
    cmd = conn.recv()  # ("connect", [port of each out hop's receiver], return port | None)
    outs = []
    for hop, port in zip(spec["out_hops"], cmd[1], strict=True):
        sock = _connect(port)
        sock.sendall(struct.pack(">I", hop["id"]))  # tells the receiver which hop this is
        outs.append((hop, sock))
    back = _connect(cmd[2]) if cmd[2] is not None else None
    ins: dict[int, socket.socket] = {}
    for _ in range(spec["n_in"]):
        sock = listener.accept()[0]
        ins[struct.unpack(">I", recv_exact(sock, 4))[0]] = sock
    back_in = back_listener.accept()[0] if back_listener is not None else None
    conn.send(("connected", None))
    feeds0 = spec.get("feeds") or {}
    cpu_clock = time.thread_time if spec["threads"] == 1 else time.process_time
    times: list[tuple[float, float, float, float, float, dict[int, float]]] = []
    outputs: dict[str, np.ndarray] = {}
    # under a quota: time the run by its wall clock ("always"), or ("auto") only if the
    # first run shows the quota is fine-grained enough for this stage, else pad
    by_wall = spec["quota"] == "always"
    cg_in, cg_out = spec.get("cgroup_procs") or (None, None)
    if cg_out is not None:  # throttled only while computing (see CpuQuota.procs_files)
        _join_cgroup(cg_out)
    for i in range(spec["total"]):
        arrivals: dict[int, float] = {}
        if spec["first"]:
            conn.recv()  # "go"
            tensors = dict(feeds0)
        else:
            tensors = _receive(ins, arrivals)  # one message per incoming hop
        t_in = time.perf_counter()
        t0, c0 = time.perf_counter(), cpu_clock()
        cpu = 0.0
        if sess is not None:
            limited = cg_in is not None and (i == 0 or by_wall)
            if limited:
                _join_cgroup(cg_in)
            t0, c0 = time.perf_counter(), cpu_clock()
            res = sess.run(list(spec["compute_out"]), {k: tensors[k] for k in sess_inputs})
            t1, cpu = time.perf_counter(), cpu_clock() - c0
            if limited:
                _join_cgroup(cg_out)
            tensors.update(zip(spec["compute_out"], res, strict=True))
            if i == 0 and spec["quota"] == "auto":
                by_wall = quota_bias(cpu, spec["slowdown"], spec["threads"]) <= MAX_QUOTA_BIAS
            if by_wall:  # the cgroup quota slows the run itself: its wall clock
                cpu = t1 - t0
            else:  # the emulated dedicated device needs slowdown x (CPU time)
                busy = cpu if spec["threads"] == 1 else t1 - t0
                target = t0 + spec["slowdown"] * busy
                while time.perf_counter() < target:
                    time.sleep(max(target - time.perf_counter(), 0.0) * 0.9 + 1e-5)
                cpu *= spec["slowdown"]
        t2 = time.perf_counter()
        outputs = {k: tensors[k] for k in spec["outputs"]}
        _send(outs, tensors)
        if back is not None:
            send_shaped(back, encode(outputs), bandwidth=spec["return_bandwidth"],
                        rtt=spec["return_rtt"])
        t_back = 0.0
        if back_in is not None:
            outputs.update(decode(recv_message(back_in)))
            t_back = time.perf_counter()
        times.append((t_in, t0, t2, cpu, t_back, arrivals))
        if spec["report_done"]:
            conn.send(("done", None))
    conn.send(("times", times, outputs, "quota" if by_wall else "padding"))
    for s in (*(sock for _, sock in outs), *ins.values(), listener, back, back_in,
              back_listener):
        if s is not None:
            s.close()


def _receive(ins: dict[int, socket.socket], arrivals: dict[int, float]
             ) -> dict[str, np.ndarray]:
    """One message from every incoming hop, each received by its own thread (messages over
    different links arrive concurrently) and stamped when complete."""
    got: dict[int, dict[str, np.ndarray]] = {}
    if not ins:  # a tier that neither computes nor relays anything (direct links skip it)
        return {}

    def one(hid: int, sock: socket.socket) -> None:
        got[hid] = decode(recv_message(sock))
        arrivals[hid] = time.perf_counter()

    threads = [threading.Thread(target=one, args=item) for item in list(ins.items())[1:]]
    for th in threads:
        th.start()
    one(*next(iter(ins.items())))
    for th in threads:
        th.join()
    if len(got) < len(ins):
        raise ConnectionError("an incoming hop closed before its message arrived")
    tensors: dict[str, np.ndarray] = {}
    for part in got.values():
        tensors.update(part)
    return tensors


def _send(outs: list[tuple[dict[str, Any], socket.socket]], tensors: dict[str, Any]) -> None:
    """Send every outgoing hop's message, concurrently when there are several (separate
    links)."""
    jobs = [(sock, encode({k: tensors[k] for k in hop["tensors"]}), hop) for hop, sock in outs]
    threads = [threading.Thread(target=send_shaped, args=(sock, data),
                                kwargs={"bandwidth": hop["bandwidth"], "rtt": hop["rtt"]})
               for sock, data, hop in jobs[1:]]
    for th in threads:
        th.start()
    if jobs:
        sock, data, hop = jobs[0]
        send_shaped(sock, data, bandwidth=hop["bandwidth"], rtt=hop["rtt"])
    for th in threads:
        th.join()


def _join_cgroup(procs_file: str) -> None:
    with open(procs_file, "w") as fh:
        fh.write(f"{os.getpid()}\n")


def _connect(port: int) -> socket.socket:
    sock = socket.create_connection((LOOPBACK, port))
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def set_limits(bed: Testbed, use_quota: bool, why: str, emulation: str,
                slow: Sequence[float], thr: Sequence[int], n_stage: int, cgroup: Any
                ) -> tuple[bool, str, list[bool]]:
    """Apply (or lift) the per-stage CPU quotas; ``(quota set?, why, stage limited?)``."""
    from edgeopt_solve.costmodel.cgroup import detect

    def lift() -> None:
        if bed.quota is not None:  # reused processes may carry an earlier limit
            with contextlib.suppress(OSError):
                for k in range(n_stage):
                    bed.limit(k, 1.0, 1, None)

    if not use_quota:
        lift()
        return False, why, [False] * n_stage
    try:
        got = [bed.limit(k, slow[k], int(thr[k]), cgroup or detect()) for k in range(n_stage)]
        bed.cgroup_procs = [bed.quota.procs_files(k) if slow[k] > 1.0 else None
                            for k in range(n_stage)]
    except OSError as exc:
        lift()
        if emulation == "quota":
            raise InvalidInstanceError(f"cannot set a CPU quota: {exc}",
                                       field="emulation") from None
        return False, f"setting a CPU quota failed ({exc})", [False] * n_stage
    return True, why + "; cpu quota per tier: " + ", ".join(got), \
        [slow[k] > 1.0 for k in range(n_stage)]


# ------------------------------------------------------------------------ model inputs
def tensor_bytes(model: Any) -> dict[str, int]:
    """Bytes of every tensor with an inferred shape (symbolic dimensions count as 1)."""
    import math

    import onnx
    from onnx import helper

    try:
        inferred = onnx.shape_inference.infer_shapes(model)
    except Exception:  # shape inference cannot handle it: sizes fall back to the graph's
        inferred = model
    out: dict[str, int] = {}
    for vi in [*inferred.graph.input, *inferred.graph.value_info, *inferred.graph.output]:
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            continue
        try:
            item = np.dtype(helper.tensor_dtype_to_np_dtype(tt.elem_type)).itemsize
        except Exception:  # an element type numpy does not know
            item = 4
        out[vi.name] = math.prod(d.dim_value if d.dim_value > 0 else 1
                                 for d in tt.shape.dim) * item
    return out
