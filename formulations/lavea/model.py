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

Named DNNs and measured costs: a task may give ``model`` (a zoo name from
:data:`edgeopt_solve.system.zoo.NAMES`) instead of ``compute``/``macs``. Its compute time
on a server is measured when the server lists a ``profile`` of that model (a profile JSON
written by ``edgeopt-solve profile``, one path or a list; scaled by the server's
``slowdown``, default 1), else the analytic ``total MACs / compute_rate``; its input size
defaults to the model's input tensor (bytes), and ``client_rate`` gives its client time
from the total MACs. Details and path resolution: :mod:`formulations.lavea.dnn`.

The cloud: the optional ``cloud`` block (``name``, uplink ``bandwidth`` bit/s, ``rtt`` s,
``compute_rate`` MAC/s, ``speedup``, ``profile``, ``slowdown``) adds one more location,
the last server index ``m - 1``, a two-machine flow shop like the edge servers (the
clients' shared uplink to the cloud, then its compute unit; we model the cloud as one
server, as LAVEA's cloud baseline does, not as unlimited capacity). Transfer to the cloud:
``rtt/2 + 8 * bytes / bandwidth`` when the task's size is known (``input_bytes`` or a named
model), else the task's upload time to the front server plus ``rtt/2`` (the access link
is the bottleneck). Compute on the cloud: from its profile or ``compute_rate`` for
``macs``/named tasks; for a task given in seconds, the fastest edge time / ``speedup``
(default 1). An ``upload``/``compute`` list may have one value per edge server (the cloud
derived as above) or one more, the cloud's (explicit seconds). ``to_dict`` writes the
cloud back as the ``cloud`` block.

The optional ``arrivals`` block describes an online workload for :mod:`.simulate`: a
Poisson process of ``rate`` tasks per second (the tasks of the instance are the task
types, sampled uniformly) or an explicit ``trace`` of ``[time, task index]`` pairs.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from pydantic import Field

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.schema import StrictModel, validate
from formulations.lavea.costs import (
    Costs,
    compute_times,
    local_time,
    nonneg,
    positive,
    server_field,
    upload_times,
)

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
    profile: str | list[str] | None = None
    slowdown: float = 1.0


class CloudSpec(StrictModel):
    """The cloud: uplink from the clients, compute unit (see the module docstring)."""

    name: str = "cloud"
    bandwidth: float
    rtt: float = 0.0
    compute_rate: float | None = None
    speedup: float = 1.0
    profile: str | list[str] | None = None
    slowdown: float = 1.0


class TaskSpec(StrictModel):
    """A task: upload and compute times (given or derived), release, weight, pin."""

    name: str | None = None
    upload: float | list[float] | None = None
    input_bytes: float | None = None
    compute: float | list[float | None] | None = None
    macs: float | None = None
    model: str | None = None
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
    cloud: CloudSpec | None = None
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
    """An edge server, or the cloud (``cloud=True``; see the module docstring)."""

    name: str
    forward_time: float = 0.0
    bandwidth: float | None = None
    compute_rate: float | None = None
    profile: str | tuple[str, ...] | None = None
    slowdown: float = 1.0
    cloud: bool = False
    rtt: float = 0.0
    speedup: float = 1.0

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``None`` and default fields left out; the cloud as its block)."""
        out: dict[str, Any] = {"name": self.name}
        if not self.cloud:
            out["forward_time"] = self.forward_time
        if self.bandwidth is not None:
            out["bandwidth"] = self.bandwidth
        if self.cloud:
            out["rtt"] = self.rtt
        if self.compute_rate is not None:
            out["compute_rate"] = self.compute_rate
        if self.cloud and self.speedup != 1.0:
            out["speedup"] = self.speedup
        if self.profile is not None:
            out["profile"] = (list(self.profile) if isinstance(self.profile, tuple)
                              else self.profile)
        if self.slowdown != 1.0:
            out["slowdown"] = self.slowdown
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
    model: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON form (``None`` fields left out)."""
        out: dict[str, Any] = {"name": self.name}
        for key in ("upload", "input_bytes", "compute", "macs", "model", "local",
                    "client_rate"):
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


def _profile(p: str | list[str] | None) -> str | tuple[str, ...] | None:
    return tuple(p) if isinstance(p, list) else p


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
        """Number of servers (the edge servers and the cloud, if any)."""
        return len(self.servers)

    @property
    def cloud_index(self) -> int | None:
        """Server index of the cloud (the last one), or ``None`` without a cloud."""
        return len(self.servers) - 1 if self.servers and self.servers[-1].cloud else None

    # ------------------------------------------------------------------ I/O
    @classmethod
    def from_dict(cls, data: Any) -> Instance:
        """Validate the schema, then the semantics; errors name the field path."""
        spec = validate(InstanceSpec, data)
        servers = tuple(Server(s.name, float(s.forward_time), _f(s.bandwidth), _f(s.compute_rate),
                               _profile(s.profile), float(s.slowdown))
                        for s in spec.servers)
        if spec.cloud is not None:
            c = spec.cloud
            servers += (Server(c.name, 0.0, float(c.bandwidth), _f(c.compute_rate),
                               _profile(c.profile), float(c.slowdown), cloud=True,
                               rtt=float(c.rtt), speedup=float(c.speedup)),)
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
                weight=float(t.weight), server=t.server, model=t.model))
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
            "servers": [s.to_dict() for s in self.servers if not s.cloud],
            "tasks": [t.to_dict() for t in self.tasks],
        }
        clouds = [s for s in self.servers if s.cloud]
        if clouds:
            out["cloud"] = clouds[0].to_dict()
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
def _check_servers(inst: Instance) -> int:
    """Check the servers (and cloud); the number of edge servers."""
    m = len(inst.servers)
    if m == 0:
        raise InvalidInstanceError("at least one server is needed", field="servers")
    n_edge = m
    names: set[str] = set()
    for s, srv in enumerate(inst.servers):
        sf = server_field(srv, s)
        if srv.cloud:
            if s != m - 1 or s == 0:
                raise InvalidInstanceError("one cloud at most, after the edge servers",
                                           field="cloud")
            n_edge = m - 1
            if srv.bandwidth is None:
                raise InvalidInstanceError("the cloud needs its uplink bandwidth (bit/s)",
                                           field="cloud.bandwidth")
            nonneg(srv.rtt, "cloud.rtt")
            positive(srv.speedup, "cloud.speedup")
        if srv.name in names:
            raise InvalidInstanceError(f"duplicate server name {srv.name!r}", field=f"{sf}.name")
        names.add(srv.name)
        nonneg(srv.forward_time, f"{sf}.forward_time")
        for key in ("bandwidth", "compute_rate", "slowdown"):
            value = getattr(srv, key)
            if value is not None:
                positive(value, f"{sf}.{key}")
        if srv.profile is None and srv.slowdown != 1.0:
            raise InvalidInstanceError("slowdown scales a measured profile: give profile too",
                                       field=f"{sf}.slowdown")
    return n_edge


def _check_and_derive(inst: Instance) -> None:
    """Check every semantic rule; set the derived per-task arrays."""
    if inst.objective not in OBJECTIVES:
        raise InvalidInstanceError(f"unknown objective {inst.objective!r}; known: "
                                   + ", ".join(OBJECTIVES), field="objective")
    n_edge = _check_servers(inst)
    m = len(inst.servers)
    costs = Costs(inst) if any(s.profile is not None for s in inst.servers) or any(
        t.model is not None for t in inst.tasks) else None
    p1, p2, local, allowed = [], [], [], []
    task_names: set[str] = set()
    for j, task in enumerate(inst.tasks):
        where = f"tasks[{j}]"
        if task.name in task_names:
            raise InvalidInstanceError(f"duplicate task name {task.name!r}", field=f"{where}.name")
        task_names.add(task.name)
        graph = None
        if task.model is not None:
            for other in ("compute", "macs"):
                if getattr(task, other) is not None:
                    raise InvalidInstanceError(f"give either model or {other}, not both",
                                               field=f"{where}.model")
            assert costs is not None
            graph = costs.graph(task.model, f"{where}.model")
        up = upload_times(inst, j, task, n_edge, graph)
        comp = compute_times(inst, j, task, n_edge, graph, costs)
        loc = local_time(j, task, graph)
        nonneg(task.release, f"{where}.release")
        nonneg(task.weight, f"{where}.weight")
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


def _check_arrivals(arr: Arrivals, n: int) -> None:
    if arr.rate is None and arr.trace is None:
        raise InvalidInstanceError("needs a Poisson rate (tasks/s) or a trace",
                                   field="arrivals.rate")
    if arr.rate is not None:
        positive(arr.rate, "arrivals.rate")
    if arr.count is not None and arr.count < 1:
        raise InvalidInstanceError(f"must be >= 1, got {arr.count}", field="arrivals.count")
    if arr.trace is not None:
        if n == 0:
            raise InvalidInstanceError("a trace needs tasks to refer to", field="arrivals.trace")
        last = 0.0
        for i, (t, k) in enumerate(arr.trace):
            nonneg(t, f"arrivals.trace[{i}][0]")
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
