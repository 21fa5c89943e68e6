"""Benchmark fl_uplink: ``fast`` vs ``cvxpy``, baselines vs optimum, TDMA vs NOMA vs T.

Table 1 — ``fast`` (median of repeated runs) beside ``cvxpy`` (Clarabel; the NOMA program
uses the K ordered SIC constraints plus cutting planes, never all subsets) for 10, 100
and 1,000 devices and both access modes: energy, relative difference, median time.
Table 2 — every method on one instance per access mode (100 devices, T = 1.2× the
smallest feasible TDMA deadline): energy, gap to the proven optimum in %, median time.
Table 3 — TDMA and NOMA optimum and two baselines as the deadline T grows (10 devices):
NOMA never needs more energy than TDMA and energy falls as T grows (Mo & Xu, Sec. V,
qualitatively). FDMA over the whole upload window has exactly the TDMA energy when no
power limit binds (``tau_k·W`` and ``L·b_k`` are interchangeable in the energy), so it is
not listed separately.

Usage::

    python benchmarks/fl_uplink.py            # full run (more repetitions)
    python benchmarks/fl_uplink.py --quick    # < 60 s
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import formulations.fl_uplink as fu
from formulations.fl_uplink.fast import min_deadline
from formulations.fl_uplink.kernels import arrays


def timed(inst: fu.Instance, method: str, repeats: int) -> tuple[object, float]:
    times, res = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        res = fu.solve(inst, method)
        times.append(time.perf_counter() - t0)
    return res, statistics.median(times)


def table_speed(quick: bool) -> None:
    print("Table 1: fast vs cvxpy (mo_xu_instance(K, seed=0), T = 2x the smallest TDMA "
          "deadline; median wall time of fu.solve incl. verification)")
    head = (f"{'K':>5} {'access':<6} {'method':<6} {'status':<8} {'energy (J)':>16} "
            f"{'vs fast':>9} {'median time':>12} {'runs':>5} {'cvxpy/fast':>10}")
    print(head)
    print("-" * len(head))
    fu.solve(fu.generate(3, 0), "cvxpy")  # warm-up: imports cvxpy and Clarabel
    for n in (10, 100, 1000):
        for access in ("tdma", "noma"):
            inst = fu.mo_xu_instance(n, 0, access=access)
            fu.solve(inst)  # warm-up
            runs = (5 if quick else 21) if n < 1000 else (3 if quick else 11)
            fast, t_fast = timed(inst, "fast", runs)
            cvx, t_cvx = timed(inst, "cvxpy", 1)
            for name, res, t, k in (("fast", fast, t_fast, runs), ("cvxpy", cvx, t_cvx, 1)):
                rel = ("-" if res.objective is None
                       else f"{res.objective / fast.objective - 1:+.1e}")
                ratio = f"{t / t_fast:9.0f}x" if name == "cvxpy" else ""
                energy = "-" if res.objective is None else f"{res.objective:.12g}"
                print(f"{n:>5} {access:<6} {name:<6} {res.status.value:<8} {energy:>16} "
                      f"{rel:>9} {t * 1000:>9.1f} ms {k:>5} {ratio:>10}")


def table_methods(quick: bool) -> None:
    print("\nTable 2: every method vs the proven optimum (mo_xu_instance(100, seed=1), "
          "T = 1.2x and 3x the smallest feasible TDMA deadline)")
    head = (f"{'T':>4} {'access':<6} {'method':<14} {'kind':<9} {'status':<11} {'energy (J)':>13} "
            f"{'gap %':>8} {'median time':>12}")
    print(head)
    print("-" * len(head))
    for factor, access in ((1.2, "tdma"), (1.2, "noma"), (3.0, "tdma"), (3.0, "noma")):
        inst = fu.mo_xu_instance(100, 1, access=access, deadline_factor=factor)
        opt = fu.solve(inst).objective
        for name, spec in fu.METHODS.items():
            res, t = timed(inst, name, 1 if name == "cvxpy" else (3 if quick else 11))
            kind = "exact" if spec.exact else "baseline"
            if res.objective is None:
                energy, gap = "-", "-"
            else:
                energy, gap = f"{res.objective:.6g}", f"{100 * (res.objective / opt - 1):+.2f}"
            print(f"{factor:>3}x {access:<6} {name:<14} {kind:<9} {res.status.value:<11} {energy:>13} "
                  f"{gap:>8} {t * 1000:>9.1f} ms")
    print("(equal-slots: no_solution = equal slots cannot carry the weakest device's bits "
          "at p_max)")


def table_deadline() -> None:
    base = fu.mo_xu_instance(10, 0, access="tdma")
    t_tdma = min_deadline(arrays(base))
    t_noma = min_deadline(arrays(base.with_changes(access="noma")))
    print(f"\nTable 3: energy (mJ) vs deadline T (mo_xu_instance(10, seed=0); smallest "
          f"feasible T: TDMA {t_tdma:.4g} s, NOMA {t_noma:.4g} s)")
    head = (f"{'T (s)':>8} {'TDMA opt':>10} {'NOMA opt':>10} {'NOMA/TDMA':>10} "
            f"{'TDMA eq-slots':>14} {'TDMA max-f':>11} {'NOMA fixed':>11}")
    print(head)
    print("-" * len(head))
    for k in (0.6, 0.8, 1.01, 1.2, 1.5, 2.0, 3.0, 5.0, 10.0):
        T = float(f"{t_tdma * k:.4g}")
        tdma = base.with_changes(deadline=T)
        noma = tdma.with_changes(access="noma")
        cells = []
        for inst, method in ((tdma, "fast"), (noma, "fast")):
            r = fu.solve(inst, method)
            cells.append(r.objective)
        ratio = "-" if cells[0] is None or cells[1] is None else f"{cells[1] / cells[0]:.3f}"
        extra = []
        for inst, method in ((tdma, "equal-slots"), (tdma, "max-frequency"),
                             (noma, "fixed-split")):
            r = fu.solve(inst, method)
            extra.append(r.objective)

        def mj(x: float | None) -> str:
            return "infeasible" if x is None else f"{1e3 * x:.4g}"

        print(f"{T:>8.4g} {mj(cells[0]):>10} {mj(cells[1]):>10} {ratio:>10} "
              f"{mj(extra[0]):>14} {mj(extra[1]):>11} {mj(extra[2]):>11}")
    print("(NOMA <= TDMA at every T and both fall as T grows; below the TDMA minimum only "
          "NOMA is feasible)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions (< 60 s)")
    args = parser.parse_args()
    warnings.filterwarnings("ignore")
    t0 = time.perf_counter()
    table_speed(args.quick)
    table_methods(args.quick)
    table_deadline()
    print(f"\n(total {time.perf_counter() - t0:.1f} s)")


if __name__ == "__main__":
    main()
