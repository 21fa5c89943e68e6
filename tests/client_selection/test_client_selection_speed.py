"""The fast exact path (SPT blocks, pre-sorted thresholds) == plain enumeration.

Plain enumeration here is written from scratch (every download threshold x a heap
Moore–Hodgson), shares no code with the method, and is compared with the new search on
thousands of small instances of all benchmark families (ties and zero times included)
and on 2,000-client instances; the block algorithm alone is compared with Moore–Hodgson.
"""

from __future__ import annotations

import heapq
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import formulations.client_selection as cs
from edgeopt_solve.context import SolveContext
from edgeopt_solve.status import Status
from formulations.client_selection import mh_fast
from formulations.client_selection.exact_fast import solve_exact_fast
from formulations.client_selection.exact_mh import solve_exact_mh_reference
from formulations.client_selection.model import Client, Instance


def heap_mh(due: list[float], p: list[float]) -> int:
    """Moore–Hodgson count, jobs in due-date order (independent reference)."""
    heap: list[float] = []
    total = 0.0
    for dj, pj in zip(due, p, strict=True):
        heapq.heappush(heap, -pj)
        total += pj
        if total > dj:
            total += heapq.heappop(heap)
    return len(heap)


def plain(inst: Instance) -> int:
    """max over all thresholds T of Moore–Hodgson on {d <= T} with due B - T - r."""
    budget = inst.deadline - inst.selection_time - inst.aggregation_time
    eps = 1e-9 * max(1.0, abs(budget))
    ok = [c for c in inst.clients if c.energy_budget is None or c.energy <= c.energy_budget]
    if inst.download == "parallel":
        jobs = sorted((budget - (c.download_time + c.update_time), c.upload_time) for c in ok)
        return heap_mh([d + eps for d, _ in jobs], [p for _, p in jobs])
    best = 0
    for t in sorted({c.download_time for c in ok}):
        if t > budget + eps:
            continue
        jobs = sorted((budget - t - c.update_time, c.upload_time) for c in ok
                      if c.download_time <= t)
        best = max(best, heap_mh([d + eps for d, _ in jobs], [p for _, p in jobs]))
    return best


def family(kind: str, n: int, seed: int) -> Instance:
    """The benchmark families (``benchmarks/client_selection.py``) plus integer ties."""
    rng = np.random.default_rng([seed, n, 7])
    if kind == "fedcs-gen":
        return cs.generate(n, seed)
    if kind == "wide":
        d, u = rng.uniform(0, 100, n), rng.uniform(0, 100, n)
        p = rng.uniform(0.1, 2, n) * 100 / max(1.0, n / 100)
    elif kind == "expo":
        d, u = rng.exponential(20, n), rng.exponential(20, n)
        p = rng.exponential(1, n) * 300 / max(n, 1)
    elif kind == "anti":
        d, u = rng.uniform(0, 100, n), rng.uniform(0, 50, n)
        p = (101 - d) * rng.uniform(0.5, 1.5, n) * 10 / max(n, 1)
    else:  # "ties": small integers, many equal and zero times
        d, u = rng.integers(0, 4, n) * 5.0, rng.integers(0, 4, n) * 10.0
        p = rng.integers(0, 4, n) * 10.0
    scale = 150.0 if kind != "ties" else float(rng.integers(20, 80))
    clients = tuple(Client(f"c{i}", float(d[i]), float(u[i]), float(p[i])) for i in range(n))
    return Instance(clients=clients, deadline=scale)


KINDS = ["fedcs-gen", "wide", "expo", "anti", "ties"]


def fast(inst: Instance) -> int:
    out = solve_exact_fast(inst, SolveContext())
    assert out.status is Status.OPTIMAL
    assert not cs.verify(inst, out.solution)
    return len(out.solution.selected)


@st.composite
def edd_jobs(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int | None]:
    """Jobs in EDD order: limits, lengths, and a guess of the optimum."""
    n = draw(st.integers(0, 40))
    grid = draw(st.booleans())
    if grid:  # exact arithmetic, many ties and zeros
        p = [float(draw(st.integers(0, 5))) for _ in range(n)]
        lim = sorted(float(draw(st.integers(0, 3 * n + 2))) for _ in range(n))
    else:
        p = [draw(st.floats(0, 10, allow_nan=False)) for _ in range(n)]
        lim = sorted(draw(st.floats(-5, 5 * n + 5, allow_nan=False)) for _ in range(n))
    guess = draw(st.none() | st.integers(0, n + 5))
    return np.asarray(lim, dtype=float), np.asarray(p, dtype=float), guess


@settings(max_examples=500, deadline=None)
@given(edd_jobs())
def test_spt_blocks_equal_moore_hodgson(case: tuple[np.ndarray, np.ndarray, int | None]) -> None:
    lim, p, guess = case
    order = np.lexsort((np.arange(p.size), p))
    with patch.object(mh_fast, "SMALL", 0), patch.object(mh_fast, "ROUNDS", 50):
        got = mh_fast.max_on_time(lim, p, order, guess)
    assert got.size == heap_mh(lim.tolist(), p.tolist())
    assert np.unique(got).size == got.size
    chosen = np.zeros(p.size, dtype=bool)
    chosen[got] = True
    load = np.cumsum(np.where(chosen, p, 0.0))
    assert not np.any(chosen & (load > lim + 1e-9 * (1 + np.abs(lim))))
    # the plain loop on its own gives the same count
    assert mh_fast.moore_hodgson_positions(*_fit(lim, p)).size == got.size


def test_spt_blocks_seeded_grid() -> None:
    """Thousands of integer instances (ties at the limits) with every kind of guess."""
    rng = np.random.default_rng(11)
    with patch.object(mh_fast, "SMALL", 0), patch.object(mh_fast, "ROUNDS", 50):
        for case in range(6000):
            n = int(rng.integers(1, 40))
            p = rng.integers(0, 6, n).astype(float)
            lim = np.sort(rng.integers(0, 3 * n + 2, n)).astype(float)
            order = np.lexsort((np.arange(n), p))
            guess = [None, 0, n, n + 3, int(rng.integers(0, n + 1))][case % 5]
            got = mh_fast.max_on_time(lim, p, order, guess)
            assert got.size == heap_mh(lim.tolist(), p.tolist()), (case, p, lim, guess)


def _fit(lim: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    keep = p <= lim
    return lim[keep], p[keep]


@settings(max_examples=1200, deadline=None)
@given(st.sampled_from(KINDS), st.integers(0, 14), st.integers(0, 10**6),
       st.sampled_from(["broadcast", "parallel"]))
def test_fast_exact_equals_plain_enumeration(kind: str, n: int, seed: int, mode: str) -> None:
    inst = family(kind, n, seed)
    if mode == "parallel":
        inst = Instance(inst.clients, inst.deadline, download="parallel")
    with patch.object(mh_fast, "SMALL", 0), patch.object(mh_fast, "ROUNDS", 50):
        got = fast(inst)
    assert got == plain(inst)


def test_many_seeded_small_instances() -> None:
    """Two thousand seeded instances (n = 0..40), default block settings and tiny ones."""
    for seed in range(2000):
        kind = KINDS[seed % len(KINDS)]
        inst = family(kind, seed % 41, seed)
        want = plain(inst)
        if seed % 2:
            with patch.object(mh_fast, "SMALL", 0), patch.object(mh_fast, "ROUNDS", 3):
                assert fast(inst) == want, (kind, seed)
        else:
            assert fast(inst) == want, (kind, seed)


@pytest.mark.parametrize("kind", KINDS)
def test_two_thousand_clients(kind: str) -> None:
    inst = family(kind, 2000, 5)
    want = plain(inst)
    res = cs.solve(inst, "exact")
    assert res.status is Status.OPTIMAL and res.objective == want
    assert res.bound == want
    ref = solve_exact_mh_reference(inst, SolveContext())
    assert len(ref.solution.selected) == want
    with patch.object(mh_fast, "SMALL", 0):
        assert fast(inst) == want


def test_same_answer_twice_and_time_limit() -> None:
    inst = family("expo", 3000, 2)
    first = cs.solve(inst, "exact")
    assert first.stats["evaluator"] == "spt-blocks"  # large: the fast path runs
    ref = solve_exact_mh_reference(inst, SolveContext())
    assert first.objective == len(ref.solution.selected)
    assert cs.solve(inst, "exact").solution == first.solution
    cut = cs.solve(inst, "exact", time_limit=1e-6)
    assert cut.status in (Status.FEASIBLE, Status.OPTIMAL)
    assert cut.bound is not None and cut.bound >= first.objective >= cut.objective
