"""Benchmark fl_hierarchical: HFEL (Luo et al. 2020) vs the exact optimum vs baselines.

Table 1 — small instances (``generate(n, seed, edges=m)``), where the exact
set-partitioning MILP proves the optimum: every method's cost as a gap (%) to the
optimum (median and worst over the seeds), how often it is optimal, and its median time.
Table 2 — 50 to 200 devices (``generate(n, seed)``: 6 to 20 edge servers): ``hfel`` and
``hfel-merge`` under a time limit against the baselines, as cost relative to the best
cost found (%) and time. There is no optimum there (the MILP would need too many columns).

Usage::

    python benchmarks/fl_hierarchical.py            # full run (several minutes)
    python benchmarks/fl_hierarchical.py --quick    # < 60 s
"""

from __future__ import annotations

import argparse
import statistics
import time

import formulations.fl_hierarchical as fh

METHODS = ("hfel", "hfel-merge", "greedy", "random", "max-frequency", "uniform-bandwidth")


def table_small(quick: bool) -> None:
    cases = [(6, 2), (7, 3)] if quick else [(6, 2), (8, 2), (8, 3), (10, 3)]
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
    sizes = (50, 100) if quick else (50, 100, 200)
    limit = 5.0 if quick else 60.0
    print(f"Table 2: larger instances (generate(n, 0)); hfel and hfel-merge with a "
          f"{limit:g} s time limit; cost relative to the best found")
    head = (f"{'devices':>7} {'edges':>5} {'method':<18} {'cost':>10} {'vs best %':>9} "
            f"{'time s':>7} {'stable':>6}")
    print(head)
    print("-" * len(head))
    for n in sizes:
        inst = fh.generate(n, 0)
        rows = []
        for name in METHODS:
            t0 = time.perf_counter()
            res = fh.solve(inst, name, time_limit=limit if name.startswith("hfel") else None)
            rows.append((name, res, time.perf_counter() - t0))
        best = min(r.objective for _, r, _ in rows)
        for name, res, t in rows:
            stable = ("-" if not name.startswith("hfel")
                      else "no" if res.limit is not None else "yes")
            print(f"{n:>7} {inst.m:>5} {name:<18} {res.objective:>10.4f} "
                  f"{100 * (res.objective / best - 1):>9.2f} {t:>7.2f} {stable:>6}")
    print()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under 60 s")
    args = parser.parse_args()
    t0 = time.perf_counter()
    table_small(args.quick)
    table_large(args.quick)
    print(f"total {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
