"""Placement (GAP) benchmark: every shared OR-Library / Chu–Beasley instance, one table.

Columns per instance: proven optimum (optima.csv); ``milp`` (HiGHS) value and time;
``cpsat`` value and time; our best heuristic ``lns`` (gap to the optimum, time, gap to its
own LP bound); the published baselines ``tabu`` (Li et al.), ``dpso`` (Du et al.) and
``greedy`` (Martello–Toth regret) as gaps to the optimum.

Usage::

    python benchmarks/placement.py            # all 38 instances (several minutes)
    python benchmarks/placement.py --quick    # a subset with short limits (< 60 s)
"""

from __future__ import annotations

import argparse
import csv
import statistics
import sys
import time
from pathlib import Path

from formulations import placement
from formulations.placement.io_orlib import read_orlib_gap

ROOT = Path(__file__).resolve().parents[1]
GAP_DIR = ROOT.parent / "shared" / "benchmarks" / "gap"
QUICK = ["gap1-0", "gap3-2", "gap6-4", "a05100", "c05100", "d05100"]


def optima() -> dict[str, float]:
    """Proven optima by instance name."""
    with open(GAP_DIR / "optima.csv", encoding="utf-8") as fh:
        return {r["instance"]: float(r["optimum_min_cost"]) for r in csv.DictReader(fh)}


def pct(value: float | None, opt: float) -> str:
    """Gap to the optimum in percent."""
    return "-" if value is None else f"{100 * (value - opt) / opt:.2f}"


def run(inst, method: str, limit: float) -> tuple[float | None, float, object]:
    """(objective, runtime, result)."""
    t0 = time.perf_counter()
    res = placement.solve(inst, method, time_limit=limit, seed=0)
    return res.objective, time.perf_counter() - t0, res


def main(argv: list[str] | None = None) -> int:
    """Print the table."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="subset, short limits (< 60 s)")
    ap.add_argument("--exact-limit", type=float, default=None, help="s per exact solve")
    args = ap.parse_args(argv)
    opt = optima()
    names = QUICK if args.quick else list(opt)
    exact_limit = args.exact_limit or (5.0 if args.quick else 20.0)
    header = (f"{'instance':9} {'m':>2} {'n':>3} {'optimum':>8} | {'milp':>7} {'t(s)':>5} | "
              f"{'cpsat':>7} {'t(s)':>5} | {'lns gap%':>8} {'t(s)':>5} {'lb gap%':>7} | "
              f"{'tabu%':>6} {'dpso%':>6} {'greedy%':>7}")
    print(header)
    print("-" * len(header))
    rows = []
    for name in names:
        inst = read_orlib_gap(GAP_DIR / name)
        o = opt[name]
        hard = name.startswith("d")
        heur_limit = 10.0 if hard else 1.0
        mv, mt, mres = run(inst, "milp", exact_limit)
        cv, ct, cres = run(inst, "cpsat", exact_limit)
        lv, lt, lres = run(inst, "lns", heur_limit)
        tv, _, _ = run(inst, "tabu", heur_limit)
        dv, _, _ = run(inst, "dpso", heur_limit)
        gv, _, _ = run(inst, "greedy", heur_limit)
        mark = {True: " ", False: "*"}
        line = (f"{name:9} {inst.m:>2} {inst.n:>3} {o:>8.0f} | "
                f"{mv:>6.0f}{mark[mres.is_optimal]} {mt:>5.2f} | "
                f"{cv:>6.0f}{mark[cres.is_optimal]} {ct:>5.2f} | "
                f"{pct(lv, o):>8} {lt:>5.2f} {100 * (lres.gap or 0):>7.2f} | "
                f"{pct(tv, o):>6} {pct(dv, o):>6} {pct(gv, o):>7}")
        print(line, flush=True)
        rows.append((name, o, mv, mt, cv, ct, lv, lt, tv, dv, gv))
    print("-" * len(header))
    print("* = not proved optimal within the limit; lns: 1 s per instance (10 s for type D);")
    print("lb gap% = lns's own gap to its LP bound; tabu/dpso/greedy get the same budget.")
    for col, label in ((6, "lns"), (8, "tabu"), (9, "dpso"), (10, "greedy")):
        gaps = [100 * (r[col] - r[1]) / r[1] for r in rows if r[col] is not None]
        if gaps:
            print(f"{label:7} mean gap {statistics.mean(gaps):.3f}%  max {max(gaps):.3f}%")
    print(f"milp median time {statistics.median(r[3] for r in rows):.2f} s; "
          f"cpsat median time {statistics.median(r[5] for r in rows):.2f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
