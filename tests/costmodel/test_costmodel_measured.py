"""MeasuredCostModel: measured where measured, regression otherwise, clear errors."""

from __future__ import annotations

import logging

import pytest

from edgeopt_solve.costmodel.measured import MeasuredCostModel, PowerModel
from edgeopt_solve.costmodel.onnx_build import build_onnx
from edgeopt_solve.costmodel.profiler import profile_model
from edgeopt_solve.costmodel.regression import fit
from edgeopt_solve.costmodel.samples import tiny_chain, tiny_cnn
from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system.costmodel import CostModel, layer_latencies
from edgeopt_solve.system.dnn import DnnGraph, Layer


@pytest.fixture(scope="module")
def prof():
    g = tiny_cnn()
    p = profile_model(build_onnx(g), g, runs=3, warmup=1)
    rows = {t: [({"const": 1.0, "macs": 1e6 * i, "in_elems": 1e3 * i, "out_elems": 1e3 * i,
                  "param_bytes": 0.0, "im2col": 0.0}, 1e-5 * i) for i in range(1, 6)]
            for t in ("conv", "elementwise", "fc", "pool")}
    return p.model_copy(update={"regression": fit(rows)})


def test_protocol_measured_values_and_energy(prof):
    g = tiny_cnn()
    cm = MeasuredCostModel(prof, g, power=PowerModel(compute=2.0, tx=1.0), optimised=False,
                           clock="wall")
    assert isinstance(cm, CostModel)
    assert cm.fallback == ()
    lat = layer_latencies(cm, g)
    assert lat == [prof.layers[la.name].median for la in g.layers]
    assert cm.layer_energy(g.layers[0]) == pytest.approx(2.0 * lat[0])
    assert cm.transmit_energy(0.5) == 0.5
    slow = MeasuredCostModel(prof, g, slowdown=3.0, optimised=False, clock="wall")
    assert slow.layer_latency(g.layers[0]) == pytest.approx(3 * lat[0])
    # CPU clock: shares of the wall medians, scaled to the whole model's CPU time
    for optimised, cpu in ((False, prof.whole_model.unoptimised_cpu),
                           (True, prof.whole_model.optimised_cpu)):
        cm = MeasuredCostModel(prof, g, optimised=optimised)
        assert sum(layer_latencies(cm, g)) == pytest.approx(cpu.median)
        assert cm.segment_latency([]) == 0.0
    with pytest.raises(InvalidInstanceError):
        MeasuredCostModel(prof, g, clock="sundial")


def test_missing_layers_fall_back_to_the_regression_and_say_so(prof, caplog):
    g = tiny_cnn()
    extra = Layer("conv_new", "conv", 5e6, 0.0, 4096.0, ("relu1",),
                  {"out_shape": [8, 8, 16], "out_channels": 8})
    g2 = DnnGraph(g.name, (*g.layers, extra), g.input_bytes)
    with caplog.at_level(logging.WARNING, logger="edgeopt_solve.costmodel.measured"):
        cm = MeasuredCostModel(prof, g2)
    assert cm.fallback == ("conv_new",)
    assert "not in the profile" in caplog.text and "conv_new" in caplog.text
    assert cm.layer_latency(extra) > 0


def test_profile_for_another_model_is_an_error(prof):
    with pytest.raises(InvalidInstanceError, match="profile is for model") as exc:
        MeasuredCostModel(prof, tiny_chain())
    assert exc.value.field == "model.name"


def test_missing_layers_without_regression_is_an_error(prof):
    bare = prof.model_copy(update={"regression": None,
                                   "layers": {k: v for k, v in prof.layers.items()
                                              if k != "fc"}})
    with pytest.raises(InvalidInstanceError, match="profile --sweep") as exc:
        MeasuredCostModel(bare, tiny_cnn())
    assert exc.value.field == "layers"
    with pytest.raises(InvalidInstanceError):
        MeasuredCostModel(prof, tiny_cnn(), slowdown=0.0)
