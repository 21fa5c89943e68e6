"""What the methods share: the GAP arrays with an "unplaced" pseudo-server, infeasibility
certificates, the LP-relaxation bound and move evaluation helpers.

Unplaced blocks are modelled as assignment to a pseudo-server ``m`` with unlimited storage,
weight 0 and cost ``p_j`` (forbidden for blocks without an unplaced penalty), so every
method works on a plain GAP. Nothing here is used by the evaluator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import InvalidOptionError
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Limit, Status

from .model import Instance, Solution

INF = float("inf")


@dataclass(frozen=True)
class Gap:
    """The instance as GAP arrays, with the pseudo-server row when some block may be unplaced.

    Attributes
    ----------
    cost
        ``(k, n)`` float; ``inf`` where an assignment is not allowed.
    weight
        ``(k, n)`` int64 storage use (0 on the pseudo-server).
    capacity
        ``(k,)`` int64 (huge on the pseudo-server).
    allowed
        ``(k, n)`` bool: the block fits there (and, on the pseudo-server, may be unplaced).
    m
        Real servers; ``k = m + 1`` when ``has_dummy``.
    """

    cost: np.ndarray
    weight: np.ndarray
    capacity: np.ndarray
    allowed: np.ndarray
    m: int
    has_dummy: bool

    @property
    def k(self) -> int:
        """Rows including the pseudo-server."""
        return self.cost.shape[0]

    @property
    def n(self) -> int:
        """Blocks."""
        return self.cost.shape[1]


def gap_arrays(inst: Instance) -> Gap:
    """The :class:`Gap` view of ``inst``."""
    cost, weight, cap = inst.arrays()
    m, n = inst.m, inst.n
    has_dummy = any(p is not None for p in inst.penalty)
    if has_dummy:
        pen = np.array([INF if p is None else p for p in inst.penalty], dtype=float)
        cost = np.vstack([cost, pen.reshape(1, n)])
        weight = np.vstack([weight, np.zeros((1, n), dtype=np.int64)])
        total = int(weight.sum()) + 1
        cap = np.append(cap, max(total, 1))
    allowed = (weight <= cap[:, None]) & np.isfinite(cost)
    cost = np.where(allowed, cost, INF)
    return Gap(cost, weight, cap, allowed, m, has_dummy)


def with_margin(ctx: SolveContext) -> SolveContext:
    """The same budget minus a small margin kept for verification inside the caller's limit."""
    if ctx.time_limit is None:
        return ctx
    margin = min(0.05, 0.03 * ctx.time_limit)
    return SolveContext(time_limit=max(ctx.time_limit - margin, 1e-3), seed=ctx.seed,
                        stop=ctx.stop, started=ctx.started)


def require_sum(inst: Instance, method: str) -> None:
    """Raise for the min-max mode in methods that only handle the sum objective."""
    if inst.mode != "sum":
        raise InvalidOptionError(
            f"method {method!r} handles objective 'sum' only; use milp, knapsack-dp, greedy "
            "or brute force for 'minmax'", field="method")


def infeasibility(inst: Instance) -> str | None:
    """A proof that ``inst`` has no feasible placement, as a message, or ``None``.

    Two certificates: a block that must be placed fits on no server, and the blocks that
    must be placed need more storage (each on its smallest server) than all servers hold.
    """
    _, weight, cap = inst.arrays()
    must = [j for j, p in enumerate(inst.penalty) if p is None]
    if not must:
        return None
    w = weight[:, must]
    fits = w <= cap[:, None]
    for col, j in enumerate(must):
        if not fits[:, col].any():
            return (f"block {j} ({int(w[:, col].min())} bytes) fits on no server "
                    f"(largest storage {int(cap.max())} bytes)")
    need = int(w.min(axis=0).sum())
    have = int(cap.sum())
    if need > have:
        return (f"the blocks that must be placed need at least {need} bytes but the servers "
                f"hold {have} bytes: short by {need - have} bytes")
    return None


def infeasible_output(msg: str) -> MethodOutput:
    """INFEASIBLE with the reason."""
    return MethodOutput(Status.INFEASIBLE, message=msg)


def start_search(inst: Instance, ctx: SolveContext,
                 method: str) -> tuple[Gap, SolveContext] | MethodOutput:
    """The common start of the sum-objective searches (tabu, DPSO, LNS).

    Returns the INFEASIBLE output when a certificate proves there is no placement,
    otherwise the GAP arrays and the context with the verification margin taken off.
    """
    require_sum(inst, method)
    reason = infeasibility(inst)
    if reason:
        return infeasible_output(reason)
    return gap_arrays(inst), with_margin(ctx)


def highs_without_solution(run: Any, stats: dict[str, Any]) -> MethodOutput | None:
    """The output for a HiGHS run that holds no placement (infeasible, or stopped early
    before an incumbent), else ``None`` when there is a solution to read."""
    if run.status is Status.INFEASIBLE:
        return MethodOutput(Status.INFEASIBLE, message="HiGHS proved that no placement fits "
                            "the storage capacities", backend="highs",
                            solver_versions=run.versions, stats=stats)
    if not run.status.has_solution:
        return MethodOutput(run.status, limit=run.limit, backend="highs",
                            solver_versions=run.versions, stats=stats,
                            message=f"HiGHS: {run.native_status}")
    return None


def to_solution(g: Gap, assign: np.ndarray) -> Solution:
    """Pseudo-server index -> ``None``."""
    return Solution(tuple(None if int(a) >= g.m else int(a) for a in assign))


def total_cost(g: Gap, assign: np.ndarray) -> float:
    """Sum of the chosen costs (sum mode)."""
    return float(g.cost[assign, np.arange(g.n)].sum())


def loads(g: Gap, assign: np.ndarray) -> np.ndarray:
    """Storage used on each row."""
    return np.bincount(assign, weights=g.weight[assign, np.arange(g.n)],
                       minlength=g.k).astype(np.int64)


def is_feasible(g: Gap, assign: np.ndarray) -> bool:
    """All assignments allowed and every capacity respected."""
    if not g.allowed[assign, np.arange(g.n)].all():
        return False
    return bool((loads(g, assign) <= g.capacity).all())


def lp_bound(inst: Instance, ctx: SolveContext) -> tuple[float | None, np.ndarray | None]:
    """LP-relaxation lower bound and fractional ``x`` (k, n), or ``(None, None)``.

    The bound is valid for the integer problem (sum and min-max modes); with integral
    costs (OR-Library files) it is rounded up, since every placement then costs an integer.
    """
    from .exact_milp import build_highs, read_x

    if ctx.out_of_time():
        return None, None
    h, layout = build_highs(inst, ctx, integer=False)
    h.run()
    name = h.getModelStatus().name
    if name != "kOptimal":
        return None, None
    info = h.getInfo()
    bound = float(info.objective_function_value)
    # primal = dual objective at kOptimal only up to the solver's tolerances: back off
    bound -= 1e-7 * max(1.0, abs(bound))
    g = layout.gap
    finite = g.cost[g.allowed]
    if inst.mode == "sum" and np.all(finite == np.round(finite)):
        bound = float(np.ceil(bound))   # integral costs: every placement costs an integer
    return bound, read_x(h, layout)


def finish(g: Gap, best: np.ndarray | None, bound: float | None, stats: dict[str, Any],
           ctx: SolveContext, backend: str = "python") -> MethodOutput:
    """FEASIBLE with the best assignment and the bound, or NO_SOLUTION."""
    if best is None or not is_feasible(g, best):
        return MethodOutput(Status.NO_SOLUTION, bound=None, limit=ctx.limit_hit() or Limit.OTHER,
                            message="no feasible placement found", stats=stats, backend=backend)
    return MethodOutput(Status.FEASIBLE, to_solution(g, best), bound=bound, stats=stats,
                        backend=backend, solver_versions=_versions(backend, bound is not None))


def _versions(backend: str, used_lp: bool) -> dict[str, str]:
    """Versions of the libraries a heuristic used (HiGHS for the LP bound, CP-SAT for LNS)."""
    out: dict[str, str] = {}
    if used_lp or backend == "highs":
        from edgeopt_solve.backends import highs

        out.update(highs.versions())
    if backend == "cp-sat":
        from edgeopt_solve.backends import cpsat

        out.update(cpsat.versions())
    return out


def shift_deltas(g: Gap, assign: np.ndarray, load: np.ndarray) -> np.ndarray:
    """``(k, n)`` change of cost of moving each block to each row; ``inf`` if infeasible."""
    cols = np.arange(g.n)
    cur = g.cost[assign, cols]
    delta = g.cost - cur[None, :]
    fits = load[:, None] + g.weight <= g.capacity[:, None]
    delta = np.where(fits & g.allowed, delta, INF)
    delta[assign, cols] = INF
    return delta


def repair(g: Gap, assign: np.ndarray) -> np.ndarray | None:
    """Move blocks off overloaded rows (cheapest regret first); ``None`` if it fails."""
    a = assign.copy()
    cols = np.arange(g.n)
    bad = ~g.allowed[a, cols]
    for j in np.flatnonzero(bad):
        rows = np.flatnonzero(g.allowed[:, j])
        if rows.size == 0:
            return None
        a[j] = rows[np.argmin(g.cost[rows, j])]
    load = loads(g, a)
    for _ in range(4 * g.n + 4):
        over = np.flatnonzero(load > g.capacity)
        if over.size == 0:
            return a
        i = over[0]
        members = np.flatnonzero(a == i)
        best = None
        fits = (load[:, None] + g.weight[:, members] <= g.capacity[:, None])
        fits &= g.allowed[:, members]
        fits[i] = False
        movable = fits.any(axis=0)
        if movable.any():
            target = np.where(fits, g.cost[:, members], INF)
            r_of = np.argmin(target, axis=0)
            score = (target[r_of, np.arange(members.size)] - g.cost[i, members])
            score = score / np.maximum(g.weight[i, members], 1)
            score = np.where(movable, score, INF)
            col = int(np.argmin(score))
            best = (float(score[col]), int(members[col]), int(r_of[col]))
        if best is None:
            # no block fits elsewhere: move the largest one where it overloads the least
            j = int(members[np.argmax(g.weight[i, members])])
            rows = np.flatnonzero(g.allowed[:, j])
            rows = rows[rows != i]
            if rows.size == 0:
                return None
            r = int(rows[np.argmin(load[rows] + g.weight[rows, j] - g.capacity[rows])])
            best = (0.0, j, r)
        _, j, r = best
        load[i] -= g.weight[i, j]
        load[r] += g.weight[r, j]
        a[j] = r
    return a if bool((load <= g.capacity).all()) else None


def local_search(g: Gap, assign: np.ndarray, ctx: SolveContext, *,
                 max_rounds: int = 10_000) -> np.ndarray:
    """Best-improvement shift then swap descent to a local optimum (sum mode)."""
    a = assign.copy()
    if g.n == 0:
        return a
    load = loads(g, a)
    cols = np.arange(g.n)
    for _ in range(max_rounds):
        if ctx.out_of_time():
            break
        d = shift_deltas(g, a, load)
        flat = int(np.argmin(d))
        i, j = divmod(flat, g.n)
        if d[i, j] < -1e-9:
            load[a[j]] -= g.weight[a[j], j]
            load[i] += g.weight[i, j]
            a[j] = i
            continue
        mv = best_swap(g, a, load, cols)
        if mv is None:
            break
        j, q = mv
        _apply_swap(g, a, load, j, q)
    return a


def swap_deltas(g: Gap, a: np.ndarray, load: np.ndarray,
                cols: np.ndarray) -> np.ndarray:
    """``(n, n)`` cost change of exchanging the servers of blocks ``j`` and ``q``; ``inf`` if
    infeasible or the same server."""
    cur = g.cost[a, cols]
    # block j moves to a[q], block q moves to a[j]
    cj = g.cost[a[None, :], cols[:, None]]          # [j, q] = cost of j on a[q]
    delta = cj + cj.T - cur[:, None] - cur[None, :]
    wj_new = g.weight[a[None, :], cols[:, None]]    # [j, q] = weight of j on a[q]
    wj_old = g.weight[a, cols]
    # load of a[q] after: load[a[q]] - w(q on a[q]) + w(j on a[q])
    new_q = load[a][None, :] - wj_old[None, :] + wj_new
    ok = (new_q <= g.capacity[a][None, :]) & (g.capacity[a][:, None] >= new_q.T)
    ok &= g.allowed[a[None, :], cols[:, None]] & g.allowed[a[None, :], cols[:, None]].T
    ok &= a[:, None] != a[None, :]
    return np.where(ok, delta, INF)


def best_swap(g: Gap, a: np.ndarray, load: np.ndarray,
              cols: np.ndarray) -> tuple[int, int] | None:
    """The most improving feasible swap, or ``None``."""
    if g.n < 2:
        return None
    d = swap_deltas(g, a, load, cols)
    flat = int(np.argmin(d))
    j, q = divmod(flat, g.n)
    if d[j, q] < -1e-9:
        return j, q
    return None


def _apply_swap(g: Gap, a: np.ndarray, load: np.ndarray, j: int, q: int) -> None:
    ij, iq = a[j], a[q]
    load[ij] += g.weight[ij, q] - g.weight[ij, j]
    load[iq] += g.weight[iq, j] - g.weight[iq, q]
    a[j], a[q] = iq, ij


apply_swap = _apply_swap
