"""Exact FedCS selection in polynomial time: thresholds x Moore–Hodgson, branch and bound.

Problem (unweighted FedCS, see :mod:`formulations.client_selection.model`): choose the
largest set ``S`` of clients and an upload order with

    T_d(S) + Theta(S) <= B,     T_d(S) = max_{k in S} d_k  (broadcast distribution),

where ``Theta(S)`` is the end of the last upload when client ``k`` may start uploading at
its release ``r_k = u_k`` (update time; ``d_k + u_k`` with parallel download and
``T_d = 0``) and uploads of lengths ``p_k`` share one channel.

Theorem (this module computes the optimum)
------------------------------------------
1. *Jackson's rule.* For a fixed set ``S``, ``Theta(S)`` is minimised by uploading in
   non-decreasing release order, and then
   ``Theta(S) = max_{j in S} (r_j + sum_{i in S, i >= j} p_i)`` (``>=`` in that order).
   Proof: exchanging an adjacent pair uploaded out of release order never delays the
   later upload's end (standard interchange argument for 1|r_j|C_max).
2. *Thresholds.* Let ``T`` range over the distinct download times ``d_k <= B``. For a
   threshold ``T`` let ``E(T) = {k : d_k <= T}`` and ``f(T)`` the largest
   ``S subset E(T)`` with ``Theta(S) <= B - T``. Every feasible ``S`` is counted by
   ``f(max_{k in S} d_k)``, and every set counted by ``f(T)`` is feasible because its
   distribution time is ``<= T``; hence ``OPT = max_T f(T)``.
3. *Time reversal.* Map time ``t`` to ``C - t`` with ``C = B - T``. Uploading ``k`` in
   ``[s, s + p_k]`` with ``s >= r_k`` and ``s + p_k <= C`` becomes a job of length
   ``p_k`` released at 0 that must finish by the due date ``C - r_k``. So ``f(T)`` is
   the maximum number of on-time jobs of ``1||sum U_j`` on ``E(T)`` with due dates
   ``B - T - r_k``, which Moore–Hodgson's algorithm solves in ``O(n log n)`` (Moore,
   Management Science 15(1), 1968): take jobs by due date (release descending), and
   whenever the running total exceeds the current due date drop the longest job so far.
4. *Branch and bound over thresholds.* All due dates shift by the same constant as
   ``T`` grows while ``E(T)`` only grows. For thresholds ``T_a <= T <= T_b`` let
   ``F(a, b)`` be Moore–Hodgson on ``E(T_b)`` with the per-job due dates
   ``B - max(T_a, d_k) - r_k``. Valid bound: a set ``S`` feasible at ``T`` lies in
   ``E(T_b)`` and each ``k in S`` has ``T >= max(T_a, d_k)``, so its real due date
   ``B - T - r_k`` is no later and the same schedule is on time: ``f(T) <= F(a, b)``.
   Exact when ``a == b`` (then every ``d_k <= T_a``). A best-first search over
   intervals of the sorted thresholds splits the interval with the largest ``F`` until
   the largest remaining bound belongs to a single threshold or does not exceed the
   incumbent. The relaxation's own optimal set is also checked against the real
   constraint (Jackson's rule at its own ``max d_k``); when it fits, the bound is
   attained and the interval needs no split. This is the plain ``O(n^2 log n)``
   enumeration in the worst case; on the FedCS-like generator the first bound is
   usually attained (1-5 Moore–Hodgson runs), on harder random families it takes
   20-300 runs (see ``benchmarks/client_selection.py``).

With a time limit the search returns its incumbent (possibly empty, which is always
feasible) as FEASIBLE with the largest open bound.

Implementations. From :data:`FAST_FROM` clients on, :func:`solve_exact_mh` runs the same
search in :mod:`.exact_fast`, whose evaluations compute the same on-time sets with numpy
passes (SPT blocks, :mod:`.mh_fast`, proved there) on orders sorted once per instance:
100,000 clients in 1.5-5 s instead of 4-30 s (``benchmarks/client_selection.py``).
:func:`solve_exact_mh_reference` (one heap Moore–Hodgson per evaluation) handles smaller
instances, where it is cheaper, and is the reference of the tests.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput

from .exact_fast import solve_exact_fast
from .model import Instance
from .threshold_search import Searcher, fits_deadline, search_thresholds


def moore_hodgson(due: list[float], upload: list[float], eps: float) -> list[int]:
    """Moore–Hodgson: positions of a largest on-time set, jobs given in due-date order.

    Parameters
    ----------
    due
        Due dates (reversed time), non-decreasing.
    upload
        Processing times (upload seconds) in the same order.
    eps
        Slack of the comparison.

    Whenever adding a job overloads the current due date, the longest job so far is
    dropped (the new one itself if it is the longest); one drop always suffices because
    the kept jobs met an earlier due date.
    """
    heap: list[tuple[float, int]] = []
    total = 0.0
    push, replace = heapq.heappush, heapq.heapreplace
    for j, (dj, pj) in enumerate(zip(due, upload, strict=True)):
        if total + pj <= dj + eps:
            push(heap, (-pj, j))
            total += pj
        elif heap and -heap[0][0] > pj:
            total += pj + replace(heap, (-pj, j))[0]
    return [j for _, j in heap]


def moore_hodgson_count(due: list[float], upload: list[float], eps: float) -> int:
    """Size of a largest on-time set (same algorithm as :func:`moore_hodgson`, no ids)."""
    heap: list[float] = []
    total = 0.0
    push, replace = heapq.heappush, heapq.heapreplace
    for dj, pj in zip(due, upload, strict=True):
        if total + pj <= dj + eps:
            push(heap, -pj)
            total += pj
        elif heap and -heap[0] > pj:
            total += pj + replace(heap, -pj)
    return len(heap)


class HeapSearcher(Searcher):
    """Moore–Hodgson evaluations over threshold intervals, counted."""

    def _jobs(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Members of ``E(T_b)`` in due-date order and their relaxed due dates."""
        prep = self.prep
        if not prep.broadcast:
            members = np.arange(prep.n)
            due = prep.budget - self.rel
        else:
            members = np.flatnonzero(prep.download <= self.thr[b])
            start = np.maximum(prep.download[members], self.thr[a])
            due = prep.budget - start - self.rel[members]
        keep = due - prep.upload[members] >= -prep.eps  # a job that cannot fit alone
        members, due = members[keep], due[keep]
        order = np.lexsort((members, due))
        return members[order], due[order]

    def bound(self, a: int, b: int, upper: int | None = None) -> tuple[int, list[int] | None]:
        """Relaxation for thresholds ``T_a..T_b`` (exact when ``a == b``).

        Returns the bound and, when the relaxation's own set is feasible for the real
        problem (checked by Jackson's rule at its own distribution time), that set: a
        certificate that the bound is attained.
        """
        self.evaluations += 1
        members, due = self._jobs(a, b)
        due_list, up_list = due.tolist(), self.prep.upload[members].tolist()
        if self.certificates <= 0:
            return moore_hodgson_count(due_list, up_list, self.prep.eps), None
        got = moore_hodgson(due_list, up_list, self.prep.eps)
        chosen = members[np.asarray(got, dtype=np.int64)] if got else members[:0]
        if fits_deadline(self.prep, self.rel, chosen):
            return len(got), chosen.tolist()
        self.certificates -= 1
        return len(got), None

    def select(self, a: int) -> list[int]:
        """An optimal set for threshold ``T_a`` (positions in the prepared arrays)."""
        self.evaluations += 1
        members, due = self._jobs(a, a)
        got = moore_hodgson(due.tolist(), self.prep.upload[members].tolist(), self.prep.eps)
        return [int(members[j]) for j in got]


#: below this many clients one heap Moore–Hodgson run is cheaper than the numpy set-up of
#: :mod:`.exact_fast` (measured: 20-50 % faster at 300-1,000 clients, slower from 3,000)
FAST_FROM = 2500


def solve_exact_mh(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Exact unweighted FedCS selection (all weights equal, no coverage constraints).

    From :data:`FAST_FROM` clients on, the same search with cheap evaluations
    (:func:`.exact_fast.solve_exact_fast`); below, :func:`solve_exact_mh_reference`, the
    plain implementation, which the tests also use as the reference.
    """
    if len(inst.clients) >= FAST_FROM:
        return solve_exact_fast(inst, ctx, **options)
    return solve_exact_mh_reference(inst, ctx, **options)


def solve_exact_mh_reference(inst: Instance, ctx: SolveContext,
                             **options: Any) -> MethodOutput:
    """Exact unweighted FedCS selection, one heap Moore–Hodgson run per evaluation."""
    return search_thresholds(inst, ctx, options, HeapSearcher, "heap")
