"""Exact dynamic programming: the 0-1 knapsack for one server, load-vector DP otherwise.

One server (sum mode): blocks without an unplaced option must go on the server; each
optional block ``j`` earns ``p_j - c_0j`` if cached instead of left unplaced. That is the
0-1 knapsack ``max sum (p_j - c_0j) y_j  s.t.  sum w_0j y_j <= b_0 - (mandatory bytes)``,
solved by the textbook weight-indexed recursion (Bellman 1957; Kellerer, Pferschy and
Pisinger, *Knapsack Problems*, 2004, ch. 2) over capacities divided by the gcd of the
weights, or, when that table would be too large, by the Nemhauser–Ullmann list of
Pareto-optimal (bytes, profit) states.

Several servers (or the min-max mode): the exact recursion over the vector of server loads
(one stage per block, one state per distinct load vector, the cheapest partial cost kept).
It is exponential in the number of servers, meant for small instances; past ``max_states``
it stops with NO_SOLUTION (``Limit.OTHER``). The min-max term depends only on the final
loads, so it is added exactly at the last stage.
"""

from __future__ import annotations

import math

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Limit, Status

from .core import Gap, gap_arrays, infeasibility, infeasible_output, to_solution, with_margin
from .model import Instance

MAX_TABLE = 20_000_000


def knapsack_dp(inst: Instance, ctx: SolveContext, *,
                max_states: int = 500_000) -> MethodOutput:
    """Exact DP (see the module docstring)."""
    reason = infeasibility(inst)
    if reason:
        return infeasible_output(reason)
    g = gap_arrays(inst)
    ctx = with_margin(ctx)
    if g.m == 1 and inst.mode == "sum":
        return _one_server(g, ctx)
    return _load_vector_dp(inst, g, ctx, max_states)


def _one_server(g: Gap, ctx: SolveContext) -> MethodOutput:
    must = ~g.allowed[1] if g.has_dummy else np.ones(g.n, dtype=bool)
    assign = np.zeros(g.n, dtype=np.int64)
    if g.has_dummy:
        assign[:] = 1
    assign[must] = 0
    room = int(g.capacity[0] - g.weight[0, must].sum())
    if room < 0:  # pragma: no cover - caught by infeasibility()
        return infeasible_output("mandatory blocks exceed the storage")
    if g.has_dummy:
        opt = np.flatnonzero(~must & g.allowed[0])
        profit = g.cost[1, opt] - g.cost[0, opt]
        keep = profit > 0
        opt, profit = opt[keep], profit[keep]
        w = g.weight[0, opt]
        free = w == 0
        assign[opt[free]] = 0
        opt, profit, w = opt[~free], profit[~free], w[~free]
        fits = w <= room
        opt, profit, w = opt[fits], profit[fits], w[fits]
        if opt.size:
            chosen = _knapsack(profit, w, room, ctx)
            if chosen is None:
                return MethodOutput(Status.NO_SOLUTION, limit=ctx.limit_hit() or Limit.OTHER,
                                    message="knapsack DP stopped before finishing")
            assign[opt[chosen]] = 0
    sol = to_solution(g, assign)
    value = float(g.cost[assign, np.arange(g.n)].sum())
    return MethodOutput(Status.OPTIMAL, sol, bound=value, stats={"algorithm": "knapsack"})


def _knapsack(profit: np.ndarray, w: np.ndarray, cap: int,
              ctx: SolveContext) -> np.ndarray | None:
    """Indices of an optimal 0-1 knapsack selection (maximise profit)."""
    d = math.gcd(*[int(v) for v in w])
    d = math.gcd(d, cap) if d else 1
    ws, c = (w // d).astype(np.int64), cap // d
    if c + 1 <= MAX_TABLE // max(len(w), 1):
        best = np.zeros(c + 1)
        take = np.zeros((len(w), c + 1), dtype=bool)
        for k in range(len(w)):
            if ctx.out_of_time():
                return None
            wk = int(ws[k])
            cand = np.full(c + 1, -np.inf)
            cand[wk:] = best[: c + 1 - wk] + profit[k]
            better = cand > best
            take[k] = better
            best = np.where(better, cand, best)
        chosen = []
        r = int(np.argmax(best))
        for k in range(len(w) - 1, -1, -1):
            if take[k, r]:
                chosen.append(k)
                r -= int(ws[k])
        return np.array(sorted(chosen), dtype=np.int64)
    return _pareto_knapsack(profit, ws, c, ctx)


def _pareto_knapsack(profit: np.ndarray, w: np.ndarray, cap: int,
                     ctx: SolveContext) -> np.ndarray | None:
    """Nemhauser–Ullmann: keep only Pareto-optimal (weight, profit) states."""
    # state: (weight, profit, parent index into nodes, item) ; nodes store the history
    nodes: list[tuple[int, int]] = [(-1, -1)]  # (parent node, item)
    states = [(0, 0.0, 0)]
    for k in range(len(w)):
        if ctx.out_of_time():
            return None
        wk, pk = int(w[k]), float(profit[k])
        add = []
        for sw, sp, node in states:
            if sw + wk <= cap:
                nodes.append((node, k))
                add.append((sw + wk, sp + pk, len(nodes) - 1))
        merged = sorted(states + add, key=lambda s: (s[0], -s[1]))
        states = []
        for s in merged:
            if not states or s[1] > states[-1][1]:
                states.append(s)
    node = max(states, key=lambda s: s[1])[2]
    chosen = []
    while node > 0:
        parent, item = nodes[node]
        chosen.append(item)
        node = parent
    return np.array(sorted(chosen), dtype=np.int64)


def _load_vector_dp(inst: Instance, g: Gap, ctx: SolveContext,
                    max_states: int) -> MethodOutput:
    m = g.m
    cap = g.capacity[:m]
    layers: list[dict[tuple[int, ...], tuple[float, tuple[int, ...], int]]] = []
    current: dict[tuple[int, ...], float] = {(0,) * m: 0.0}
    count = 0
    for j in range(g.n):
        if ctx.out_of_time():
            return MethodOutput(Status.NO_SOLUTION, limit=ctx.limit_hit(),
                                message="load-vector DP stopped by the time limit")
        nxt: dict[tuple[int, ...], tuple[float, tuple[int, ...], int]] = {}
        rows = np.flatnonzero(g.allowed[:, j])
        for step, (state, value) in enumerate(current.items()):
            if step % 1024 == 1023:
                if ctx.out_of_time():
                    return MethodOutput(Status.NO_SOLUTION, limit=ctx.limit_hit(),
                                        message="load-vector DP stopped by the time limit")
                if count + len(nxt) > max_states:
                    break
            for i in rows:
                i = int(i)
                if i < m:
                    load = state[i] + int(g.weight[i, j])
                    if load > cap[i]:
                        continue
                    new = (*state[:i], load, *state[i + 1:])
                else:
                    new = state
                v = value + float(g.cost[i, j])
                old = nxt.get(new)
                if old is None or v < old[0]:
                    nxt[new] = (v, state, i)
        count += len(nxt)
        if count > max_states:
            return MethodOutput(Status.NO_SOLUTION, limit=Limit.OTHER,
                                message=f"load-vector DP needs more than {max_states} states; "
                                "use milp or cpsat for instances of this size")
        if not nxt:
            return MethodOutput(Status.INFEASIBLE, message="no combination of servers fits "
                                "the storage capacities (exhaustive DP)")
        layers.append(nxt)
        current = {s: t[0] for s, t in nxt.items()}

    def final(state: tuple[int, ...], value: float) -> float:
        if inst.mode != "minmax":
            return value
        util = [state[i] / cap[i] for i in range(m) if cap[i] > 0]
        return value + inst.load_weight * max(util, default=0.0)

    if g.n == 0:
        return MethodOutput(Status.OPTIMAL, to_solution(g, np.zeros(0, np.int64)),
                            bound=final((0,) * m, 0.0))
    state = min(current, key=lambda s: final(s, current[s]))
    best = final(state, current[state])
    assign = np.zeros(g.n, dtype=np.int64)
    for j in range(g.n - 1, -1, -1):
        _, prev, i = layers[j][state]
        assign[j] = i
        state = prev
    return MethodOutput(Status.OPTIMAL, to_solution(g, assign), bound=best,
                        stats={"algorithm": "load-vector DP", "states": count})
