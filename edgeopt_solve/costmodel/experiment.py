"""Glue for ``validate`` and the benchmark: profile -> cost models -> predict -> execute.

:func:`run_plan` predicts a plan's per-stage latency from a profile and executes it for
real (:func:`~edgeopt_solve.costmodel.validate.execute`), returning a JSON-ready report.
:func:`tier_latencies` turns a profile into the per-layer ``latency`` list a partition
instance's tier accepts, so solvers optimise measured costs.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from typing import Any

from edgeopt_solve.costmodel.link import LinkModel, measure_serialisation
from edgeopt_solve.costmodel.measured import MeasuredCostModel
from edgeopt_solve.costmodel.profile import Profile
from edgeopt_solve.costmodel.validate import (
    execute,
    hop_link,
    hops,
    predict,
    return_bytes,
    stages,
)
from edgeopt_solve.system.dnn import DnnGraph


def tier_slowdowns(inst: Any) -> list[float]:
    """Latency multiplier per tier of a partition instance: its total layer latency over
    the fastest tier's (the fastest tier runs at this machine's speed)."""
    totals = [float(sum(lat)) for lat in inst.latency]
    fastest = min((t for t in totals if t > 0), default=1.0)
    return [max(t / fastest, 1.0) if t > 0 else 1.0 for t in totals]


def tier_latencies(profile: Profile, graph: DnnGraph, slowdown: float = 1.0) -> list[float]:
    """Per-layer latency (s, graph order) of a tier ``slowdown`` times slower than the
    profiled machine, for a partition tier's ``latency`` field."""
    cm = MeasuredCostModel(profile, graph, slowdown=slowdown)
    return [cm.layer_latency(layer) for layer in graph.layers]


def cost_models(profile: Profile, graph: DnnGraph, slowdown: Sequence[float]
                ) -> list[MeasuredCostModel]:
    """One measured cost model per tier."""
    return [MeasuredCostModel(profile, graph, slowdown=s) for s in slowdown]


def return_route(inst: Any, last: int) -> tuple[float, float] | None:
    """``(bandwidth, rtt)`` of the route a partition instance's result takes from tier
    ``last`` back to tier 0: its direct link if there is one, else the relayed hops as one
    store-and-forward link (RTT = sum of RTTs, 1/bandwidth = sum of 1/bandwidths; the same
    time for one message as the partition model's ``route`` charges). None if the result
    does not return (``return_result`` false, or ``last == 0``)."""
    if not getattr(inst, "return_result", False) or last == 0:
        return None
    hops = inst.route(last, 0)
    return 1.0 / sum(1.0 / h.bandwidth for h in hops), float(sum(h.rtt for h in hops))


def plan_cuts(graph: DnnGraph, tiers: Sequence[int]) -> list[int]:
    """The cut points (:func:`~edgeopt_solve.costmodel.segments.cut_points`) at which a plan
    changes tier, if its tiers are contiguous runs of the topological order and every change
    is at a cut point (its stages are then profiled segments); else ``[]``."""
    from edgeopt_solve.costmodel.segments import cut_points

    if any(a > b for a, b in itertools.pairwise(tiers)):
        return []
    changes = [i for i in range(1, len(tiers)) if tiers[i] != tiers[i - 1]]
    points = set(cut_points(graph))
    return changes if changes and all(c in points for c in changes) else []


def link_models(profile: Profile, links: Sequence[tuple[float, float]]) -> list[LinkModel]:
    """Link models with the profile's serialisation overhead (measured now if absent)."""
    ser = profile.serialisation or measure_serialisation()
    return [LinkModel(bw, rtt, ser.per_message, ser.per_byte) for bw, rtt in links]


def run_plan(model: Any, graph: DnnGraph, tiers: Sequence[int],
             links: Sequence[tuple[float, float]], *, profile: Profile | None = None,
             threads: Sequence[int] | int = 1, slowdown: Sequence[float] | float = 1.0,
             runs: int = 10, warmup: int = 2, profile_runs: int = 10,
             testbed: Any = None, return_link: tuple[float, float] | None = None,
             emulation: str = "padding", cgroup: Any = None,
             direct_links: Sequence[tuple[int, int, float, float]] = (),
             flow: Any = None, input_tier: int = 0) -> dict[str, Any]:
    """Predict and execute one plan; a JSON-ready report (times in s).

    Parameters
    ----------
    model, graph
        The ONNX model and its layer graph.
    tiers
        Tier of each layer.
    links
        ``(bandwidth bit/s, rtt s)`` of each link between consecutive tiers.
    profile
        Profile of this machine for ``graph``; measured now (``profile_runs``) if ``None``,
        with the plan's stages as profiled segments where :func:`plan_cuts` allows.
    threads, slowdown
        Per tier (or one for all).
    runs, warmup
        Timed and discarded end-to-end runs.
    testbed
        A :class:`~edgeopt_solve.costmodel.validate.Testbed` to reuse stage processes.
    return_link
        ``(bandwidth bit/s, rtt s)`` over which the output returns to tier 0 (None: it
        does not return).
    emulation, cgroup
        How a slower device is emulated (see :func:`~edgeopt_solve.costmodel.validate.execute`).
    direct_links
        ``(src, dst, bandwidth, rtt)`` of direct links (the first of a pair is used, as in
        the partition model); forward ones carry tensors from ``src`` read on ``dst``.
    flow
        Which of a user's ONNX tensors each layer reads
        (:func:`~edgeopt_solve.costmodel.flow.onnx_flow`); ``None`` for a model built
        from the zoo (layer names are tensor names).
    input_tier
        The tier where the model input starts; tiers before it have no rows.
    """
    from edgeopt_solve.costmodel.profiler import profile_model

    n = max(tiers) + 1
    slow = [float(slowdown)] * n if isinstance(slowdown, int | float) else list(slowdown)
    thr = [int(threads)] * n if isinstance(threads, int) else [int(t) for t in threads]
    if profile is None:  # measure now, including the plan's own segments where it has them
        profile = profile_model(model, graph, threads=thr[input_tier], runs=profile_runs,
                                cuts=plan_cuts(graph, tiers) or None)
    if profile.serialisation is None:
        profile = profile.model_copy(update={"serialisation": measure_serialisation()})
    cms = cost_models(profile, graph, slow[:n])
    lms = link_models(profile, links)
    back = link_models(profile, [return_link])[0] if return_link is not None and n > 1 \
        else None
    direct: dict[tuple[int, int], LinkModel] = {}
    for src, dst, bw, rtt in direct_links:
        if src < dst:
            direct.setdefault((src, dst), link_models(profile, [(bw, rtt)])[0])
    pred = predict(graph, tiers, cms, lms, back, direct, flow, input_tier)
    ex = execute(model, graph, tiers, lms, threads=thr[:n], slowdown=slow[:n], runs=runs,
                 warmup=warmup, testbed=testbed, return_link=back, emulation=emulation,
                 cgroup=cgroup, direct=direct, flow=flow, input_tier=input_tier)
    meas = ex.median()
    plan_hops = hops(graph, tiers, direct, flow, input_tier)
    rows = []
    for k, st in enumerate(stages(graph, tiers, flow, input_tier)):
        if k < input_tier:
            continue
        layers = [graph.layers[graph.index[name]] for name in st.layers]
        src = "profiled segment" if cms[k].measured_segment(layers) is not None else \
            "sum of layers"
        what = " (generates the input)" if k == input_tier and input_tier else ""
        rows.append({"stage": f"tier {k} compute ({len(st.layers)} layers){what}",
                     "predicted": pred.compute[k], "measured": meas.compute[k],
                     "predicted_from": src if st.layers else "-"})
        for j, h in enumerate(plan_hops):
            if h.src == k:
                bw = hop_link(h, lms, direct).bandwidth
                rows.append({"stage": f"{h.label} ({bw / 1e6:g} Mbit/s, {h.nbytes / 1e3:.1f} kB)",
                             "predicted": pred.transfer[j], "measured": meas.transfer[j]})
    if back is not None:
        nbytes = return_bytes(graph, tiers, flow, input_tier)
        rows.append({"stage": f"return to tier 0 ({back.bandwidth / 1e6:g} Mbit/s, "
                              f"{nbytes / 1e3:.1f} kB)",
                     "predicted": pred.back, "measured": meas.back})
    measured = ex.median_total
    return {"model": graph.name, "runs": runs, "tiers": list(tiers), "input_tier": input_tier,
            "stages": rows, "predicted": pred.total, "measured": measured,
            "measured_wall": ex.median_wall,
            "error": (pred.total - measured) / measured if measured > 0 else 0.0,
            "outputs_match": ex.outputs_match, "max_abs_diff": ex.max_abs_diff,
            "emulation": ex.emulation, "emulation_mode": ex.emulation_mode,
            "return_result": back is not None, "fallback_layers": list(cms[0].fallback)}
