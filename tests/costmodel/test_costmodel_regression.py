"""Per-type regression: exact on synthetic data, cross-validated MAPE on a real sweep."""

from __future__ import annotations

import math

import numpy as np

from edgeopt_solve.costmodel.regression import (
    FEATURES,
    features,
    fit,
    layer_type,
    predict,
    predict_layer,
    sweep,
    sweep_configs,
)
from edgeopt_solve.costmodel.samples import tiny_cnn


def test_fit_recovers_a_linear_law():
    rng = np.random.default_rng(0)
    rows = []
    for _ in range(20):
        f = {k: 0.0 for k in FEATURES}
        f.update(const=1.0, macs=float(rng.uniform(1e6, 1e8)),
                 out_elems=float(rng.uniform(1e3, 1e5)))
        rows.append((f, 2e-5 + 3e-11 * f["macs"] + 1e-9 * f["out_elems"]))
    reg = fit({"conv": rows})
    t = reg.types["conv"]
    assert t.cv_mape < 1e-3 and t.samples == 20
    assert math.isclose(predict(t, rows[0][0]), rows[0][1], rel_tol=1e-3)


def test_sweep_fits_every_type_with_a_cross_validated_mape():
    reg = sweep(runs=2, warmup=1, per_type=8, scale=0.5)
    assert set(reg.types) == set(sweep_configs(8, 0, 0.5))
    for t in reg.types.values():
        assert t.samples >= 6 and math.isfinite(t.cv_mape) and t.cv_mape >= 0
    # elementwise ops are memory-bound and regular: the fit must be usable
    assert reg.types["elementwise"].cv_mape < 1.0
    g = tiny_cnn()
    for layer in g.layers:
        value = predict_layer(reg, layer, g)
        assert value is not None and value > 0


def test_layer_types_and_features():
    g = tiny_cnn()
    types = {la.name: layer_type(la) for la in g.layers}
    assert types["conv1"] == "conv" and types["dw2"] == "dwconv" and types["fc"] == "fc"
    assert types["relu1"] == "elementwise" and types["cat3"] == "concat"
    f = features(g.layers[g.index["add2"]], g)
    assert f["in_elems"] == 2 * f["out_elems"]
    assert features(g.layers[0], g)["in_elems"] == g.input_bytes / 4
