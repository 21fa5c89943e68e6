"""A largest on-time set of ``1||sum U_j`` with few Python-level steps (SPT blocks).

The problem
-----------
Jobs ``0..n-1`` in due-date (EDD) order with non-decreasing *limits* ``lim_j`` (due date
plus the comparison slack) and lengths ``p_j >= 0``. A set ``S`` is on time when every
prefix load fits its limit:

    load_j(S) = sum_{i in S, i <= j} p_i <= lim_j     for every position j.       (N)

Asking (N) at *every* position, not only at the members of ``S``, changes nothing: at a
position ``j`` outside ``S`` the load equals the load at the last member before ``j`` (whose
limit is no larger) or is 0 (and every limit of a job that can be on time alone is
``>= p_j >= 0``). Moore–Hodgson (:func:`.exact_mh.moore_hodgson`) solves the problem
with one heap operation per job, i.e. one Python step per job. This module gets the same
optimum with numpy passes.

Theorem 1 (SPT greedy; Moore–Hodgson's rule seen from the short end)
--------------------------------------------------------------------
Take the jobs in a fixed order ``pi`` of non-decreasing ``p`` (ties by position) and add a
job whenever (N) still holds. The result ``G`` is a largest on-time set.

*Proof.* Among the optimal sets take ``O`` agreeing with ``G`` on the longest prefix
``pi_1..pi_{t-1}`` of ``pi``, and let ``pi_t`` be the first job where they differ.
(a) ``pi_t in O \\ G``: the greedy rejected it because ``G_{<t} + pi_t`` violates (N), but
``G_{<t} = O_{<t}`` so that set is a subset of ``O``, which is on time: impossible.
(b) ``g = pi_t in G \\ O``: ``O + g`` violates (N) (it would be a larger on-time set); let
``j*`` be its first violated position. If every member of ``O`` at a position ``<= j*``
were among ``pi_1..pi_{t-1}`` (jobs of ``G``), the load of ``O + g`` at ``j*`` would be
at most the load of ``G`` there, and ``G`` satisfies (N): impossible. So some ``o in O``
at a position ``<= j*`` comes after ``t`` in ``pi``, hence ``p_o >= p_g``. Then
``O + g - o`` satisfies (N): loads at positions ``>= pos(o)`` do not grow, and positions
``< pos(o) <= j*`` were not violated by ``O + g``. It is optimal and agrees with ``G`` on
``pi_1..pi_t``: contradiction. Hence ``G`` is optimal. QED

Consequences used here (all exact, no tolerance beyond the one in ``lim``):

1. *Blocks.* If the ``K`` shortest jobs (a prefix of ``pi``) satisfy (N), the greedy adds
   all of them (every prefix of a feasible set is feasible). Let ``K`` be the largest such
   number (found by galloping + bisection on ``K``; each test is one numpy pass, see
   :func:`_spt_prefix`); the greedy then rejects ``pi_K``.
2. *Residual instance.* With the block ``A`` accepted, the rest of the greedy sees the
   capacities ``cap_j = lim_j - load_j(A)``; a remaining job at position ``q`` meets every
   constraint it enters iff the set added after ``A`` satisfies
   ``sum_{added, <= j} p <= cap_j`` for all ``j``, which (the left side only grows with
   ``j``) is the same as the EDD instance of the remaining jobs with limits
   ``m(q) = min_{j >= q} cap_j`` (non-decreasing in ``q``). The greedy on that instance
   makes the same decisions in the same order, so ``|G| = |A| + opt(residual)``.
3. *Dead jobs.* Capacities only shrink while the greedy runs and later jobs are no
   shorter. A job with ``p > m(q)`` never fits. Since ``pi_K`` was rejected,
   ``m(pos(pi_K)) < p_{pi_K}``; with ``z`` the first position where ``m >= p_{pi_K}``,
   every remaining job at a position ``< z`` has ``p >= p_{pi_K} > m`` there and is
   rejected too. These jobs leave the residual instance.

The blocks are repeated a few times; the residual (usually empty or small) is solved by
the plain Moore–Hodgson loop, which is optimal by Moore (1968).
"""

from __future__ import annotations

import heapq

import numpy as np

#: residual instances at most this large go straight to the Moore–Hodgson loop
SMALL = 2000
#: at most this many SPT blocks per call
ROUNDS = 12


def moore_hodgson_positions(lim: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Moore–Hodgson on jobs in EDD order with limits ``lim`` (slack included).

    The jobs before the first violated prefix are all kept and enter the heap at once
    (``heapify``); from there on, one heap step per job.
    """
    n = p.size
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    prefix = np.cumsum(p)
    viol = np.flatnonzero(prefix > lim)
    start = int(viol[0]) if viol.size else n
    heap = list(zip((-p[:start]).tolist(), range(start), strict=True))
    heapq.heapify(heap)
    total = float(prefix[start - 1]) if start else 0.0
    push, replace = heapq.heappush, heapq.heapreplace
    for j, lj, pj in zip(range(start, n), lim[start:].tolist(), p[start:].tolist(),
                         strict=True):
        if total + pj <= lj:
            push(heap, (-pj, j))
            total += pj
        elif heap and -heap[0][0] > pj:
            total += pj + replace(heap, (-pj, j))[0]
    return np.fromiter((j for _, j in heap), dtype=np.int64, count=len(heap))


def _restrict(keep: np.ndarray, lim: np.ndarray, p: np.ndarray, ids: np.ndarray,
              order: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The sub-instance of the jobs in ``keep`` (order and SPT order preserved)."""
    newpos = np.cumsum(keep) - 1
    order = newpos[order[keep[order]]]
    return lim[keep], p[keep], ids[keep], order


def _prefix_load(p: np.ndarray, order: np.ndarray, start: int, stop: int) -> np.ndarray:
    """Prefix loads (EDD order) of the jobs of SPT ranks ``start..stop-1``.

    Few jobs: their own cumulative sums repeated over the gaps between their positions
    (the same floating-point sums as the dense ``cumsum``, which only adds zeros besides).
    """
    n = p.size
    sel = order[start:stop]
    if 8 * sel.size < n:
        q = np.sort(sel)
        c = np.concatenate(([0.0], np.cumsum(p[q])))
        return np.repeat(c, np.diff(np.concatenate(([0], q, [n]))))
    chosen = np.zeros(n)
    chosen[sel] = p[sel]
    return np.cumsum(chosen)


def _spt_prefix(lim: np.ndarray, p: np.ndarray, order: np.ndarray,
                guess: int) -> tuple[int, np.ndarray]:
    """Largest ``K`` such that the ``K`` shortest jobs satisfy (N), and ``lim - load_K``.

    *Downward tests* (from an infeasible ``R0``): loads of the ``R0`` shortest jobs are
    computed once; the ``K < R0`` shortest differ from them by the removed jobs at sorted
    positions ``q_1 < q_2 < ...``; with ``c_i`` the removed length up to ``q_i``, (N)
    holds iff on every segment ``[q_i, q_{i+1})`` (and before ``q_1``, ``c_0 = 0``) the
    largest ``load_R0 - lim`` is ``<= c_i`` (``np.maximum.reduceat``, one pass); when few
    positions are overloaded (``load_R0 > lim``), only those are tested (a removal never
    makes a load larger), each against the removed length up to it (``searchsorted``).

    *Upward tests* (from a feasible ``L``): with ``cap = lim - load_L >= 0`` and its
    suffix minimum ``m``, adding jobs at sorted positions ``q_i`` with cumulative added
    length ``c_i`` keeps (N) iff ``m(q_i) >= c_i`` for every ``i`` (the added load at a
    position ``j`` is the ``c_i`` of the last ``q_i <= j``, and it only grows with ``j``);
    this costs ``O(k log k)`` for ``k`` added jobs, not ``O(n)``.

    Galloping from ``guess`` brackets ``K``, bisection finishes; the guess only changes
    the work, never the answer.
    """
    n = p.size
    lo = min(max(guess, 0), n)
    hi = n + 1  # smallest count known infeasible (n + 1: none yet)
    excess = _prefix_load(p, order, 0, lo) - lim
    if excess.max() > 0.0:
        top, hi, step = lo, lo, 1
        over = np.flatnonzero(excess > 0.0)  # only these positions can stay violated
        over_excess = excess[over]
        sparse = 8 * over.size < n

        def fits_without(k: int) -> bool:
            """(N) for the ``k`` shortest jobs, from the loads of the ``top`` shortest."""
            q = np.sort(order[k:top])
            c = np.cumsum(p[q])
            if sparse:  # removed load up to each overloaded position
                at = np.searchsorted(q, over, side="right")
                removed = np.where(at > 0, c[np.maximum(at - 1, 0)], 0.0)
                return not bool(np.any(over_excess > removed))
            if q[0] > 0:
                q = np.concatenate(([0], q))
                c = np.concatenate(([0.0], c))
            return not bool(np.any(np.maximum.reduceat(excess, q) > c))

        while True:
            cand = max(0, hi - step)
            if cand == 0:  # the empty set always fits (lim >= p >= 0)
                lo = 0
                break
            if fits_without(cand):
                lo = cand
                break
            hi, step = cand, 2 * step
        excess -= _prefix_load(p, order, lo, top)
    cap = -excess
    suffix = np.minimum.accumulate(cap[::-1])[::-1]
    base = lo

    def fits(k: int) -> bool:
        q = np.sort(order[base:k])
        return bool(np.all(suffix[q] >= np.cumsum(p[q])))

    if hi > n:
        step = 1
        while True:
            if lo == n:
                return n, cap - _prefix_load(p, order, base, n)
            cand = min(n, lo + step)
            if not fits(cand):
                hi = cand
                break
            lo, step = cand, 2 * step
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if fits(mid):
            lo = mid
        else:
            hi = mid
    return lo, cap - _prefix_load(p, order, base, lo)


def max_on_time(lim: np.ndarray, p: np.ndarray, order: np.ndarray,
                upper: int | None = None) -> np.ndarray:
    """Positions of a largest on-time set (see the module docstring).

    Parameters
    ----------
    lim
        Non-decreasing limits (due date plus slack), EDD order.
    p
        Lengths (>= 0) in the same order.
    order
        The positions sorted by non-decreasing ``p`` (any fixed tie order).
    upper
        Optional guess of the optimum (e.g. a valid upper bound); only speeds up the
        search for the first block, never changes the result.

    Returns
    -------
    numpy.ndarray
        Positions (into ``lim``/``p``) of the chosen jobs, unordered.
    """
    ids = np.arange(p.size)
    keep = p <= lim
    if not keep.all():  # a job longer than its own limit is never on time
        lim, p, ids, order = _restrict(keep, lim, p, ids, order)
    chosen: list[np.ndarray] = []
    for _ in range(ROUNDS):
        n = p.size
        if n <= SMALL:
            break
        # without a hint: the shortest jobs that fit under the loosest limit (>= K)
        guess = upper if upper is not None else int(
            np.searchsorted(np.cumsum(p[order]), lim[-1], side="right"))
        k, cap = _spt_prefix(lim, p, order, guess)
        if k == n:
            chosen.append(ids)
            return np.concatenate(chosen)
        block = order[:k]
        chosen.append(ids[block])
        first = order[k]
        # dead zone: positions q with m(q) = min_{j >= q} cap_j < p_first, i.e. q <= the
        # last j with cap_j < p_first; m is needed only behind it
        short = np.flatnonzero(cap < p[first])
        z = int(short[-1]) + 1 if short.size else 0
        m_tail = np.minimum.accumulate(cap[z:][::-1])[::-1]
        live_tail = p[z:] <= m_tail
        late = block[block >= z] - z
        live_tail[late] = False
        if first >= z:
            live_tail[first - z] = False
        if not live_tail.any():
            return np.concatenate(chosen)
        live = np.zeros(n, dtype=bool)
        live[z:] = live_tail
        m = np.empty(n)
        m[z:] = m_tail
        if upper is not None:
            upper = max(0, upper - k)
        lim, p, ids, order = _restrict(live, m, p, ids, order)
    chosen.append(ids[moore_hodgson_positions(lim, p)])
    return np.concatenate(chosen)
