"""Profiler: per-layer medians, fusion numbers, machine info; profile files round-trip."""

from __future__ import annotations

import json

import pytest

from edgeopt_solve.costmodel.onnx_build import build_onnx
from edgeopt_solve.costmodel.profile import load_profile, profile_from_dict, save_profile
from edgeopt_solve.costmodel.profiler import layer_of, optimised_shares, profile_model
from edgeopt_solve.costmodel.samples import tiny_cnn
from edgeopt_solve.exceptions import InvalidInstanceError


@pytest.fixture(scope="module")
def profiled():
    g = tiny_cnn()
    steps = []
    prof = profile_model(build_onnx(g), g, runs=4, warmup=1,
                         progress=lambda what, d, t: steps.append((d, t)))
    return g, prof, steps


def test_every_layer_has_a_median_and_spread(profiled):
    g, prof, steps = profiled
    assert set(prof.layers) == {la.name for la in g.layers}
    for layer in g.layers:
        st = prof.layers[layer.name]
        assert st.op == layer.op and st.n == 4
        assert 0 < st.min <= st.median <= st.max
        assert st.spread >= 0 and st.optimised is not None and st.optimised >= 0
        assert layer.name in st.nodes
    assert steps[-1][0] == steps[-1][1]  # the progress bar reaches 100 %


def test_whole_model_and_metadata(profiled):
    g, prof, _ = profiled
    w = prof.whole_model
    assert w.optimised.median > 0 and w.unoptimised.median > 0
    assert w.fusion_ratio == pytest.approx(w.optimised.median / w.unoptimised.median)
    assert w.sum_of_layers == pytest.approx(sum(s.median for s in prof.layers.values()))
    assert prof.machine.logical_cpus >= 1 and prof.machine.cpu_model
    assert prof.runtime.threads == 1 and prof.runtime.runs == 4
    assert prof.model.name == g.name and len(prof.model.hash) == 16
    assert w.optimised_cpu.median > 0 and w.unoptimised_cpu.n == 4


def test_file_round_trip_and_bad_files(profiled, tmp_path):
    _, prof, _ = profiled
    path = tmp_path / "p.json"
    save_profile(prof, path)
    assert load_profile(path) == prof
    raw = json.loads(path.read_text())
    raw["layers"]["conv1"]["median"] = -1.0
    with pytest.raises(InvalidInstanceError) as exc:
        profile_from_dict(raw, "p.json")
    assert exc.value.field == "layers.conv1.median" and exc.value.source == "p.json"
    raw = json.loads(path.read_text())
    raw["format"] = "something-else"
    with pytest.raises(InvalidInstanceError, match="not an edgeopt profile"):
        profile_from_dict(raw)
    raw = json.loads(path.read_text())
    raw["extra"] = 1
    with pytest.raises(InvalidInstanceError) as exc:
        profile_from_dict(raw)
    assert exc.value.field == "extra"
    (tmp_path / "t.json").write_text("{truncated")
    with pytest.raises(InvalidInstanceError, match="JSON"):
        load_profile(tmp_path / "t.json")


def test_fused_node_times_are_shared_without_loss():
    g = tiny_cnn()
    medians = {la.name: 1.0 for la in g.layers}
    medians["conv1"] = 6.0
    # ORT fused conv1+bn1+relu1 into "relu1_nchwc"; a reorder node belongs to no layer
    fused = {"relu1_nchwc": 8.0, "ReorderOutput_token_1": 1.5,
             **{la.name: 1.0 for la in g.layers[3:]}}
    shares = optimised_shares(g, medians, fused)
    assert sum(shares.values()) == pytest.approx(sum(fused.values()))
    base = {k: v for k, v in shares.items()}
    # the fused group's 8.0 is split 6:1:1 (plus its share of the reorder time)
    loose = 1.5 / sum(medians.values())
    assert base["conv1"] == pytest.approx(6.0 + 6.0 * loose)
    assert base["bn1"] == pytest.approx(1.0 + loose)


def test_node_names_map_back_to_layers():
    names = {"conv1", "fc"}
    assert layer_of("conv1", names) == "conv1"
    assert layer_of("fc__flatten", names) == "fc"
    assert layer_of("conv1_nchwc", names) == "conv1"
    assert layer_of("ReorderOutput_token_3", names) is None
