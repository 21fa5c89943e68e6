"""uav_path on TSPLIB: ours (ils) vs the published baseline (aco) vs optimum vs OR-Tools.

For every shared TSPLIB instance (``../shared/benchmarks/tsplib``, optima in
``optima.csv``) prints one table: the proven optimum, then for each method its tour
length, gap to the optimum (%) and median wall time over the seeds. ``exact`` runs on
instances up to ``--exact-max`` nodes (it must prove kroA100 within 60 s); OR-Tools
guided local search runs for a fixed 10 s beside the others (2 s with ``--quick``).

Usage::

    python benchmarks/uav_path.py            # full: 10 s per heuristic run
    python benchmarks/uav_path.py --quick    # < 60 s
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

import formulations.uav_path as up

TSPLIB = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "tsplib"
BOUNDS: dict[up.Instance, float | None] = {}


def optima() -> dict[str, float]:
    rows = (TSPLIB / "optima.csv").read_text().splitlines()[1:]
    return {name: float(value) for name, value in (r.split(",") for r in rows if r.strip())}


def run(inst: up.Instance, method: str, seeds: int, **kw) -> tuple[float | None, float, str]:
    """Median objective and time over ``seeds`` runs, and the last status."""
    values, times, status = [], [], ""
    for seed in range(seeds):
        t0 = time.perf_counter()
        res = up.solve(inst, method, seed=seed, **kw)
        times.append(time.perf_counter() - t0)
        status = res.status.value
        if res.objective is not None:
            values.append(res.objective)
        if method == "exact":
            BOUNDS[inst] = res.bound
    best = statistics.median(values) if values else None
    return best, statistics.median(times), status


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="short limits (< 60 s in total)")
    ap.add_argument("--seeds", type=int, default=1, help="runs per heuristic (median)")
    ap.add_argument("--exact-max", type=int, default=None,
                    help="largest instance (nodes) given to exact")
    ap.add_argument("--instances", default=None, help="comma-separated names")
    args = ap.parse_args(argv)
    limit = 2.0 if args.quick else 10.0
    exact_max = args.exact_max or (100 if args.quick else 10_000)
    opt = optima()
    names = sorted(opt, key=lambda n: int("".join(c for c in n if c.isdigit())))
    if args.instances:
        names = [n for n in names if n in args.instances.split(",")]
    methods = [
        ("exact", {"time_limit": 60.0}),
        ("ils", {"time_limit": limit}),
        ("aco", {"time_limit": limit}),
        ("nn-2opt", {"time_limit": limit}),
        ("routing", {"time_limit": limit + 1, "search_time": limit}),
    ]
    header = f"{'instance':<10}{'optimum':>9}"
    for m, _ in methods:
        header += f" | {m + ' len':>12}{'gap%':>7}{'s':>6}"
    print(f"TSPLIB EUC_2D, {'quick' if args.quick else 'full'} run; "
          f"heuristic limit {limit:g} s; OR-Tools GLS {limit:g} s; exact limit 60 s")
    print(header)
    print("-" * len(header))
    gaps: dict[str, list[float]] = {m: [] for m, _ in methods}
    notes = []
    for name in names:
        inst = up.read_tsplib(TSPLIB / f"{name}.tsp")
        line = f"{name:<10}{opt[name]:>9.0f}"
        for method, kw in methods:
            if method == "exact" and inst.n + 1 > exact_max:
                line += f" | {'-':>12}{'-':>7}{'-':>6}"
                continue
            seeds = 1 if method in ("exact", "nn-2opt") else args.seeds
            value, secs, status = run(inst, method, seeds, **kw)
            if value is None:
                line += f" | {status:>12}{'-':>7}{secs:>6.1f}"
                continue
            gap = 100 * (value - opt[name]) / opt[name]
            gaps[method].append(gap)
            mark = "*" if method == "exact" and status == "optimal" else " "
            line += f" | {value:>11.0f}{mark}{gap:>7.2f}{secs:>6.1f}"
        print(line, flush=True)
        bound = BOUNDS.get(inst)
        if bound is not None and bound < opt[name] - 0.5:
            notes.append(f"{name}: exact stopped at 60 s with lower bound {bound:.0f} "
                         f"({100 * (opt[name] - bound) / opt[name]:.2f}% below the optimum)")
    print("-" * len(header))
    for note in notes:
        print(note)
    print("mean gap %: " + ", ".join(f"{m} {statistics.mean(g):.2f}" for m, g in gaps.items()
                                      if g))
    print("* = proven optimal; aco = Ant Colony System (Dorigo & Gambardella 1997: 10 ants, "
          "beta 2, q0 0.9, rho = xi = 0.1, no local search)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
