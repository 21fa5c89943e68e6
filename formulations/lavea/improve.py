"""Local search: first-improvement insertion/relocation from the dispatch schedule.

Neighbourhood: take one task out and re-insert it at every position of every server
that can run it, or on its client; accept the best insertion of that task if it improves
the objective. Tasks are visited in a seeded random order; passes repeat until no move
improves or the time limit is reached. Only the (at most two) servers a move touches are
re-evaluated. A plain descent in the spirit of the insertion neighbourhoods of flow-shop
local search (Nawaz, Enscore, Ham 1983; Taillard 1990).
"""

from __future__ import annotations

import random
from typing import Any

from edgeopt_solve.context import SolveContext
from edgeopt_solve.protocol import MethodOutput
from edgeopt_solve.status import Status
from formulations.lavea.model import LOCAL, Instance
from formulations.lavea.policies import best_dispatch, place
from formulations.lavea.schedule import (
    infeasible_output,
    infeasible_task,
    make_solution,
    orders_from_location,
)
from formulations.lavea.schedule import value as schedule_value


def _server_terms(inst: Instance, s: int, seq: list[int]) -> list[float]:
    """Objective terms (weighted completion or completion) of the tasks on ``s``."""
    t1 = t2 = 0.0
    out = []
    weighted = inst.objective == "weighted_completion"
    for j in seq:
        r = inst.release[j]
        t1 = (t1 if t1 > r else r) + inst.p1[j][s]  # type: ignore[operator]
        t2 = (t2 if t2 > t1 else t1) + inst.p2[j][s]  # type: ignore[operator]
        out.append(inst.weight[j] * t2 if weighted else t2)
    return out


class _State:
    def __init__(self, inst: Instance, location: list[int | str], orders: list[list[int]]):
        self.inst = inst
        self.location = list(location)
        self.orders = [list(o) for o in orders]
        self.makespan = inst.objective == "makespan"
        self.local_terms = {j: self._local_term(j) for j, loc in enumerate(location)
                            if loc == LOCAL}
        self.terms = [self.combine(_server_terms(inst, s, o)) for s, o in enumerate(self.orders)]

    def _local_term(self, j: int) -> float:
        inst = self.inst
        c = inst.release[j] + inst.local_time[j]  # type: ignore[operator]
        return inst.weight[j] * c if inst.objective == "weighted_completion" else c

    def combine(self, values: list[float]) -> float:
        if not values:
            return 0.0
        return max(values) if self.makespan else sum(values)

    def total(self, terms: list[float], local_terms: list[float]) -> float:
        return self.combine([*terms, *local_terms])


def local_search(inst: Instance, ctx: SolveContext, *, max_passes: int = 50,
                 **options: Any) -> MethodOutput:
    """Improve the best dispatching schedule by insertion and relocation moves."""
    bad = infeasible_task(inst)
    if bad is not None:
        return infeasible_output(inst, bad)
    st = _start(inst, ctx)
    rng = random.Random(ctx.seed)
    current = st.total(st.terms, list(st.local_terms.values()))
    passes = moves = 0
    improved = True
    while improved and passes < max_passes and not ctx.out_of_time():
        improved = False
        passes += 1
        tasks = list(range(inst.n))
        rng.shuffle(tasks)
        for j in tasks:
            if ctx.out_of_time():
                break
            if len(inst.allowed[j]) == 1 and inst.allowed[j][0] == LOCAL:
                continue
            best = _best_insertion(st, j)
            if best is not None and best[0] < current - 1e-9 * max(1.0, abs(current)):
                current = best[0]
                _apply(st, j, best[1], best[2])
                moves += 1
                improved = True
    return MethodOutput(Status.FEASIBLE, make_solution(st.location, st.orders),
                        stats={"passes": passes, "moves": moves})


def _start(inst: Instance, ctx: SolveContext) -> _State:
    """The best of the dispatching schedule and the LAVEA policies' schedules."""
    value, location, orders, _ = best_dispatch(inst, ctx)
    for policy in ("sslf", "sqlf", "sttf"):
        loc = place(inst, policy)
        ords = orders_from_location(inst, loc, "johnson")
        v = schedule_value(inst, loc, ords)
        if v < value - 1e-12:
            value, location, orders = v, loc, ords
    return _State(inst, location, orders)


def _best_insertion(st: _State, j: int) -> tuple[float, int | str, int] | None:
    """Best (value, location, position) for task ``j`` after removing it."""
    inst = st.inst
    old = st.location[j]
    terms = list(st.terms)
    local_terms = dict(st.local_terms)
    if old == LOCAL:
        del local_terms[j]
    else:
        base_seq = [k for k in st.orders[old] if k != j]  # type: ignore[index]
        terms[old] = st.combine(_server_terms(inst, old, base_seq))  # type: ignore[index]
    best: tuple[float, int | str, int] | None = None
    for o in inst.allowed[j]:
        if o == LOCAL:
            if old == LOCAL:
                continue
            lt = [*local_terms.values(), st._local_term(j)]
            v = st.total(terms, lt)
            if best is None or v < best[0]:
                best = (v, LOCAL, 0)
            continue
        seq = [k for k in st.orders[o] if k != j]  # type: ignore[index]
        lt = list(local_terms.values())
        for pos in range(len(seq) + 1):
            trial = [*seq[:pos], j, *seq[pos:]]
            new_terms = list(terms)
            new_terms[o] = st.combine(_server_terms(inst, o, trial))  # type: ignore[index]
            v = st.total(new_terms, lt)
            if best is None or v < best[0]:
                best = (v, o, pos)
    return best


def _apply(st: _State, j: int, loc: int | str, pos: int) -> None:
    inst = st.inst
    old = st.location[j]
    if old == LOCAL:
        del st.local_terms[j]
    else:
        st.orders[old].remove(j)  # type: ignore[index]
        st.terms[old] = st.combine(_server_terms(inst, old, st.orders[old]))  # type: ignore
    st.location[j] = loc
    if loc == LOCAL:
        st.local_terms[j] = st._local_term(j)
    else:
        st.orders[loc].insert(pos, j)  # type: ignore[index]
        st.terms[loc] = st.combine(_server_terms(inst, loc, st.orders[loc]))  # type: ignore
