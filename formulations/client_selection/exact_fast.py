"""Exact FedCS selection at scale: the threshold branch and bound with cheap evaluations.

Same model, theorem and search as :mod:`.exact_mh` (thresholds ``T`` over the distinct
download times, time reversal, Moore–Hodgson per threshold, best-first branch and bound
over threshold intervals with the relaxation ``F(a, b)``); see its docstring for the
proofs. Only the cost of one evaluation changes; every evaluation still computes exactly
the same quantity (a largest on-time set of the same job set with the same due dates):

* *Jobs in EDD order without sorting.* For an interval ``[T_a, T_b]`` the relaxed due date
  of client ``k`` is ``B - T_a - r_k`` when ``d_k <= T_a`` and ``B - d_k - r_k`` when
  ``T_a < d_k <= T_b``. The first group, in EDD order, is the fixed order of decreasing
  ``r`` filtered by ``d_k <= T_a``; the second is the fixed order of ``B - d_k - r_k``
  filtered by ``T_a < d_k <= T_b``. Both orders are sorted once per instance; one
  evaluation merges the two filtered runs (``searchsorted``), ``O(n)``. Clients with a
  negative due date (never on time) head both orders and are cut off by a binary search;
  any other client longer than its due date is filtered out as before.
* *The on-time set by SPT blocks* (:func:`.mh_fast.max_on_time`, with its own proof):
  numpy passes instead of one heap step per job. The fixed order of increasing upload
  time is filtered to the members, like the EDD orders.
* *Guesses.* An interval's bound is at most its parent's bound, which is passed as the
  starting guess of the block search (it never changes the result).
* *Exact leaves give their set.* Every evaluation returns its on-time set, so a
  single-threshold interval yields the incumbent directly (no second run), and a
  relaxation whose set fits the real constraint is a certificate as in :mod:`.exact_mh`.

The on-time *sets* may differ from the heap's (ties), never their sizes; so a certificate
can succeed here and fail there, and the evaluation counts may differ by a few.
``Result.stats["mh_evaluations"]`` counts evaluations as before;
``Result.stats["evaluator"]`` is ``"spt-blocks"`` (``"heap"`` in :mod:`.exact_mh`).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput

from .common import Prepared
from .mh_fast import max_on_time
from .model import Instance
from .threshold_search import Searcher, fits_deadline, search_thresholds


class FastSearcher(Searcher):
    """Evaluations of the threshold relaxation ``F(a, b)`` on pre-sorted orders."""

    def __init__(self, prep: Prepared) -> None:
        super().__init__(prep)
        idx = np.arange(prep.n)
        #: EDD order at a common threshold: release descending (ties by position)
        self.order_rel = np.lexsort((idx, -self.rel))
        self.down_rel = prep.download[self.order_rel]
        self.neg_rel = -self.rel[self.order_rel]  # ascending
        #: EDD order of the clients that set their own threshold: B - d - r ascending
        self.key_own = (prep.budget - prep.download) - self.rel
        self.order_own = np.lexsort((idx, self.key_own))
        self.down_own = prep.download[self.order_own]
        self.key_own_sorted = self.key_own[self.order_own]
        #: shortest upload first (ties by position)
        self.order_spt = np.lexsort((idx, prep.upload))
        self._pos = np.full(prep.n, -1, dtype=np.int64)

    def jobs(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Members of ``E(T_b)`` in EDD order and their relaxed due dates (``T_a``)."""
        prep = self.prep
        # clients released too late to upload at all (due < 0) head both orders; skip them
        slack = 2 * prep.eps
        if not prep.broadcast:
            start = int(np.searchsorted(self.neg_rel, -prep.budget - slack))
            members = self.order_rel[start:]
            return members, prep.budget - self.rel[members]
        t_a, t_b = self.thr[a], self.thr[b]
        start = int(np.searchsorted(self.neg_rel, -(prep.budget - t_a) - slack))
        first = self.order_rel[start:][self.down_rel[start:] <= t_a]
        due_first = (prep.budget - t_a) - self.rel[first]
        if a == b:
            return first, due_first
        start = int(np.searchsorted(self.key_own_sorted, -slack))
        down = self.down_own[start:]
        own = self.order_own[start:][(down > t_a) & (down <= t_b)]
        due_own = self.key_own[own]
        at = np.searchsorted(due_first, due_own, side="right") + np.arange(own.size)
        total = first.size + own.size
        rest = np.ones(total, dtype=bool)
        rest[at] = False
        members = np.empty(total, dtype=np.int64)
        due = np.empty(total)
        members[at], due[at] = own, due_own
        members[rest], due[rest] = first, due_first
        return members, due

    def evaluate(self, a: int, b: int, upper: int | None = None) -> np.ndarray:
        """A largest on-time set of the relaxation ``F(a, b)`` (prepared positions)."""
        self.evaluations += 1
        prep = self.prep
        members, due = self.jobs(a, b)
        lim = due + prep.eps
        upload = prep.upload[members]
        keep = upload <= lim  # a client that cannot upload in time even alone
        if not keep.all():
            members, lim, upload = members[keep], lim[keep], upload[keep]
        if members.size == 0:
            return members
        pos = self._pos  # all -1 between calls
        pos[members] = np.arange(members.size)
        order = pos[self.order_spt]
        pos[members] = -1
        order = order[order >= 0]
        return members[max_on_time(lim, upload, order, upper)]

    def bound(self, a: int, b: int, upper: int | None = None) -> tuple[int, list[int] | None]:
        """``F(a, b)`` and, when its set fits the real constraint, that set."""
        chosen = self.evaluate(a, b, upper)
        if a == b:
            return chosen.size, chosen.tolist()
        if self.certificates <= 0:
            return chosen.size, None
        if fits_deadline(self.prep, self.rel, chosen):
            return chosen.size, chosen.tolist()
        self.certificates -= 1
        return chosen.size, None

    def select(self, a: int) -> list[int]:
        """An optimal set at the single threshold ``T_a`` (the relaxation is exact there)."""
        return self.evaluate(a, a).tolist()


def solve_exact_fast(inst: Instance, ctx: SolveContext, **options: Any) -> MethodOutput:
    """Exact unweighted FedCS selection (all weights equal, no coverage constraints)."""
    return search_thresholds(inst, ctx, options, FastSearcher, "spt-blocks")
