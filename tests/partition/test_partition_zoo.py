"""Model zoo totals match the published ones; the attrs contract is complete."""

from __future__ import annotations

import math

import pytest

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system import zoo

PUBLISHED = {  # GMACs, M params
    "alexnet": (0.71, 61.1), "vgg16": (15.5, 138.4), "resnet18": (1.82, 11.7),
    "resnet50": (4.1, 25.6), "mobilenetv2": (0.30, 3.5),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_totals_within_two_percent(name: str) -> None:
    g = zoo.load(name)
    macs, params = PUBLISHED[name]
    assert abs(g.total_macs / 1e9 - macs) / macs < 0.02, g.total_macs
    assert abs(zoo.param_count(g) / 1e6 - params) / params < 0.02, zoo.param_count(g)


def test_googlenet_inception_v1_totals() -> None:
    g = zoo.load("googlenet")
    assert 1.5e9 < g.total_macs < 1.65e9  # ~1.5-1.6 GMAC (Szegedy et al. 2015)
    assert 6.5e6 < zoo.param_count(g) < 7.1e6
    assert not g.is_chain and any(layer.op == "concat" for layer in g.layers)


REQUIRED = {
    "conv": {"kernel", "stride", "pad", "groups", "in_channels", "out_channels", "bias"},
    "dwconv": {"kernel", "stride", "pad", "groups", "in_channels", "out_channels", "bias"},
    "pool": {"kind", "kernel", "stride", "pad", "ceil_mode"},
    "fc": {"in_features", "out_features", "bias"},
    "bn": {"num_features", "eps"}, "relu": {"clip"}, "concat": {"axis"},
    "softmax": {"axis"}, "dropout": {"ratio"}, "lrn": {"size", "alpha", "beta", "k"},
}


@pytest.mark.parametrize("name", zoo.NAMES)
def test_attrs_contract_and_bytes(name: str) -> None:
    g = zoo.load(name)
    ops = {layer.op for layer in g.layers}
    assert ops <= {"conv", "dwconv", "fc", "pool", "relu", "bn", "add", "concat", "softmax",
                   "flatten", "lrn", "dropout"}
    assert g.input_bytes == 4 * 3 * 224 * 224
    for layer in g.layers:
        assert layer.output_bytes == 4 * math.prod(layer.attrs["out_shape"])
        assert len(layer.attrs["in_shapes"]) == max(1, len(layer.inputs))
        assert REQUIRED.get(layer.op, set()) <= set(layer.attrs), layer.name
        if layer.op in ("conv", "dwconv"):
            a = layer.attrs
            c, h, w = a["out_shape"]
            kh, kw = a["kernel"]
            assert layer.macs == c * h * w * a["in_channels"] // a["groups"] * kh * kw
    assert g.layers[-1].op == "softmax" and g.layers[-1].attrs["out_shape"] == [1000]


def test_mobilenet_uses_depthwise_and_resnet_has_residuals() -> None:
    assert any(layer.op == "dwconv" for layer in zoo.load("mobilenetv2").layers)
    assert sum(layer.op == "add" for layer in zoo.load("resnet50").layers) == 16
    assert zoo.load("ResNet-18").name == "resnet18"


def test_unknown_model_is_an_error() -> None:
    with pytest.raises(InvalidInstanceError) as info:
        zoo.load("lenet")
    assert info.value.field == "model"
