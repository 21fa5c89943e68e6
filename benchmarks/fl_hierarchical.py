"""Benchmark fl_hierarchical: HFEL (Luo et al. 2020) vs the exact optimum vs baselines.

Table 0 — the per-edge resource solver (the inner problem every method solves thousands of
times): the joint 2-D Newton (default path), the nested three-level solver (the previous
default, kept as fallback) and the general conic solver (CVXPY + Clarabel), on random
device sets of ``generate(100, 0)``: median time per solve and the largest relative
difference of the optimal value from CVXPY's (negative = ours lower, i.e. better).
Table 1 — small instances (``generate(n, seed, edges=m)``), where the exact
set-partitioning MILP proves the optimum: every method's cost as a gap (%) to the
optimum (median and worst over the seeds), how often it is optimal, and its median time.
Table 2 — 50 to 200 devices: ``hfel`` and ``hfel-merge`` under a time limit against the
baselines, as cost relative to the best cost found (%), time, whether hfel reached a
stable point, and its per-edge solves / moves skipped by the lower bounds. There is no
optimum there (the MILP would need too many columns).

Usage::

    python benchmarks/fl_hierarchical.py            # full run (several minutes)
    python benchmarks/fl_hierarchical.py --quick    # < 60 s
    python benchmarks/fl_hierarchical.py --large    # only Table 2 at full size
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import formulations.fl_hierarchical as fh
from formulations.fl_hierarchical.common import edge_problem
from formulations.fl_hierarchical.convex import solve_edge_cvxpy
from formulations.fl_hierarchical.edge_joint import solve_joint
from formulations.fl_hierarchical.edge_nested import _Solver

METHODS = ("hfel", "hfel-merge", "greedy", "random", "max-frequency", "uniform-bandwidth")


def table_inner(quick: bool) -> None:
    sizes = (10,) if quick else (5, 10, 15)
    count = 15 if quick else 40
    inst = fh.generate(100, 0)
    rng = np.random.default_rng(1)
    print("Table 0: per-edge solver (random device sets of generate(100, 0)); time per solve")
    head = (f"{'devices':>7} {'solver':<22} {'median ms':>9} {'answered':>8} "
            f"{'max rel diff vs CVXPY':>21}")
    print(head)
    print("-" * len(head))
    for n in sizes:
        probs = []
        while len(probs) < count:
            j = int(rng.integers(inst.m))
            reach = [i for i, d in enumerate(inst.devices) if d.gains[j] is not None]
            if len(reach) >= n:
                S = sorted(int(i) for i in rng.choice(reach, n, replace=False))
                probs.append(edge_problem(inst, j, S))
        ref = []
        times: dict[str, list[float]] = {"cvxpy": [], "nested": [], "joint": []}
        values: dict[str, list[float | None]] = {k: [] for k in times}
        for P in probs:
            t0 = time.perf_counter()
            r = solve_edge_cvxpy(P)
            times["cvxpy"].append(time.perf_counter() - t0)
            ref.append(r.value if r is not None else None)
            values["cvxpy"].append(ref[-1])
            t0 = time.perf_counter()
            values["nested"].append(_Solver(P, False).solve().value)
            times["nested"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            got = solve_joint(P)
            times["joint"].append(time.perf_counter() - t0)
            values["joint"].append(None if got is None else got.value)
        labels = {"joint": "joint Newton (ours)", "nested": "nested roots (before)",
                  "cvxpy": "CVXPY/Clarabel"}
        for name in ("joint", "nested", "cvxpy"):
            diffs = [v / r - 1.0 for v, r in zip(values[name], ref, strict=True)
                     if v is not None and r is not None]
            answered = sum(v is not None for v in values[name])
            worst = max(diffs, key=abs) if diffs else float("nan")
            print(f"{n:>7} {labels[name]:<22} {1e3 * statistics.median(times[name]):>9.2f} "
                  f"{answered:>3}/{len(probs):<4} {worst:>21.1e}")
    print("(joint answers only at a KKT point; where it does not, the nested solver runs)")
    print()


def table_small(quick: bool) -> None:
    cases = [(6, 2), (8, 3)] if quick else [(6, 2), (8, 2), (8, 3), (10, 3), (12, 3)]
    seeds = range(3) if quick else range(8)
    print("Table 1: gap to the proven optimum (exact = set-partitioning MILP over exact "
          "per-edge costs, HiGHS)")
    head = (f"{'devices':>7} {'edges':>5} {'method':<18} {'median gap %':>12} "
            f"{'worst gap %':>11} {'optimal':>8} {'median time s':>13}")
    print(head)
    print("-" * len(head))
    for n, m in cases:
        gaps: dict[str, list[float]] = {k: [] for k in ("exact", *METHODS)}
        times: dict[str, list[float]] = {k: [] for k in gaps}
        for seed in seeds:
            inst = fh.generate(n, seed, edges=m)
            t0 = time.perf_counter()
            opt = fh.solve(inst, "exact")
            times["exact"].append(time.perf_counter() - t0)
            if opt.status.value != "optimal":
                continue
            gaps["exact"].append(0.0)
            for name in METHODS:
                t0 = time.perf_counter()
                res = fh.solve(inst, name, seed=seed)
                times[name].append(time.perf_counter() - t0)
                gap = 100.0 * (res.objective / opt.objective - 1.0)
                gaps[name].append(0.0 if abs(gap) < 1e-7 else gap)  # rounding noise
        for name, g in gaps.items():
            if not g:
                continue
            hits = sum(1 for x in g if x <= 1e-6)
            print(f"{n:>7} {m:>5} {name:<18} {statistics.median(g):>12.2f} {max(g):>11.2f} "
                  f"{hits:>4}/{len(g):<3} {statistics.median(times[name]):>13.3f}")
    print()


def table_large(quick: bool) -> None:
    cases = [(50, None), (100, 5)] if quick else [(50, None), (100, 5), (100, None),
                                                  (200, None)]
    limit = 20.0 if quick else 60.0
    print(f"Table 2: larger instances (generate(n, 0[, edges=m])); hfel and hfel-merge with "
          f"a {limit:g} s time limit; cost relative to the best found")
    head = (f"{'devices':>7} {'edges':>5} {'method':<18} {'cost':>10} {'vs best %':>9} "
            f"{'time s':>7} {'stable':>6} {'edge solves':>11} {'pruned':>7}")
    print(head)
    print("-" * len(head))
    for n, m in cases:
        inst = fh.generate(n, 0, edges=m)
        rows = []
        for name in METHODS:
            t0 = time.perf_counter()
            res = fh.solve(inst, name, time_limit=limit if name.startswith("hfel") else None)
            rows.append((name, res, time.perf_counter() - t0))
        best = min(r.objective for _, r, _ in rows)
        for name, res, t in rows:
            hf = name.startswith("hfel")
            stable = "-" if not hf else "no" if res.limit is not None else "yes"
            solves = str(res.stats.get("edge_solves", "-")) if hf else "-"
            pruned = str(res.stats.get("pruned", "-")) if hf else "-"
            print(f"{n:>7} {inst.m:>5} {name:<18} {res.objective:>10.4f} "
                  f"{100 * (res.objective / best - 1):>9.2f} {t:>7.2f} {stable:>6} "
                  f"{solves:>11} {pruned:>7}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under 60 s")
    parser.add_argument("--large", action="store_true", help="only Table 2 (full size)")
    args = parser.parse_args()
    t0 = time.perf_counter()
    if not args.large:
        table_inner(args.quick)
        table_small(args.quick)
    table_large(args.quick)
    print(f"total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
