"""DNN partitioning benchmark: exact vs published heuristics vs a general MILP solver.

Prints, in one run:

1. a side-by-side table on zoo models (AlexNet, VGG16, ResNet-18/50, MobileNetV2,
   GoogLeNet; phone / edge / cloud at 3G, LTE and Wi-Fi uplinks): objective, gap to the
   optimum and median time of ``mincut`` (ours, exact), ``milp`` (general solver),
   ``neurosurgeon`` (Kang 2017), ``dads`` (Hu 2019, two tiers), ``jointdnn`` (2021);
2. the published DADS construction's claimed vs true latency;
3. Neurosurgeon's split on AlexNet / VGG16 at 3G / LTE / Wi-Fi and DADS's DAG-vs-chain cut
   ratio on ResNet / GoogLeNet;
4. throughput: exact DP/MILP vs the DADS heavy-load heuristic;
5. the performance targets of issue 3 next to the measured times.

Usage: ``python benchmarks/partition.py [--quick]`` (``--quick`` < 60 s).
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np

import formulations.partition as P
from edgeopt_solve import Status
from edgeopt_solve.context import SolveContext
from formulations.partition import costs
from formulations.partition.chain import split_search
from formulations.partition.dads import two_tier_cut
from formulations.partition.mincut import layered_cut
from formulations.partition.parametric import plan_table

UPLINKS = {"3G": 1.1e6, "LTE": 5.85e6, "Wi-Fi": 18.88e6}


def three_tier(model: str, uplink: float, **extra) -> P.Instance:
    return P.Instance.from_dict({
        "model": model,
        "tiers": [{"name": "phone", "compute_rate": 5e9, "power": 2.5},
                  {"name": "edge", "compute_rate": 5e10},
                  {"name": "cloud", "compute_rate": 5e11}],
        "links": [{"bandwidth": uplink, "rtt": 0.02, "tx_power": 1.2, "rx_power": 0.6},
                  {"bandwidth": 1e8, "rtt": 0.04}],
        "return_result": True, **extra})


def median_time(fn: Callable[[], object], repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def fmt_t(seconds: float) -> str:
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} us"
    if seconds < 1:
        return f"{seconds * 1e3:.2f} ms"
    return f"{seconds:.2f} s"


def side_by_side(models: list[str], uplinks: dict[str, float], repeat: int) -> None:
    methods = ["mincut", "milp", "neurosurgeon", "dads", "jointdnn"]
    print("== latency (s), phone 5 / edge 50 / cloud 500 GMAC/s, result returns ==")
    print(f"{'instance':22} " + " ".join(f"{m:>24}" for m in methods))
    gaps: dict[str, list[float]] = {m: [] for m in methods}
    for model in models:
        for up_name, bw in uplinks.items():
            inst = three_tier(model, bw)
            row = {}
            for m in methods:
                res = P.solve(inst, m, time_limit=60)
                t = median_time(lambda m=m, inst=inst: P.solve(inst, m, time_limit=60),
                                1 if m == "milp" else repeat)
                row[m] = (res, t)
            opt = row["mincut"][0].objective
            cells = []
            for m in methods:
                res, t = row[m]
                if res.objective is None:
                    cells.append(f"{res.status.value:>24}")
                    continue
                gap = 100 * (res.objective - opt) / opt
                gaps[m].append(gap)
                mark = "*" if res.status is Status.OPTIMAL else " "
                cells.append(f"{res.objective:8.4f}{mark}{gap:6.2f}% {fmt_t(t):>8}")
            print(f"{model + ' ' + up_name:22} " + " ".join(cells))
    print("(* = proven optimal; gap = % above the optimum; time = median)")
    print("mean gap %: " + ", ".join(f"{m} {np.mean(g):.2f}" for m, g in gaps.items() if g))


def published_dads_error() -> None:
    print("\n== DADS published construction (no reverse edges, per-edge charging) ==")
    print("phone 2 GMAC/s; cloud 200 GMAC/s + 0.5 ms per layer; 20 Mbit/s; result returns")
    for model in ("alexnet", "resnet18", "googlenet"):
        inst = P.Instance.from_dict({
            "model": model, "monotone": False, "return_result": True,
            "tiers": [{"name": "phone", "compute_rate": 2e9},
                      {"name": "cloud", "compute_rate": 2e11, "layer_overhead": 5e-4}],
            "links": [{"bandwidth": 2e7, "rtt": 0.01}]})
        pub = two_tier_cut(inst, 0, 1, published=True)
        ours = two_tier_cut(inst, 0, 1)
        true = P.objective(inst, P.Solution(tuple(pub.tiers)))
        back = sum(1 for layer in range(inst.n_layers)
                   if pub.tiers[layer] == 0 and any(pub.tiers[p] == 1
                                                    for p in inst.graph.predecessors[layer]))
        opt = P.solve(inst, "milp", time_limit=60).objective
        print(f"{model:10} published claims {pub.value:.4f} s, its plan really costs "
              f"{true:.4f} s ({back} layers back on the phone); corrected (monotone) cut "
              f"{ours.value:.4f} s; optimum over any placement (milp) {opt:.4f} s")


def neurosurgeon_repro() -> None:
    print("\n== Neurosurgeon: layers on the phone, phone 1 (AlexNet) / 10 (VGG16) GMAC/s ==")
    for model, rate in (("alexnet", 1e9), ("vgg16", 1e10)):
        cells = []
        for name, bw in UPLINKS.items():
            inst = P.Instance.from_dict({
                "model": model, "tiers": [{"name": "phone", "compute_rate": rate},
                                          {"name": "cloud", "compute_rate": 1e12}],
                "links": [{"bandwidth": bw}]})
            res = P.solve(inst, "neurosurgeon")
            k = res.solution.tiers.count(0)
            last = inst.graph.layers[k - 1].name if k else "(input)"
            cells.append(f"{name}: {k}/{inst.n_layers} (after {last}) {res.objective:.3f} s")
        print(f"{model:8} " + " | ".join(cells))
    print("\n== DADS: DAG cut vs topological-order chain cut (phone 20 / cloud 200 GMAC/s) ==")
    for model in ("resnet18", "resnet50", "googlenet"):
        cells = []
        for bw in (2e6, 1e7, 5e7):
            inst = P.Instance.from_dict({
                "model": model, "tiers": [{"name": "phone", "compute_rate": 2e10},
                                          {"name": "cloud", "compute_rate": 2e11}],
                "links": [{"bandwidth": bw, "rtt": 0.01}]})
            dag, chain = P.solve(inst, "dads"), P.solve(inst, "neurosurgeon")
            cells.append(f"{bw / 1e6:g} Mbit/s: chain/DAG = {chain.objective / dag.objective:.3f}")
        print(f"{model:10} " + " | ".join(cells))


def throughput_table(models: list[str]) -> None:
    print("\n== throughput (slowest stage, s): exact vs DADS heavy-load heuristic ==")
    for model in models:
        inst = three_tier(model, 5.85e6, objective="throughput")
        ex = P.solve(inst, "throughput", time_limit=60)
        he = P.solve(inst, "dads_heavy")
        print(f"{model:12} exact {ex.objective:.4f} ({ex.status.value}, {fmt_t(ex.runtime)})  "
              f"dads_heavy {he.objective:.4f} (+{100 * (he.objective / ex.objective - 1):.2f}%, "
              f"{fmt_t(he.runtime)})")


def targets(repeat: int) -> None:
    print("\n== performance targets (issue 3) ==")
    r50 = three_tier("resnet50", 5.85e6)
    w = costs.weights(r50)
    t_core = median_time(lambda: layered_cut(r50, w), repeat)
    t_solve = median_time(lambda: P.solve(r50, "mincut"), repeat)
    rng = np.random.default_rng(0)
    n = 1000
    local, remote = rng.uniform(1e-4, 1e-2, n), rng.uniform(1e-6, 1e-4, n)
    cut_bytes = np.concatenate(([6e5], rng.uniform(1e3, 1e6, n - 1), [0.0]))
    t_ns = median_time(lambda: split_search(local, remote, cut_bytes, 0.01, 8 / 1e7),
                       max(repeat, 50))
    chain = P.Instance.from_dict({
        "model": {"input_bytes": 6e5, "layers": [
            {"name": f"l{i}", "op": "conv", "macs": float(rng.uniform(1e6, 1e8)),
             "output_bytes": float(rng.uniform(1e3, 1e6)),
             "inputs": [f"l{i - 1}"] if i else []} for i in range(n)]},
        "tiers": [{"name": "phone", "compute_rate": 5e9}, {"name": "cloud", "compute_rate": 5e11}],
        "links": [{"bandwidth": 1e7, "rtt": 0.02}]})
    t_ns_full = median_time(lambda: P.solve(chain, "neurosurgeon"), repeat)
    t0 = time.perf_counter()
    table = plan_table(r50, 0, 1e5, 1e10)
    t_table = time.perf_counter() - t0
    probes = list(np.geomspace(1e5, 1e10, 1000))
    t0 = time.perf_counter()
    for bw in probes:
        table.lookup(bw)
    t_lookup = (time.perf_counter() - t0) / len(probes)
    mem_inst = three_tier("resnet50", 5.85e6)
    free = P.solve(mem_inst, "mincut")
    dev = sum(layer.param_bytes for layer, t in zip(mem_inst.graph.layers, free.solution.tiers,
                                                    strict=True) if t == 0)
    tiers = mem_inst.to_dict()["tiers"]
    tiers[0]["memory"] = max(dev / 2, 1e6)
    mem_inst = mem_inst.replace(tiers=tiers)
    mip = P.solve(mem_inst, "milp", time_limit=60)
    plain_mip = P.solve(r50, "milp", time_limit=60)
    rows = [
        ("ResNet-50, 3 tiers, mincut (core cut)", "<= 20 ms", fmt_t(t_core)),
        ("ResNet-50, 3 tiers, mincut (solve + verify)", "", fmt_t(t_solve)),
        ("neurosurgeon, 1000-layer chain (O(N) search)", "<= 1 ms", fmt_t(t_ns)),
        ("neurosurgeon, 1000-layer chain (solve + verify)", "", fmt_t(t_ns_full)),
        (f"parametric table, ResNet-50 ({len(table.plans)} plans)", "", fmt_t(t_table)),
        ("parametric look-up", "<= 10 us", fmt_t(t_lookup)),
        (f"milp + memory, ResNet-50 ({mip.status.value})", "<= 5 s", fmt_t(mip.runtime)),
        ("milp, ResNet-50, no memory limit", "", fmt_t(plain_mip.runtime)),
        ("mincut time / milp time (ResNet-50)", "", f"{t_solve / plain_mip.runtime:.4f}"),
    ]
    for name, target, got in rows:
        print(f"{name:52} {target:>10} {got:>12}")
    assert SolveContext().time_limit is None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="fewer models and repeats (< 60 s)")
    args = ap.parse_args()
    if args.quick:
        models = ["alexnet", "resnet18", "googlenet"]
        uplinks = {"3G": UPLINKS["3G"], "Wi-Fi": UPLINKS["Wi-Fi"]}
        repeat = 3
    else:
        models = ["alexnet", "vgg16", "resnet18", "resnet50", "mobilenetv2", "googlenet"]
        uplinks = UPLINKS
        repeat = 7
    side_by_side(models, uplinks, repeat)
    published_dads_error()
    neurosurgeon_repro()
    throughput_table(models[:3] if args.quick else models)
    targets(repeat)


if __name__ == "__main__":
    main()
