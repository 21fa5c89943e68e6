"""Instance and solution of the LAVEA edge task-scheduling problem.

Model (all times in seconds, sizes in bytes, rates in bit/s or MAC/s)
---------------------------------------------------------------------
Source: S. Yi, Z. Hao, Q. Zhang, Q. Zhang, W. Shi, Q. Li, "LAVEA: Latency-Aware Video
Analytics on Edge Computing Platform", Proc. 2nd ACM/IEEE Symposium on Edge Computing
(SEC 2017). Clients (cameras, phones) offload video-analytics tasks to edge servers; a
task is first uploaded (its input over the server's ingress link) and then computed.

* Servers ``s = 0..m-1``. Server 0 is the *front* server that the clients reach
  directly; server ``s > 0`` is reached through the front server over an inter-server
  link, which adds ``forward_time[s]`` seconds to every transfer into it.
* Each server is a two-machine **permutation flow shop**: machine 1 is the server's
  ingress channel (client uplink, plus the forwarding hop for ``s > 0``), machine 2 its
  compute unit. Task ``j`` placed on ``s`` occupies machine 1 for
  ``p1[j][s] = upload[j][s] + forward_time[s]`` and then machine 2 for ``p2[j][s]``.
  ``upload`` is given in seconds, either one value for every server or one per server,
  or derived as ``8 * input_bytes / servers[s].bandwidth``. ``compute`` is given in
  seconds (one value, or one per server with ``null`` where the server cannot run the
  task), or derived from the analytic cost model ``macs / servers[s].compute_rate``.
* A task may instead run on its own client (``local`` seconds, or
  ``macs / client_rate``). Clients are independent devices: a local task starts at its
  release date and never waits.
* Optional release date ``r_j`` (the task cannot start uploading earlier), weight
  ``w_j`` (default 1) and pin ``server`` (a server index or ``"local"``).

Decision: the location of every task and, per server, one processing order used on both
machines. Schedule: a task's upload starts no earlier than its release date and no
earlier than the end of the previous upload on that server; its compute starts after its
own upload ends and after the previous compute on that server ends. Objective (``min``):

* ``makespan``: ``max_j C_j``;
* ``total_completion``: ``sum_j C_j``;
* ``weighted_completion``: ``sum_j w_j C_j``,

where ``C_j`` is the (absolute) completion time. The paper's response time is
``C_j - r_j``; the sums differ by the constant ``sum_j w_j r_j``.

Modelling choices where the paper is informal: the order is restricted to permutation
schedules (the same order on both machines: dominant for F2||Cmax by Johnson 1954, a
restriction with release dates); the forwarding hop is charged to the target server's
ingress channel (so that each server stays a two-machine flow shop); a task pinned to a
server that cannot run it, or with no place to run, makes the instance infeasible (a
status, not an input error). A pin to a server that does not exist is an input error.

The optional ``arrivals`` block describes an online workload for :mod:`.simulate`: a
Poisson process of ``rate`` tasks per second (the tasks of the instance are the task
types, sampled uniformly) or an explicit ``trace`` of ``[time, task index]`` pairs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import Field

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.schema import StrictModel, validate

Objective = Literal["makespan", "total_completion", "weighted_completion"]
OBJECTIVES: tuple[str, ...] = ("makespan", "total_completion", "weighted_completion")
LOCAL = "local"


# --------------------------------------------------------------------------- schema
class ServerSpec(StrictModel):
    """An edge server: ingress link and compute unit."""

    name: str
    forward_time: float = 0.0
    bandwidth: float | None = None
    compute_rate: float | None = None


class TaskSpec(StrictModel):
    """A task: upload and compute times (given or derived), release, weight, pin."""

    name: str | None = None
    upload: float | list[float] | None = None
    input_bytes: float | None = None
    compute: float | list[float | None] | None = None
    macs: float | None = None
    local: float | None = None
    client_rate: float | None = None
    release: float = 0.0
    weight: float = 1.0
    server: int | Literal["local"] | None = None


class ArrivalSpec(StrictModel):
    """Online workload for the simulation: Poisson ``rate`` (and ``count``) or a trace."""

    rate: float | None = None
    count: int | None = None
    trace: list[list[float]] | None = None


class InstanceSpec(StrictModel):
    """The ``data`` of a ``lavea`` instance file."""

    objective: Objective = "makespan"
    servers: list[ServerSpec] = Field(min_length=1)
    tasks: list[TaskSpec]
    arrivals: ArrivalSpec | None = None


class SolutionSpec(StrictModel):
    """A ``lavea`` solution: locations, per-server order, optional explicit start times."""

    location: list[int | Literal["local"]]
    order: list[list[int]]
    upload_start: list[float | None] | None = None
    compute_start: list[float | None] | None = None


# --------------------------------------------------------------------------- data types
@dataclass(frozen=True)
class Server:
    """An edge server (see the module docstring for units)."""

    name: str
    forward_time: float = 0.0
    bandwidth: float | None = None
    compute_rate: float | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``None`` fields left out)."""
        out: dict[str, Any] = {"name": self.name, "forward_time": self.forward_time}
        if self.bandwidth is not None:
            out["bandwidth"] = self.bandwidth
        if self.compute_rate is not None:
            out["compute_rate"] = self.compute_rate
        return out


@dataclass(frozen=True)
class Task:
    """A task as given in the file; derived times live on :class:`Instance`."""

    name: str
    upload: float | tuple[float, ...] | None = None
    input_bytes: float | None = None
    compute: float | tuple[float | None, ...] | None = None
    macs: float | None = None
    local: float | None = None
    client_rate: float | None = None
    release: float = 0.0
    weight: float = 1.0
    server: int | str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``None`` fields left out)."""
        out: dict[str, Any] = {"name": self.name}
        for key in ("upload", "input_bytes", "compute", "macs", "local", "client_rate"):
            value = getattr(self, key)
            if value is not None:
                out[key] = list(value) if isinstance(value, tuple) else value
        out["release"] = self.release
        out["weight"] = self.weight
        if self.server is not None:
            out["server"] = self.server
        return out


@dataclass(frozen=True)
class Arrivals:
    """Online arrival process for :mod:`formulations.lavea.simulate`."""

    rate: float | None = None
    count: int | None = None
    trace: tuple[tuple[float, int], ...] | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        out: dict[str, Any] = {}
        if self.rate is not None:
            out["rate"] = self.rate
        if self.count is not None:
            out["count"] = self.count
        if self.trace is not None:
            out["trace"] = [[t, k] for t, k in self.trace]
        return out


def _trace(raw: list[list[float]]) -> tuple[tuple[float, int], ...]:
    """``[[time, task], ...]`` with an integral task index."""
    out = []
    for i, entry in enumerate(raw):
        if len(entry) != 2:
            raise InvalidInstanceError("each trace entry is [time (s), task index]",
                                       field=f"arrivals.trace[{i}]")
        t, k = entry
        if not float(k).is_integer():
            raise InvalidInstanceError(f"task index must be an integer, got {k!r}",
                                       field=f"arrivals.trace[{i}][1]")
        out.append((float(t), int(k)))
    return tuple(out)


def _f(x: float | None) -> float | None:
    return None if x is None else float(x)


@dataclass(frozen=True)
class Instance:
    """A validated ``lavea`` instance.

    Attributes
    ----------
    servers
        The edge servers; index 0 is the front server.
    tasks
        The tasks as given.
    objective
        ``"makespan"``, ``"total_completion"`` or ``"weighted_completion"``.
    arrivals
        Optional online workload for the simulation.
    p1, p2
        Derived: ``p1[j][s]`` transfer time (upload + forwarding) and ``p2[j][s]`` compute
        time of task ``j`` on server ``s``, seconds; ``None`` where ``s`` cannot run ``j``.
    local_time
        Derived: client execution time of each task, or ``None``.
    release, weight
        Derived per-task tuples.
    arrays
        Derived numpy copies: ``p1``, ``p2`` (n x m, NaN where not allowed), ``local``,
        ``release``, ``weight``.
    allowed
        Derived: the locations each task may take (server indices and/or ``"local"``).
    """

    servers: tuple[Server, ...]
    tasks: tuple[Task, ...]
    objective: str = "makespan"
    arrivals: Arrivals | None = None
    p1: tuple[tuple[float | None, ...], ...] = field(init=False, repr=False, compare=False)
    p2: tuple[tuple[float | None, ...], ...] = field(init=False, repr=False, compare=False)
    local_time: tuple[float | None, ...] = field(init=False, repr=False, compare=False)
    release: tuple[float, ...] = field(init=False, repr=False, compare=False)
    weight: tuple[float, ...] = field(init=False, repr=False, compare=False)
    allowed: tuple[tuple[int | str, ...], ...] = field(init=False, repr=False, compare=False)
    arrays: dict[str, np.ndarray] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        _check_and_derive(self)

    # ------------------------------------------------------------------ sizes
    @property
    def n(self) -> int:
        """Number of tasks."""
        return len(self.tasks)

    @property
    def m(self) -> int:
        """Number of servers."""
        return len(self.servers)

    # ------------------------------------------------------------------ I/O
    @classmethod
    def from_dict(cls, data: Any) -> Instance:
        """Validate the schema, then the semantics; errors name the field path."""
        spec = validate(InstanceSpec, data)
        servers = tuple(Server(s.name, float(s.forward_time), _f(s.bandwidth), _f(s.compute_rate))
                        for s in spec.servers)
        tasks = []
        for j, t in enumerate(spec.tasks):
            upload = (tuple(float(x) for x in t.upload) if isinstance(t.upload, list)
                      else _f(t.upload))
            compute = (tuple(_f(x) for x in t.compute) if isinstance(t.compute, list)
                       else _f(t.compute))
            tasks.append(Task(
                name=t.name if t.name is not None else f"t{j}", upload=upload,
                input_bytes=_f(t.input_bytes), compute=compute, macs=_f(t.macs),
                local=_f(t.local), client_rate=_f(t.client_rate), release=float(t.release),
                weight=float(t.weight), server=t.server))
        arrivals = None
        if spec.arrivals is not None:
            a = spec.arrivals
            trace = None if a.trace is None else _trace(a.trace)
            arrivals = Arrivals(_f(a.rate), a.count, trace)
        return cls(servers, tuple(tasks), spec.objective, arrivals)

    def to_dict(self) -> dict[str, Any]:
        """JSON-serialisable ``data``; ``from_dict(to_dict())`` gives an equal instance."""
        out: dict[str, Any] = {
            "objective": self.objective,
            "servers": [s.to_dict() for s in self.servers],
            "tasks": [t.to_dict() for t in self.tasks],
        }
        if self.arrivals is not None:
            out["arrivals"] = self.arrivals.to_dict()
        return out

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON Schema of the instance ``data``."""
        return InstanceSpec.model_json_schema()

    @classmethod
    def flow_shop(cls, upload: Any, compute: Any, *, release: Any = None, weight: Any = None,
                  objective: str = "makespan") -> Instance:
        """A one-server instance from arrays of upload and compute times (seconds)."""
        n = len(upload)
        rel = [0.0] * n if release is None else release
        wts = [1.0] * n if weight is None else weight
        tasks = tuple(Task(f"t{j}", upload=float(upload[j]), compute=float(compute[j]),
                           release=float(rel[j]), weight=float(wts[j])) for j in range(n))
        return cls((Server("front"),), tasks, objective)


# --------------------------------------------------------------------------- semantics
def _nonneg(value: float, where: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise InvalidInstanceError(f"must be a finite number >= 0, got {value!r}", field=where)


def _pos(value: float, where: str) -> None:
    if not math.isfinite(value) or value <= 0:
        raise InvalidInstanceError(f"must be a finite number > 0, got {value!r}", field=where)


def _check_and_derive(inst: Instance) -> None:
    """Check every semantic rule; set the derived per-task arrays."""
    if inst.objective not in OBJECTIVES:
        raise InvalidInstanceError(f"unknown objective {inst.objective!r}; known: "
                                   + ", ".join(OBJECTIVES), field="objective")
    m = len(inst.servers)
    if m == 0:
        raise InvalidInstanceError("at least one server is needed", field="servers")
    names: set[str] = set()
    for s, srv in enumerate(inst.servers):
        if srv.name in names:
            raise InvalidInstanceError(f"duplicate server name {srv.name!r}",
                                       field=f"servers[{s}].name")
        names.add(srv.name)
        _nonneg(srv.forward_time, f"servers[{s}].forward_time")
        for key in ("bandwidth", "compute_rate"):
            value = getattr(srv, key)
            if value is not None:
                _pos(value, f"servers[{s}].{key}")
    p1, p2, local, allowed = [], [], [], []
    task_names: set[str] = set()
    for j, task in enumerate(inst.tasks):
        where = f"tasks[{j}]"
        if task.name in task_names:
            raise InvalidInstanceError(f"duplicate task name {task.name!r}", field=f"{where}.name")
        task_names.add(task.name)
        up = _upload_times(inst, j, task, m)
        comp = _compute_times(inst, j, task, m)
        loc = _local_time(j, task)
        _nonneg(task.release, f"{where}.release")
        _nonneg(task.weight, f"{where}.weight")
        pin = task.server
        if pin is not None and pin != LOCAL and (
                isinstance(pin, bool) or not isinstance(pin, int) or not 0 <= pin < m):
            raise InvalidInstanceError(
                f"task is pinned to server {pin!r}, but servers are 0..{m - 1}",
                field=f"{where}.server")
        row1 = tuple(None if comp[s] is None else up[s] + inst.servers[s].forward_time
                     for s in range(m))
        p1.append(row1)
        p2.append(tuple(comp))
        local.append(loc)
        options: list[int | str] = [s for s in range(m) if comp[s] is not None]
        if loc is not None:
            options.append(LOCAL)
        if pin is not None:
            options = [o for o in options if o == pin]
        allowed.append(tuple(options))
    if inst.arrivals is not None:
        _check_arrivals(inst.arrivals, len(inst.tasks))
    set_ = object.__setattr__
    set_(inst, "p1", tuple(p1))
    set_(inst, "p2", tuple(p2))
    set_(inst, "local_time", tuple(local))
    set_(inst, "release", tuple(t.release for t in inst.tasks))
    set_(inst, "weight", tuple(t.weight for t in inst.tasks))
    set_(inst, "allowed", tuple(allowed))
    nan = float("nan")
    set_(inst, "arrays", {
        "p1": np.array([[nan if x is None else x for x in row] for row in p1],
                       dtype=float).reshape(len(p1), m),
        "p2": np.array([[nan if x is None else x for x in row] for row in p2],
                       dtype=float).reshape(len(p2), m),
        "local": np.array([nan if x is None else x for x in local], dtype=float),
        "release": np.array(inst.release, dtype=float),
        "weight": np.array(inst.weight, dtype=float),
    })


def _upload_times(inst: Instance, j: int, task: Task, m: int) -> list[float]:
    where = f"tasks[{j}]"
    if task.upload is not None and task.input_bytes is not None:
        raise InvalidInstanceError("give either upload (s) or input_bytes, not both",
                                   field=f"{where}.input_bytes")
    if task.upload is None and task.input_bytes is None:
        raise InvalidInstanceError("needs upload (s) or input_bytes", field=f"{where}.upload")
    if task.input_bytes is not None:
        _nonneg(task.input_bytes, f"{where}.input_bytes")
        out = []
        for s, srv in enumerate(inst.servers):
            if srv.bandwidth is None:
                raise InvalidInstanceError(
                    "input_bytes needs the bandwidth (bit/s) of every server",
                    field=f"servers[{s}].bandwidth")
            out.append(8.0 * task.input_bytes / srv.bandwidth)
        return out
    if isinstance(task.upload, tuple):
        if len(task.upload) != m:
            raise InvalidInstanceError(f"has {len(task.upload)} upload times for {m} servers",
                                       field=f"{where}.upload")
        for s, value in enumerate(task.upload):
            _nonneg(value, f"{where}.upload[{s}]")
        return list(task.upload)
    assert task.upload is not None
    _nonneg(task.upload, f"{where}.upload")
    return [task.upload] * m


def _compute_times(inst: Instance, j: int, task: Task, m: int) -> list[float | None]:
    where = f"tasks[{j}]"
    if task.compute is not None and task.macs is not None:
        raise InvalidInstanceError("give either compute (s) or macs, not both",
                                   field=f"{where}.macs")
    if task.compute is None and task.macs is None:
        raise InvalidInstanceError("needs compute (s) or macs", field=f"{where}.compute")
    if task.compute is None:
        assert task.macs is not None
        _nonneg(task.macs, f"{where}.macs")
        out: list[float | None] = []
        for s, srv in enumerate(inst.servers):
            if srv.compute_rate is None:
                raise InvalidInstanceError(
                    "macs needs the compute_rate (MAC/s) of every server",
                    field=f"servers[{s}].compute_rate")
            out.append(task.macs / srv.compute_rate)
        return out
    if isinstance(task.compute, tuple):
        if len(task.compute) != m:
            raise InvalidInstanceError(f"has {len(task.compute)} compute times for {m} servers",
                                       field=f"{where}.compute")
        for s, value in enumerate(task.compute):
            if value is not None:
                _nonneg(value, f"{where}.compute[{s}]")
        return list(task.compute)
    _nonneg(task.compute, f"{where}.compute")
    return [task.compute] * m


def _local_time(j: int, task: Task) -> float | None:
    where = f"tasks[{j}]"
    if task.local is not None and task.client_rate is not None:
        raise InvalidInstanceError("give either local (s) or client_rate, not both",
                                   field=f"{where}.client_rate")
    if task.local is not None:
        _nonneg(task.local, f"{where}.local")
        return task.local
    if task.client_rate is not None:
        _pos(task.client_rate, f"{where}.client_rate")
        if task.macs is None:
            raise InvalidInstanceError("client_rate needs macs", field=f"{where}.client_rate")
        return task.macs / task.client_rate
    return None


def _check_arrivals(arr: Arrivals, n: int) -> None:
    if arr.rate is None and arr.trace is None:
        raise InvalidInstanceError("needs a Poisson rate (tasks/s) or a trace",
                                   field="arrivals.rate")
    if arr.rate is not None:
        _pos(arr.rate, "arrivals.rate")
    if arr.count is not None and arr.count < 1:
        raise InvalidInstanceError(f"must be >= 1, got {arr.count}", field="arrivals.count")
    if arr.trace is not None:
        if n == 0:
            raise InvalidInstanceError("a trace needs tasks to refer to", field="arrivals.trace")
        last = 0.0
        for i, (t, k) in enumerate(arr.trace):
            _nonneg(t, f"arrivals.trace[{i}][0]")
            if t < last:
                raise InvalidInstanceError("arrival times must not decrease",
                                           field=f"arrivals.trace[{i}][0]")
            last = t
            if not 0 <= k < n:
                raise InvalidInstanceError(f"task index {k} is not in 0..{n - 1}",
                                           field=f"arrivals.trace[{i}][1]")


# --------------------------------------------------------------------------- solution
@dataclass(frozen=True)
class Solution:
    """Where each task runs and, per server, the order on both machines.

    Attributes
    ----------
    location
        Per task: a server index or ``"local"``.
    order
        Per server: the task indices in processing order (same on upload and compute).
    upload_start, compute_start
        Optional explicit start times (seconds; ``None`` for the upload of a local task;
        ``compute_start`` of a local task is when it starts on its client). Without them
        the schedule is the earliest-start (semi-active) schedule of ``order``.
    """

    location: tuple[int | str, ...]
    order: tuple[tuple[int, ...], ...]
    upload_start: tuple[float | None, ...] | None = None
    compute_start: tuple[float | None, ...] | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Solution:
        """Validate and build; errors name the field."""
        spec = validate(SolutionSpec, data)
        if (spec.upload_start is None) != (spec.compute_start is None):
            raise InvalidInstanceError("upload_start and compute_start go together",
                                       field="compute_start" if spec.compute_start is None
                                       else "upload_start")
        up = None if spec.upload_start is None else tuple(_f(x) for x in spec.upload_start)
        cs = None if spec.compute_start is None else tuple(_f(x) for x in spec.compute_start)
        return cls(tuple(spec.location), tuple(tuple(o) for o in spec.order), up, cs)

    def to_dict(self) -> dict[str, Any]:
        """JSON form."""
        out: dict[str, Any] = {"location": list(self.location),
                               "order": [list(o) for o in self.order]}
        if self.upload_start is not None and self.compute_start is not None:
            out["upload_start"] = list(self.upload_start)
            out["compute_start"] = list(self.compute_start)
        return out
