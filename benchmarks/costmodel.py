"""Acceptance of the measured cost model: predicted vs measured latency of real split runs.

For each zoo model x bandwidth x plan (device-only, server-only, the partition solver's
optimum on the *measured* per-layer costs), the plan is executed for real (device process
and server process on this machine, tensors over shaped loopback TCP; the device is
emulated ``--device-slowdown`` times slower by sleep padding) and its median end-to-end
latency compared with the prediction. Also: the solver's plan against the fastest
*measured* single cut (prefix cuts in topological order whose predicted latency is within
``--candidates-within`` of the best predicted one are executed, at most
``--max-candidates`` of them, best predicted first; the device-only plan is
measured once per model, it does not depend on the bandwidth).

Measured = dedicated-CPU compute (slowdown x the stage's CPU time, see
``edgeopt_solve.costmodel.validate``) + wall-clock transfers over the real sockets; the
wall-clock end-to-end time on this (shared) machine is the last column.

Prints one table and the two acceptance numbers: median |predicted - measured| / measured
over all rows (target <= 15 %) and, per model and bandwidth, measured latency of the
solver's plan over the fastest measured single cut (target <= 1.10).

Profiles include per-segment timings (``--segments``, optimisations off and on): a plan
whose device or server part is a profiled prefix/suffix is predicted from that measured,
fused segment ("seg" in the "from" column), other plans from the per-layer sum ("sum").
``--return-result`` sends the output back to the device over the same link (the solver
then optimises with the partition model's ``return_result``). ``--emulation`` chooses how
the slower device is emulated: CPU-time padding (default) or a cgroup CPU quota where the
machine allows it (``quota``/``auto``).

    python benchmarks/costmodel.py            # alexnet, resnet18, mobilenetv2 x 1/10/100 Mbit/s
    python benchmarks/costmodel.py --quick    # mobilenetv2 x 10/100 Mbit/s, few runs (< 60 s)
"""

from __future__ import annotations

import argparse
import os
import statistics
import time

from edgeopt_solve.costmodel.experiment import cost_models, link_models, tier_latencies
from edgeopt_solve.costmodel.link import measure_serialisation
from edgeopt_solve.costmodel.onnx_build import build_onnx, random_input
from edgeopt_solve.costmodel.profiler import profile_model
from edgeopt_solve.costmodel.segments import choose_cuts, cut_points, profile_segments
from edgeopt_solve.costmodel.validate import Testbed, execute, predict, prefix_plans
from edgeopt_solve.system import zoo


def solver_plan(name: str, graph, prof, slow: float, bw: float, rtt: float,
                back: bool = False) -> tuple[int, ...]:
    """The partition solver's optimum on measured costs (mincut; milp with a return)."""
    from formulations import partition

    data = {"model": name,
            "tiers": [{"name": "device", "latency": tier_latencies(prof, graph, slow)},
                      {"name": "server", "latency": tier_latencies(prof, graph, 1.0)}],
            "links": [{"bandwidth": bw, "rtt": rtt}], "return_result": back}
    res = partition.solve(partition.Instance.from_dict(data), "mincut")
    return tuple(res.solution.tiers)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="one model, two bandwidths, few runs")
    ap.add_argument("--models", default="alexnet,resnet18,mobilenetv2")
    ap.add_argument("--bandwidths", default="1,10,100", help="Mbit/s")
    ap.add_argument("--rtt", type=float, default=0.01, help="s")
    ap.add_argument("--device-slowdown", type=float, default=4.0)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--profile-runs", type=int, default=10)
    ap.add_argument("--candidates-within", type=float, default=1.3)
    ap.add_argument("--max-candidates", type=int, default=6,
                    help="at most this many best-predicted single cuts are executed")
    ap.add_argument("--segments", type=int, default=8,
                    help="cut points whose prefix/suffix segments are profiled (0 = none)")
    ap.add_argument("--return-result", action="store_true",
                    help="the output returns to the device over the same link")
    ap.add_argument("--emulation", default="padding", choices=["padding", "quota", "auto"])
    args = ap.parse_args()
    models = args.models.split(",")
    bws = [float(b) * 1e6 for b in args.bandwidths.split(",")]
    runs, prof_runs = args.runs, args.profile_runs
    if args.quick:
        models, bws, runs, prof_runs = ["mobilenetv2"], [10e6, 100e6], 6, 10
        args.max_candidates = 3
    t_start = time.perf_counter()
    load0 = os.getloadavg()[0]
    ser = measure_serialisation()
    slow = [args.device_slowdown, 1.0]
    rows, ratios, fusion, emulations = [], [], [], set()
    bed = Testbed()
    try:
        run_models(models, bws, args, runs, prof_runs, ser, slow, rows, ratios, bed, fusion,
                   emulations)
    finally:
        bed.close()
    report(rows, ratios, args, runs, slow, load0, t_start, fusion, emulations)


def run_models(models, bws, args, runs, prof_runs, ser, slow, rows, ratios, bed, fusion,
               emulations) -> None:
    """Profile, solve, predict and execute every model x bandwidth x plan."""
    for name in models:
        graph = zoo.load(name)
        model = build_onnx(graph)
        prof = profile_model(model, graph, runs=prof_runs, warmup=2, source=f"zoo:{name}")
        prof = prof.model_copy(update={"serialisation": ser})
        n = len(graph.layers)
        # the solver uses per-layer costs only, so its plans are known before the segments
        opts = {bw: solver_plan(name, graph, prof, slow[0], bw, args.rtt, args.return_result)
                for bw in bws}
        points = cut_points(graph)
        cuts = set(choose_cuts(points, [prof.layers[la.name].median for la in graph.layers],
                               args.segments))
        prefixes = prefix_plans(graph)
        cuts |= {c for c in points for t in opts.values() if prefixes[c] == t}
        if cuts and args.segments > 0:
            prof = prof.model_copy(update={"segments": profile_segments(
                model, graph, random_input(model), cuts=sorted(cuts), runs=prof_runs,
                warmup=2)})
        gains = [1 - sg.fusion_ratio for sg in prof.segments or ()]
        if gains:
            fusion.append((name, len(gains), statistics.median(gains), min(gains), max(gains),
                           1 - prof.whole_model.fusion_ratio))
        cms = cost_models(prof, graph, slow)
        cache: dict[tuple[tuple[int, ...], float], tuple[float, float]] = {}

        def measure(tiers: tuple[int, ...], bw: float, lms, back, *, _g=graph, _m=model,
                    _c=cache) -> tuple[float, float]:
            key = (tiers, bw if max(tiers) > 0 else 0.0)
            if key not in _c:
                ex = execute(_m, _g, tiers, lms, slowdown=slow, runs=runs, warmup=1,
                             testbed=bed, return_link=back, emulation=args.emulation)
                if not ex.outputs_match:
                    raise AssertionError(f"split output differs ({ex.max_abs_diff})")
                emulations.add(ex.emulation_mode)
                _c[key] = (ex.median_total, ex.median_wall)
            return _c[key]

        def source(tiers, _g=graph, _c=cms) -> str:
            parts = [[la for la, t in zip(_g.layers, tiers, strict=True) if t == k]
                     for k in (0, 1)]
            if not parts[0] or not parts[1]:
                return "whole"  # per-layer shares add up to the measured whole model
            used = [_c[k].measured_segment(p) is not None for k, p in enumerate(parts)]
            return "seg" if all(used) else "sum" if not any(used) else "mixed"

        for bw in bws:
            lms = link_models(prof, [(bw, args.rtt)])
            back = link_models(prof, [(bw, args.rtt)])[0] if args.return_result else None
            opt = opts[bw]
            plans = {"device-only": (0,) * n, "server-only": (1,) * n, "solver": opt}
            for label, tiers in plans.items():
                p = predict(graph, tiers, cms, lms, back).total
                m, w = measure(tiers, bw, lms, back)
                cut = sum(1 for t in tiers if t == 0)
                rows.append((name, bw, label, cut, p, m, w, (name, tiers, bw * (cut < n)),
                             source(tiers)))
            preds = [(predict(graph, t, cms, lms, back).total, t) for t in prefix_plans(graph)]
            best_pred = min(p for p, _ in preds)
            preds.sort(key=lambda pt: pt[0])
            cands = [t for p, t in preds if p <= args.candidates_within * best_pred]
            cands = cands[:args.max_candidates]
            measured = [measure(t, bw, lms, back)[0] for t in cands]
            fastest = min([*measured, *(r[5] for r in rows[-3:-1])])
            ratios.append((name, bw, rows[-1][5] / fastest, len(cands)))


def report(rows, ratios, args, runs, slow, load0, t_start, fusion, emulations) -> None:
    """Print the table and the acceptance numbers."""
    print(f"measured cost model acceptance (device {slow[0]:g}x slower by "
          f"{'/'.join(sorted(emulations))}, RTT {args.rtt * 1e3:g} ms, {runs} runs per plan, "
          f"result {'returned' if args.return_result else 'not returned'}, "
          f"load average {load0:.1f} on {os.cpu_count()} CPUs)")
    for name, k, med, lo, hi, whole in fusion:
        print(f"  {name}: {k} profiled segments, fusion gain (1 - on/off CPU time) median "
              f"{100 * med:.1f} % (min {100 * lo:.1f}, max {100 * hi:.1f}); whole model "
              f"{100 * whole:.1f} % (wall)")
    hdr = (f"{'model':<12} {'Mbit/s':>7} {'plan':<12} {'on dev':>6} {'from':>5} {'pred ms':>9} "
           f"{'meas ms':>9} {'err %':>7} {'wall ms':>9}")
    print(hdr)
    print("-" * len(hdr))
    errs, distinct = [], {}
    for name, bw, label, cut, p, m, w, key, src in rows:
        e = (p - m) / m
        errs.append(abs(e))
        distinct[key] = abs(e)
        print(f"{name:<12} {bw / 1e6:>7g} {label:<12} {cut:>6} {src:>5} {1e3 * p:>9.2f} "
              f"{1e3 * m:>9.2f} {100 * e:>+7.1f} {1e3 * w:>9.2f}")
    print("-" * len(hdr))
    med = statistics.median(errs)
    print(f"median |pred - meas| / meas: {100 * med:.1f} %  (target <= 15 %: "
          f"{'PASS' if med <= 0.15 else 'FAIL'}); over the {len(distinct)} distinct executions "
          f"(a plan without transfer is run once per model): "
          f"{100 * statistics.median(distinct.values()):.1f} %, "
          f"max {100 * max(distinct.values()):.1f} %")
    print(f"{'model':<12} {'Mbit/s':>7} {'solver / fastest measured single cut':>38} "
          f"{'cuts run':>9}")
    for name, bw, r, k in ratios:
        print(f"{name:<12} {bw / 1e6:>7g} {r:>38.3f} {k:>9}")
    worst = max(r for *_, r, _k in ratios)
    print(f"worst ratio {worst:.3f} (target <= 1.10: {'PASS' if worst <= 1.10 else 'FAIL'}); "
          f"total {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
