"""Derived upload, compute and client times of LAVEA tasks (see :mod:`.model`).

Explicit seconds, byte sizes over server bandwidths, MACs over compute rates, and named
DNNs (measured from server profiles or analytic, :mod:`.dnn`); the cloud's column is
derived as the model docstring states.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

from edgeopt_solve.exceptions import InvalidInstanceError

if TYPE_CHECKING:
    from formulations.lavea.model import Instance, Server, Task


def nonneg(value: float, where: str) -> None:
    if not math.isfinite(value) or value < 0:
        raise InvalidInstanceError(f"must be a finite number >= 0, got {value!r}", field=where)


def positive(value: float, where: str) -> None:
    if not math.isfinite(value) or value <= 0:
        raise InvalidInstanceError(f"must be a finite number > 0, got {value!r}", field=where)


def server_field(srv: Server, s: int) -> str:
    """Field path of server ``s`` (``cloud`` for the cloud)."""
    return "cloud" if srv.cloud else f"servers[{s}]"


class Costs:
    """Zoo graphs, server profiles and measured model times, loaded once per instance."""

    def __init__(self, inst: Instance) -> None:
        from formulations.lavea import dnn

        self.dnn = dnn
        self.profiles = {s: dnn.load_profiles(srv.profile, f"{server_field(srv, s)}.profile")
                         for s, srv in enumerate(inst.servers) if srv.profile is not None}
        self.graphs: dict[str, Any] = {}
        self.times: dict[tuple[int, str], float | None] = {}

    def graph(self, name: str, field: str) -> Any:
        if name not in self.graphs:
            self.graphs[name] = self.dnn.load_graph(name, field)
        return self.graphs[name]

    def measured(self, s: int, srv: Server, graph: Any) -> float | None:
        if s not in self.profiles:
            return None
        key = (s, graph.name)
        if key not in self.times:
            self.times[key] = self.dnn.measured_time(self.profiles[s], graph, srv.slowdown,
                                                     f"{server_field(srv, s)}.profile")
        return self.times[key]


def _lengths(n_edge: int, m: int) -> str:
    return f"{n_edge}" if n_edge == m else f"{n_edge} (edge) or {m} (edge + cloud)"


def upload_times(inst: Instance, j: int, task: Task, n_edge: int,
                  graph: Any) -> list[float]:
    where = f"tasks[{j}]"
    m = len(inst.servers)
    if task.upload is not None and task.input_bytes is not None:
        raise InvalidInstanceError("give either upload (s) or input_bytes, not both",
                                   field=f"{where}.input_bytes")
    if task.upload is None and task.input_bytes is None and graph is None:
        raise InvalidInstanceError("needs upload (s) or input_bytes", field=f"{where}.upload")
    size = task.input_bytes
    if size is None and task.upload is None:
        size = float(graph.input_bytes)
    out: list[float] = []
    if size is not None:
        nonneg(size, f"{where}.input_bytes")
        for s, srv in enumerate(inst.servers[:n_edge]):
            if srv.bandwidth is None:
                raise InvalidInstanceError(
                    "input_bytes needs the bandwidth (bit/s) of every server",
                    field=f"servers[{s}].bandwidth")
            out.append(8.0 * size / srv.bandwidth)
    elif isinstance(task.upload, tuple):
        if len(task.upload) not in (n_edge, m):
            raise InvalidInstanceError(f"has {len(task.upload)} upload times for "
                                       f"{_lengths(n_edge, m)} servers", field=f"{where}.upload")
        for s, value in enumerate(task.upload):
            nonneg(value, f"{where}.upload[{s}]")
        out = list(task.upload)
    else:
        assert task.upload is not None
        nonneg(task.upload, f"{where}.upload")
        out = [task.upload] * n_edge
    if len(out) < m:
        cloud = inst.servers[-1]
        assert cloud.bandwidth is not None
        wire = 8.0 * size / cloud.bandwidth if size is not None else out[0]
        out.append(cloud.rtt / 2 + wire)
    return out


def compute_times(inst: Instance, j: int, task: Task, n_edge: int, graph: Any,
                   costs: Costs | None) -> list[float | None]:
    where = f"tasks[{j}]"
    m = len(inst.servers)
    if graph is not None:
        assert costs is not None
        macs = float(sum(layer.macs for layer in graph.layers))
        named: list[float | None] = []
        for s, srv in enumerate(inst.servers):
            t = costs.measured(s, srv, graph)
            if t is None:
                if srv.compute_rate is None:
                    raise InvalidInstanceError(
                        f"model {graph.name!r} needs a profile of it or the compute_rate "
                        "(MAC/s) of every server", field=f"{server_field(srv, s)}.compute_rate")
                t = macs / srv.compute_rate
            named.append(t)
        return named
    if task.compute is not None and task.macs is not None:
        raise InvalidInstanceError("give either compute (s) or macs, not both",
                                   field=f"{where}.macs")
    if task.compute is None and task.macs is None:
        raise InvalidInstanceError("needs compute (s), macs or model", field=f"{where}.compute")
    if task.compute is None:
        assert task.macs is not None
        nonneg(task.macs, f"{where}.macs")
        out: list[float | None] = []
        for s, srv in enumerate(inst.servers):
            if srv.compute_rate is None:
                raise InvalidInstanceError(
                    "macs needs the compute_rate (MAC/s) of every server",
                    field=f"{server_field(srv, s)}.compute_rate")
            out.append(task.macs / srv.compute_rate)
        return out
    if isinstance(task.compute, tuple):
        if len(task.compute) not in (n_edge, m):
            raise InvalidInstanceError(f"has {len(task.compute)} compute times for "
                                       f"{_lengths(n_edge, m)} servers", field=f"{where}.compute")
        for s, value in enumerate(task.compute):
            if value is not None:
                nonneg(value, f"{where}.compute[{s}]")
        out = list(task.compute)
    else:
        nonneg(task.compute, f"{where}.compute")
        out = [task.compute] * n_edge
    if len(out) < m:
        given = [x for x in out if x is not None]
        out.append(min(given) / inst.servers[-1].speedup if given else None)
    return out


def local_time(j: int, task: Task, graph: Any = None) -> float | None:
    where = f"tasks[{j}]"
    if task.local is not None and task.client_rate is not None:
        raise InvalidInstanceError("give either local (s) or client_rate, not both",
                                   field=f"{where}.client_rate")
    if task.local is not None:
        nonneg(task.local, f"{where}.local")
        return task.local
    if task.client_rate is not None:
        positive(task.client_rate, f"{where}.client_rate")
        macs = task.macs
        if macs is None and graph is not None:
            macs = float(sum(layer.macs for layer in graph.layers))
        if macs is None:
            raise InvalidInstanceError("client_rate needs macs or model",
                                       field=f"{where}.client_rate")
        return macs / task.client_rate
    return None
