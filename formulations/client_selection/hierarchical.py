"""Hierarchical FL user-edge association by class distribution (Mhaisen et al.).

Source: N. Mhaisen, A. A. Abdellatif, A. Mohamed, A. Erbad, M. Guizani, "Optimal
User-Edge Assignment in Hierarchical Federated Learning Based on Statistical Properties
and Network Topology Constraints", IEEE Trans. Network Science and Engineering 9(1), 2022.

Model: users ``u`` hold ``a[u][c]`` samples of class ``c``; each user must be assigned to
exactly one edge server it can reach (``reach[u]``), and edge ``e`` serves at most
``capacity[e]`` users. The global class distribution is ``g_c = sum_u a[u][c] / A``.
An edge whose users' pooled distribution ``p_e`` is close to ``g`` trains an edge model
that generalises (the paper's goal: IID-like edge data). The paper measures the distance
with a divergence and solves the non-linear program by a heuristic; we choose the
*size-weighted L1 distance*, which linearises exactly:

    min  sum_e N_e * || p_e - g ||_1  =  sum_e sum_c | n_ec - g_c N_e |
    with n_ec = sum_u a[u][c] x_ue,   N_e = sum_c n_ec,   sum_e x_ue = 1,  x_ue = 0 if
    e not in reach[u],   sum_u x_ue <= capacity[e],   x binary.

``solve_milp`` writes ``t_ec >= +/-(n_ec - g_c N_e)`` (HiGHS, exact); ``greedy`` is the
heuristic (the paper's own heuristic is not reproduced exactly): users with the fewest
reachable edges first, then by data size, each to the reachable edge with room that
increases the objective least, then single-user moves and pairwise swaps while
they improve; the best of this and a few random-order restarts is returned.
Units: samples. This is a different model from FedCS, so it has its own instance type
and functions rather than being a method of the formulation.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
from pydantic import Field

from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.schema import StrictModel, validate
from edgeopt_solve.status import Status


class _UserSchema(StrictModel):
    samples: list[int]
    reach: list[int]


class _AssocSchema(StrictModel):
    users: list[_UserSchema]
    capacity: list[int]
    classes: list[str] = Field(default_factory=list)


@dataclass(frozen=True)
class AssociationInstance:
    """Users' class counts, reachable edges and edge capacities (see the module docstring)."""

    samples: tuple[tuple[int, ...], ...]
    reach: tuple[tuple[int, ...], ...]
    capacity: tuple[int, ...]

    @property
    def n_users(self) -> int:
        """Number of users."""
        return len(self.samples)

    @property
    def n_edges(self) -> int:
        """Number of edge servers."""
        return len(self.capacity)

    @classmethod
    def from_dict(cls, data: Any) -> AssociationInstance:
        """Validate; :class:`InvalidInstanceError` naming the field on bad input."""
        raw = validate(_AssocSchema, data)
        n_edges = len(raw.capacity)
        for e, cap in enumerate(raw.capacity):
            if cap < 0:
                raise InvalidInstanceError(f"capacity must be >= 0, got {cap}",
                                           field=f"capacity[{e}]")
        width = len(raw.users[0].samples) if raw.users else 0
        for u, user in enumerate(raw.users):
            if len(user.samples) != width:
                raise InvalidInstanceError(f"expected {width} class counts, got "
                                           f"{len(user.samples)}", field=f"users[{u}].samples")
            if any(s < 0 for s in user.samples):
                raise InvalidInstanceError("sample counts must be >= 0",
                                           field=f"users[{u}].samples")
            if not user.reach:
                raise InvalidInstanceError("a user must reach at least one edge",
                                           field=f"users[{u}].reach")
            for e in user.reach:
                if not 0 <= e < n_edges:
                    raise InvalidInstanceError(f"edge {e} does not exist",
                                               field=f"users[{u}].reach")
            if len(set(user.reach)) != len(user.reach):
                raise InvalidInstanceError("duplicate edge", field=f"users[{u}].reach")
        return cls(tuple(tuple(u.samples) for u in raw.users),
                   tuple(tuple(sorted(u.reach)) for u in raw.users), tuple(raw.capacity))

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-ready dict."""
        return {"users": [{"samples": list(s), "reach": list(r)}
                          for s, r in zip(self.samples, self.reach, strict=True)],
                "capacity": list(self.capacity)}


@dataclass(frozen=True)
class AssociationResult:
    """Status, assignment (edge per user), objective and proven bound."""

    status: Status
    assignment: tuple[int, ...] | None
    objective: float | None
    bound: float | None = None
    message: str = ""


def association_cost(inst: AssociationInstance, assignment: tuple[int, ...]) -> float:
    """``sum_e sum_c |n_ec - g_c N_e|`` of an assignment (independent evaluator)."""
    a = np.asarray(inst.samples, dtype=float).reshape(inst.n_users, -1)
    total = a.sum()
    if total == 0:
        return 0.0
    g = a.sum(axis=0) / total
    cost = 0.0
    for e in range(inst.n_edges):
        members = [u for u, x in enumerate(assignment) if x == e]
        n_ec = a[members].sum(axis=0) if members else np.zeros(a.shape[1])
        cost += float(np.abs(n_ec - g * n_ec.sum()).sum())
    return cost


def verify_association(inst: AssociationInstance, assignment: tuple[int, ...]) -> list[str]:
    """Violated constraints of an assignment ([] when feasible)."""
    if len(assignment) != inst.n_users:
        return [f"assignment has {len(assignment)} entries, expected {inst.n_users}"]
    out = [f"user {u} assigned to unreachable edge {e}"
           for u, e in enumerate(assignment) if e not in inst.reach[u]]
    for e in range(inst.n_edges):
        load = sum(1 for x in assignment if x == e)
        if load > inst.capacity[e]:
            out.append(f"edge {e} serves {load} users, capacity {inst.capacity[e]}")
    return out


def generate_association(n_users: int, n_edges: int, n_classes: int, seed: int
                         ) -> AssociationInstance:
    """Non-IID users (each holds 1-3 dominant classes), each reaching 1-3 edges."""
    rng = np.random.default_rng([seed, n_users, n_edges, n_classes])
    samples, reach = [], []
    for _ in range(n_users):
        counts = rng.integers(0, 5, n_classes)
        hot = rng.choice(n_classes, int(rng.integers(1, min(3, n_classes) + 1)), replace=False)
        counts[hot] += rng.integers(20, 80, hot.size)
        samples.append(tuple(int(c) for c in counts))
        k = int(rng.integers(1, min(3, n_edges) + 1))
        reach.append(tuple(sorted(int(e) for e in rng.choice(n_edges, k, replace=False))))
    cap = max(1, math.ceil(1.5 * n_users / max(n_edges, 1)))
    return AssociationInstance(tuple(samples), tuple(reach), tuple([cap] * n_edges))


def solve_milp(inst: AssociationInstance, ctx: SolveContext | None = None) -> AssociationResult:
    """Exact assignment by the linearised MILP with HiGHS."""
    from edgeopt_solve.backends.highs import new_highs, run_highs

    ctx = ctx or SolveContext()
    a = np.asarray(inst.samples, dtype=float).reshape(inst.n_users, -1)
    n_u, n_c, n_e = inst.n_users, a.shape[1], inst.n_edges
    if n_u == 0:
        return AssociationResult(Status.OPTIMAL, (), 0.0, 0.0)
    g = a.sum(axis=0) / max(a.sum(), 1e-300)
    pairs = [(u, e) for u in range(n_u) for e in inst.reach[u]]
    col = {p: i for i, p in enumerate(pairs)}
    n_x = len(pairs)
    n_t = n_e * n_c
    h = new_highs(ctx)
    inf = 1e30
    cost = np.concatenate([np.zeros(n_x), np.ones(n_t)])
    lower = np.zeros(n_x + n_t)
    upper = np.concatenate([np.ones(n_x), np.full(n_t, inf)])
    h.addCols(n_x + n_t, cost, lower, upper, 0, np.zeros(0, np.int32), np.zeros(0, np.int32),
              np.zeros(0))
    h.changeColsIntegrality(n_x, np.arange(n_x, dtype=np.int32), np.ones(n_x, dtype=np.uint8))
    lo, hi, starts, idx, val = [], [], [], [], []

    def row(lb: float, ub: float, cols: list[int], vals: list[float]) -> None:
        lo.append(lb)
        hi.append(ub)
        starts.append(len(idx))
        idx.extend(cols)
        val.extend(vals)

    for u in range(n_u):
        row(1.0, 1.0, [col[(u, e)] for e in inst.reach[u]], [1.0] * len(inst.reach[u]))
    for e in range(n_e):
        users = [u for u in range(n_u) if e in inst.reach[u]]
        row(-inf, float(inst.capacity[e]), [col[(u, e)] for u in users], [1.0] * len(users))
        for c in range(n_c):
            coef = [float(a[u, c] - g[c] * a[u].sum()) for u in users]  # n_ec - g_c N_e
            t = n_x + e * n_c + c
            row(0.0, inf, [t, *[col[(u, e)] for u in users]], [1.0, *[-x for x in coef]])
            row(0.0, inf, [t, *[col[(u, e)] for u in users]], [1.0, *coef])
    h.addRows(len(lo), np.asarray(lo), np.asarray(hi), len(idx), np.asarray(starts, np.int32),
              np.asarray(idx, np.int32), np.asarray(val, float))
    run = run_highs(h, ctx)
    if run.status is Status.INFEASIBLE:
        return AssociationResult(Status.INFEASIBLE, None, None,
                                 message="edge capacities cannot host every user")
    if not run.has_solution:
        return AssociationResult(run.status, None, None, message=run.native_status)
    x = np.asarray(h.getSolution().col_value[:n_x])
    assignment = [0] * n_u
    for (u, e), i in col.items():
        if x[i] > 0.5:
            assignment[u] = e
    assign = tuple(assignment)
    return AssociationResult(run.status, assign, association_cost(inst, assign),
                             bound=run.bound)


def greedy(inst: AssociationInstance, *, local_search: bool = True, restarts: int = 8,
           seed: int = 0) -> AssociationResult:
    """Best of ``restarts`` runs of :func:`greedy_once`: the first in the published-style
    order, the others in random orders (deterministic in ``seed``)."""
    rng = np.random.default_rng([seed, 17])
    best = greedy_once(inst, local_search=local_search)
    if best.status is not Status.FEASIBLE:
        return best
    for _ in range(max(restarts - 1, 0)):
        order = rng.permutation(inst.n_users).tolist()
        got = greedy_once(inst, local_search=local_search, order=order)
        if got.objective is not None and got.objective < best.objective - 1e-9:
            best = got
    return best


def greedy_once(inst: AssociationInstance, *, local_search: bool = True,
                order: list[int] | None = None) -> AssociationResult:
    """Greedy insertion (fewest reachable edges first, then data size), then improving
    moves and swaps (heuristic). A user that finds no edge with room is placed by an
    augmenting path (Kuhn's bipartite matching), so the heuristic fails only on instances
    that are proven infeasible (reported as INFEASIBLE)."""
    a = np.asarray(inst.samples, dtype=float).reshape(inst.n_users, -1)
    n_u, n_e = inst.n_users, inst.n_edges
    if n_u == 0:
        return AssociationResult(Status.FEASIBLE, (), 0.0)
    g = a.sum(axis=0) / max(a.sum(), 1e-300)
    dev = a - np.outer(a.sum(axis=1), g)  # user's contribution to n_ec - g_c N_e
    acc = np.zeros((n_e, a.shape[1]))
    load = np.zeros(n_e, dtype=int)
    assign = [-1] * n_u
    if order is None:
        order = sorted(range(n_u), key=lambda u: (len(inst.reach[u]), -a[u].sum(), u))
    for u in order:
        best = None
        for e in inst.reach[u]:
            if load[e] >= inst.capacity[e]:
                continue
            delta = np.abs(acc[e] + dev[u]).sum() - np.abs(acc[e]).sum()
            if best is None or delta < best[0] - 1e-12:
                best = (delta, e)
        if best is None:
            path = _augmenting_path(inst, assign, load, u)
            if path is None:
                return AssociationResult(Status.INFEASIBLE, None, None,
                                         message=f"no assignment hosts user {u}: edge "
                                                 "capacities are too small (Kuhn's "
                                                 "augmenting-path argument)")
            for v, e_new in path:  # shift users along the path, u takes the first edge
                if assign[v] >= 0:
                    acc[assign[v]] -= dev[v]
                    load[assign[v]] -= 1
                assign[v] = e_new
                acc[e_new] += dev[v]
                load[e_new] += 1
            continue
        e = best[1]
        assign[u] = e
        acc[e] += dev[u]
        load[e] += 1
    improved = local_search
    while improved:
        improved = False
        for u in range(n_u):
            e0 = assign[u]
            for e in inst.reach[u]:
                if e == e0 or load[e] >= inst.capacity[e]:
                    continue
                delta = (np.abs(acc[e0] - dev[u]).sum() - np.abs(acc[e0]).sum()
                         + np.abs(acc[e] + dev[u]).sum() - np.abs(acc[e]).sum())
                if delta < -1e-9:
                    acc[e0] -= dev[u]
                    acc[e] += dev[u]
                    load[e0] -= 1
                    load[e] += 1
                    assign[u] = e0 = e
                    improved = True
        for u in range(n_u):
            for v in range(u + 1, n_u):
                eu, ev = assign[u], assign[v]
                if eu == ev or ev not in inst.reach[u] or eu not in inst.reach[v]:
                    continue
                d = dev[v] - dev[u]
                delta = (np.abs(acc[eu] + d).sum() - np.abs(acc[eu]).sum()
                         + np.abs(acc[ev] - d).sum() - np.abs(acc[ev]).sum())
                if delta < -1e-9:
                    acc[eu] += d
                    acc[ev] -= d
                    assign[u], assign[v] = ev, eu
                    improved = True
    out = tuple(assign)
    return AssociationResult(Status.FEASIBLE, out, association_cost(inst, out))


def _augmenting_path(inst: AssociationInstance, assign: list[int], load: np.ndarray,
                     user: int) -> list[tuple[int, int]] | None:
    """Moves ``[(user, e1), (v1, e2), ...]`` that free room for ``user``, or ``None``."""
    parent: dict[int, tuple[int, int] | None] = {}
    frontier = []
    for e in inst.reach[user]:
        if e not in parent:
            parent[e] = None
            frontier.append(e)
    while frontier:
        nxt = []
        for e in frontier:
            if load[e] < inst.capacity[e]:
                moves: list[tuple[int, int]] = []
                cur: int | None = e
                while cur is not None:
                    prev = parent[cur]
                    if prev is None:
                        moves.append((user, cur))
                        cur = None
                    else:
                        v, e_from = prev
                        moves.append((v, cur))
                        cur = e_from
                return moves[::-1]
            for v, ev in enumerate(assign):
                if ev != e:
                    continue
                for f in inst.reach[v]:
                    if f not in parent:
                        parent[f] = (v, e)
                        nxt.append(f)
        frontier = nxt
    return None
