"""FedCS's published greedy selection (Nishio & Yonetani, ICC 2019, Algorithm 2) and a
weighted variant used as the baseline of the weighted problem.

FedCS greedy (Algorithm 2 of the paper): start from ``S = []``, ``Theta = 0``; repeatedly
take the remaining client ``x`` maximising ``1 / Delta_x`` with

    Delta_k = T_d(S + k) - T_d(S) + t_k^UL + max(0, t_k^UD - Theta),

i.e. the client that lengthens the round least; remove it from the candidates and, if the
round still ends in time (``T_cs + T_d(S + x) + Theta' + T_agg`` within ``T_round``),
append it to ``S`` (upload order = order of selection) and set
``Theta' = Theta + Delta_x - (T_d(S + x) - T_d(S))``.

Choices where the paper is silent or ambiguous:

* the paper tests ``t < T_round``; we use ``<=`` (the verifier's constraint), so a round
  that ends exactly at the deadline is accepted;
* ties of ``Delta`` go to the lowest client position; ``Delta = 0`` counts as the best;
* the round end is ``const + Delta_x`` with ``const`` fixed while ``S`` is unchanged, so
  once the best candidate is rejected every other one would be too and the loop stops
  (same output as the paper's loop); :func:`fedcs_select` finds each argmin with four
  lazy heaps, ``O(n log n)`` in all instead of ``O(n^2)``;
* with ``download="parallel"`` (not in the paper) ``T_d = 0`` and ``t_k^UD`` is replaced
  by ``t_k^D + t_k^UD``.

The weighted baseline (``greedy``) uses the same rule with ``w_x / Delta_x`` and skips
candidates that do not fit instead of stopping (with unit weights it equals FedCS).
Neither handles ``min_coverage``: when the selection misses a coverage requirement the
method reports NO_SOLUTION with a message.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status

from .common import Prepared, has_coverage, meets_coverage, prepare
from .model import Instance, Solution


def greedy_select(prep: Prepared, *, weighted: bool, ctx: SolveContext | None = None
                  ) -> tuple[list[int], bool]:
    """FedCS rule (``weighted=False``) or its utility-per-second variant.

    Returns the selected positions in upload order and whether it finished (False when
    the context ran out of time; the partial selection is still feasible).
    """
    rel = prep.release()
    down = prep.download if prep.broadcast else np.zeros(prep.n)
    alive = np.ones(prep.n, dtype=bool)
    chosen: list[int] = []
    theta = 0.0
    td = 0.0
    limit = prep.budget + prep.eps
    while alive.any():
        if ctx is not None and ctx.out_of_time():
            return chosen, False
        cand = np.flatnonzero(alive)
        delta = (np.maximum(down[cand] - td, 0.0) + prep.upload[cand]
                 + np.maximum(rel[cand] - theta, 0.0))
        fits = td + theta + delta <= limit
        if not weighted:
            x = int(np.argmin(delta))
            if not fits[x]:
                break
        else:
            if not fits.any():
                break
            alive[cand[~fits]] = False
            cand, delta = cand[fits], delta[fits]
            w = prep.weight[cand]
            with np.errstate(divide="ignore", invalid="ignore"):
                ratio = np.where(delta > 0, w / np.where(delta > 0, delta, 1.0), np.inf)
            # best ratio, then larger weight, then lowest position
            x = int(np.lexsort((cand, -w, -ratio))[0])
        k = int(cand[x])
        alive[k] = False
        new_td = max(td, float(down[k]))
        theta = max(theta, float(rel[k])) + float(prep.upload[k])
        td = new_td
        chosen.append(k)
    return chosen, True


def fedcs_select(prep: Prepared, ctx: SolveContext | None = None) -> tuple[list[int], bool]:
    """The FedCS rule in ``O(n log n)``: same choices as ``greedy_select(weighted=False)``.

    The round end after appending ``k`` is ``g_k = max(d_k, T_d) + max(r_k, Theta) + p_k``.
    ``T_d`` and ``Theta`` only grow, so each client moves at most twice between four
    groups (``d_k <= T_d`` or not, ``r_k <= Theta`` or not); inside a group ``g_k`` is a
    fixed key plus a common offset (``p``, ``d + p``, ``r + p``, ``d + r + p``). One lazy
    heap per group gives the argmin (ties to the lowest position, as the reference loop).
    """
    n = prep.n
    rel = prep.release().tolist()
    down = (prep.download if prep.broadcast else np.zeros(n)).tolist()
    up = prep.upload.tolist()
    by_d = np.argsort(np.asarray(down), kind="stable").tolist()
    by_r = np.argsort(np.asarray(rel), kind="stable").tolist()
    dle = [False] * n
    rle = [False] * n
    alive = [True] * n
    heaps: list[list[tuple[float, int]]] = [[], [], [], []]

    def key(k: int, g: int) -> float:
        return (up[k], down[k] + up[k], rel[k] + up[k], down[k] + rel[k] + up[k])[g]

    def push(k: int) -> None:
        g = (0 if rle[k] else 2) if dle[k] else (1 if rle[k] else 3)
        heapq.heappush(heaps[g], (key(k, g), k))

    for k in range(n):  # initial groups for T_d = Theta = 0, heapified at once
        g = (0 if rle[k] else 2) if dle[k] else (1 if rle[k] else 3)
        heaps[g].append((key(k, g), k))
    for heap in heaps:
        heapq.heapify(heap)
    td = theta = 0.0
    i_d = i_r = 0
    limit = prep.budget + prep.eps
    chosen: list[int] = []
    while True:
        if ctx is not None and ctx.out_of_time():
            return chosen, False
        while i_d < n and down[by_d[i_d]] <= td:
            k = by_d[i_d]
            dle[k] = True
            if alive[k]:
                push(k)
            i_d += 1
        while i_r < n and rel[by_r[i_r]] <= theta:
            k = by_r[i_r]
            rle[k] = True
            if alive[k]:
                push(k)
            i_r += 1
        best: tuple[float, int] | None = None
        for g, heap in enumerate(heaps):
            while heap:
                k = heap[0][1]
                if alive[k] and g == ((0 if rle[k] else 2) if dle[k] else (1 if rle[k] else 3)):
                    break
                heapq.heappop(heap)
            if heap:
                k = heap[0][1]
                end = max(down[k], td) + max(rel[k], theta) + up[k]
                if best is None or (end, k) < best:
                    best = (end, k)
        if best is None or best[0] > limit:
            return chosen, True
        k = best[1]
        alive[k] = False
        chosen.append(k)
        td = max(td, down[k])
        theta = max(theta, rel[k]) + up[k]


def _run(inst: Instance, ctx: SolveContext, *, weighted: bool, name: str) -> MethodOutput:
    prep = prepare(inst)
    if weighted:
        chosen, finished = greedy_select(prep, weighted=True, ctx=ctx)
    else:
        chosen, finished = fedcs_select(prep, ctx)
    stats = {"selected": len(chosen), "finished": finished}
    if has_coverage(inst) and not meets_coverage(inst, prep, chosen):
        return MethodOutput(Status.NO_SOLUTION, None,
                            message=f"{name} ignores min_coverage and its selection misses it;"
                                    " use method 'milp' or 'exact'", stats=stats)
    # keep the greedy's own upload order (it is the order the paper schedules)
    ids = tuple(inst.clients[int(prep.idx[k])].id for k in chosen)
    sol = Solution(ids)
    msg = "" if chosen else "no client fits the deadline"
    return MethodOutput(Status.FEASIBLE, sol, limit=None if finished else ctx.limit_hit(),
                        message=msg, stats=stats)


def solve_fedcs(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """FedCS greedy (Nishio & Yonetani 2019, Algorithm 2); ignores weights."""
    if options:
        raise TypeError(f"unexpected options {sorted(options)}")
    return _run(inst, ctx, weighted=False, name="fedcs")


def solve_greedy(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Weighted greedy baseline: FedCS rule with weight per added second."""
    if options:
        raise TypeError(f"unexpected options {sorted(options)}")
    return _run(inst, ctx, weighted=True, name="greedy")
