"""Per-segment latency with optimisations off and on, stored in the profile and used."""

from __future__ import annotations

import json

import pytest

from edgeopt_solve.costmodel.experiment import plan_cuts
from edgeopt_solve.costmodel.measured import MeasuredCostModel
from edgeopt_solve.costmodel.onnx_build import build_onnx
from edgeopt_solve.costmodel.profile import load_profile, profile_from_dict, save_profile
from edgeopt_solve.costmodel.profiler import profile_model
from edgeopt_solve.costmodel.samples import tiny_chain, tiny_cnn
from edgeopt_solve.costmodel.segments import choose_cuts, cut_points, segment_plan
from edgeopt_solve.costmodel.validate import prefix_plans, stages
from edgeopt_solve.exceptions import InvalidInstanceError


@pytest.fixture(scope="module")
def profiled():
    g = tiny_cnn(width=16, hw=48)
    steps = []
    prof = profile_model(build_onnx(g), g, runs=4, warmup=1, segments=3,
                         progress=lambda what, d, t: steps.append((what, d, t)))
    return g, prof, steps


def test_cut_points_are_single_tensor_boundaries():
    g = tiny_cnn()
    # inside the residual block (dw2, pw2) and the two branches (b1, b2) nothing is cut
    assert cut_points(g) == [1, 2, 3, 4, 7, 8, 11, 12, 13, 14]
    chain = tiny_chain()
    assert cut_points(chain) == list(range(1, len(chain.layers)))
    for i in cut_points(g):  # a single cut there sends exactly one tensor
        st = stages(g, prefix_plans(g)[i])
        assert len(st[0].send) == 1


def test_choose_cuts_spreads_over_latency():
    pts = list(range(1, 10))
    weights = [1.0] * 10
    assert choose_cuts(pts, weights, 0) == []
    assert choose_cuts(pts, weights, 20) == pts
    assert choose_cuts(pts, weights, 1) == [5]
    assert choose_cuts(pts, weights, 3) == [2, 5, 7]  # quantiles 2.5, 5, 7.5; ties go left
    # a heavy first layer pulls the cut points to just after it
    heavy = [100.0] + [1.0] * 9
    assert choose_cuts(pts, heavy, 1) == [1]
    assert segment_plan(tiny_cnn(), [4, 8]) == [("prefix", 0, 4), ("prefix", 0, 8),
                                                ("suffix", 4, 15), ("suffix", 8, 15),
                                                ("segment", 4, 8)]


def test_profile_stores_segments_with_both_timings(profiled, tmp_path):
    g, prof, steps = profiled
    segs = prof.segments
    cuts = sorted({s.stop for s in segs if s.kind == "prefix"})
    assert len(cuts) == 3 and set(cuts) <= set(cut_points(g))
    assert len(segs) == 2 * 3 + 2
    for s in segs:
        assert s.first == g.layers[s.start].name and s.last == g.layers[s.stop - 1].name
        assert s.layers == s.stop - s.start
        assert s.optimised.median > 0 and s.unoptimised.median > 0
        assert s.optimised_cpu.n == 4
        assert s.fusion_ratio == pytest.approx(s.optimised_cpu.median / s.unoptimised_cpu.median)
    assert steps[-1][1] == steps[-1][2] and any(w == "segments" for w, _, _ in steps)
    path = tmp_path / "p.json"
    save_profile(prof, path)
    assert load_profile(path) == prof
    raw = json.loads(path.read_text())
    del raw["segments"]  # a profile written before segments existed still loads
    assert profile_from_dict(raw).segments is None
    raw["segments"] = [{**prof.segments[0].model_dump(), "stop": 0}]
    with pytest.raises(InvalidInstanceError) as exc:
        profile_from_dict(raw)
    assert exc.value.field == "segments[0].stop"


def test_cost_model_uses_a_matching_segment(profiled):
    g, prof, _ = profiled
    cm = MeasuredCostModel(prof, g, slowdown=2.0)
    pre = next(s for s in prof.segments if s.kind == "prefix")
    layers = g.layers[:pre.stop]
    assert cm.measured_segment(layers) == pre
    assert cm.segment_latency(layers) == pytest.approx(2.0 * pre.optimised_cpu.median)
    assert cm.segment_latency(reversed(layers)) == cm.segment_latency(layers)
    off = MeasuredCostModel(prof, g, optimised=False, clock="wall")
    assert off.segment_latency(layers) == pytest.approx(pre.unoptimised.median)
    # not a profiled segment: per-layer sum
    odd = g.layers[: pre.stop + 1] if pre.stop + 1 not in {s.stop for s in prof.segments} \
        else g.layers[1: pre.stop]
    assert cm.measured_segment(odd) is None
    assert cm.segment_latency(odd) == pytest.approx(sum(cm.layer_latency(la) for la in odd)
                                                    + cm.run_overhead)
    assert cm.measured_segment([g.layers[0], g.layers[2]]) is None
    # another version of the model (different structure hash): segments are not used
    other = prof.model_copy(update={"model": prof.model.model_copy(update={"hash": "x" * 16})})
    assert MeasuredCostModel(other, g).measured_segment(layers) is None


def test_no_segments_by_default_and_explicit_cuts():
    g = tiny_chain()
    model = build_onnx(g)
    assert profile_model(model, g, runs=2, warmup=0).segments is None
    prof = profile_model(model, g, runs=2, warmup=0, cuts=[3, 99])  # 99 is no cut point
    assert [(s.kind, s.start, s.stop) for s in prof.segments] == [
        ("prefix", 0, 3), ("suffix", 3, len(g.layers))]


def test_plan_cuts_names_the_segments_a_plan_runs():
    g = tiny_cnn()
    n = len(g.layers)
    assert plan_cuts(g, [0] * 4 + [1] * (n - 4)) == [4]
    assert plan_cuts(g, [0] * 4 + [1] * 4 + [2] * (n - 8)) == [4, 8]
    assert plan_cuts(g, [0] * 5 + [1] * (n - 5)) == []  # 5 is inside the residual block
    assert plan_cuts(g, [0] * n) == [] and plan_cuts(g, [1] * n) == []
    assert plan_cuts(g, [0, 1] + [0] * (n - 2)) == []  # not contiguous
