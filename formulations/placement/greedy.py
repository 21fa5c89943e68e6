"""Constructive greedy placements.

Rules
-----
``regret`` (default in the sum mode)
    Martello and Toth's regret heuristic MTHG for the GAP (Martello & Toth, *Knapsack
    Problems*, 1990, sec. 7.3): repeatedly place the block whose best feasible server
    beats its second best by the most, on that best server, for each of the four
    desirability measures ``c_ij``, ``c_ij / w_ij``, ``w_ij``, ``w_ij / b_i``, then MTHG's
    improvement pass (each block to its cheapest server that still fits); keep the
    cheapest feasible result.
``density``
    Value-density greedy: (server, block) pairs in increasing cost per byte, each block
    placed at its first pair that still fits.
``xie`` (default in the min-max mode)
    Xie et al.'s load-balanced relocation greedy among edge data repositories (largest
    block first, to the server that increases ``cost + load_weight * max utilisation`` the
    least, i.e. the least loaded one when ``load_weight`` dominates). The paper states the
    greedy rule in prose; the block order (largest first) is our choice.

A block that fits nowhere any more is left for :func:`core.repair`; if repair fails the
method reports NO_SOLUTION. The LP-relaxation bound is reported with the answer.
"""

from __future__ import annotations

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import InvalidOptionError
from edgeopt_solve.protocol import MethodOutput

from .core import (
    INF,
    Gap,
    finish,
    gap_arrays,
    infeasibility,
    infeasible_output,
    is_feasible,
    lp_bound,
    repair,
    total_cost,
)
from .model import Instance

RULES = ("regret", "density", "xie")


DESIRABILITY = ("cost", "cost/weight", "weight", "weight/capacity")


def _desirability(g: Gap, measure: str) -> np.ndarray:
    """Martello–Toth desirability ``f_ij`` (smaller is better)."""
    w = g.weight.astype(float)
    if measure == "cost":
        return g.cost
    if measure == "cost/weight":
        return g.cost / np.maximum(w, 1.0)
    if measure == "weight":
        return np.where(g.allowed, w, INF)
    return np.where(g.allowed, w / np.maximum(g.capacity[:, None].astype(float), 1.0), INF)


def regret_greedy(g: Gap, measure: str = "cost") -> np.ndarray:
    """Martello–Toth regret construction; ``-1`` marks blocks it could not place."""
    assign = np.full(g.n, -1, dtype=np.int64)
    load = np.zeros(g.k, dtype=np.int64)
    free = np.ones(g.n, dtype=bool)
    f = _desirability(g, measure)
    for _ in range(g.n):
        idx = np.flatnonzero(free)
        fits = (load[:, None] + g.weight[:, idx] <= g.capacity[:, None]) & g.allowed[:, idx]
        c = np.where(fits, f[:, idx], INF)
        if g.k >= 2:
            part = np.partition(c, 1, axis=0)
            first, second = part[0], part[1]
        else:
            first, second = c[0], np.full(idx.size, INF)
        if not np.isfinite(first).all():
            break
        regret = np.where(np.isfinite(second), second - first, 1e300)
        col = int(np.argmax(regret))
        j = idx[col]
        i = int(np.argmin(c[:, col]))
        assign[j] = i
        load[i] += g.weight[i, j]
        free[j] = False
    return assign


def _mthg_improve(g: Gap, a: np.ndarray) -> np.ndarray:
    """MTHG phase 2: each block in turn moves to its cheapest server that still fits."""
    a = a.copy()
    load = np.bincount(a, weights=g.weight[a, np.arange(g.n)], minlength=g.k)
    for j in range(g.n):
        fits = (load + g.weight[:, j] <= g.capacity) & g.allowed[:, j]
        fits[a[j]] = True
        i = int(np.argmin(np.where(fits, g.cost[:, j], INF)))
        if g.cost[i, j] < g.cost[a[j], j]:
            load[a[j]] -= g.weight[a[j], j]
            load[i] += g.weight[i, j]
            a[j] = i
    return a


def density_greedy(g: Gap) -> np.ndarray:
    """Pairs in increasing cost per byte; ``-1`` marks blocks it could not place."""
    rows, cols = np.nonzero(g.allowed)
    dens = g.cost[rows, cols] / np.maximum(g.weight[rows, cols], 1)
    order = np.lexsort((g.cost[rows, cols], dens))
    assign = np.full(g.n, -1, dtype=np.int64)
    load = np.zeros(g.k, dtype=np.int64)
    for t in order:
        i, j = int(rows[t]), int(cols[t])
        if assign[j] >= 0 or load[i] + g.weight[i, j] > g.capacity[i]:
            continue
        assign[j] = i
        load[i] += g.weight[i, j]
    return assign


def xie_greedy(g: Gap, load_weight: float) -> np.ndarray:
    """Largest block first to the server with the least increase of the min-max objective."""
    assign = np.full(g.n, -1, dtype=np.int64)
    load = np.zeros(g.k, dtype=np.int64)
    cap = g.capacity.astype(float)
    real = np.arange(g.k) < g.m
    util_of = np.where(real & (cap > 0), 1.0 / np.maximum(cap, 1.0), 0.0)
    order = np.argsort(-g.weight[: g.m].max(axis=0, initial=0), kind="stable")
    for j in order:
        fits = (load + g.weight[:, j] <= g.capacity) & g.allowed[:, j]
        if not fits.any():
            continue
        cur = float((load * util_of).max(initial=0.0))
        new_util = (load + g.weight[:, j]) * util_of
        score = g.cost[:, j] + load_weight * (np.maximum(new_util, cur) - cur)
        score = np.where(fits, score, INF)
        # ties: the least utilised server
        i = int(np.lexsort((new_util, score))[0])
        assign[j] = i
        load[i] += g.weight[i, j]
    return assign


def construct(inst: Instance, g: Gap, rule: str) -> np.ndarray | None:
    """Run one rule, then repair if it got stuck."""
    if rule == "regret":
        best, best_v = None, INF
        for measure in DESIRABILITY:
            a = regret_greedy(g, measure)
            if (a < 0).any():
                a = repair(g, np.where(a >= 0, a, np.argmin(g.cost, axis=0)).astype(np.int64))
            if a is not None and is_feasible(g, a):
                a = _mthg_improve(g, a)
                v = total_cost(g, a)
                if v < best_v:
                    best, best_v = a, v
        a = best if best is not None else regret_greedy(g)
    elif rule == "density":
        a = density_greedy(g)
    elif rule == "xie":
        a = xie_greedy(g, inst.load_weight)
    else:
        raise InvalidOptionError(f"unknown greedy rule {rule!r}; known: {', '.join(RULES)}",
                                 field="rule")
    if (a < 0).any():
        a = repair(g, np.where(a >= 0, a, np.argmin(g.cost, axis=0)).astype(np.int64))
    return a


def greedy(inst: Instance, ctx: SolveContext, *, rule: str | None = None,
           bound: bool = True) -> MethodOutput:
    """Greedy placement with ``rule`` (regret / density / xie) and the LP bound."""
    rule = rule or ("xie" if inst.mode == "minmax" else "regret")
    reason = infeasibility(inst)
    if reason:
        return infeasible_output(reason)
    g = gap_arrays(inst)
    a = construct(inst, g, rule)
    lb = lp_bound(inst, ctx)[0] if bound else None
    return finish(g, a, lb, {"rule": rule}, ctx)
