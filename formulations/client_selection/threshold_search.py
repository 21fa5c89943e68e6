"""Best-first branch and bound over download-threshold intervals (shared driver).

The search of :mod:`.exact_mh` (theorem and bound in its docstring), independent of how
one relaxation ``F(a, b)`` is evaluated: :class:`.exact_mh.HeapSearcher` runs the plain
heap Moore–Hodgson, :class:`.exact_fast.FastSearcher` the numpy SPT-block algorithm of
:mod:`.mh_fast`. Both give the same bound values, so the search visits the same intervals.
"""

from __future__ import annotations

import heapq
from typing import Any

import numpy as np

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status

from .common import Prepared, prepare, to_solution
from .model import Instance

#: failed certificate checks allowed before a searcher stops trying them (a check sorts
#: the chosen set, about the cost of an evaluation)
CERTIFICATE_TRIES = 8


class Searcher:
    """What both evaluators of the relaxation share: thresholds, releases, ``|E(T)|``.

    Subclasses add ``bound(a, b, upper)`` (``F(a, b)`` and, when its own set fits the
    real constraint, that set) and ``select(a)`` (an optimal set at threshold ``T_a``).
    """

    def __init__(self, prep: Prepared) -> None:
        self.prep = prep
        self.rel = prep.release()
        self.thr = prep.thresholds()
        self.down_sorted = np.sort(prep.download)
        self.evaluations = 0
        self.certificates = CERTIFICATE_TRIES

    def size(self, b: int) -> int:
        """``|E(T_b)|``, the clients a threshold ``T_b`` admits."""
        if not self.prep.broadcast:
            return self.prep.n
        return int(np.searchsorted(self.down_sorted, self.thr[b], side="right"))

    def bound(self, a: int, b: int, upper: int | None = None) -> tuple[int, list[int] | None]:
        """``F(a, b)`` and, when its own set fits the real constraint, that set."""
        raise NotImplementedError

    def select(self, a: int) -> list[int]:
        """An optimal set at the single threshold ``T_a``."""
        raise NotImplementedError


def fits_deadline(prep: Prepared, release: np.ndarray, chosen: np.ndarray) -> bool:
    """Whether ``chosen`` fits the deadline (Jackson order at its own distribution time)."""
    if chosen.size == 0:
        return True
    rel = release[chosen]
    order = np.argsort(rel, kind="stable")
    suffix = np.cumsum(prep.upload[chosen][order][::-1])[::-1]
    end = float(np.max(rel[order] + suffix))
    if prep.broadcast:
        end += float(prep.download[chosen].max())
    return end <= prep.budget + prep.eps


def search_thresholds(inst: Instance, ctx: SolveContext, options: dict[str, Any],
                      make_searcher: Any, evaluator: str) -> MethodOutput:
    """Exact unweighted FedCS selection by best-first search over threshold intervals.

    Intervals are split in halves, best bound first, until the largest open bound is
    attained or does not exceed the incumbent. With a time limit the incumbent comes back
    FEASIBLE with the largest open bound.
    """
    if options:
        raise TypeError(f"unexpected options {sorted(options)}")
    prep = prepare(inst)
    weight = float(prep.weight[0]) if prep.n else 1.0
    search: Searcher = make_searcher(prep)
    m = int(search.thr.size)
    stats: dict[str, Any] = {"algorithm": "threshold-moore-hodgson", "thresholds": m,
                             "evaluator": evaluator}
    if m == 0:
        return MethodOutput(Status.OPTIMAL, to_solution(inst, prep, []), bound=0.0,
                            message="no client fits the deadline", stats=stats)
    best_value, best_set, heap = _search(search, m, ctx)
    open_bound = -heap[0][0] if heap else 0
    stats["mh_evaluations"] = search.evaluations
    sol = to_solution(inst, prep, best_set)
    if open_bound > best_value:
        msg = f"stopped with {best_value} clients; at most {open_bound} possible"
        return MethodOutput(Status.FEASIBLE, sol, bound=weight * open_bound,
                            limit=ctx.limit_hit(), message=msg, stats=stats)
    msg = "" if best_set else "no client fits the deadline"
    return MethodOutput(Status.OPTIMAL, sol, bound=weight * best_value, message=msg,
                        stats=stats)


def _search(search: Searcher, m: int,
            ctx: SolveContext) -> tuple[int, list[int], list[tuple[int, int, int]]]:
    """The incumbent value and set, and the open intervals left (empty when proved)."""
    best_value, best_set = 0, []
    heap: list[tuple[int, int, int]] = []
    root, proof = search.bound(0, m - 1)
    if proof is not None:
        best_value, best_set = root, proof
    elif m == 1:  # a single threshold: the bound is exact
        best_value, best_set = root, search.select(0)
    else:
        heap.append((-root, 0, m - 1))
    while heap:
        neg_ub, a, b = heap[0]
        if -neg_ub <= best_value or ctx.out_of_time():
            break
        heapq.heappop(heap)
        mid = (a + b) // 2
        for lo, hi in ((a, mid), (mid + 1, b)):
            if search.size(hi) <= best_value:
                continue
            got, proof = search.bound(lo, hi, -neg_ub)
            if got <= best_value:
                continue
            if proof is not None:  # the bound is attained: nothing better inside
                best_value, best_set = got, proof
            elif lo == hi:
                best_value, best_set = got, search.select(lo)
            else:
                heapq.heappush(heap, (-min(got, -neg_ub), lo, hi))
    return best_value, best_set, heap
