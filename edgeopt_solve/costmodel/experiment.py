"""Glue for ``validate`` and the benchmark: profile -> cost models -> predict -> execute.

:func:`run_plan` predicts a plan's per-stage latency from a profile and executes it for
real (:func:`~edgeopt_solve.costmodel.validate.execute`), returning a JSON-ready report.
:func:`tier_latencies` turns a profile into the per-layer ``latency`` list a partition
instance's tier accepts, so solvers optimise measured costs.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from edgeopt_solve.costmodel.link import LinkModel, measure_serialisation
from edgeopt_solve.costmodel.measured import MeasuredCostModel
from edgeopt_solve.costmodel.profile import Profile
from edgeopt_solve.costmodel.validate import execute, predict, stages
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


def link_models(profile: Profile, links: Sequence[tuple[float, float]]) -> list[LinkModel]:
    """Link models with the profile's serialisation overhead (measured now if absent)."""
    ser = profile.serialisation or measure_serialisation()
    return [LinkModel(bw, rtt, ser.per_message, ser.per_byte) for bw, rtt in links]


def run_plan(model: Any, graph: DnnGraph, tiers: Sequence[int],
             links: Sequence[tuple[float, float]], *, profile: Profile | None = None,
             threads: Sequence[int] | int = 1, slowdown: Sequence[float] | float = 1.0,
             runs: int = 10, warmup: int = 2, profile_runs: int = 10,
             testbed: Any = None) -> dict[str, Any]:
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
        Profile of this machine for ``graph``; measured now (``profile_runs``) if ``None``.
    threads, slowdown
        Per tier (or one for all).
    runs, warmup
        Timed and discarded end-to-end runs.
    testbed
        A :class:`~edgeopt_solve.costmodel.validate.Testbed` to reuse stage processes.
    """
    from edgeopt_solve.costmodel.profiler import profile_model

    n = max(tiers) + 1
    slow = [float(slowdown)] * n if isinstance(slowdown, int | float) else list(slowdown)
    thr = [int(threads)] * n if isinstance(threads, int) else [int(t) for t in threads]
    if profile is None:
        profile = profile_model(model, graph, threads=thr[0], runs=profile_runs)
    if profile.serialisation is None:
        profile = profile.model_copy(update={"serialisation": measure_serialisation()})
    cms = cost_models(profile, graph, slow[:n])
    lms = link_models(profile, links)
    pred = predict(graph, tiers, cms, lms)
    ex = execute(model, graph, tiers, lms, threads=thr[:n], slowdown=slow[:n], runs=runs,
                 warmup=warmup, testbed=testbed)
    meas = ex.median()
    sts = stages(graph, tiers)
    rows = []
    for k, st in enumerate(sts):
        rows.append({"stage": f"tier {k} compute ({len(st.layers)} layers)",
                     "predicted": pred.compute[k], "measured": meas.compute[k]})
        if k < len(sts) - 1:
            bw = lms[k].bandwidth
            rows.append({"stage": f"link {k} ({bw / 1e6:g} Mbit/s, {st.send_bytes / 1e3:.1f} kB)",
                         "predicted": pred.transfer[k], "measured": meas.transfer[k]})
    measured = ex.median_total
    return {"model": graph.name, "runs": runs, "tiers": list(tiers), "stages": rows,
            "predicted": pred.total, "measured": measured, "measured_wall": ex.median_wall,
            "error": (pred.total - measured) / measured if measured > 0 else 0.0,
            "outputs_match": ex.outputs_match, "max_abs_diff": ex.max_abs_diff,
            "emulation": ex.emulation, "fallback_layers": list(cms[0].fallback)}
