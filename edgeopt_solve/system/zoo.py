"""Model zoo: classic CNNs as :class:`DnnGraph` layer DAGs with exact shapes (224x224, batch 1).

Models (``NAMES``): AlexNet and VGG16 as in torchvision (Krizhevsky 2012 single-tower
variant, Simonyan & Zisserman 2015), ResNet-18 and ResNet-50 (He et al. 2016; v1.5: the
stride of a bottleneck sits on its 3x3 convolution, as in torchvision), MobileNetV2
(Sandler et al. 2018, width 1.0) and GoogLeNet / Inception v1 (Szegedy et al. 2015, the
original: 5x5 branch, convolutions with bias, LRN after the first two stages, no auxiliary
classifiers). Every model ends with a softmax layer.

Counting conventions (those of the published totals):

* ``macs`` counts the multiply-accumulates of convolutions and fully connected layers only;
  every other operator (bn, relu, pool, add, concat, softmax, flatten, dropout, lrn) has
  0 MACs. A convolution has ``C_out * H_out * W_out * (C_in / groups) * kh * kw`` MACs, a
  fully connected layer ``in_features * out_features``. Biases add no MACs.
* parameters are the trainable ones: conv/fc weights and biases, BN scale and shift
  (2 per channel; the running mean/variance are buffers and not counted).
* tensors are float32: ``output_bytes = 4 * prod(out_shape)``, ``param_bytes = 4 * params``;
  the graph's ``input_bytes`` is ``4 * 3 * 224 * 224``.

Totals (tested): AlexNet 0.714 GMAC / 61.10 M params, VGG16 15.47 G / 138.36 M,
ResNet-18 1.81 G / 11.69 M, ResNet-50 4.09 G / 25.56 M, MobileNetV2 0.30 G / 3.50 M,
GoogLeNet 1.58 G / 6.99 M.

``Layer.attrs`` contract (what ``edgeopt_solve.costmodel`` reads to rebuild each layer as a
real ONNX/PyTorch operator). Shapes exclude the batch dimension (batch is 1):

every layer
    ``out_shape``: ``[C, H, W]`` for feature maps or ``[N]`` for vectors;
    ``in_shapes``: list of the input tensors' shapes, in the order of ``Layer.inputs``
    (the graph input ``[3, 224, 224]`` for a layer without inputs).
``conv`` / ``dwconv``
    ``kernel`` ``[kh, kw]``, ``stride`` int, ``pad`` int (same on every side), ``groups``
    int (``dwconv``: groups == in_channels == out_channels), ``in_channels``,
    ``out_channels``, ``bias`` bool.
``fc``
    ``in_features``, ``out_features``, ``bias`` (always true here).
``pool``
    ``kind`` ``"max"`` / ``"avg"`` / ``"global"`` (global average), ``kernel`` ``[kh, kw]``,
    ``stride`` int, ``pad`` int, ``ceil_mode`` bool (output size rounded up, as Caffe).
``bn``
    ``num_features``, ``eps`` (1e-5).
``relu``
    ``clip``: ``null`` for ReLU, ``6.0`` for ReLU6 (MobileNetV2).
``add``
    nothing more (element-wise sum of its inputs, same shapes).
``concat``
    ``axis``: 0 = channels of ``[C, H, W]`` (ONNX axis 1 with the batch dimension).
``flatten``
    ``[C, H, W]`` -> ``[C*H*W]`` (ONNX ``Flatten`` axis 1).
``dropout``
    ``ratio`` (identity at inference).
``lrn``
    ``size``, ``alpha``, ``beta``, ``k`` (ONNX ``LRN`` attribute names; bias = k).
``softmax``
    ``axis``: 0 of ``[N]`` (ONNX axis 1).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

from edgeopt_solve.exceptions import InvalidInstanceError
from edgeopt_solve.system.dnn import DnnGraph, Layer

BYTES_PER_FLOAT = 4
INPUT_SHAPE = (3, 224, 224)

Shape = tuple[int, ...]


class _Builder:
    """Appends layers in topological order while tracking tensor shapes."""

    def __init__(self, name: str, in_shape: Shape = INPUT_SHAPE) -> None:
        self.name = name
        self.in_shape = in_shape
        self.layers: list[Layer] = []
        self.shapes: dict[str | None, Shape] = {None: in_shape}

    def _add(self, name: str, op: str, inputs: list[str | None], out_shape: Shape,
             macs: int = 0, params: int = 0, **attrs: Any) -> str:
        attrs = {"out_shape": list(out_shape),
                 "in_shapes": [list(self.shapes[i]) for i in inputs], **attrs}
        self.shapes[name] = out_shape
        self.layers.append(Layer(
            name, op, float(macs), float(BYTES_PER_FLOAT * params),
            float(BYTES_PER_FLOAT * math.prod(out_shape)),
            tuple(i for i in inputs if i is not None), attrs))
        return name

    def conv(self, name: str, x: str | None, out_c: int, k: int, stride: int = 1, pad: int = 0,
             groups: int = 1, bias: bool = True) -> str:
        c, h, w = self.shapes[x]
        if c % groups or out_c % groups:
            raise ValueError(f"{name}: channels not divisible by groups")
        ho = (h + 2 * pad - k) // stride + 1
        wo = (w + 2 * pad - k) // stride + 1
        macs = out_c * ho * wo * (c // groups) * k * k
        params = out_c * (c // groups) * k * k + (out_c if bias else 0)
        op = "dwconv" if groups > 1 and groups == c == out_c else "conv"
        return self._add(name, op, [x], (out_c, ho, wo), macs, params, kernel=[k, k],
                         stride=stride, pad=pad, groups=groups, in_channels=c,
                         out_channels=out_c, bias=bias)

    def bn(self, name: str, x: str) -> str:
        c = self.shapes[x][0]
        return self._add(name, "bn", [x], self.shapes[x], 0, 2 * c, num_features=c, eps=1e-5)

    def relu(self, name: str, x: str, clip: float | None = None) -> str:
        return self._add(name, "relu", [x], self.shapes[x], clip=clip)

    def pool(self, name: str, x: str, kind: str, k: int, stride: int, pad: int = 0,
             ceil_mode: bool = False) -> str:
        c, h, w = self.shapes[x]
        rnd = math.ceil if ceil_mode else math.floor
        ho = int(rnd((h + 2 * pad - k) / stride)) + 1
        wo = int(rnd((w + 2 * pad - k) / stride)) + 1
        return self._add(name, "pool", [x], (c, ho, wo), kind=kind, kernel=[k, k],
                         stride=stride, pad=pad, ceil_mode=ceil_mode)

    def gap(self, name: str, x: str) -> str:
        c, h, w = self.shapes[x]
        return self._add(name, "pool", [x], (c, 1, 1), kind="global", kernel=[h, w],
                         stride=1, pad=0, ceil_mode=False)

    def flatten(self, name: str, x: str) -> str:
        return self._add(name, "flatten", [x], (math.prod(self.shapes[x]),))

    def fc(self, name: str, x: str, out_f: int) -> str:
        (n,) = self.shapes[x]
        return self._add(name, "fc", [x], (out_f,), n * out_f, n * out_f + out_f,
                         in_features=n, out_features=out_f, bias=True)

    def dropout(self, name: str, x: str, ratio: float = 0.5) -> str:
        return self._add(name, "dropout", [x], self.shapes[x], ratio=ratio)

    def lrn(self, name: str, x: str) -> str:
        return self._add(name, "lrn", [x], self.shapes[x], size=5, alpha=1e-4, beta=0.75,
                         k=1.0)

    def add(self, name: str, a: str, b: str) -> str:
        if self.shapes[a] != self.shapes[b]:
            raise ValueError(f"{name}: shapes differ")
        return self._add(name, "add", [a, b], self.shapes[a])

    def concat(self, name: str, xs: list[str]) -> str:
        shapes = [self.shapes[x] for x in xs]
        out = (sum(s[0] for s in shapes), *shapes[0][1:])
        return self._add(name, "concat", list(xs), out, axis=0)

    def softmax(self, name: str, x: str) -> str:
        return self._add(name, "softmax", [x], self.shapes[x], axis=0)

    def graph(self) -> DnnGraph:
        return DnnGraph(self.name, tuple(self.layers),
                        float(BYTES_PER_FLOAT * math.prod(self.in_shape)))


def alexnet() -> DnnGraph:
    """AlexNet, torchvision layout (64-192-384-256-256 channels, no LRN)."""
    b = _Builder("alexnet")
    x: str | None = None
    spec = [(64, 11, 4, 2, True), (192, 5, 1, 2, True), (384, 3, 1, 1, False),
            (256, 3, 1, 1, False), (256, 3, 1, 1, True)]
    for i, (c, k, s, p, pool) in enumerate(spec, 1):
        x = b.conv(f"conv{i}", x, c, k, s, p)
        x = b.relu(f"relu{i}", x)
        if pool:
            x = b.pool(f"pool{i}", x, "max", 3, 2)
    assert x is not None
    x = b.flatten("flatten", x)
    x = b.dropout("drop6", x)
    x = b.relu("relu6", b.fc("fc6", x, 4096))
    x = b.dropout("drop7", x)
    x = b.relu("relu7", b.fc("fc7", x, 4096))
    b.softmax("prob", b.fc("fc8", x, 1000))
    return b.graph()


def vgg16() -> DnnGraph:
    """VGG16 (configuration D)."""
    b = _Builder("vgg16")
    x: str | None = None
    for stage, (c, n) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], 1):
        for j in range(1, n + 1):
            x = b.relu(f"relu{stage}_{j}", b.conv(f"conv{stage}_{j}", x, c, 3, 1, 1))
        assert x is not None
        x = b.pool(f"pool{stage}", x, "max", 2, 2)
    assert x is not None
    x = b.flatten("flatten", x)
    x = b.dropout("drop6", b.relu("relu6", b.fc("fc6", x, 4096)))
    x = b.dropout("drop7", b.relu("relu7", b.fc("fc7", x, 4096)))
    b.softmax("prob", b.fc("fc8", x, 1000))
    return b.graph()


def _resnet_stem(b: _Builder) -> str:
    x = b.relu("relu1", b.bn("bn1", b.conv("conv1", None, 64, 7, 2, 3, bias=False)))
    return b.pool("pool1", x, "max", 3, 2, 1)


def _resnet_head(b: _Builder, x: str) -> DnnGraph:
    x = b.flatten("flatten", b.gap("avgpool", x))
    b.softmax("prob", b.fc("fc", x, 1000))
    return b.graph()


def _basic_block(b: _Builder, p: str, x: str, c: int, stride: int) -> str:
    y = b.relu(f"{p}_relu1", b.bn(f"{p}_bn1", b.conv(f"{p}_conv1", x, c, 3, stride, 1,
                                                         bias=False)))
    y = b.bn(f"{p}_bn2", b.conv(f"{p}_conv2", y, c, 3, 1, 1, bias=False))
    short = x
    if stride != 1 or b.shapes[x][0] != c:
        short = b.bn(f"{p}_down_bn", b.conv(f"{p}_down", x, c, 1, stride, 0, bias=False))
    return b.relu(f"{p}_relu", b.add(f"{p}_add", y, short))


def _bottleneck(b: _Builder, p: str, x: str, c: int, stride: int) -> str:
    out = 4 * c
    y = b.relu(f"{p}_relu1", b.bn(f"{p}_bn1", b.conv(f"{p}_conv1", x, c, 1, bias=False)))
    y = b.relu(f"{p}_relu2", b.bn(f"{p}_bn2", b.conv(f"{p}_conv2", y, c, 3, stride, 1,
                                                         bias=False)))
    y = b.bn(f"{p}_bn3", b.conv(f"{p}_conv3", y, out, 1, bias=False))
    short = x
    if stride != 1 or b.shapes[x][0] != out:
        short = b.bn(f"{p}_down_bn", b.conv(f"{p}_down", x, out, 1, stride, 0, bias=False))
    return b.relu(f"{p}_relu", b.add(f"{p}_add", y, short))


def _resnet(name: str, block: Callable[..., str], depths: list[int]) -> DnnGraph:
    b = _Builder(name)
    x = _resnet_stem(b)
    for stage, (c, n) in enumerate(zip([64, 128, 256, 512], depths, strict=True), 1):
        for j in range(n):
            stride = 2 if stage > 1 and j == 0 else 1
            x = block(b, f"layer{stage}_{j}", x, c, stride)
    return _resnet_head(b, x)


def resnet18() -> DnnGraph:
    """ResNet-18 (basic blocks 2-2-2-2)."""
    return _resnet("resnet18", _basic_block, [2, 2, 2, 2])


def resnet50() -> DnnGraph:
    """ResNet-50 v1.5 (bottlenecks 3-4-6-3, stride on the 3x3 convolution)."""
    return _resnet("resnet50", _bottleneck, [3, 4, 6, 3])


def mobilenetv2() -> DnnGraph:
    """MobileNetV2, width multiplier 1.0."""
    b = _Builder("mobilenetv2")
    x = b.relu("relu0", b.bn("bn0", b.conv("conv0", None, 32, 3, 2, 1, bias=False)), 6.0)
    cfg = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1),
           (6, 160, 3, 2), (6, 320, 1, 1)]
    k = 0
    for t, c, n, s in cfg:
        for j in range(n):
            k += 1
            p = f"block{k}"
            stride = s if j == 0 else 1
            cin = b.shapes[x][0]
            y = x
            if t != 1:
                y = b.relu(f"{p}_relu1", b.bn(f"{p}_bn1", b.conv(f"{p}_expand", y, cin * t, 1,
                                                                     bias=False)), 6.0)
            hid = b.shapes[y][0]
            y = b.relu(f"{p}_relu2", b.bn(f"{p}_bn2", b.conv(f"{p}_dw", y, hid, 3, stride, 1,
                                                                 groups=hid, bias=False)), 6.0)
            y = b.bn(f"{p}_bn3", b.conv(f"{p}_project", y, c, 1, bias=False))
            x = b.add(f"{p}_add", x, y) if stride == 1 and cin == c else y
    x = b.relu("relu_last", b.bn("bn_last", b.conv("conv_last", x, 1280, 1, bias=False)), 6.0)
    x = b.dropout("dropout", b.flatten("flatten", b.gap("avgpool", x)), 0.2)
    b.softmax("prob", b.fc("fc", x, 1000))
    return b.graph()


def _inception(b: _Builder, p: str, x: str, c1: int, r3: int, c3: int, r5: int, c5: int,
               cp: int) -> str:
    b1 = b.relu(f"{p}_1x1_relu", b.conv(f"{p}_1x1", x, c1, 1))
    b2 = b.relu(f"{p}_3x3r_relu", b.conv(f"{p}_3x3_reduce", x, r3, 1))
    b2 = b.relu(f"{p}_3x3_relu", b.conv(f"{p}_3x3", b2, c3, 3, 1, 1))
    b3 = b.relu(f"{p}_5x5r_relu", b.conv(f"{p}_5x5_reduce", x, r5, 1))
    b3 = b.relu(f"{p}_5x5_relu", b.conv(f"{p}_5x5", b3, c5, 5, 1, 2))
    b4 = b.pool(f"{p}_pool", x, "max", 3, 1, 1)
    b4 = b.relu(f"{p}_pool_proj_relu", b.conv(f"{p}_pool_proj", b4, cp, 1))
    return b.concat(f"{p}_concat", [b1, b2, b3, b4])


def googlenet() -> DnnGraph:
    """GoogLeNet / Inception v1 (original: 5x5 branch, LRN, no auxiliary classifiers)."""
    b = _Builder("googlenet")
    x = b.relu("conv1_relu", b.conv("conv1", None, 64, 7, 2, 3))
    x = b.lrn("norm1", b.pool("pool1", x, "max", 3, 2, 0, ceil_mode=True))
    x = b.relu("conv2_reduce_relu", b.conv("conv2_reduce", x, 64, 1))
    x = b.relu("conv2_relu", b.conv("conv2", x, 192, 3, 1, 1))
    x = b.pool("pool2", b.lrn("norm2", x), "max", 3, 2, 0, ceil_mode=True)
    x = _inception(b, "inc3a", x, 64, 96, 128, 16, 32, 32)
    x = _inception(b, "inc3b", x, 128, 128, 192, 32, 96, 64)
    x = b.pool("pool3", x, "max", 3, 2, 0, ceil_mode=True)
    x = _inception(b, "inc4a", x, 192, 96, 208, 16, 48, 64)
    x = _inception(b, "inc4b", x, 160, 112, 224, 24, 64, 64)
    x = _inception(b, "inc4c", x, 128, 128, 256, 24, 64, 64)
    x = _inception(b, "inc4d", x, 112, 144, 288, 32, 64, 64)
    x = _inception(b, "inc4e", x, 256, 160, 320, 32, 128, 128)
    x = b.pool("pool4", x, "max", 3, 2, 0, ceil_mode=True)
    x = _inception(b, "inc5a", x, 256, 160, 320, 32, 128, 128)
    x = _inception(b, "inc5b", x, 384, 192, 384, 48, 128, 128)
    x = b.dropout("dropout", b.flatten("flatten", b.gap("avgpool", x)), 0.4)
    b.softmax("prob", b.fc("fc", x, 1000))
    return b.graph()


_BUILDERS: dict[str, Callable[[], DnnGraph]] = {
    "alexnet": alexnet, "vgg16": vgg16, "resnet18": resnet18, "resnet50": resnet50,
    "mobilenetv2": mobilenetv2, "googlenet": googlenet,
}

#: names accepted by :func:`load`
NAMES: tuple[str, ...] = tuple(_BUILDERS)


def load(name: str) -> DnnGraph:
    """The zoo model called ``name`` (case-insensitive; ``-``/``_`` ignored).

    Raises
    ------
    InvalidInstanceError
        If ``name`` is not in :data:`NAMES`.
    """
    key = name.lower().replace("-", "").replace("_", "") if isinstance(name, str) else ""
    if key not in _BUILDERS:
        raise InvalidInstanceError(f"unknown zoo model {name!r}; known: {', '.join(NAMES)}",
                                   field="model")
    return _BUILDERS[key]()


def param_count(graph: DnnGraph) -> float:
    """Trainable parameters of ``graph`` (``param_bytes / 4``)."""
    return graph.total_param_bytes / BYTES_PER_FLOAT
