"""Tabu search with strategic oscillation through infeasible placements.

After Díaz and Fernández, "A tabu search heuristic for the generalized assignment
problem", EJOR 132 (2001), and Yagiura, Ibaraki and Glover's use of adaptive penalty
weights: the search may overload servers, paying ``alpha_i`` per byte of excess on server
``i``; every iteration it makes the best non-tabu shift or swap under that penalised cost;
``alpha_i`` grows while server ``i`` is overloaded and shrinks while the search is feasible,
so it oscillates around the boundary of the feasible region where GAP optima lie. The best
*feasible* placement seen is returned. Moves are evaluated in full with numpy each
iteration (shift: ``k x n``, swap: ``n x n``).
"""

from __future__ import annotations

import numpy as np

from edgeopt_solve.context import SolveContext

from .core import INF, Gap, loads, total_cost


def oscillating_tabu(g: Gap, start: np.ndarray, ctx: SolveContext, rng: np.random.Generator,
                     *, iterations: int, lower: float | None = None,
                     tenure: tuple[int, int] | None = None) -> tuple[np.ndarray, float, int]:
    """Run ``iterations`` moves from a feasible ``start``; returns (best, its cost, moves)."""
    n, k = g.n, g.k
    a = start.copy()
    load = loads(g, a).astype(float)
    cap = g.capacity.astype(float)
    w = g.weight.astype(float)
    c = g.cost
    cols = np.arange(n)
    spread = float(np.ptp(c[g.allowed])) if g.allowed.any() else 1.0
    mean_w = float(w[g.allowed].mean()) if g.allowed.any() else 1.0
    alpha = np.full(k, max(spread, 1.0) / max(mean_w, 1.0))
    if g.has_dummy:
        alpha[g.m:] = 0.0
    t_lo, t_hi = tenure or (max(3, n // 20), max(6, n // 8))
    tabu_until = np.zeros((k, n), dtype=np.int64)
    best, best_v = a.copy(), total_cost(g, a)
    cur_c = best_v
    allowed = g.allowed
    all_allowed = bool(allowed.all())
    cT = np.ascontiguousarray(c.T)
    wT = np.ascontiguousarray(w.T)
    allowedT = np.ascontiguousarray(allowed.T)
    it = 0
    for it in range(1, iterations + 1):
        if it % 8 == 0 and ctx.out_of_time():
            break
        if lower is not None and best_v <= lower + 1e-9:
            break
        over = np.maximum(load - cap, 0.0)
        pen_now = alpha * over
        cur = c[a, cols]
        # shift j -> i
        new_i = load[:, None] + w                                   # (k, n)
        d_pen_i = alpha[:, None] * np.maximum(new_i - cap[:, None], 0.0) - pen_now[:, None]
        src_after = load[a] - w[a, cols]
        d_pen_s = alpha[a] * np.maximum(src_after - cap[a], 0.0) - pen_now[a]
        d_shift = (c - cur[None, :]) + d_pen_i + d_pen_s[None, :]
        d_shift = np.where(allowed, d_shift, INF)
        d_shift[a, cols] = INF
        # swap j <-> q: j to a[q], q to a[j]
        if n >= 2:
            cj = np.take(cT, a, axis=1)                             # [j, q]: cost of j on a[q]
            wj = np.take(wT, a, axis=1)                             # [j, q]: weight of j on a[q]
            wcur = w[a, cols]
            load_q = (load[a] - wcur)[None, :] + wj                 # new load of a[q]
            pq = np.maximum(load_q - cap[a][None, :], 0.0)
            pq *= alpha[a][None, :]
            pq -= pen_now[a][None, :]
            d_swap = cj + cj.T
            d_swap -= cur[:, None]
            d_swap -= cur[None, :]
            d_swap += pq
            d_swap += pq.T
            same = a[:, None] == a[None, :]
            if all_allowed:
                bad = same
            else:
                ok = np.take(allowedT, a, axis=1)
                bad = same | ~(ok & ok.T)
        # tabu status with aspiration on feasible new bests
        blocked = tabu_until > it
        d_shift = np.where(blocked, d_shift + _aspire_shift(g, a, load, cur_c, best_v, c, cur)
                           , d_shift)
        if n >= 2:
            tb = np.take(blockedT := blocked.T, a, axis=1)
            bad = bad | tb | tb.T
            d_swap[bad] = INF
            del blockedT
        noise_s = rng.random(d_shift.shape) * 1e-9
        s_flat = int(np.argmin(d_shift + noise_s))
        ds = d_shift.flat[s_flat]
        if n >= 2:
            w_flat = int(np.argmin(d_swap))
            dw = d_swap.flat[w_flat]
        else:
            dw = INF
        if not np.isfinite(ds) and not np.isfinite(dw):
            break
        tt = it + int(rng.integers(t_lo, t_hi + 1))
        if ds <= dw:
            i, j = divmod(s_flat, n)
            s = a[j]
            load[s] -= w[s, j]
            load[i] += w[i, j]
            cur_c += c[i, j] - c[s, j]
            a[j] = i
            tabu_until[s, j] = tt
        else:
            j, q = divmod(w_flat, n)
            s, r = a[j], a[q]
            load[s] += w[s, q] - w[s, j]
            load[r] += w[r, j] - w[r, q]
            cur_c += c[r, j] + c[s, q] - c[s, j] - c[r, q]
            a[j], a[q] = r, s
            tabu_until[s, j] = tt
            tabu_until[r, q] = tt
        viol = load > cap + 1e-9
        if viol.any():
            alpha[viol] *= 1.15
        else:
            alpha *= 0.92
            if cur_c < best_v - 1e-9:
                best, best_v = a.copy(), float(total_cost(g, a))
                cur_c = best_v
        if g.has_dummy:
            alpha[g.m:] = 0.0
    return best, best_v, it


def _aspire_shift(g: Gap, a: np.ndarray, load: np.ndarray, cur_c: float, best_v: float,
                  c: np.ndarray, cur: np.ndarray) -> np.ndarray:
    """0 where a tabu shift would give a new best feasible placement, else +inf."""
    new_cost = cur_c + (c - cur[None, :])
    fits = load[:, None] + g.weight <= g.capacity[:, None]
    src_ok = np.ones(g.n, dtype=bool)
    over = load > g.capacity
    if over.any():
        # after moving j off its server, every other server must already be feasible
        others = over.sum() - over[a]
        src_after = load[a] - g.weight[a, np.arange(g.n)]
        src_ok = (others == 0) & (src_after <= g.capacity[a])
    good = (new_cost < best_v - 1e-9) & fits & src_ok[None, :]
    return np.where(good, 0.0, INF)
