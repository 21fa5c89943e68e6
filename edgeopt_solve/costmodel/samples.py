"""Small hand-built DNN graphs (with the zoo's ``attrs`` contract and MAC convention:
only conv and fc layers have MACs) for tests and demos."""

from __future__ import annotations

from typing import Any

from edgeopt_solve.system.dnn import DnnGraph, Layer

F = 4  # bytes per float32


def _conv(name: str, src: str | None, cin: int, cout: int, hw_in: int, k: int, s: int, p: int,
          groups: int = 1) -> tuple[Layer, int]:
    hw = (hw_in + 2 * p - k) // s + 1
    macs = float(cout * hw * hw * (cin // groups) * k * k)
    attrs: dict[str, Any] = {"out_shape": [cout, hw, hw], "kernel": k, "stride": s, "pad": p,
                             "groups": groups, "in_channels": cin, "out_channels": cout,
                             "bias": True}
    op = "dwconv" if groups > 1 and groups == cin else "conv"
    params = float((cout * (cin // groups) * k * k + cout) * F)
    return Layer(name, op, macs, params, float(cout * hw * hw * F), (src,) if src else (),
                 attrs), hw


def _same(name: str, op: str, srcs: tuple[str, ...], shape: list[int],
          **attrs: Any) -> Layer:
    elems = 1
    for s in shape:
        elems *= s
    return Layer(name, op, 0.0, 0.0, float(elems * F), srcs,
                 {"out_shape": list(shape), **attrs})


def tiny_cnn(name: str = "tinycnn", width: int = 8, hw: int = 32) -> DnnGraph:
    """A small residual CNN (conv, bn, relu, pool, dwconv, add, concat, flatten, fc, softmax).

    Parameters
    ----------
    name
        Model name.
    width
        Channels of the first convolution.
    hw
        Input height and width (3 input channels).
    """
    layers: list[Layer] = []
    c1, h = _conv("conv1", None, 3, width, hw, 3, 1, 1)
    layers += [c1, _same("bn1", "bn", ("conv1",), [width, h, h]),
               _same("relu1", "relu", ("bn1",), [width, h, h])]
    h2 = (h - 2) // 2 + 1
    layers.append(Layer("pool1", "pool", 0.0, 0.0,
                        float(width * h2 * h2 * F), ("relu1",),
                        {"out_shape": [width, h2, h2], "kind": "max", "kernel": 2,
                         "stride": 2, "pad": 0}))
    dw, _ = _conv("dw2", "pool1", width, width, h2, 3, 1, 1, groups=width)
    pw, _ = _conv("pw2", "dw2", width, width, h2, 1, 1, 0)
    layers += [dw, pw, _same("add2", "add", ("pool1", "pw2"), [width, h2, h2]),
               _same("relu2", "relu", ("add2",), [width, h2, h2])]
    b1, _ = _conv("b1", "relu2", width, width, h2, 1, 1, 0)
    b2, _ = _conv("b2", "relu2", width, width, h2, 3, 1, 1)
    layers += [b1, b2, _same("cat3", "concat", ("b1", "b2"), [2 * width, h2, h2])]
    layers.append(Layer("gap", "pool", 0.0, 0.0, float(2 * width * F),
                        ("cat3",), {"out_shape": [2 * width, 1, 1], "kind": "global_avg"}))
    layers.append(_same("flat", "flatten", ("gap",), [2 * width]))
    layers.append(Layer("fc", "fc", float(2 * width * 10), float((2 * width * 10 + 10) * F),
                        float(10 * F), ("flat",),
                        {"out_shape": [10], "in_features": 2 * width, "out_features": 10}))
    layers.append(_same("prob", "softmax", ("fc",), [10]))
    return DnnGraph(name, tuple(layers), float(3 * hw * hw * F))


def tiny_chain(name: str = "tinychain", hw: int = 32) -> DnnGraph:
    """A small AlexNet-like chain: conv-relu-lrn-pool-conv-relu-pool-flatten-fc-dropout-fc."""
    c1, h = _conv("conv1", None, 3, 16, hw, 5, 2, 2)
    p = (h - 3) // 2 + 1
    c2, h2 = _conv("conv2", "pool1", 16, 32, p, 3, 1, 1)
    p2 = (h2 - 2) // 2 + 1
    flat = 32 * p2 * p2
    layers = [
        c1, _same("relu1", "relu", ("conv1",), [16, h, h]),
        _same("lrn1", "lrn", ("relu1",), [16, h, h], size=5),
        Layer("pool1", "pool", 0.0, 0.0, float(16 * p * p * F), ("lrn1",),
              {"out_shape": [16, p, p], "kind": "max", "kernel": 3, "stride": 2, "pad": 0}),
        c2, _same("relu2", "relu", ("conv2",), [32, h2, h2]),
        Layer("pool2", "pool", 0.0, 0.0, float(32 * p2 * p2 * F),
              ("relu2",), {"out_shape": [32, p2, p2], "kind": "avg", "kernel": 2,
                           "stride": 2, "pad": 0}),
        _same("flat", "flatten", ("pool2",), [flat]),
        Layer("fc1", "fc", float(flat * 64), float((flat * 64 + 64) * F), float(64 * F),
              ("flat",), {"out_shape": [64], "in_features": flat, "out_features": 64}),
        _same("drop", "dropout", ("fc1",), [64]),
        Layer("fc2", "fc", float(64 * 10), float((640 + 10) * F), float(10 * F), ("drop",),
              {"out_shape": [10], "in_features": 64, "out_features": 10}),
    ]
    return DnnGraph(name, tuple(layers), float(3 * hw * hw * F))
