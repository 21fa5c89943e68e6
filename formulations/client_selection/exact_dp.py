"""Weighted FedCS selection by a pseudo-polynomial dynamic programme (integer weights).

With weights the problem contains ``1||sum w_j U_j`` (all releases and downloads 0),
which is NP-hard (Karp 1972), so no polynomial algorithm is expected. This DP is the
Lawler–Moore idea (Management Science 16(1), 1969) indexed by weight instead of time,
so the times may be arbitrary reals:

For each distribution threshold ``T`` (see :mod:`.exact_mh`, part 2 of the proof) take the
eligible clients ``E(T) = {k : d_k <= T}`` in non-decreasing release order ``r_k`` and let
``f_i[w]`` be the earliest end of the last upload over subsets of the first ``i`` clients
with total weight exactly ``w`` whose Jackson schedule ends by ``C = B - T``:

    f_0[0] = 0,   f_0[w > 0] = inf
    f_i[w] = min(f_{i-1}[w],  max(f_{i-1}[w - w_i], r_i) + p_i   if that is <= C)

Keeping only the earliest end per weight is exact because the end after appending a client,
``max(t, r_i) + p_i``, is non-decreasing in ``t``, and Jackson's rule says appending in
release order is optimal for every fixed set. The answer for ``T`` is the largest ``w``
with ``f[w] <= C``; the optimum is the best over thresholds. Thresholds are visited from
the largest ``E(T)`` down and skipped once ``sum_{E(T)} w`` cannot beat the incumbent.

Cost ``O(m n W)`` time and ``O(n W)`` bytes (``W`` = total weight); the method refuses
tables above ``max_cells`` (option, default 5e7) and non-integer weights (use ``milp``).
It ignores ``min_coverage`` (reports NO_SOLUTION when present; ``exact`` uses the MILP).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.exceptions import InvalidOptionError
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status

from .common import Prepared, has_coverage, prepare, to_solution
from .model import Instance


def dp_threshold(prep: Prepared, members: np.ndarray, w: np.ndarray, capacity: float
                 ) -> tuple[int, list[int]]:
    """Best integer weight and its clients among ``members`` within ``capacity``."""
    rel = prep.release()
    members = members[np.lexsort((members, rel[members]))]
    total = int(w[members].sum())
    f = np.full(total + 1, np.inf)
    f[0] = 0.0
    take = np.zeros((members.size, total + 1), dtype=bool)
    lim = capacity + prep.eps
    for i, j in enumerate(members.tolist()):
        wj = int(w[j])
        if wj == 0:
            continue
        cand = np.maximum(f[: total + 1 - wj], rel[j]) + prep.upload[j]
        better = (cand <= lim) & (cand < f[wj:])
        f[wj:] = np.where(better, cand, f[wj:])
        take[i, wj:] = better
    reach = np.flatnonzero(f <= lim)
    best = int(reach.max()) if reach.size else 0
    chosen: list[int] = []
    cur = best
    for i in range(members.size - 1, -1, -1):
        if cur > 0 and take[i, cur]:
            j = int(members[i])
            chosen.append(j)
            cur -= int(w[j])
    return best, chosen


def solve_dp(inst: Instance, ctx: SolveContext, *, max_cells: float = 5e7,
             **options: Any) -> MethodOutput:
    """Exact weighted selection by the weight-indexed DP over thresholds."""
    if options:
        raise TypeError(f"unexpected options {sorted(options)}")
    prep = prepare(inst)
    if has_coverage(inst):
        return MethodOutput(Status.NO_SOLUTION, None,
                            message="dp does not handle min_coverage; use 'milp' or 'exact'")
    w = prep.weight
    if not np.all(w == np.round(w)):
        raise InvalidOptionError("method 'dp' needs integer weights; use 'milp'",
                                 field="clients.weight")
    cells = float(prep.n) * (float(w.sum()) + 1.0)
    if cells > max_cells:
        raise InvalidOptionError(
            f"dp table would have {cells:.3g} cells (> max_cells={max_cells:.3g}); use 'milp'",
            field="method")
    thr = prep.thresholds()
    best_w, best = 0, []
    done = 0
    stopped = False
    for t in thr[::-1]:
        if ctx.out_of_time():
            stopped = True
            break
        members = (np.flatnonzero(prep.download <= t) if prep.broadcast
                   else np.arange(prep.n))
        if int(w[members].sum()) <= best_w:
            break
        cap = prep.budget - (float(t) if prep.broadcast else 0.0)
        got, chosen = dp_threshold(prep, members, w, cap)
        done += 1
        if got > best_w:
            best_w, best = got, chosen
    stats = {"algorithm": "weight-indexed-dp", "thresholds": int(thr.size), "evaluated": done}
    sol = to_solution(inst, prep, best)
    msg = "" if best else "no client fits the deadline"
    if stopped:
        return MethodOutput(Status.FEASIBLE, sol, bound=float(w.sum()), limit=ctx.limit_hit(),
                            message=msg, stats=stats)
    return MethodOutput(Status.OPTIMAL, sol, bound=float(best_w), message=msg, stats=stats)
