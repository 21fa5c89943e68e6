"""LAVEA benchmark: Johnson at scale, CP-SAT time to optimum, policy-vs-exact gaps, simulation.

Prints four tables in one run:

1. Johnson's rule on 100,000 tasks (F2||Cmax): median time of the rule alone and of a
   full verified ``solve`` (target: rule <= 200 ms).
2. CP-SAT (and the HiGHS MILP as the general solver) on 30-task one-server instances with
   release dates: status, time to proven optimum, gap of the dispatching heuristic.
3. Policies vs the exact optimum on random two-server instances (``generate(8, seed)``):
   mean objective, mean/max gap %, median time per method.
4. Online simulation of 100,000 Poisson arrivals on three heterogeneous servers at 60 %
   and 85 % load: mean and 95th-percentile response time per policy (target <= 10 s).

Usage: ``python benchmarks/lavea.py [--quick]`` (``--quick``: fewer instances, shorter
limits, 20,000 arrivals; under a minute).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np

import formulations.lavea as L
from formulations.lavea.model import Instance
from formulations.lavea.schedule import flow_shop_makespan, johnson_order
from formulations.lavea.simulate import simulate


def table(title: str, header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    print(f"\n{title}")
    print("  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)))
    print("  ".join("-" * w for w in widths))
    for r in rows:
        print("  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)))


def johnson_at_scale(repeats: int) -> None:
    rng = np.random.default_rng(0)
    n = 100_000
    a, b = rng.uniform(0.01, 0.4, n), rng.uniform(0.01, 0.4, n)
    rule, full = [], []
    cmax = 0.0
    for _ in range(repeats):
        t0 = time.perf_counter()
        order = johnson_order(a, b)
        cmax = flow_shop_makespan(a, b, order)
        rule.append(time.perf_counter() - t0)
    inst = Instance.flow_shop(a.tolist(), b.tolist())
    res = None
    for _ in range(max(1, repeats // 3)):
        t0 = time.perf_counter()
        res = L.solve(inst, "johnson")
        full.append(time.perf_counter() - t0)
    fifo = flow_shop_makespan(a, b, np.arange(n))
    assert res is not None
    table("1. Johnson's rule, F2||Cmax, 100,000 tasks", ["what", "Cmax (s)", "median ms"], [
        ["johnson_order + makespan (numpy)", f"{cmax:.3f}", f"{1e3 * statistics.median(rule):.1f}"],
        ["solve(inst, 'johnson') incl. verify", f"{res.objective:.3f}",
         f"{1e3 * statistics.median(full):.1f}"],
        ["FIFO (index order) for reference", f"{fifo:.3f}", "-"],
        ["lower bound max(sum a, sum b) + min tail", f"{max(a.sum() + b.min(), b.sum() + a.min()):.3f}",
         "-"],
    ])


def cpsat_30(seeds: int, limit: float) -> None:
    rows = []
    for objective in ("makespan", "total_completion"):
        for seed in range(seeds):
            rng = np.random.default_rng(seed)
            n = 30
            a = np.round(rng.uniform(0.05, 0.4, n), 3)
            b = np.round(rng.uniform(0.05, 0.4, n), 3)
            r = np.round(np.sort(rng.uniform(0, 0.5 * (a.sum() + b.sum()), n)), 3)
            inst = Instance.flow_shop(a, b, release=r, objective=objective)
            heur = L.solve(inst, "dispatch")
            row = [objective, str(seed)]
            best = None
            for method in ("cpsat", "milp"):
                t0 = time.perf_counter()
                res = L.solve(inst, method, time_limit=limit)
                dt = time.perf_counter() - t0
                gap = "-" if res.gap is None else f"{100 * res.gap:.2f}"
                row += [res.status.value, f"{res.objective:.3f}", gap, f"{dt:.2f}"]
                if res.status.value == "optimal" and best is None:
                    best = res.objective
            ref = best if best is not None else min(float(row[3]), float(row[7]))
            row += [f"{heur.objective:.3f}", f"{100 * (heur.objective / ref - 1):.2f}"]
            rows.append(row)
    table(f"2. One server, 30 tasks with release dates (time limit {limit:g} s)",
          ["objective", "seed", "cpsat", "value", "gap%", "s", "milp", "value", "gap%", "s",
           "dispatch", "vs best%"], rows)


def policy_gaps(seeds: int, size: int) -> None:
    names = ["cpsat", "milp", "johnson", "sslf", "sqlf", "sttf", "dispatch", "local_search",
             "fifo", "local"]
    values: dict[str, list[float]] = {m: [] for m in names}
    gaps: dict[str, list[float]] = {m: [] for m in names}
    times: dict[str, list[float]] = {m: [] for m in names}
    optimal: dict[str, int] = {m: 0 for m in names}
    for seed in range(seeds):
        inst = L.generate(size, seed)
        results = {}
        for m in names:
            t0 = time.perf_counter()
            res = L.solve(inst, m, time_limit=30, seed=seed)
            times[m].append(time.perf_counter() - t0)
            results[m] = res
            optimal[m] += res.status.value == "optimal"
        opt = results["cpsat"].objective
        for m in names:
            values[m].append(results[m].objective)
            gaps[m].append(100 * (results[m].objective / opt - 1))
    rows = [[m, "yes" if L.METHODS[m].exact else "no", f"{statistics.mean(values[m]):.3f}",
             f"{statistics.mean(gaps[m]):.2f}", f"{max(gaps[m]):.2f}", f"{optimal[m]}/{seeds}",
             f"{1e3 * statistics.median(times[m]):.1f}"] for m in names]
    table(f"3. Methods vs exact optimum, generate({size}, seed) x {seeds} "
          "(2 servers, clients, release dates; objective cycles)",
          ["method", "exact", "mean obj", "gap% mean", "gap% max", "optimal", "median ms"], rows)


def simulation(count: int) -> None:
    rng = np.random.default_rng(2)
    tasks = []
    for _ in range(20):
        a = float(np.round(rng.uniform(0.02, 0.1), 3))
        b = float(np.round(rng.uniform(0.05, 0.3), 3))
        tasks.append({"upload": a, "compute": [b, round(b / 2, 3), round(b / 1.5, 3)],
                      "local": round(8 * b, 3)})
    inst = Instance.from_dict({"servers": [{"name": "front"},
                                           {"name": "fast", "forward_time": 0.03},
                                           {"name": "mid", "forward_time": 0.05}],
                               "tasks": tasks})
    capacity = 4.5 / float(np.mean([t["compute"][0] for t in tasks]))
    rows = []
    for load in (0.6, 0.85):
        base = None
        for policy, order in (("sslf", "johnson"), ("sslf", "fifo"), ("sqlf", "johnson"),
                              ("sttf", "johnson"), ("local", "fifo")):
            t0 = time.perf_counter()
            res = simulate(inst, policy, order=order, rate=load * capacity, count=count, seed=1,
                           allow_local=False)
            dt = time.perf_counter() - t0
            base = base or res.mean
            rows.append([f"{load:.2f}", policy, order, f"{res.mean:.3f}", f"{res.p95:.3f}",
                         f"{res.mean / base:.2f}", f"{dt:.2f}"])
    table(f"4. Online simulation, {count:,} Poisson arrivals, 3 servers (front slow CPU; "
          "neighbours 2x / 1.5x faster, 0.03 / 0.05 s forwarding)",
          ["load", "policy", "order", "mean s", "p95 s", "mean / SSLF", "sim s"], rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a run under a minute")
    args = parser.parse_args()
    quick = args.quick
    johnson_at_scale(3 if quick else 9)
    cpsat_30(1 if quick else 3, 5.0 if quick else 60.0)
    policy_gaps(4 if quick else 12, 8)
    simulation(20_000 if quick else 100_000)


if __name__ == "__main__":
    main()
