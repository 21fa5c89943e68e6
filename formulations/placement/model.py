"""Instance and solution of the edge data placement problem (a generalized assignment problem).

Model
-----
``m`` edge servers ``i`` with storage capacity ``b_i`` (bytes) and ``n`` data blocks ``j``.
Decision: ``x_ij = 1`` when block ``j`` is cached on server ``i``; a block may also be left
*unplaced* (served from the cloud) when it has an unplaced penalty ``p_j``.

    minimise    sum_ij c_ij x_ij + sum_j p_j u_j  [+ lambda * max_i (sum_j w_ij x_ij) / b_i]
    subject to  sum_i x_ij + u_j = 1                 for every block j   (u_j = 0 if no p_j)
                sum_j w_ij x_ij <= b_i               for every server i
                x_ij, u_j in {0, 1}

``c_ij`` is the cost of serving block ``j`` from server ``i`` (seconds of response time in
the system form, any unit in the plain form), ``w_ij`` the storage it takes there (bytes;
the same on every server in the system form). The bracketed min-max term is the
load-balancing objective (``objective = "minmax"``) of Xie et al.'s relocation among edge
data repositories, with weight ``lambda = load_weight``; the max runs over servers with
``b_i > 0`` (a zero-capacity server carries no load).

Two input forms (both JSON ``data`` objects with ``servers`` and ``blocks``):

*Plain form* (OR-Library GAP maps to it directly): each block gives ``cost`` (one per server)
and either ``size`` (bytes, same on every server) or ``weight`` (one per server), and
optionally ``unplaced_penalty``.

*System form* (Li, Bai and Tang, "Joint optimization of data placement and scheduling for
improving user experience in edge computing", JPDC 2019, as reconstructed here since only the
model outline is public): servers have storage ``capacity`` (bytes) and compute ``speed``
(cycles/s); ``bandwidth[i][k]`` (bit/s) is the rate from server ``i`` to server ``k``;
blocks have ``size`` (bytes) and current location ``origin`` (a server, or ``null`` = the
cloud); tasks run at a fixed ``site``, read a set of ``blocks``, arrive at ``rate`` (weight,
requests per unit time) and process ``cycles_per_byte`` of each block they read. Then

    c_ij = sum_{t reads j} rate_t * (8 s_j / bandwidth[i][site_t]   [0 if i = site_t]
                                     + s_j * cycles_per_byte_t / speed[site_t])
           + replacement_weight * (8 s_j / bandwidth[origin_j][i])  [0 if i = origin_j;
                                                  cloud_bandwidth[i] when origin_j is null]

and, with ``allow_unplaced``, an unplaced block is served from the cloud to each task:
``p_j = sum_{t reads j} rate_t * (8 s_j / cloud_bandwidth[site_t] + compute)``. Li et al.
also schedule tasks; with task sites fixed (as here) the problem is exactly a GAP, a 0-1
knapsack for one server. Compute time does not depend on the placement but is kept in
``c_ij`` so the objective reads as the total response time (s).

*Movable tasks* (Du et al., shared datasets across users and workflows, ICWS 2020 as best
identified): a task with ``candidates`` may run at any of those servers (decision
``y_tk``; the solution's ``sites``); its response time then depends on the pair (block
server ``i``, task site ``k``), so the cost couples pairs of decisions: a generalized
quadratic assignment problem, solved exactly by ``milp`` through the linearisation
``z_tijk = x_ij y_tk`` with ``sum_k z_tijk = x_ij`` and ``sum_i z_tijk = y_tk`` (exact for
binary ``x``, ``y``). Task sites have no capacity. ``cost``/``penalty`` above are at the
current ``site`` of every task.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import Field

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.schema import StrictModel, validate

MAX_INT = 2**53
MAX_FLOAT = 1e15
BITS_PER_BYTE = 8

Count = Annotated[int, Field(ge=0, le=MAX_INT)]
Index = Annotated[int, Field(ge=0, le=MAX_INT)]
Real = Annotated[float, Field(ge=-MAX_FLOAT, le=MAX_FLOAT)]
NonNeg = Annotated[float, Field(ge=0, le=MAX_FLOAT)]
Positive = Annotated[float, Field(gt=0, le=MAX_FLOAT)]


class ServerSpec(StrictModel):
    """An edge server: storage ``capacity`` (bytes) and compute ``speed`` (cycles/s)."""

    capacity: Count
    speed: Positive | None = None
    name: str | None = None


class BlockSpec(StrictModel):
    """A data block: ``size`` (bytes) or per-server ``weight``; ``cost`` in the plain form."""

    size: Count | None = None
    weight: list[Count] | None = None
    cost: list[Real] | None = None
    unplaced_penalty: Real | None = None
    origin: Index | None = None
    name: str | None = None


class TaskSpec(StrictModel):
    """A task running at server ``site`` that reads ``blocks`` (system form)."""

    site: Index
    blocks: list[Index]
    rate: NonNeg = 1.0
    cycles_per_byte: NonNeg = 0.0
    candidates: list[Index] | None = None
    name: str | None = None


class PlacementSpec(StrictModel):
    """The instance ``data`` object (plain or system form; see the module docstring)."""

    servers: list[ServerSpec] = Field(min_length=1)
    blocks: list[BlockSpec]
    tasks: list[TaskSpec] | None = None
    bandwidth: list[list[NonNeg]] | None = None
    cloud_bandwidth: list[NonNeg] | None = None
    replacement_weight: NonNeg = 0.0
    allow_unplaced: bool = False
    objective: Literal["sum", "minmax"] = "sum"
    load_weight: NonNeg = 0.0


class SolutionSpec(StrictModel):
    """``assignment[j]`` = server of block ``j`` or ``null`` (unplaced); ``sites[t]`` = server
    running task ``t`` (only when tasks may move)."""

    assignment: list[Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)] | None]
    sites: list[Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)]] | None = None


def _bad(msg: str, fld: str) -> InvalidInstanceError:
    return InvalidInstanceError(msg, field=fld)


@dataclass(frozen=True)
class Instance:
    """A validated placement instance.

    Attributes
    ----------
    spec
        The validated input (plain or system form), kept for ``to_dict`` and the evaluator.
    cost
        ``cost[i][j]``: cost of block ``j`` on server ``i``.
    weight
        ``weight[i][j]``: storage used by block ``j`` on server ``i`` (bytes).
    capacity
        ``capacity[i]``: storage of server ``i`` (bytes).
    penalty
        ``penalty[j]``: cost of leaving block ``j`` unplaced, ``None`` if it must be placed.
    """

    spec: PlacementSpec
    cost: tuple[tuple[float, ...], ...] = field(repr=False)
    weight: tuple[tuple[int, ...], ...] = field(repr=False)
    capacity: tuple[int, ...] = field(repr=False)
    penalty: tuple[float | None, ...] = field(repr=False)

    def __hash__(self) -> int:
        return hash((self.cost, self.weight, self.capacity, self.penalty, self.spec.objective,
                     self.spec.load_weight))

    @property
    def m(self) -> int:
        """Number of servers."""
        return len(self.capacity)

    @property
    def n(self) -> int:
        """Number of blocks."""
        return len(self.penalty)

    @property
    def movable(self) -> bool:
        """Whether some task may move to another site (a generalized quadratic assignment)."""
        return any(t.candidates is not None for t in self.spec.tasks or [])

    def sites_of(self, sites: Any = None) -> tuple[int, ...]:
        """Site of every task: ``sites`` if given, else each task's current ``site``."""
        tasks = self.spec.tasks or []
        if sites is None:
            return tuple(t.site for t in tasks)
        return tuple(int(k) for k in sites)

    def with_sites(self, sites: Any) -> Instance:
        """The fixed-site instance (a GAP) with every task at ``sites[t]``."""
        tasks = [t.model_copy(update={"site": int(k), "candidates": None})
                 for t, k in zip(self.spec.tasks or [], sites, strict=True)]
        return Instance.from_spec(self.spec.model_copy(update={"tasks": tasks}))

    @property
    def mode(self) -> str:
        """``"sum"`` or ``"minmax"``."""
        return self.spec.objective

    @property
    def load_weight(self) -> float:
        """Weight of the maximum utilisation in the min-max objective."""
        return self.spec.load_weight

    @classmethod
    def json_schema(cls) -> dict[str, Any]:
        """JSON Schema of the instance ``data`` object."""
        return PlacementSpec.model_json_schema()

    @classmethod
    def from_dict(cls, data: Any) -> Instance:
        """Validate ``data`` (plain or system form) and derive the GAP matrices.

        Raises
        ------
        InvalidInstanceError
            Naming the field path of the first problem found.
        """
        spec = validate(PlacementSpec, data)
        return cls.from_spec(spec)

    @classmethod
    def from_spec(cls, spec: PlacementSpec) -> Instance:
        """Semantic checks and derived matrices of a schema-valid spec."""
        if spec.tasks is None:
            cost, weight, penalty = _plain(spec)
        else:
            cost, weight, penalty = _system(spec)
        capacity = tuple(s.capacity for s in spec.servers)
        return cls(spec, cost, weight, capacity, penalty)

    @classmethod
    def from_matrices(cls, cost: Any, weight: Any, capacity: Any, *,
                      unplaced_penalty: Any = None, objective: str = "sum",
                      load_weight: float = 0.0) -> Instance:
        """The plain form from ``cost[i][j]``, ``weight[i][j]`` and ``capacity[i]``.

        ``unplaced_penalty`` is ``None`` or one value (or ``None``) per block.
        """
        c = [[float(v) for v in row] for row in cost]
        w = [[int(v) for v in row] for row in weight]
        m = len(capacity)
        n = len(c[0]) if c else 0
        blocks = []
        for j in range(n):
            b: dict[str, Any] = {"cost": [c[i][j] for i in range(m)],
                                 "weight": [w[i][j] for i in range(m)]}
            if unplaced_penalty is not None and unplaced_penalty[j] is not None:
                b["unplaced_penalty"] = float(unplaced_penalty[j])
            blocks.append(b)
        data: dict[str, Any] = {"servers": [{"capacity": int(b)} for b in capacity],
                                "blocks": blocks}
        if objective != "sum":
            data["objective"] = objective
            data["load_weight"] = float(load_weight)
        return cls.from_dict(data)

    def to_dict(self) -> dict[str, Any]:
        """The JSON ``data`` object (the form it was given in)."""
        return self.spec.model_dump(mode="json", exclude_none=True)

    def arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(cost, weight, capacity)`` as numpy arrays (float, int64, int64)."""
        m, n = self.m, self.n
        cost = np.array(self.cost, dtype=float).reshape(m, n)
        weight = np.array(self.weight, dtype=np.int64).reshape(m, n)
        return cost, weight, np.array(self.capacity, dtype=np.int64)


def _plain(spec: PlacementSpec) -> tuple[tuple, tuple, tuple]:
    m, n = len(spec.servers), len(spec.blocks)
    for key in ("bandwidth", "cloud_bandwidth"):
        if getattr(spec, key) is not None:
            raise _bad(f"{key} belongs to the system form (which needs 'tasks')", key)
    if spec.replacement_weight != 0:
        raise _bad("replacement_weight belongs to the system form (which needs 'tasks')",
                   "replacement_weight")
    if spec.allow_unplaced:
        raise _bad("in the plain form give each block an unplaced_penalty instead",
                   "allow_unplaced")
    cost = [[0.0] * n for _ in range(m)]
    weight = [[0] * n for _ in range(m)]
    penalty: list[float | None] = []
    for j, b in enumerate(spec.blocks):
        at = f"blocks[{j}]"
        if b.cost is None:
            raise _bad("a block needs 'cost' (one per server) in the plain form", f"{at}.cost")
        if len(b.cost) != m:
            raise _bad(f"needs {m} values (one per server), got {len(b.cost)}", f"{at}.cost")
        if (b.size is None) == (b.weight is None):
            raise _bad("give exactly one of 'size' and 'weight'", f"{at}.size")
        if b.weight is not None and len(b.weight) != m:
            raise _bad(f"needs {m} values (one per server), got {len(b.weight)}",
                       f"{at}.weight")
        if b.origin is not None:
            raise _bad("origin belongs to the system form (which needs 'tasks')",
                       f"{at}.origin")
        for i in range(m):
            cost[i][j] = float(b.cost[i])
            weight[i][j] = int(b.weight[i]) if b.weight is not None else int(b.size or 0)
        penalty.append(None if b.unplaced_penalty is None else float(b.unplaced_penalty))
    return (tuple(map(tuple, cost)), tuple(map(tuple, weight)), tuple(penalty))


def _check_site(spec: PlacementSpec, t: int, k: int) -> None:
    """Task ``t`` may run at server ``k``: it needs speed and links to fetch its blocks."""
    task = (spec.tasks or [])[t]
    bw = spec.bandwidth or []
    cloud = spec.cloud_bandwidth
    if task.cycles_per_byte > 0 and spec.servers[k].speed is None:
        raise _bad(f"server {k} may run task {t} but has no speed (cycles/s)",
                   f"servers[{k}].speed")
    if not task.blocks or task.rate <= 0:
        return
    for i in range(len(spec.servers)):
        if i != k and bw[i][k] <= 0:
            raise _bad(f"zero bandwidth from server {i} to server {k}, where task {t} "
                       f"may run and need block {task.blocks[0]} from server {i}",
                       f"bandwidth[{i}][{k}]")
    if spec.allow_unplaced and (cloud is None or cloud[k] <= 0):
        fld = "cloud_bandwidth" if cloud is None else f"cloud_bandwidth[{k}]"
        raise _bad(f"allow_unplaced serves blocks from the cloud, so the cloud link to "
                   f"server {k} (task {t}) needs a bandwidth > 0", fld)


def _system(spec: PlacementSpec) -> tuple[tuple, tuple, tuple]:
    m, n = len(spec.servers), len(spec.blocks)
    tasks = spec.tasks or []
    bw = spec.bandwidth
    if bw is None:
        raise _bad("the system form needs a bandwidth matrix (bit/s)", "bandwidth")
    if len(bw) != m:
        raise _bad(f"needs {m} rows (one per server), got {len(bw)}", "bandwidth")
    for i, row in enumerate(bw):
        if len(row) != m:
            raise _bad(f"needs {m} values, got {len(row)}", f"bandwidth[{i}]")
    cloud = spec.cloud_bandwidth
    if cloud is not None and len(cloud) != m:
        raise _bad(f"needs {m} values (one per server), got {len(cloud)}", "cloud_bandwidth")
    for j, b in enumerate(spec.blocks):
        at = f"blocks[{j}]"
        for key in ("cost", "weight", "unplaced_penalty"):
            if getattr(b, key) is not None:
                raise _bad(f"{key} is derived from the tasks in the system form", f"{at}.{key}")
        if b.size is None:
            raise _bad("a block needs a size (bytes)", f"{at}.size")
        if b.origin is not None and b.origin >= m:
            raise _bad(f"origin {b.origin} is not a server (there are {m})", f"{at}.origin")
    readers: list[list[int]] = [[] for _ in range(n)]
    for t, task in enumerate(tasks):
        at = f"tasks[{t}]"
        if task.site >= m:
            raise _bad(f"site {task.site} is not a server (there are {m})", f"{at}.site")
        for q, k in enumerate(task.candidates or []):
            if k >= m:
                raise _bad(f"candidate site {k} is not a server (there are {m})",
                           f"{at}.candidates[{q}]")
        if task.candidates is not None and not task.candidates:
            raise _bad("give at least one candidate site (or leave candidates out)",
                       f"{at}.candidates")
        for q, j in enumerate(task.blocks):
            if j >= n:
                raise _bad(f"task needs block {j}, which does not exist (there are {n})",
                           f"{at}.blocks[{q}]")
            readers[j].append(t)
        for k in sorted({task.site, *(task.candidates or [])}):
            _check_site(spec, t, k)
    if spec.replacement_weight > 0:
        for j, b in enumerate(spec.blocks):
            o = b.origin
            for i in range(m):
                if o is None and (cloud is None or cloud[i] <= 0):
                    fld = "cloud_bandwidth" if cloud is None else f"cloud_bandwidth[{i}]"
                    raise _bad(f"block {j} comes from the cloud and may move to server {i}, "
                               "so that link needs a bandwidth > 0", fld)
                if o is not None and i != o and bw[o][i] <= 0:
                    raise _bad(f"zero bandwidth from server {o} to server {i}, over which "
                               f"block {j} may move", f"bandwidth[{o}][{i}]")
    cost = [[0.0] * n for _ in range(m)]
    penalty: list[float | None] = []
    for j, b in enumerate(spec.blocks):
        bits = BITS_PER_BYTE * float(b.size or 0)
        pen = 0.0
        for t in readers[j]:
            task = tasks[t]
            k = task.site
            compute = 0.0
            if task.cycles_per_byte > 0:
                compute = float(b.size or 0) * task.cycles_per_byte / (spec.servers[k].speed or 1)
            for i in range(m):
                xfer = 0.0 if i == k or bits == 0 else bits / bw[i][k]
                cost[i][j] += task.rate * (xfer + compute)
            if spec.allow_unplaced and cloud is not None and task.rate > 0:
                pen += task.rate * ((bits / cloud[k] if bits else 0.0) + compute)
        if spec.replacement_weight > 0 and bits > 0:
            for i in range(m):
                if b.origin is None:
                    cost[i][j] += spec.replacement_weight * bits / (cloud or [1.0] * m)[i]
                elif i != b.origin:
                    cost[i][j] += spec.replacement_weight * bits / bw[b.origin][i]
        penalty.append(pen if spec.allow_unplaced else None)
        if not all(math.isfinite(cost[i][j]) for i in range(m)) or not math.isfinite(pen):
            raise _bad("the derived response time overflows (check sizes and bandwidths)",
                       f"blocks[{j}]")
    weight = tuple(tuple(int(b.size or 0) for b in spec.blocks) for _ in range(m))
    return tuple(map(tuple, cost)), weight, tuple(penalty)


@dataclass(frozen=True)
class Solution:
    """Where each block goes.

    Attributes
    ----------
    assignment
        ``assignment[j]``: index of the server caching block ``j``, or ``None`` = unplaced.
    sites
        ``sites[t]``: server running task ``t`` (a candidate site), or ``None`` = every task
        stays at its current ``site``.
    """

    assignment: tuple[int | None, ...]
    sites: tuple[int, ...] | None = None

    @classmethod
    def from_dict(cls, data: Any) -> Solution:
        """Validate ``{"assignment": [...], "sites": [...]?}``."""
        spec = validate(SolutionSpec, data)
        sites = None if spec.sites is None else tuple(spec.sites)
        return cls(tuple(spec.assignment), sites)

    def to_dict(self) -> dict[str, Any]:
        """``{"assignment": [...]}`` plus ``"sites"`` when tasks were moved."""
        out: dict[str, Any] = {"assignment": [None if a is None else int(a)
                                              for a in self.assignment]}
        if self.sites is not None:
            out["sites"] = [int(k) for k in self.sites]
        return out
