"""Benchmark fl_energy: ``fast`` vs ``cvxpy`` (time, same optimum) and savings vs baselines.

Table 1 — ``fast`` with eta optimised and at fixed eta (eta = the optimum found by
``fast``), median of 21 runs, beside cvxpy (one run; eta fixed, and
eta free up to 50 devices in ``--quick``) for 50, 1,000 and 10,000 devices: energy,
relative difference to ``fast``, median time and the cvxpy/fast time ratio. Table 1b —
``fast`` on the tight Yang et al. preset. Table 2 — the Yang et al. baselines
(equal bandwidth, max frequency, fixed eta = 0.5) against the optimum, as extra energy in
percent, on the 50-device preset and across deadlines (energy falls as T grows).

Usage::

    python benchmarks/fl_energy.py            # full run (cvxpy on 10,000 devices is slow)
    python benchmarks/fl_energy.py --quick    # < 60 s: cvxpy only up to 1,000 devices,
                                              # cvxpy with eta free only at 50 devices
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import formulations.fl_energy as fl


def timed(inst: fl.Instance, method: str, repeats: int, **kw: object) -> tuple[object, float]:
    times, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = fl.solve(inst, method, **kw)
        times.append(time.perf_counter() - t0)
    return res, statistics.median(times)


def table_speed(quick: bool) -> None:
    print("Table 1: fast vs cvxpy (generate(K, seed=0); fixed eta = fast's optimal eta; "
          "median wall time of fl.solve incl. verification)")
    head = (f"{'devices':>8} {'method':<16} {'status':<9} {'energy (J)':>14} "
            f"{'vs fast':>10} {'median time':>12} {'runs':>5} {'cvxpy/fast':>11}")
    print(head)
    print("-" * len(head))
    for n in (50, 1000, 10000):
        inst = fl.generate(n, 0)
        runs = 21
        fl.solve(inst, "fast")  # warm-up (imports, caches)
        free, t_free = timed(inst, "fast", runs)
        fixed = inst.with_changes(eta=free.stats["eta"])
        fast, t_fast = timed(fixed, "fast", runs)
        rows = [("fast (eta free)", free, t_free, runs), ("fast (eta fixed)", fast, t_fast, runs)]
        if not (quick and n > 1000):
            cvx, t_cvx = timed(fixed, "cvxpy", 1)
            rows.append(("cvxpy (fixed)", cvx, t_cvx, 1))
            cvx_free, t_cvx_free = (timed(inst, "cvxpy", 1) if n <= 50 or not quick
                                    else (None, None))
            if cvx_free is not None:
                rows.append(("cvxpy (free)", cvx_free, t_cvx_free, 1))
        for name, res, t, k in rows:
            rel = "-" if res.objective is None else f"{res.objective / free.objective - 1:+.1e}"
            ref = t_free if "free" in name else t_fast
            speed = f"{t / ref:10.0f}x" if name.startswith("cvxpy") else ""
            energy = "-" if res.objective is None else f"{res.objective:.10g}"
            print(f"{n:>8} {name:<16} {res.status.value:<9} {energy:>14} {rel:>10} "
                  f"{t * 1000:>9.1f} ms {k:>5} {speed:>11}")
        print(f"{'':>8} (fast, eta free: {free.stats['eta_evaluations']} round solves, "
              f"search {free.stats.get('eta_search')}, gap {free.gap:.1e})")
        if quick and n > 1000:
            print(f"{n:>8} {'cvxpy':<16} (skipped with --quick)")


def table_yang() -> None:
    print("\nTable 1b: fast on the Yang et al. preset (yang_instance(K, 0), T = 2 s: tight "
          "for 1,000 devices, most of them at p_max)")
    for n in (50, 1000):
        inst = fl.yang_instance(n, 0)
        fl.solve(inst, "fast")
        res, t = timed(inst, "fast", 21)
        print(f"{n:>8} fast (eta free)   {res.status.value:<9} {res.objective:>14.10g} "
              f"{t * 1000:>9.1f} ms  ({res.stats['eta_evaluations']} round solves, "
              f"{res.stats['devices_at_p_max']} at p_max, gap {res.gap:.1e})")


def table_savings() -> None:
    inst = fl.yang_instance(50, 2021, deadline=2.5)
    print("\nTable 2: baselines vs optimum, extra energy in % (Yang et al. preset, 50 devices)")
    methods = ("fast", "equal-bandwidth", "max-frequency", "fixed-eta")
    t_min = fl.solve(inst.with_changes(deadline=1e-3)).stats["min_deadline"]
    head = f"{'T (s)':>8} {'optimal (J)':>13} " + " ".join(f"{m:>16}" for m in methods[1:])
    print(head)
    print("-" * len(head))
    for k in (1.1, 1.5, 2.5 / t_min, 10.0, 40.0):
        T = round(t_min * k, 4)
        case = inst.with_changes(deadline=T)
        opt = fl.solve(case, "fast")
        cells = []
        for m in methods[1:]:
            r = fl.solve(case, m)
            cells.append("infeasible" if r.objective is None
                         else f"{100 * (r.objective / opt.objective - 1):+.1f}%")
        print(f"{T:>8.4g} {opt.objective:>13.6g} " + " ".join(f"{c:>16}" for c in cells))
    print(f"(smallest feasible deadline {t_min:.4g} s; energy falls as T grows)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="skip cvxpy on 10,000 devices")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    table_speed(args.quick)
    table_yang()
    table_savings()


if __name__ == "__main__":
    main()
