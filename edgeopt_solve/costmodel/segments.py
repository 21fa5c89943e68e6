"""Per-segment latency with graph optimisations off and on (what fusion saves per segment).

The per-layer profile attributes time with graph optimisations *disabled*; a deployed
stage runs its sub-model with them *enabled*, and ORT then fuses layers (conv + bn + relu,
...) and reorders layouts, so a segment costs less than its layers' sum. This module
measures that directly on the sub-models a partition plan runs.

Cut points. Position ``i`` (``1 <= i < N``, layers in topological order) is a *cut point*
when exactly one layer output crosses from ``layers[:i]`` to ``layers[i:]`` (and the model
input is not read after ``i``): a single cut there sends one tensor. In a chain every
position is one; in ResNet the block boundaries; inside a branch none.

Segments. :func:`choose_cuts` keeps at most ``limit`` cut points ``c_1 < ... < c_m``, spread
evenly over the cumulative per-layer latency. For each ``c_j`` the **prefix** ``[0, c_j)``
(what the device runs for that cut) and the **suffix** ``[c_j, N)`` (what the server runs)
are extracted with ``onnx.utils.Extractor`` (as ``extract_model`` and
:func:`~edgeopt_solve.costmodel.validate.split` do), plus every **segment**
``[c_j, c_{j+1})`` between consecutive cut points (a middle tier of a 3-tier plan). Each
sub-model is timed as one session call: ``warmup`` discarded and ``runs`` timed inferences,
optimisations off and on interleaved, wall clock and the calling thread's CPU time (as
:func:`~edgeopt_solve.costmodel.profiler.whole_model_times`). Inputs are the real
activations at the cut (the model's random input run through the preceding segments).

How they are used: :class:`~edgeopt_solve.costmodel.measured.MeasuredCostModel`
``.segment_latency`` returns the measured optimised latency of a profiled segment when a
plan's stage is exactly that run of layers, and the sum of per-layer fusion-aware shares
otherwise; ``fusion_ratio`` (optimised / unoptimised) is the per-segment fusion gain.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from edgeopt_solve.costmodel.onnx_build import INPUT_NAME
from edgeopt_solve.costmodel.profile import SegmentStat
from edgeopt_solve.system.dnn import DnnGraph

log = logging.getLogger(__name__)


def cut_points(graph: DnnGraph) -> list[int]:
    """Positions ``i`` where exactly one layer output crosses ``layers[:i] | layers[i:]``."""
    n = len(graph.layers)
    last_reader: dict[str, int] = {}
    for v, layer in enumerate(graph.layers):
        for src in layer.inputs or (INPUT_NAME,):
            last_reader[src] = max(last_reader.get(src, -1), v)
    produced = {layer.name: i for i, layer in enumerate(graph.layers)}
    produced[INPUT_NAME] = -1
    out = []
    for i in range(1, n):
        crossing = [t for t, r in last_reader.items() if produced.get(t, -1) < i <= r]
        if len(crossing) == 1 and crossing[0] != INPUT_NAME:
            out.append(i)
    return out


def choose_cuts(points: Sequence[int], weights: Sequence[float], limit: int) -> list[int]:
    """At most ``limit`` of ``points``, spread evenly over the cumulative ``weights``
    (per-layer latency): the point nearest each ``j / (limit + 1)`` quantile."""
    if limit <= 0 or not points:
        return []
    if len(points) <= limit:
        return list(points)
    cum = np.concatenate([[0.0], np.cumsum(np.maximum(np.asarray(weights, float), 0.0))])
    total = float(cum[-1]) or 1.0
    at = np.array([cum[p] for p in points])
    chosen: set[int] = set()
    for j in range(1, limit + 1):
        order = np.argsort(np.abs(at - total * j / (limit + 1)), kind="stable")
        pick = next((points[int(k)] for k in order if points[int(k)] not in chosen), None)
        if pick is not None:
            chosen.add(pick)
    return sorted(chosen)


def segment_plan(graph: DnnGraph, cuts: Sequence[int]) -> list[tuple[str, int, int]]:
    """``(kind, start, stop)`` of every sub-model to time for these cut points."""
    n = len(graph.layers)
    cuts = sorted(set(cuts))
    plan = [("prefix", 0, c) for c in cuts] + [("suffix", c, n) for c in cuts]
    # middle segments: between consecutive cut points (prefix/suffix cover the two ends)
    plan += [("segment", a, b) for a, b in itertools.pairwise(cuts)]
    return plan


def _tensor_names(proto: Any, graph: DnnGraph) -> dict[str, str]:
    """Layer name -> its output tensor name in ``proto`` (the layer name for built models)."""
    names = {layer.name for layer in graph.layers}
    out = {name: name for name in names}
    for node in proto.graph.node:
        if node.name in names and node.output:
            out[node.name] = node.output[0]
    return out


def profile_segments(model: Any, graph: DnnGraph, feeds: dict[str, np.ndarray], *,
                     cuts: Sequence[int], threads: int = 1, runs: int = 10, warmup: int = 2,
                     tick: Callable[[], None] | None = None) -> list[SegmentStat]:
    """Extract and time the prefix, suffix and middle segments of ``cuts`` (module docstring).

    Parameters
    ----------
    model
        The unsplit ONNX ``ModelProto``.
    graph
        Its layer graph (topological order).
    feeds
        The model's input.
    cuts
        Cut points (see :func:`cut_points`; others are ignored with a warning).
    threads, runs, warmup
        As for the whole-model measurement.
    tick
        Called after every timed or discarded inference pair.
    """
    import onnx
    from onnx.utils import Extractor

    from edgeopt_solve.costmodel.profiler import make_session, stat, whole_model_times

    valid = set(cut_points(graph))
    bad = [c for c in cuts if c not in valid]
    if bad:
        log.warning("not single-tensor cut points, skipped: %s", bad)
    cuts = sorted({c for c in cuts if c in valid})
    if not cuts:
        return []
    n = len(graph.layers)
    tensor = _tensor_names(model, graph)
    sinks = [tensor[graph.layers[j].name] for j in graph.sinks]
    model_inputs = list(feeds)
    ex = Extractor(onnx.shape_inference.infer_shapes(model))

    def boundary(i: int) -> list[str]:
        return model_inputs if i == 0 else sinks if i == n else [tensor[graph.layers[i - 1].name]]

    def extract(a: int, b: int) -> Any:
        return ex.extract_model(boundary(a), boundary(b))

    # activations at each cut: run the consecutive segments once, in order
    acts: dict[int, dict[str, np.ndarray]] = {0: dict(feeds)}
    bounds = [0, *cuts]
    for a, b in itertools.pairwise(bounds):
        sess = make_session(extract(a, b), threads, optimise=True)
        acts[b] = dict(zip(boundary(b), sess.run(boundary(b), acts[a]), strict=True))
    out = []
    for kind, a, b in segment_plan(graph, cuts):
        sub = extract(a, b)
        tp, tf, cp, cf, _ = whole_model_times(sub, acts[a], threads=threads, runs=runs,
                                              warmup=warmup, tick=tick)
        s_cp, s_cf = stat(cp), stat(cf)
        ratio = (max(s_cf.median, 1e-12) / max(s_cp.median, 1e-12)) if threads == 1 else \
            max(float(np.median(tf)), 1e-12) / max(float(np.median(tp)), 1e-12)
        out.append(SegmentStat(kind=kind, start=a, stop=b, first=graph.layers[a].name,
                               last=graph.layers[b - 1].name, layers=b - a,
                               unoptimised=stat(tp), optimised=stat(tf), unoptimised_cpu=s_cp,
                               optimised_cpu=s_cf, fusion_ratio=ratio))
    return out


def ticks(n_cuts: int, runs: int, warmup: int) -> int:
    """Progress steps :func:`profile_segments` takes for ``n_cuts`` cut points."""
    n_sub = 2 * n_cuts + max(n_cuts - 1, 0)
    return n_sub * runs  # whole_model_times ticks once per timed pair
