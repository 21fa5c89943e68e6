"""Validation by execution: a split plan over shaped loopback TCP, at two bandwidths."""

from __future__ import annotations

import statistics
from pathlib import Path

import numpy as np
import pytest

from edgeopt_solve.costmodel.experiment import run_plan
from edgeopt_solve.costmodel.onnx_build import build_onnx
from edgeopt_solve.costmodel.profiler import profile_model
from edgeopt_solve.costmodel.samples import tiny_cnn
from edgeopt_solve.costmodel.validate import (
    check_plan,
    plan_from_cut,
    prefix_plans,
    split,
    stages,
)
from edgeopt_solve.exceptions import InvalidInstanceError


@pytest.fixture(scope="module")
def setup():
    g = tiny_cnn(width=16, hw=48)
    model = build_onnx(g)
    return g, model, profile_model(model, g, runs=5, warmup=1)


def test_stages_of_a_cut_send_exactly_the_cut_tensors():
    g = tiny_cnn()
    tiers = plan_from_cut(g, ["b1", "b2"])
    st = stages(g, tiers)
    assert st[0].send == ("b1", "b2") and st[1].inputs == ("b1", "b2")
    assert st[0].send_bytes == g.layers[g.index["b1"]].output_bytes * 2
    assert st[1].outputs == ("prob",)
    # server-only sends the input; device-only sends nothing
    assert stages(g, plan_from_cut(g, []))[0].send == ("input",)
    assert len(stages(g, plan_from_cut(g, ["prob"]))) == 1
    # a 3-tier plan relays a tensor that tier 2 reads from tier 0 through tier 1
    t3 = [0] * 7 + [1, 1, 2] + [2] * (len(g.layers) - 10)
    check_plan(g, t3, 3)
    s3 = stages(g, t3)
    assert "relu2" in s3[1].send


def test_split_models_reproduce_the_unsplit_output(setup, tmp_path):
    from edgeopt_solve.costmodel.onnx_build import random_input
    from edgeopt_solve.costmodel.profiler import make_session

    g, model, _ = setup
    feeds = random_input(model)
    ref = make_session(model, 1, optimise=False).run(None, feeds)[0]
    for tiers in prefix_plans(g)[1:-1:3]:
        parts = split(model, g, tiers, tmp_path)
        s0 = make_session(Path(parts[0][1]).read_bytes(), 1, optimise=False)
        mid = dict(zip([o.name for o in s0.get_outputs()], s0.run(None, feeds), strict=True))
        s1 = make_session(Path(parts[1][1]).read_bytes(), 1, optimise=False)
        need = {i.name: (feeds if i.name == "input" else mid)[i.name] for i in s1.get_inputs()}
        np.testing.assert_allclose(s1.run(None, need)[0], ref, rtol=1e-5, atol=1e-6)


def test_execution_at_two_bandwidths_matches_prediction(setup):
    g, model, prof = setup
    tiers = plan_from_cut(g, ["relu2"])
    errors = []
    for bw in (4e6, 16e6):
        rep = run_plan(model, g, tiers, [(bw, 0.004)], profile=prof, slowdown=[2.0, 1.0],
                       runs=6, warmup=1)
        assert rep["outputs_match"], rep
        assert len(rep["stages"]) == 3
        link = rep["stages"][1]
        assert link["measured"] == pytest.approx(link["predicted"], rel=0.3)
        errors.append(abs(rep["error"]))
    assert statistics.median(errors) <= 0.3


def test_bad_plans():
    g = tiny_cnn()
    with pytest.raises(InvalidInstanceError, match="does not exist") as exc:
        plan_from_cut(g, ["relu2", "nope"])
    assert exc.value.field == "cut[1]"
    with pytest.raises(InvalidInstanceError, match="back towards the device") as exc:
        check_plan(g, [1] + [0] * (len(g.layers) - 1), 2)
    assert exc.value.field == "solution.tiers[1]"
    with pytest.raises(InvalidInstanceError, match="entries"):
        check_plan(g, [0, 1], 2)
    with pytest.raises(InvalidInstanceError) as exc:
        check_plan(g, [0] * (len(g.layers) - 1) + [5], 2)
    assert exc.value.field == f"solution.tiers[{len(g.layers) - 1}]"
