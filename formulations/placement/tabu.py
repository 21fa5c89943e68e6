"""Tabu search with shift and swap moves (Li, Bai and Tang, JPDC 2019 style).

Li et al. solve their placement model (reported as a 0-1 knapsack / GAP) with tabu search;
the paper gives the scheme, not every parameter, so we use the classical GAP tabu search
of that family (cf. Osman 1995, "Heuristics for the generalised assignment problem"):

* start: Martello–Toth regret greedy (repaired if needed);
* neighbourhood: every feasible *shift* (one block to another server) and *swap* (two
  blocks on different servers exchange servers), evaluated in full each iteration;
* move: the best non-tabu move, even if it worsens the cost; a tabu move is allowed when
  it gives a new best (aspiration);
* tabu list: after a block leaves server ``i`` it may not return to ``i`` for ``tenure``
  iterations (default ``max(7, n // 10)``);
* stop: ``max_iters`` iterations (default ``20 n``), ``patience`` iterations without a new
  best (default ``5 n``), or the time limit.

Only feasible moves are made, so every visited placement is feasible.
"""

from __future__ import annotations

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput

from .core import (
    INF,
    apply_swap,
    finish,
    loads,
    lp_bound,
    shift_deltas,
    start_search,
    swap_deltas,
    total_cost,
)
from .greedy import construct
from .model import Instance


def tabu(inst: Instance, ctx: SolveContext, *, tenure: int | None = None,
         max_iters: int | None = None, patience: int | None = None,
         bound: bool = True) -> MethodOutput:
    """Shift/swap tabu search from the regret greedy start."""
    start = start_search(inst, ctx, "tabu")
    if isinstance(start, MethodOutput):
        return start
    g, ctx = start
    n = g.n
    tenure = tenure or max(7, n // 10)
    max_iters = max_iters or 20 * n + 50
    patience = patience or 5 * n + 20
    a = construct(inst, g, "regret")
    lb = lp_bound(inst, ctx)[0] if bound else None
    if a is None or n == 0:
        return finish(g, a, lb, {"iterations": 0}, ctx)
    rng = np.random.default_rng(ctx.seed)
    load = loads(g, a)
    cols = np.arange(n)
    cur = total_cost(g, a)
    best, best_a = cur, a.copy()
    tabu_until = np.zeros((g.k, n), dtype=np.int64)
    it = stale = 0
    for it in range(1, max_iters + 1):
        if ctx.out_of_time() or stale >= patience:
            break
        if lb is not None and best <= lb + 1e-9:
            break
        d_shift = shift_deltas(g, a, load)
        blocked = tabu_until > it
        aspire = cur + d_shift < best - 1e-9
        d_shift = np.where(blocked & ~aspire, INF, d_shift)
        d_swap = swap_deltas(g, a, load, cols) if n >= 2 else np.full((n, n), INF)
        # swap (j, q): j goes to a[q], q goes to a[j]
        tab_sw = blocked[a[None, :], cols[:, None]] | blocked[a[None, :], cols[:, None]].T
        aspire_sw = cur + d_swap < best - 1e-9
        d_swap = np.where(tab_sw & ~aspire_sw, INF, d_swap)
        # random tie-breaking noise far below any cost difference
        s_flat = int(np.argmin(d_shift + rng.random(d_shift.shape) * 1e-12))
        w_flat = int(np.argmin(d_swap + rng.random(d_swap.shape) * 1e-12)) if n >= 2 else 0
        ds = d_shift.flat[s_flat]
        dw = d_swap.flat[w_flat] if n >= 2 else INF
        if not np.isfinite(ds) and not np.isfinite(dw):
            break
        if ds <= dw:
            i, j = divmod(s_flat, n)
            old = a[j]
            load[old] -= g.weight[old, j]
            load[i] += g.weight[i, j]
            a[j] = i
            tabu_until[old, j] = it + tenure
            cur += ds
        else:
            j, q = divmod(w_flat, n)
            tabu_until[a[j], j] = it + tenure
            tabu_until[a[q], q] = it + tenure
            apply_swap(g, a, load, j, q)
            cur += dw
        if cur < best - 1e-9:
            cur = total_cost(g, a)  # resynchronise against drift
            best, best_a, stale = cur, a.copy(), 0
        else:
            stale += 1
    return finish(g, best_a, lb, {"iterations": it, "tenure": tenure}, ctx)
