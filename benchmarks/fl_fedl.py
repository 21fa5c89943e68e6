"""Benchmark fl_fedl: ``fast`` (the paper's closed forms) vs ``cvxpy``, baselines, kappa sweep.

Table 1 — ``fast`` vs the general conic solver (``cvxpy``, Clarabel) on ``generate(N, 0)``
for N = 50, 1,000, 10,000: cost, relative difference, median time, speed-up.
Table 2 — the baselines (max frequency, max power, equal slots, theta = 0.5) against the
optimum, as extra cost in percent, mean and worst over 5 paper-like 50-device instances.
Table 3 — the energy/time trade-off as kappa varies (the paper's Sec. V figures vary kappa
the same way): optimal theta, rounds, local iterations, per-round T_cp, T_co, E_cp, E_co,
and the whole-training energy and time.

Usage::

    python benchmarks/fl_fedl.py            # full run
    python benchmarks/fl_fedl.py --quick    # < 60 s: cvxpy only up to 1,000 devices
"""

from __future__ import annotations

import argparse
import math
import statistics
import time
import warnings

import formulations.fl_fedl as fl


def timed(inst: fl.Instance, method: str, repeats: int) -> tuple[object, float]:
    times, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = fl.solve(inst, method)
        times.append(time.perf_counter() - t0)
    return res, statistics.median(times)


def table_speed(quick: bool) -> None:
    print("Table 1: fast (closed forms, Tran et al.) vs cvxpy (Clarabel), generate(N, seed=0)")
    head = (f"{'devices':>8} {'method':<8} {'status':<9} {'cost (J)':>16} {'vs fast':>10} "
            f"{'median time':>12} {'speed-up':>9}")
    print(head)
    print("-" * len(head))
    for n in (50, 1000, 10000):
        inst = fl.generate(n, 0)
        fast, t_fast = timed(inst, "fast", 7 if n <= 1000 else 3)
        rows = [("fast", fast, t_fast)]
        if not (quick and n > 1000):
            cvx, t_cvx = timed(inst, "cvxpy", 3 if n <= 1000 else 1)
            rows.append(("cvxpy", cvx, t_cvx))
        for name, res, t in rows:
            rel = f"{res.objective / fast.objective - 1:+.1e}"
            speed = "" if name == "fast" else f"{t / t_fast:8.0f}x"
            print(f"{n:>8} {name:<8} {res.status.value:<9} {res.objective:>16.10g} {rel:>10} "
                  f"{t * 1000:>9.2f} ms {speed:>9}")
        if quick and n > 1000:
            print(f"{n:>8} {'cvxpy':<8} (skipped with --quick)")


def table_baselines() -> None:
    methods = ("max-frequency", "max-power", "equal-time", "fixed-theta")
    print("\nTable 2: baselines vs optimum, extra cost in % (paper-like preset, 50 devices, "
          "kappa = 1 J/s, seeds 0-4)")
    head = f"{'':>10} {'optimum (J)':>12} " + " ".join(f"{m:>14}" for m in methods)
    print(head)
    print("-" * len(head))
    gaps: dict[str, list[float]] = {m: [] for m in methods}
    opts = []
    for seed in range(5):
        inst = fl.paper_instance(50, seed)
        opt = fl.solve(inst).objective
        opts.append(opt)
        for m in methods:
            gaps[m].append(100 * (fl.solve(inst, m).objective / opt - 1))
    print(f"{'mean':>10} {statistics.mean(opts):>12.6g} "
          + " ".join(f"{statistics.mean(gaps[m]):>+13.2f}%" for m in methods))
    print(f"{'worst':>10} {max(opts):>12.6g} "
          + " ".join(f"{max(gaps[m]):>+13.2f}%" for m in methods))


def table_kappa() -> None:
    print("\nTable 3: energy/time trade-off vs kappa (paper-like preset, 50 devices, seed 2019)")
    base = fl.paper_instance(50, 2019)
    head = (f"{'kappa':>7} {'theta*':>7} {'rounds':>7} {'local':>6} {'T_cp (s)':>9} "
            f"{'T_co (s)':>9} {'E_cp (J)':>9} {'E_co (J)':>9} {'energy (J)':>11} "
            f"{'time (s)':>9} {'cost (J)':>10}")
    print(head)
    print("-" * len(head))
    for kappa in (0.01, 0.1, 0.3, 1.0, 3.0, 10.0, 100.0):
        inst = base.with_changes(kappa=kappa)
        res = fl.solve(inst)
        sol = res.solution
        r = fl.round_terms(inst, sol)
        rounds = inst.global_round_const / (1 - sol.theta)
        local = inst.local_iter_const * math.log(1 / sol.theta)
        energy = rounds * (r["E_co"] + local * r["E_cp"])
        ttime = rounds * (r["T_co"] + local * r["T_cp"])
        print(f"{kappa:>7g} {sol.theta:>7.4f} {rounds:>7.3f} {local:>6.3f} {r['T_cp']:>9.4f} "
              f"{r['T_co']:>9.4f} {r['E_cp']:>9.4f} {r['E_co']:>9.5f} {energy:>11.5f} "
              f"{ttime:>9.4f} {res.objective:>10.5f}")
    print("(larger kappa: faster CPUs and shorter slots, so less time per round and more "
          "energy; theta* moves with the communication/computation ratio S2/S1)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="< 60 s run")
    args = parser.parse_args()
    warnings.simplefilter("ignore")
    t0 = time.perf_counter()
    table_speed(args.quick)
    table_baselines()
    table_kappa()
    print(f"\ntotal {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
